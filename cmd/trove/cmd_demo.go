package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/troveml/trove"
	"github.com/troveml/trove/internal/authz"
	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/meta"
)

// The demo fills two projects with the pipelines of the reference
// documentation (DESIGN §4: trove server --demo, trove demo).
const (
	demoMnistProject = "mnist"
	demoZooProject   = "zoo"
	// demoKeyLabel labels the key trove server --demo seeds with; it is
	// revoked as soon as the data is in.
	demoKeyLabel = "demo"
)

// demoProject is a pipeline: steps run in order in one project.
type demoProject struct {
	name  string
	steps []demoStep
}

// demoStep is one run of a pipeline. Its name identifies it: a project
// holding a finished run of that name has had the step.
type demoStep struct {
	run, jobType, group string
	config              map[string]any
	uses                []string // references in the project, used in order
	logs                *demoArtifact
	// link, when set, is the registry target (REGISTRY/COLLECTION) the
	// logged version is linked to, with linkAliases.
	link        string
	linkAliases []string
	// useLinkOf, when set, is a version of the project whose link in
	// demoZooRegistryTarget the run uses by its registry name, after uses.
	useLinkOf string
}

// demoArtifact is what a step logs: small generated files.
type demoArtifact struct {
	name, typ, description string
	metadata               map[string]any
	aliases                []string
	files                  []demoFile
}

type demoFile struct{ path, content string }

// demoProjects returns the demo pipelines: the mnist chain of
// model-lineage.md and the zoo pipeline of registry-lineage.md.
func demoProjects() []demoProject {
	return []demoProject{{demoMnistProject, mnistSteps()}, {demoZooProject, zooSteps()}}
}

