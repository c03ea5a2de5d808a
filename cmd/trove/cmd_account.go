package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/troveml/trove"
	"github.com/troveml/trove/internal/client"
	"github.com/troveml/trove/internal/config"
	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/meta"
)

// serverTarget returns the server URL and API key the account commands use:
// $TROVE_URL and $TROVE_API_KEY, else what trove login saved.
func serverTarget() (string, string, error) {
	path, err := config.DefaultPath()
	if err != nil {
		return "", "", err
	}
	cfg, err := config.Load(path)
	if err != nil {
		return "", "", err
	}
	u := firstNonEmpty(os.Getenv(trove.EnvURL), cfg.URL)
	if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
		return "", "", core.Errorf(core.ErrInvalid, "accounts live on a Trove server: set %s=http://HOST:PORT (or run trove login URL)", trove.EnvURL)
	}
	key := firstNonEmpty(os.Getenv(trove.EnvAPIKey), cfg.Key(u))
	if key == "" {
		return "", "", core.Errorf(core.ErrUnauthenticated, "no API key for %s: set %s or run trove login", u, trove.EnvAPIKey)
	}
	return u, key, nil
}

// withServer runs f with a client of the configured server, which says on
// stderr when it waits for a server that stopped answering.
func (g *globals) withServer(ctx context.Context, f func(*client.Client) error) error {
	u, key, err := serverTarget()
	if err != nil {
		return err
	}
	c, err := client.New(u, client.Options{APIKey: key, Notify: g.notify})
	if err != nil {
		return err
	}
	defer c.Close()
	return f(c)
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

func newUserCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "user",
		Short: "Manage the users of a Trove server (site administrators)",
	}
	var admin, asJSON bool
	create := &cobra.Command{
		Use:   "create NAME",
		Short: "Create a user, with a personal entity of the same name; prints its API key last",
		Long: `Create a user on the server. The user gets a personal entity of the same name,
which is the default entity of the commands it runs. The last line of stdout is
the new user's API key: it is shown only this once.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if err := core.ValidateEntity(args[0]); err != nil {
				return err
			}
			return g.withServer(ctx, func(c *client.Client) error {
				u, key, err := c.CreateUser(ctx, args[0], admin)
				if err != nil {
					return err
				}
				if asJSON {
					return writeJSON(g.stdout, struct {
						meta.User
						APIKey string `json:"api_key"`
					}{u, key})
				}
				fmt.Fprintf(g.stderr, "trove: created user %s; its API key (shown only once):\n", u.Name)
				fmt.Fprintln(g.stdout, key)
				return nil
			})
		},
	}
	create.Flags().BoolVar(&admin, "admin", false, "make the user a site administrator")
	create.Flags().BoolVar(&asJSON, "json", false, "print the user and key as JSON")

	var lsJSON bool
	ls := &cobra.Command{
		Use:   "ls",
		Short: "List users",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return g.withServer(ctx, func(c *client.Client) error {
				us, err := c.ListUsers(ctx)
				if err != nil {
					return err
				}
				if lsJSON {
					return writeJSON(g.stdout, nonNil(us))
				}
				w := table(g.stdout)
				fmt.Fprintln(w, "NAME\tADMIN\tCREATED")
				for _, u := range us {
					fmt.Fprintf(w, "%s\t%v\t%s\n", u.Name, u.Admin, u.CreatedAt.UTC().Format(time.RFC3339))
				}
				return w.Flush()
			})
		},
	}
	ls.Flags().BoolVar(&lsJSON, "json", false, "print JSON")

	whoami := &cobra.Command{
		Use:   "whoami",
		Short: "Print the user the API key belongs to",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return g.withServer(ctx, func(c *client.Client) error {
				u, err := c.WhoAmI(ctx)
				if err != nil {
					return err
				}
				fmt.Fprintln(g.stdout, u.Name)
				return nil
			})
		},
	}
	cmd.AddCommand(create, ls, whoami)
	return cmd
}

func newKeyCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "key",
		Short: "Create, list and revoke API keys",
	}
	var user, label string
	var createJSON bool
	create := &cobra.Command{
		Use:   "create",
		Short: "Create an API key (yours, or --user's as a site administrator); prints it last",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return g.withServer(ctx, func(c *client.Client) error {
				u, err := keyUser(ctx, c, user)
				if err != nil {
					return err
				}
				k, key, err := c.CreateKey(ctx, u, label)
				if err != nil {
					return err
				}
				if createJSON {
					return writeJSON(g.stdout, struct {
						meta.APIKey
						Key string `json:"api_key"`
					}{k, key})
				}
				fmt.Fprintf(g.stderr, "trove: created key %d for %s (shown only once):\n", k.ID, u)
				fmt.Fprintln(g.stdout, key)
				return nil
			})
		},
	}
	create.Flags().StringVar(&user, "user", "", "the user to create the key for (default: yourself)")
	create.Flags().StringVar(&label, "label", "", "a note to tell the key apart, e.g. ci")
	nonEmpty(create.Flags(), "user")
	create.Flags().BoolVar(&createJSON, "json", false, "print the key's record and the key as JSON")

	var lsUser string
	var lsJSON bool
	ls := &cobra.Command{
		Use:   "ls",
		Short: "List API keys (never the secrets)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return g.withServer(ctx, func(c *client.Client) error {
				u, err := keyUser(ctx, c, lsUser)
				if err != nil {
					return err
				}
				ks, err := c.ListKeys(ctx, u)
				if err != nil {
					return err
				}
				if lsJSON {
					return writeJSON(g.stdout, nonNil(ks))
				}
				w := table(g.stdout)
				fmt.Fprintln(w, "ID\tPREFIX\tLABEL\tCREATED\tREVOKED")
				for _, k := range ks {
					revoked := "-"
					if k.RevokedAt != nil {
						revoked = k.RevokedAt.UTC().Format(time.RFC3339)
					}
					fmt.Fprintf(w, "%d\t%s…\t%s\t%s\t%s\n", k.ID, k.Prefix, k.Label, k.CreatedAt.UTC().Format(time.RFC3339), revoked)
				}
				return w.Flush()
			})
		},
	}
	ls.Flags().StringVar(&lsUser, "user", "", "whose keys (default: yours)")
	nonEmpty(ls.Flags(), "user")
	ls.Flags().BoolVar(&lsJSON, "json", false, "print JSON")

	var revokeUser string
	revoke := &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke an API key by its id (see trove key ls); it stops working at once",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil || id <= 0 {
				return core.Errorf(core.ErrInvalid, "key id %q: want a positive number (see trove key ls)", args[0])
			}
			return g.withServer(ctx, func(c *client.Client) error {
				u, err := keyUser(ctx, c, revokeUser)
				if err != nil {
					return err
				}
				if err := c.RevokeKey(ctx, u, id); err != nil {
					return err
				}
				fmt.Fprintf(g.stderr, "trove: revoked key %d of %s\n", id, u)
				return nil
			})
		},
	}
	revoke.Flags().StringVar(&revokeUser, "user", "", "whose key (default: yours)")
	nonEmpty(revoke.Flags(), "user")
	cmd.AddCommand(create, ls, revoke)
	return cmd
}

// keyUser is the --user flag, or the caller.
func keyUser(ctx context.Context, c *client.Client, flag string) (string, error) {
	if flag != "" {
		return flag, core.ValidateEntity(flag)
	}
	me, err := c.WhoAmI(ctx)
	return me.Name, err
}

func newTeamCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "team",
		Short: "Create teams and manage their members",
		Long: `A team is an entity that several users share. Roles: admin (everything,
including members), member (read, write, delete) and viewer (read only).`,
	}
	create := &cobra.Command{
		Use:   "create NAME",
		Short: "Create a team, with you as its admin",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if err := core.ValidateEntity(args[0]); err != nil {
				return err
			}
			return g.withServer(ctx, func(c *client.Client) error {
				e, err := c.CreateTeam(ctx, args[0])
				if err != nil {
					return err
				}
				fmt.Fprintln(g.stdout, e.Name)
				return nil
			})
		},
	}
	var role string
	add := &cobra.Command{
		Use:   "add-member TEAM USER",
		Short: "Add a user to a team, or change its role",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			r := meta.Role(role)
			switch r {
			case meta.RoleAdmin, meta.RoleMember, meta.RoleViewer:
			default:
				return core.Errorf(core.ErrInvalid, "--role %q: want admin, member or viewer", role)
			}
			return g.withServer(ctx, func(c *client.Client) error {
				return c.SetMember(ctx, args[0], args[1], r)
			})
		},
	}
	add.Flags().StringVar(&role, "role", "member", "admin, member or viewer")
	remove := &cobra.Command{
		Use:   "remove-member TEAM USER",
		Short: "Remove a user from a team",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return g.withServer(ctx, func(c *client.Client) error {
				return c.RemoveMember(ctx, args[0], args[1])
			})
		},
	}
	var membersJSON bool
	members := &cobra.Command{
		Use:   "members TEAM",
		Short: "List a team's members and their roles",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return g.withServer(ctx, func(c *client.Client) error {
				ms, err := c.Members(ctx, args[0])
				if err != nil {
					return err
				}
				if membersJSON {
					return writeJSON(g.stdout, nonNil(ms))
				}
				w := table(g.stdout)
				fmt.Fprintln(w, "USER\tROLE")
				for _, m := range ms {
					fmt.Fprintf(w, "%s\t%s\n", m.User, m.Role)
				}
				return w.Flush()
			})
		},
	}
	members.Flags().BoolVar(&membersJSON, "json", false, "print JSON")
	cmd.AddCommand(create, add, remove, members)
	return cmd
}

func newProjectCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "project",
		Short: "List projects; set their visibility on a server",
	}
	vis := &cobra.Command{
		Use:   "visibility [ENTITY/]PROJECT public|private",
		Short: "Make a project readable by every user of the server (public) or by its entity only (private, the default)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			var public bool
			switch args[1] {
			case "public":
				public = true
			case "private":
			default:
				return core.Errorf(core.ErrInvalid, "visibility %q: want public or private", args[1])
			}
			entity, project, hasEntity := strings.Cut(args[0], "/")
			if !hasEntity {
				entity, project = os.Getenv(trove.EnvEntity), args[0]
			}
			if err := core.ValidateProject(project); err != nil {
				return err
			}
			return g.withServer(ctx, func(c *client.Client) error {
				if entity == "" {
					me, err := c.WhoAmI(ctx)
					if err != nil {
						return err
					}
					entity = me.Name
				}
				if err := core.ValidateEntity(entity); err != nil {
					return err
				}
				if err := c.SetProjectPublic(ctx, entity, project, public); err != nil {
					return err
				}
				fmt.Fprintf(g.stderr, "trove: %s/%s is now %s\n", entity, project, args[1])
				return nil
			})
		},
	}
	var lo struct {
		entity string
		json   bool
	}
	ls := &cobra.Command{
		Use:   "ls",
		Short: "List the projects you can see, with their visibility and sizes",
		Long: `List projects by entity then name, with their visibility (public: readable
by every user of the server; private: by the entity, or the team's members),
how many artifacts (with at least one version) and runs each has.

Embedded, every project of the store; against a server, the projects you may
read: your own, your teams', and public ones — never another's private ones.
-e ENTITY lists that entity's only. Registries are listed by trove registry
ls.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if lo.entity != "" {
				if err := core.ValidateEntity(lo.entity); err != nil {
					return err
				}
			}
			return withClient(ctx, g, &scope{}, func(c *trove.Client) error {
				ps, err := c.Projects(ctx, lo.entity)
				if err != nil {
					return err
				}
				ps = nonNil(ps)
				if lo.json {
					return writeJSON(g.stdout, ps)
				}
				tw := table(g.stdout)
				fmt.Fprintln(tw, "PROJECT\tVISIBILITY\tARTIFACTS\tRUNS")
				for _, p := range ps {
					vis := "private"
					if p.Public {
						vis = "public"
					}
					fmt.Fprintf(tw, "%s/%s\t%s\t%d\t%d\n", p.Entity, p.Name, vis, p.Artifacts, p.Runs)
				}
				return tw.Flush()
			})
		},
	}
	ls.Flags().StringVarP(&lo.entity, "entity", "e", "", "only this entity's projects (default: every entity's you can see)")
	ls.Flags().BoolVar(&lo.json, "json", false, "print as JSON: entity, name, public, artifacts, runs")
	nonEmpty(ls.Flags(), "entity")
	cmd.AddCommand(vis, ls)
	return cmd
}

