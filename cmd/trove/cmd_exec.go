package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/troveml/trove"
	"github.com/troveml/trove/internal/core"
)

type execOptions struct {
	name, jobType, group, config string
	uses, logs                   []string
	logAliases, logDescs, logMDs []string // --log-alias, --log-description, --log-metadata NAME=…
	command                      []string
	allowEmpty                   bool
}

// inputSpec is a parsed --use REF[=ENV].
type inputSpec struct {
	ref core.Ref
	raw string
	env string
}

// outputSpec is a parsed --log NAME:TYPE=PATH.
type outputSpec struct {
	name, typ, path string
}

// outputExtras are what the --log-* flags attach to one --log output.
type outputExtras struct {
	aliases  []string
	desc     string
	metadata map[string]any
}

func newExecCmd(g *globals) *cobra.Command {
	var o execOptions
	var sc scope
	cmd := &cobra.Command{
		Use:   "exec [flags] -- CMD [ARGS...]",
		Short: "Run a command as a run: download its inputs, log its outputs",
		Long: `Run CMD as a Trove run. Each --use REF downloads that version and puts its
local directory in the environment variable ENV (default TROVE_INPUT_<NAME>,
NAME upper-cased with other characters than letters and digits as '_'), and
records the version as an input of the run. The command also sees TROVE_RUN_ID,
TROVE_RUN_NAME, TROVE_ENTITY and TROVE_PROJECT: a trove command or an SDK run
(Go or Python) started by CMD attaches to this run instead of starting its own,
so what it logs and uses is recorded on this run. A trove exec started under
TROVE_RUN_ID attaches the same way (its --name, --job-type, --group and
--config are then ignored) and leaves the run for its owner to end.

When CMD exits 0, each --log NAME:TYPE=PATH (a file or a directory) is logged as
an output and the run is finished. When it fails, nothing is logged, the run is
failed, and trove exec exits with CMD's exit code.

An output's aliases, description and metadata are given by the name of its
--log: --log-alias NAME=ALIAS (repeatable), and at most one --log-description
NAME=TEXT and one --log-metadata NAME=JSON (a JSON object) per NAME. NAME is
everything before the first '='. A NAME with no --log, a NAME given to --log
twice, a bad alias or malformed JSON is refused before the run is created.`,
		Example: `  trove exec -j preprocess --log mnist_dataset:dataset=./data -- python prep.py
  trove exec -j train --use mnist_dataset:latest=DATA --log mnist_model:model=model.h5 -- python train.py
  trove exec -j train --log mnist_model:model=model.h5 --log-alias mnist_model=best \
    --log-description mnist_model="CNN, 10 epochs" --log-metadata 'mnist_model={"ap50": 0.71}' -- python train.py`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.command = args
			return runExec(cmd.Context(), g, &sc, o)
		},
	}
	sc.flags(cmd)
	f := cmd.Flags()
	f.StringVarP(&o.jobType, "job-type", "j", "", "job type of the run: preprocess, train, evaluate, …")
	f.StringVar(&o.name, "name", "", "display name of the run (default adjective-noun-N)")
	f.StringVar(&o.group, "group", "", "group of the run")
	f.StringVar(&o.config, "config", "", "run config as a JSON object")
	f.StringArrayVar(&o.uses, "use", nil, "input REF[=ENV] to download and record (repeatable)")
	f.StringArrayVar(&o.logs, "log", nil, "output NAME:TYPE=PATH to log when CMD succeeds (repeatable)")
	f.StringArrayVar(&o.logAliases, "log-alias", nil, "NAME=ALIAS: an alias for the --log output NAME (repeatable)")
	f.StringArrayVar(&o.logDescs, "log-description", nil, "NAME=TEXT: the description of the --log output NAME")
	f.StringArrayVar(&o.logMDs, "log-metadata", nil, "NAME=JSON: the metadata (a JSON object) of the --log output NAME")
	f.BoolVar(&o.allowEmpty, "allow-empty", false, "log a --log PATH that holds no file (an empty directory) as an empty version instead of failing the run")
	nonEmpty(f, "job-type", "name", "group", "config")
	return cmd
}

// parseUse parses REF[=ENV].
func parseUse(s string) (inputSpec, error) {
	raw, env, hasEnv := strings.Cut(s, "=")
	ref, err := core.ParseRef(raw)
	if err != nil {
		return inputSpec{}, err
	}
	if !hasEnv {
		env = inputEnvName(ref.Name)
	} else if !validEnvName(env) {
		return inputSpec{}, core.Errorf(core.ErrInvalid, "--use %s: %q is not a valid environment variable name", s, env)
	}
	return inputSpec{ref: ref, raw: raw, env: env}, nil
}