func newDemoCmd(g *globals) *cobra.Command {
	sc := &scope{}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Fill projects \"mnist\" and \"zoo\" with the example pipelines, to explore in the web UI",
		Long: `Fill two projects of the current store (TROVE_URL: a data directory or a
server) with the pipelines of the reference documentation, under your entity
(or --entity):

  mnist  run jumping-monkey-1 logs mnist_dataset:v0, vague-morning-5 trains
         on it and logs mnist_model:v0, serene-haze-6 evaluates the model.
  zoo    fetch-zoo logs zoo_dataset:v0; ten split_data runs log
         split_zoo_dataset v0 to v4, six of them the same v4; run
         rural-feather-20 trains zoo-ylbchv20:v0 on v4 and links it into
         the model registry as model/Zoo_Classifier_Models (alias
         production); northern-lake-21 evaluates it, using it by its
         registry name.

Running it again changes nothing. The projects must hold no other runs.
trove server --demo does the same for the user admin as the server starts;
to fill a data directory that a server will serve later, use --entity admin,
so that the projects are admin's in the web UI.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return withClient(ctx, g, sc, func(c *trove.Client) error {
				n, err := seedDemo(ctx, c)
				if err != nil {
					return err
				}
				e := c.Entity()
				fmt.Fprintf(g.stderr, "trove: demo data ready in %s/%s and %s/%s (%s)\n", e, demoMnistProject, e, demoZooProject, runsAdded(n))
				fmt.Fprintf(g.stdout, "Try:\n  trove lineage -e %[1]s -p %[2]s mnist_model:v0\n  trove lineage -e %[1]s -p %[3]s zoo-ylbchv20:v0 --direction upstream --depth 2\n  trove server   # then open the UI and sign in\n", e, demoMnistProject, demoZooProject)
				return nil
			})
		},
	}
	cmd.Flags().StringVarP(&sc.entity, "entity", "e", "", "entity that gets the projects (default $TROVE_ENTITY, else your user name)")
	nonEmpty(cmd.Flags(), "entity")
	return cmd
}

// runsAdded says how many runs seeding added.
func runsAdded(n int) string {
	switch n {
	case 0:
		return "it was there already"
	case 1:
		return "1 run added"
	}
	return fmt.Sprintf("%d runs added", n)
}

// seedDemo fills the client's entity with the demo pipelines and returns
// how many runs it added. Steps already done are skipped, so a second call
// adds nothing and an interrupted one is completed. Every project is
// checked before anything is written: one holding runs that are not the
// demo's is refused with core.ErrConflict, and nothing changes.
func seedDemo(ctx context.Context, c *trove.Client) (int, error) {
	projects := demoProjects()
	done := make([]map[string]bool, len(projects))
	for i, p := range projects {
		d, err := clientDemoDone(ctx, c, p, true)
		if err != nil {
			return 0, err
		}
		done[i] = d
	}
	n := 0
	for i, p := range projects {
		k, err := runDemoSteps(ctx, c, p, done[i])
		n += k
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// clientDemoDone is demoDone on the runs the client lists.
func clientDemoDone(ctx context.Context, c *trove.Client, p demoProject, strict bool) (map[string]bool, error) {
	runs, err := c.Runs(ctx, p.name)
	if err != nil {
		return nil, err
	}
	rs := make([]core.Run, len(runs))
	for i, r := range runs {
		rs[i] = core.Run{ID: r.ID, Name: r.Name, State: r.State}
	}
	return demoDone(c.Entity(), p, rs, strict)
}

// demoDone returns the steps of p that runs (those of project entity/p)
// finished. strict refuses a project holding runs of other names.
func demoDone(entity string, p demoProject, runs []core.Run, strict bool) (map[string]bool, error) {
	steps := make(map[string]bool, len(p.steps))
	for _, s := range p.steps {
		steps[s.run] = true
	}
	done := make(map[string]bool)
	for _, r := range runs {
		if !steps[r.Name] {
			if strict {
				return nil, core.Errorf(core.ErrConflict, "project %s/%s holds run %s (%s), which is not part of the demo: the demo fills projects of its own; choose another entity",
					entity, p.name, r.Name, r.ID)
			}
			continue
		}
		if r.State == core.RunFinished {
			done[r.Name] = true
		}
	}
	return done, nil
}

// runDemoSteps runs the steps of p that are not done and returns how many
// it ran. The files of the artifacts are written to a temporary directory,
// removed at the end.
func runDemoSteps(ctx context.Context, c *trove.Client, p demoProject, done map[string]bool) (int, error) {
	var dir string
	defer func() {
		if dir != "" {
			os.RemoveAll(dir)
		}
	}()
	n := 0
	for _, s := range p.steps {
		if done[s.run] {
			continue
		}
		if dir == "" {
			var err error
			if dir, err = os.MkdirTemp("", "trove-demo-*"); err != nil {
				return n, core.Errorf(core.ErrUnavailable, "demo files: %w", err)
			}
		}
		if err := runDemoStep(ctx, c, p.name, s, dir); err != nil {
			return n, fmt.Errorf("demo run %s/%s/%s: %w", c.Entity(), p.name, s.run, err)
		}
		n++
	}
	return n, nil
}

// runDemoStep runs one step as a run of project. A step that fails leaves
// its run failed, and a later seeding runs the step again.
func runDemoStep(ctx context.Context, c *trove.Client, project string, s demoStep, dir string) error {
	r, err := c.StartRun(ctx, trove.RunOptions{Project: project, Name: s.run, JobType: s.jobType, Group: s.group, Config: s.config, NoAttach: true})
	if err != nil {
		return err
	}
	fail := func(err error) error {
		// Also when ctx is done: the run must not stay running.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		return errors.Join(err, r.Fail(fctx))
	}
	for _, ref := range s.uses {
		if _, err := r.UseArtifact(ctx, ref); err != nil {
			return fail(err)
		}
	}
	if s.useLinkOf != "" {
		// The registry is shared by every user of a store: find the link
		// of this entity's version rather than assume its index.
		link, err := demoLink(ctx, c, r.Entity+"/"+r.Project+"/"+s.useLinkOf)
		if err != nil {
			return fail(err)
		}
		if _, err := r.UseArtifact(ctx, link); err != nil {
			return fail(err)
		}
	}
	if s.logs != nil {
		a, err := s.logs.build(dir)
		if err != nil {
			return fail(err)
		}
		v, err := r.LogArtifact(ctx, a, s.logs.aliases...)
		if err != nil {
			return fail(err)
		}
		// Linking is idempotent: a step run again links nothing new. A
		// user who may not set the protected aliases (on a server, only
		// registry admins may) links without them.
		if s.link != "" {
			_, err := r.LinkArtifact(ctx, v, s.link, s.linkAliases...)
			if errors.Is(err, trove.ErrPermission) {
				_, err = r.LinkArtifact(ctx, v, s.link)
			}
			if err != nil {
				return fail(err)
			}
		}
	}
	return r.Finish(ctx)
}

// build writes the artifact's files under a new directory in dir and
// returns the artifact to log.
func (d *demoArtifact) build(dir string) (*trove.Artifact, error) {
	root, err := os.MkdirTemp(dir, d.name+"-*")
	if err != nil {
		return nil, core.Errorf(core.ErrUnavailable, "demo files: %w", err)
	}
	a := trove.NewArtifact(d.name, d.typ)
	a.Description, a.Metadata = d.description, d.metadata
	for _, f := range d.files {
		p := filepath.Join(root, filepath.FromSlash(f.path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return nil, core.Errorf(core.ErrUnavailable, "demo files: %w", err)
		}
		if err := os.WriteFile(p, []byte(f.content), 0o644); err != nil {
			return nil, core.Errorf(core.ErrUnavailable, "demo files: %w", err)
		}
		if err := a.AddFile(p, f.path); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// userStore finds users; *meta.Store implements it.
type userStore interface {
	GetUser(ctx context.Context, name string) (meta.User, error)
}

// runLister lists a project's runs; service.API implements it.
type runLister interface {
	ListRuns(ctx context.Context, entity, project string) ([]core.Run, error)
}

// demoComplete reports whether entity holds the whole demo; like seedDemo
// it refuses projects holding other runs.
func demoComplete(ctx context.Context, svc runLister, entity string) (bool, error) {
	complete := true
	for _, p := range demoProjects() {
		runs, err := svc.ListRuns(ctx, entity, p.name)
		if err != nil {
			return false, err
		}
		done, err := demoDone(entity, p, runs, true)
		if err != nil {
			return false, err
		}
		complete = complete && len(done) == len(p.steps)
	}
	return complete, nil
}

// seedServerDemo fills the store of a starting server with the demo
// pipelines of the user admin and returns how many runs it added.
//
// It goes through the server itself, with the SDK over HTTP on a loopback
// listener of its own: the data takes the path of any client's (access
// checks, the upload protocol, presigned transfers to S3), so it lands
// right on every backend, and the public listener's address or TLS
// certificate do not matter. The key it needs (admin's, labelled "demo")
// lives only in memory and is revoked when seeding ends. When the store
// holds the demo already (svc, the unrestricted service, tells) nothing
// is written at all, not even that key.
func seedServerDemo(ctx context.Context, h http.Handler, svc runLister, accounts *authz.Accounts, users userStore, log *slog.Logger) (n int, err error) {
	if accounts == nil {
		return 0, core.Errorf(core.ErrInvalid, "the server has no accounts to seed the demo data with")
	}
	if complete, err := demoComplete(ctx, svc, authz.AdminUser); complete || err != nil {
		return 0, err
	}
	u, err := users.GetUser(ctx, authz.AdminUser)
	if errors.Is(err, core.ErrNotFound) {
		return 0, core.Errorf(core.ErrNotFound, "the demo data belongs to the user %s, which this store does not have", authz.AdminUser)
	} else if err != nil {
		return 0, err
	}
	p := authz.Principal{User: u}
	k, key, err := accounts.CreateKey(ctx, p, u.Name, demoKeyLabel)
	if err != nil {
		return 0, fmt.Errorf("a key for seeding: %w", err)
	}
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if rerr := accounts.RevokeKey(rctx, p, u.Name, k.ID); rerr != nil {
			err = errors.Join(err, fmt.Errorf("revoking the demo key %s: %w", k.Prefix, rerr))
		}
	}()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		if ln, err = net.Listen("tcp", "[::1]:0"); err != nil {
			return 0, core.Errorf(core.ErrUnavailable, "a loopback listener to seed through: %w", err)
		}
	}
	hs := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	go hs.Serve(ln)
	defer hs.Close()

	tmp, err := os.MkdirTemp("", "trove-demo-cache-*")
	if err != nil {
		return 0, core.Errorf(core.ErrUnavailable, "demo client cache: %w", err)
	}
	defer os.RemoveAll(tmp)
	c, err := trove.Open(ctx, trove.Options{
		URL: "http://" + ln.Addr().String(), APIKey: key, Entity: u.Name, Project: demoMnistProject,
		CacheDir: tmp, Logger: log,
	})
	if err != nil {
		return 0, err
	}
	defer c.Close()
	return seedDemo(ctx, c)
}

// The content of the demo: small, plausible files, generated the same way
// every time (by splitmix below, not math/rand, whose streams may change
// between Go releases), so that a step run again logs the same bytes.

// mnistSteps is the chain of model-lineage.md (also trove quickstart's).
func mnistSteps() []demoStep {
	const group = "mnist-baseline"
	dataset := &demoArtifact{
		name: "mnist_dataset", typ: "dataset",
		description: "MNIST digits, split into train and test tables (a 14x14 sample)",
		metadata: map[string]any{
			"train_rows": 48, "test_rows": 12, "image_size": "14x14", "classes": 10,
			"encoding": "label, then one hex digit of intensity per pixel, row by row",
		},
		files: []demoFile{
			{"train_table.csv", mnistTable(48, 1)},
			{"test_table.csv", mnistTable(12, 2)},
		},
	}
	model := &demoArtifact{
		name: "mnist_model", typ: "model",
		description: "Convolutional network classifying handwritten digits",
		metadata:    map[string]any{"val_accuracy": 0.9912, "val_loss": 0.0297, "parameters": 225034, "framework": "keras"},
		files: []demoFile{
			{"model.json", jsonText(map[string]any{
				"input_shape": []int{28, 28, 1},
				"layers": []map[string]any{
					{"type": "Conv2D", "filters": 32, "kernel_size": 3, "activation": "relu"},
					{"type": "MaxPooling2D", "pool_size": 2},
					{"type": "Conv2D", "filters": 64, "kernel_size": 3, "activation": "relu"},
					{"type": "MaxPooling2D", "pool_size": 2},
					{"type": "Flatten"},
					{"type": "Dropout", "rate": 0.5},
					{"type": "Dense", "units": 10, "activation": "softmax"},
				},
				"loss": "categorical_crossentropy", "optimizer": "adam",
			})},
			{"history.csv", "epoch,loss,accuracy,val_loss,val_accuracy\n" +
				"1,0.3671,0.8874,0.0842,0.9752\n" +
				"2,0.1138,0.9651,0.0583,0.9838\n" +
				"3,0.0852,0.9739,0.0441,0.9871\n" +
				"4,0.0713,0.9781,0.0362,0.9897\n" +
				"5,0.0628,0.9806,0.0297,0.9912\n"},
		},
	}
	return []demoStep{
		{run: "jumping-monkey-1", jobType: "preprocess", group: group,
			config: map[string]any{"normalize": true, "image_size": 14, "test_fraction": 0.2}, logs: dataset},
		{run: "vague-morning-5", jobType: "train_model", group: group,
			config: map[string]any{"optimizer": "adam", "batch_size": 128, "epochs": 5, "validation_split": 0.1},
			uses:   []string{"mnist_dataset:v0"}, logs: model},
		{run: "serene-haze-6", jobType: "evaluate", group: group,
			config: map[string]any{"batch_size": 256, "metric": "accuracy"},
			uses:   []string{"mnist_model:v0"}},
	}
}

// The splits of zoo.csv the split_data runs make: four trials, then the
// final split that six runs make again and again (identical content, so
// they all log split_zoo_dataset:v4).
var (
	zooTrialSplits = []struct {
		run  string
		seed uint64
		test float64
	}{
		{"crisp-dawn-10", 1, 0.3}, {"misty-pine-11", 7, 0.25}, {"amber-leaf-12", 13, 0.2}, {"swift-creek-13", 21, 0.2},
	}
	zooFinalRuns = []string{
		"dainty-river-14", "icy-moon-15", "bold-cloud-16", "gentle-brook-17", "silent-field-18", "lively-star-19",
	}
)

const (
	zooFinalSeed = 42
	zooFinalTest = 0.2
)

// zooSteps is the pipeline of registry-lineage.md.
func zooSteps() []demoStep {
	rows := zooRows()
	raw := &demoArtifact{
		name: "zoo_dataset", typ: "raw_data",
		description: "Animals described by 16 attributes and their class (after the UCI Zoo data set)",
		metadata:    map[string]any{"rows": len(rows), "attributes": len(zooColumns) - 2, "classes": len(zooClasses), "source": "UCI Machine Learning Repository: Zoo"},
		files: []demoFile{
			{"zoo.csv", zooCSV(rows)},
			{"classes.csv", zooClassesCSV()},
		},
	}
	steps := []demoStep{{
		run: "fetch-zoo", jobType: "download", group: "ingest",
		config: map[string]any{"url": "https://archive.ics.uci.edu/dataset/111/zoo", "format": "csv"},
		logs:   raw,
	}}
	split := func(run, group string, seed uint64, test float64) demoStep {
		return demoStep{
			run: run, jobType: "split_data", group: group,
			config: map[string]any{"seed": seed, "test_fraction": test, "stratify": false},
			uses:   []string{"zoo_dataset:v0"},
			logs:   zooSplit(rows, seed, test),
		}
	}
	for _, s := range zooTrialSplits {
		steps = append(steps, split(s.run, "split-trials", s.seed, s.test))
	}
	for _, run := range zooFinalRuns {
		steps = append(steps, split(run, "split-final", zooFinalSeed, zooFinalTest))
	}
	model := &demoArtifact{
		name: "zoo-ylbchv20", typ: "model",
		description: "Random forest classifying animals into their seven classes",
		metadata:    map[string]any{"accuracy": 0.952, "f1_macro": 0.937, "n_estimators": 200, "framework": "scikit-learn"},
		aliases:     []string{"best"},
		files: []demoFile{
			{"model.json", jsonText(map[string]any{
				"estimator": "RandomForestClassifier", "n_estimators": 200, "max_depth": 8,
				"classes": zooClasses, "features": zooColumns[1 : len(zooColumns)-1],
			})},
			{"feature_importances.csv", "feature,importance\n" +
				"milk,0.1843\nfeathers,0.1516\nbackbone,0.1122\nlegs,0.0987\neggs,0.0931\nhair,0.0874\n" +
				"fins,0.0702\ntoothed,0.0533\nbreathes,0.0498\naquatic,0.0321\nairborne,0.0254\n" +
				"tail,0.0188\ncatsize,0.0102\npredator,0.0068\nvenomous,0.0041\ndomestic,0.0020\n"},
		},
	}
	eval := &demoArtifact{
		name: "zoo-eval", typ: "evaluation",
		description: "zoo-ylbchv20:v0 on the held-out animals of split_zoo_dataset:v4",
		metadata:    map[string]any{"accuracy": 0.952, "f1_macro": 0.937},
		files: []demoFile{{"metrics.json", jsonText(map[string]any{
			"model": "zoo-ylbchv20:v0", "dataset": "split_zoo_dataset:v4", "accuracy": 0.952, "f1_macro": 0.937,
			"per_class_recall": map[string]float64{"mammal": 1, "bird": 1, "reptile": 0.5, "fish": 1, "amphibian": 1, "bug": 1, "invertebrate": 1},
		})}},
	}
	return append(steps,
		demoStep{
			run: "rural-feather-20", jobType: "train", group: "ylbchv20",
			config: map[string]any{"model": "random_forest", "n_estimators": 200, "max_depth": 8, "seed": zooFinalSeed},
			uses:   []string{"split_zoo_dataset:v4"}, logs: model,
			link: demoZooRegistryTarget, linkAliases: []string{"production"},
		},
		demoStep{
			run: "northern-lake-21", jobType: "evaluate", group: "ylbchv20",
			config:    map[string]any{"metric": "accuracy", "split": "test"},
			useLinkOf: "zoo-ylbchv20:v0", logs: eval,
		})
}

// demoLink returns the registry name of the link of version source in
// demoZooRegistryTarget; core.ErrNotFound if it is not linked there.
func demoLink(ctx context.Context, c *trove.Client, source string) (string, error) {
	v, err := c.Artifact(ctx, source)
	if err != nil {
		return "", err
	}
	links, err := v.Links(ctx)
	if err != nil {
		return "", err
	}
	for _, l := range links {
		if l.Project+"/"+l.Name == demoZooRegistryTarget {
			return l.FullName(), nil
		}
	}
	return "", core.Errorf(core.ErrNotFound, "%s is not linked in %s", source, demoZooRegistryTarget)
}

// demoZooRegistryTarget is where rural-feather-20 links zoo-ylbchv20:v0, as
// in registry-lineage.md.
const demoZooRegistryTarget = "model/Zoo_Classifier_Models"

// jsonText is v as indented JSON (map keys sorted, so always the same).
func jsonText(v any) string {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		panic(err) // the demo's own values always marshal
	}
	return string(b) + "\n"
}

// splitmix is the SplitMix64 generator: a fixed stream for a seed.
type splitmix uint64

func (s *splitmix) next() uint64 {
	*s += 0x9e3779b97f4a7c15
	z := uint64(*s)
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// intn returns a number in [0, n).
func (s *splitmix) intn(n int) int { return int(s.next() % uint64(n)) }

// sevenSegments are the segments of each digit, a to g (top, top right,
// bottom right, bottom, bottom left, top left, middle).
var sevenSegments = [10]string{"abcdef", "bc", "abdeg", "abcdg", "bcfg", "acdfg", "acdefg", "abc", "abcdefg", "abcdfg"}

// mnistTable is a CSV of n digits drawn as seven-segment glyphs with a
// little noise, 14x14 pixels, one hex digit of intensity each.
func mnistTable(n int, seed uint64) string {
	rng := splitmix(seed)
	var b strings.Builder
	b.WriteString("label,pixels\n")
	for i := range n {
		label := (i*7 + int(seed)) % 10
		dx, dy := rng.intn(3)-1, rng.intn(3)-1
		on := func(r, c int) bool {
			r, c = r-dy, c-dx
			for _, seg := range sevenSegments[label] {
				switch seg {
				case 'a':
					if r >= 1 && r <= 2 && c >= 4 && c <= 9 {
						return true
					}
				case 'g':
					if r >= 6 && r <= 7 && c >= 4 && c <= 9 {
						return true
					}
				case 'd':
					if r >= 11 && r <= 12 && c >= 4 && c <= 9 {
						return true
					}
				case 'f':
					if c >= 3 && c <= 4 && r >= 1 && r <= 7 {
						return true
					}
				case 'b':
					if c >= 9 && c <= 10 && r >= 1 && r <= 7 {
						return true
					}
				case 'e':
					if c >= 3 && c <= 4 && r >= 6 && r <= 12 {
						return true
					}
				case 'c':
					if c >= 9 && c <= 10 && r >= 6 && r <= 12 {
						return true
					}
				}
			}
			return false
		}
		fmt.Fprintf(&b, "%d,", label)
		for r := range 14 {
			for c := range 14 {
				v := 0
				if on(r, c) {
					v = 10 + rng.intn(6)
				} else if rng.intn(9) == 0 {
					v = 1 + rng.intn(3)
				}
				b.WriteByte("0123456789abcdef"[v])
			}
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// zooColumns are the columns of zoo.csv: the animal, 16 attributes, its
// class (1–7, see zooClasses).
var zooColumns = []string{
	"animal", "hair", "feathers", "eggs", "milk", "airborne", "aquatic", "predator", "toothed",
	"backbone", "breathes", "venomous", "fins", "legs", "tail", "domestic", "catsize", "class_type",
}

var zooClasses = []string{"mammal", "bird", "reptile", "fish", "amphibian", "bug", "invertebrate"}

// zooTypical are the attributes (hair … catsize) typical of each class.
var zooTypical = [7][16]int{
	{1, 0, 0, 1, 0, 0, 0, 1, 1, 1, 0, 0, 4, 1, 0, 1}, // mammal
	{0, 1, 1, 0, 1, 0, 0, 0, 1, 1, 0, 0, 2, 1, 0, 0}, // bird
	{0, 0, 1, 0, 0, 0, 1, 1, 1, 1, 0, 0, 4, 1, 0, 0}, // reptile
	{0, 0, 1, 0, 0, 1, 1, 1, 1, 0, 0, 1, 0, 1, 0, 0}, // fish
	{0, 0, 1, 0, 0, 1, 1, 1, 1, 1, 0, 0, 4, 0, 0, 0}, // amphibian
	{0, 0, 1, 0, 1, 0, 0, 0, 0, 1, 0, 0, 6, 0, 0, 0}, // bug
	{0, 0, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0}, // invertebrate
}

// zooAnimals are the rows: name, class (1–7) and how the animal differs
// from its class's typical attributes.
var zooAnimals = []struct {
	name   string
	class  int
	differ map[string]int
}{
	{"aardvark", 1, map[string]int{"predator": 1}},
	{"antelope", 1, nil},
	{"bear", 1, map[string]int{"predator": 1}},
	{"buffalo", 1, nil},
	{"calf", 1, map[string]int{"domestic": 1}},
	{"cheetah", 1, map[string]int{"predator": 1}},
	{"dolphin", 1, map[string]int{"hair": 0, "aquatic": 1, "predator": 1, "fins": 1, "legs": 0}},
	{"elephant", 1, nil},
	{"fruitbat", 1, map[string]int{"airborne": 1, "legs": 2, "catsize": 0}},
	{"hamster", 1, map[string]int{"domestic": 1, "catsize": 0}},
	{"platypus", 1, map[string]int{"eggs": 1, "aquatic": 1, "predator": 1}},
	{"seal", 1, map[string]int{"aquatic": 1, "predator": 1, "fins": 1, "legs": 0}},
	{"chicken", 2, map[string]int{"domestic": 1}},
	{"crow", 2, map[string]int{"predator": 1}},
	{"duck", 2, map[string]int{"aquatic": 1}},
	{"hawk", 2, map[string]int{"predator": 1}},
	{"ostrich", 2, map[string]int{"airborne": 0, "catsize": 1}},
	{"penguin", 2, map[string]int{"airborne": 0, "aquatic": 1, "predator": 1, "catsize": 1}},
	{"pitviper", 3, map[string]int{"venomous": 1, "legs": 0}},
	{"slowworm", 3, map[string]int{"legs": 0}},
	{"tortoise", 3, map[string]int{"predator": 0, "toothed": 0, "catsize": 1}},
	{"tuatara", 3, nil},
	{"bass", 4, nil},
	{"carp", 4, map[string]int{"predator": 0, "domestic": 1}},
	{"herring", 4, nil},
	{"piranha", 4, nil},
	{"stingray", 4, map[string]int{"venomous": 1, "catsize": 1}},
	{"frog", 5, nil},
	{"newt", 5, map[string]int{"tail": 1}},
	{"toad", 5, map[string]int{"aquatic": 0}},
	{"honeybee", 6, map[string]int{"hair": 1, "venomous": 1, "domestic": 1}},
	{"housefly", 6, map[string]int{"hair": 1}},
	{"ladybird", 6, map[string]int{"predator": 1}},
	{"moth", 6, map[string]int{"hair": 1}},
	{"wasp", 6, map[string]int{"hair": 1, "venomous": 1}},
	{"clam", 7, map[string]int{"predator": 0}},
	{"crab", 7, map[string]int{"predator": 1, "legs": 4}},
	{"octopus", 7, map[string]int{"legs": 8, "catsize": 1}},
	{"scorpion", 7, map[string]int{"aquatic": 0, "breathes": 1, "venomous": 1, "legs": 8, "tail": 1}},
	{"starfish", 7, map[string]int{"legs": 5}},
	{"worm", 7, map[string]int{"aquatic": 0, "predator": 0, "breathes": 1}},
}

// zooRows renders the animals as CSV lines (without the header).
func zooRows() []string {
	rows := make([]string, len(zooAnimals))
	for i, a := range zooAnimals {
		vals := zooTypical[a.class-1]
		for k, v := range a.differ {
			j := slices.Index(zooColumns, k) - 1
			if j < 0 || j >= len(vals) {
				panic("demo: unknown zoo attribute " + k)
			}
			vals[j] = v
		}
		var b strings.Builder
		b.WriteString(a.name)
		for _, v := range vals {
			fmt.Fprintf(&b, ",%d", v)
		}
		fmt.Fprintf(&b, ",%d", a.class)
		rows[i] = b.String()
	}
	return rows
}

func zooCSV(rows []string) string {
	return strings.Join(zooColumns, ",") + "\n" + strings.Join(rows, "\n") + "\n"
}

func zooClassesCSV() string {
	var b strings.Builder
	b.WriteString("class_type,name\n")
	for i, c := range zooClasses {
		fmt.Fprintf(&b, "%d,%s\n", i+1, c)
	}
	return b.String()
}

// zooSplit shuffles the rows with seed and holds out a fraction test of
// them: split_zoo_dataset, whose content depends only on seed and test.
func zooSplit(rows []string, seed uint64, test float64) *demoArtifact {
	shuffled := slices.Clone(rows)
	rng := splitmix(seed)
	for i := len(shuffled) - 1; i > 0; i-- {
		j := rng.intn(i + 1)
		shuffled[i], shuffled[j] = shuffled[j], shuffled[i]
	}
	nTest := int(math.Round(test * float64(len(rows))))
	held, train := shuffled[:nTest], shuffled[nTest:]
	return &demoArtifact{
		name: "split_zoo_dataset", typ: "dataset",
		description: "zoo_dataset:v0 split into training and held-out animals",
		metadata:    map[string]any{"seed": seed, "test_fraction": test, "train_rows": len(train), "test_rows": len(held)},
		files: []demoFile{
			{"train.csv", zooCSV(train)},
			{"test.csv", zooCSV(held)},
			{"split.json", jsonText(map[string]any{"seed": seed, "test_fraction": test, "train": len(train), "test": len(held)})},
		},
	}
}