func newLoginCmd(g *globals) *cobra.Command {
	var key string
	cmd := &cobra.Command{
		Use:   "login [URL]",
		Short: "Save a server and its API key in your config, so commands use them without TROVE_URL/TROVE_API_KEY",
		Long: `Check an API key against a Trove server and save both in your config file
($XDG_CONFIG_HOME/trove/config.json, else ~/.config/trove/config.json, mode
0600). URL defaults to $TROVE_URL. The key comes from --key, else
$TROVE_API_KEY, else standard input (typed without echo on a terminal).
TROVE_URL and TROVE_API_KEY, when set, still win over the saved values.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			u := os.Getenv(trove.EnvURL)
			if len(args) == 1 {
				u = args[0]
			}
			if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
				return core.Errorf(core.ErrInvalid, "login needs a server URL (http:// or https://), e.g. trove login http://127.0.0.1:8080")
			}
			k := firstNonEmpty(key, os.Getenv(trove.EnvAPIKey))
			if k == "" {
				var err error
				if k, err = readKey(g); err != nil {
					return err
				}
			}
			u, user, path, err := saveLogin(ctx, g, u, k)
			if err != nil {
				return err
			}
			fmt.Fprintf(g.stderr, "trove: logged in to %s as %s (saved in %s)\n", u, user, path)
			return nil
		},
	}
	cmd.Flags().StringVar(&key, "key", "", "the API key (prefer $TROVE_API_KEY or stdin: flags show up in ps)")
	return cmd
}

func newLogoutCmd(g *globals) *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:   "logout [URL]",
		Short: "Remove the API key trove login saved for a server",
		Long: `Remove the API key that trove login saved for a server from your config
file; if that server is the saved default, commands no longer use it (they use
TROVE_URL, else the embedded store). URL defaults to $TROVE_URL when it names
a server, else to the saved default server. --all removes every saved server
and key. What was removed is said on stderr.

Logging out of a server with nothing saved for it is not an error: it says so
and exits 0, so logout is safe to repeat. TROVE_API_KEY, when set, is not
touched and is still used: logout says so. The key itself stays valid on the
server (trove key revoke ID ends it).`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var u string
			if len(args) == 1 {
				u = args[0]
			}
			return runLogout(g, u, all)
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "remove every saved server and API key")
	return cmd
}

// runLogout runs trove logout: of server u ("" for the default one), or
// of every server.
func runLogout(g *globals, u string, all bool) error {
	if all && u != "" {
		return core.Errorf(core.ErrInvalid, "logout: give a server URL or --all, not both")
	}
	if u != "" && !isServerURL(u) {
		return core.Errorf(core.ErrInvalid, "logout needs a server URL (http:// or https://), e.g. trove logout http://127.0.0.1:8080")
	}
	path, err := config.DefaultPath()
	if err != nil {
		return err
	}
	cfg, err := config.Load(path)
	if err != nil {
		return err
	}
	var removed []string // servers whose key or default went
	if all {
		for k := range cfg.Keys {
			removed = append(removed, k)
		}
		if cfg.URL != "" && cfg.Key(cfg.URL) == "" {
			removed = append(removed, config.Normalize(cfg.URL))
		}
		slices.Sort(removed)
		cfg = config.File{}
	} else {
		if u == "" {
			if env := os.Getenv(trove.EnvURL); isServerURL(env) {
				u = env
			} else {
				u = cfg.URL
			}
		}
		if u == "" {
			fmt.Fprintf(g.stderr, "trove: not logged in: no server saved in %s\n", path)
			return nil
		}
		u = config.Normalize(u)
		had := cfg.Key(u) != ""
		delete(cfg.Keys, u)
		if config.Normalize(cfg.URL) == u {
			cfg.URL, had = "", true
		}
		if had {
			removed = []string{u}
		} else {
			fmt.Fprintf(g.stderr, "trove: not logged in to %s: nothing saved for it in %s\n", u, path)
			return nil
		}
	}
	if len(removed) == 0 {
		fmt.Fprintf(g.stderr, "trove: not logged in: no server saved in %s\n", path)
		return nil
	}
	if err := config.Save(path, cfg); err != nil {
		return err
	}
	for _, r := range removed {
		fmt.Fprintf(g.stderr, "trove: logged out of %s (removed from %s)\n", r, path)
	}
	if os.Getenv(trove.EnvAPIKey) != "" {
		fmt.Fprintf(g.stderr, "trove: %s is still set in your environment, and still used\n", trove.EnvAPIKey)
	}
	return nil
}

// isServerURL reports whether u names a Trove server (http or https).
func isServerURL(u string) bool {
	return strings.HasPrefix(u, "http://") || strings.HasPrefix(u, "https://")
}

// saveLogin checks key against the server at u and saves both in the
// config file, as trove login does; it returns the normalized URL, the
// user the key belongs to and the config file's path.
func saveLogin(ctx context.Context, g *globals, u, key string) (url, user, path string, err error) {
	if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
		return "", "", "", core.Errorf(core.ErrInvalid, "login needs a server URL (http:// or https://), e.g. http://127.0.0.1:8080")
	}
	u = config.Normalize(u)
	c, err := client.New(u, client.Options{APIKey: key, Notify: g.notify})
	if err != nil {
		return "", "", "", err
	}
	defer c.Close()
	me, err := c.WhoAmI(ctx)
	if err != nil {
		return "", "", "", err
	}
	if path, err = config.DefaultPath(); err != nil {
		return "", "", "", err
	}
	cfg, err := config.Load(path)
	if err != nil {
		return "", "", "", err
	}
	cfg.URL = u
	cfg.SetKey(u, key)
	if err := config.Save(path, cfg); err != nil {
		return "", "", "", err
	}
	return u, me.Name, path, nil
}

// readKey reads an API key from stdin, without echo on a terminal.
func readKey(g *globals) (string, error) {
	if f, ok := g.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(g.stderr, "API key: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(g.stderr)
		if err != nil {
			return "", err
		}
		return strings.TrimSpace(string(b)), nil
	}
	line, err := bufio.NewReader(g.stdin).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", err
	}
	if k := strings.TrimSpace(line); k != "" {
		return k, nil
	}
	return "", core.Errorf(core.ErrInvalid, "no API key: pass --key, set %s or type it on stdin", trove.EnvAPIKey)
}

// nonNil makes a nil slice print as [] in JSON.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