// inputEnvName is TROVE_INPUT_<NAME>, upper-cased, non-alphanumerics as '_'.
func inputEnvName(name string) string {
	b := []byte(strings.ToUpper(name))
	for i, c := range b {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			b[i] = '_'
		}
	}
	return "TROVE_INPUT_" + string(b)
}

func validEnvName(s string) bool {
	if s == "" || s[0] >= '0' && s[0] <= '9' {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// parseLog parses NAME:TYPE=PATH.
func parseLog(s string) (outputSpec, error) {
	spec, path, ok := strings.Cut(s, "=")
	name, typ, ok2 := strings.Cut(spec, ":")
	if !ok || !ok2 || path == "" {
		return outputSpec{}, core.Errorf(core.ErrInvalid, "--log %q: want NAME:TYPE=PATH", s)
	}
	if err := core.ValidateName(name); err != nil {
		return outputSpec{}, core.Errorf(core.ErrInvalid, "--log %q: %v", s, err)
	}
	if err := core.ValidateType(typ); err != nil {
		return outputSpec{}, core.Errorf(core.ErrInvalid, "--log %q: %v", s, err)
	}
	return outputSpec{name: name, typ: typ, path: path}, nil
}

// parseLogOption reads NAME=VALUE of a --log-* flag: NAME is everything
// before the first '=' (artifact names have none) and is a valid artifact
// name; VALUE may be empty and is checked by the caller.
func parseLogOption(flag, s string) (name, value string, err error) {
	name, value, ok := strings.Cut(s, "=")
	if !ok {
		return "", "", core.Errorf(core.ErrInvalid, "--%s %q: want NAME=VALUE, NAME that of a --log", flag, s)
	}
	if err := core.ValidateName(name); err != nil {
		return "", "", core.Errorf(core.ErrInvalid, "--%s %q: %v", flag, s, err)
	}
	return name, value, nil
}

// parseOutputExtras reads the --log-* flags of o into one outputExtras per
// --log name, refusing a name with no --log and a value given twice.
func parseOutputExtras(o execOptions, outputs []outputSpec) (map[string]*outputExtras, error) {
	extras := make(map[string]*outputExtras, len(outputs))
	for _, out := range outputs {
		if extras[out.name] != nil {
			return nil, core.Errorf(core.ErrInvalid, "--log %s: the name is given twice; log one artifact once per run", out.name)
		}
		extras[out.name] = &outputExtras{}
	}
	lookup := func(flag, s string) (*outputExtras, string, error) {
		name, value, err := parseLogOption(flag, s)
		if err != nil {
			return nil, "", err
		}
		x := extras[name]
		if x == nil {
			return nil, "", core.Errorf(core.ErrInvalid, "--%s %q: no --log %s:TYPE=PATH to attach it to", flag, s, name)
		}
		return x, value, nil
	}
	for _, s := range o.logAliases {
		x, al, err := lookup("log-alias", s)
		if err != nil {
			return nil, err
		}
		if al != core.LatestAlias {
			if err := core.ValidateAlias(al); err != nil {
				return nil, core.Errorf(core.ErrInvalid, "--log-alias %q: %v", s, err)
			}
		}
		if !slices.Contains(x.aliases, al) {
			x.aliases = append(x.aliases, al)
		}
	}
	descSet := make(map[*outputExtras]bool)
	for _, s := range o.logDescs {
		x, d, err := lookup("log-description", s)
		if err != nil {
			return nil, err
		}
		if descSet[x] {
			return nil, core.Errorf(core.ErrInvalid, "--log-description %q: a description for that output is already given", s)
		}
		descSet[x], x.desc = true, d
	}
	for _, s := range o.logMDs {
		x, js, err := lookup("log-metadata", s)
		if err != nil {
			return nil, err
		}
		if x.metadata != nil {
			return nil, core.Errorf(core.ErrInvalid, "--log-metadata %q: metadata for that output is already given", s)
		}
		if x.metadata, err = parseMetadata(js); err != nil {
			return nil, core.Errorf(core.ErrInvalid, "--log-metadata %q: %v", s, err)
		}
	}
	return extras, nil
}

func runExec(ctx context.Context, g *globals, sc *scope, o execOptions) error {
	var inputs []inputSpec
	for _, u := range o.uses {
		in, err := parseUse(u)
		if err != nil {
			return err
		}
		inputs = append(inputs, in)
	}
	var outputs []outputSpec
	for _, l := range o.logs {
		out, err := parseLog(l)
		if err != nil {
			return err
		}
		outputs = append(outputs, out)
	}
	extras, err := parseOutputExtras(o, outputs)
	if err != nil {
		return err
	}
	var cfg map[string]any
	if o.config != "" {
		if err := json.Unmarshal([]byte(o.config), &cfg); err != nil || cfg == nil {
			return core.Errorf(core.ErrInvalid, "--config must be a JSON object, got %.60q", o.config)
		}
	}
	return withClient(ctx, g, sc, func(c *trove.Client) error {
		// Resolve every input before the run exists, so that a typo or a
		// version the user may not read leaves no failed run behind. The
		// run then uses the version resolved here, even if an alias moves.
		used := make([]*trove.Version, len(inputs))
		for i, in := range inputs {
			v, err := c.Artifact(ctx, in.raw)
			if err != nil {
				return core.Errorf(core.KindOf(err), "--use %s: %w", in.raw, err)
			}
			used[i] = v
		}
		run, err := c.StartRun(ctx, trove.RunOptions{Name: o.name, JobType: o.jobType, Group: o.group, Config: cfg,
			Entity: c.Entity(), Project: c.Project()})
		if err != nil {
			return err
		}
		if run.Attached() {
			fmt.Fprintf(g.stderr, "trove: attached to run %s (%s) in %s/%s (%s)\n", run.Name, run.ID, run.Entity, run.Project, trove.EnvRunID)
		} else {
			fmt.Fprintf(g.stderr, "trove: run %s (%s) started in %s/%s\n", run.Name, run.ID, run.Entity, run.Project)
		}
		// From here on every failure marks the run failed.
		fail := func(err error) error {
			if ferr := run.Fail(context.WithoutCancel(ctx)); ferr != nil {
				fmt.Fprintf(g.stderr, "trove: marking run %s failed: %v\n", run.ID, ferr)
			}
			return err
		}
		env := append(os.Environ(),
			"TROVE_RUN_ID="+run.ID, "TROVE_RUN_NAME="+run.Name,
			trove.EnvEntity+"="+run.Entity, trove.EnvProject+"="+run.Project)
		for i, in := range inputs {
			v, err := run.UseArtifact(ctx, used[i])
			if err != nil {
				return fail(err)
			}
			dir, err := v.Download(ctx)
			if err != nil {
				return fail(err)
			}
			fmt.Fprintf(g.stderr, "trove: using %s in %s=%s\n", v.FullName(), in.env, dir)
			env = append(env, in.env+"="+dir)
		}
		code, err := runChild(ctx, g, o.command, env)
		if err != nil {
			fmt.Fprintf(g.stderr, "trove: %s\n", oneLine(err.Error()))
			return fail(exitError{code})
		}
		if code != 0 {
			fmt.Fprintf(g.stderr, "trove: %s exited with status %d; run %s failed, nothing logged\n", o.command[0], code, run.Name)
			return fail(exitError{code})
		}
		for _, out := range outputs {
			x := extras[out.name]
			v, err := logPath(ctx, run, out, x, o.allowEmpty)
			if err != nil {
				return fail(err)
			}
			if v.Deduplicated() {
				fmt.Fprintln(g.stderr, dedupNotice(v, x.desc, x.metadata))
			}
			fmt.Fprintf(g.stderr, "trove: logged %s\n", v.FullName())
		}
		return run.Finish(ctx)
	})
}

// logPath logs a file or directory as an output of run, with the
// aliases, description and metadata of x.
func logPath(ctx context.Context, run *trove.Run, out outputSpec, x *outputExtras, allowEmpty bool) (*trove.Version, error) {
	a, err := artifactFromPath(out.name, out.typ, out.path)
	if err != nil {
		return nil, core.Errorf(core.KindOf(err), "--log %s:%s: %v", out.name, out.typ, err)
	}
	a.AllowEmpty = allowEmpty
	a.Description, a.Metadata = x.desc, x.metadata
	return run.LogArtifact(ctx, a, x.aliases...)
}

// runChild runs the command with the terminal's streams and returns its
// exit code. Interrupts reach the child (it shares the terminal's process
// group); a SIGTERM to trove is passed on.
func runChild(ctx context.Context, g *globals, argv []string, env []string) (int, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = g.stdin, g.stdout, g.stderr
	if err := cmd.Start(); err != nil {
		code := 126
		if errors.Is(err, exec.ErrNotFound) || errors.Is(err, os.ErrNotExist) {
			code = 127
		}
		return code, fmt.Errorf("cannot run %s: %w", argv[0], err)
	}
	done := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			cmd.Process.Signal(syscall.SIGTERM)
		case <-done:
		}
	}()
	err := cmd.Wait()
	close(done)
	if err == nil {
		return 0, nil
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal()), nil
		}
		return ee.ExitCode(), nil
	}
	return 1, err
}
