package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/troveml/trove"
	"github.com/troveml/trove/internal/blob/s3test"
	"github.com/troveml/trove/internal/client"
	"github.com/troveml/trove/internal/meta/metatest/pgschema"
)

// demoReady is what trove server --demo says once the demo data is in.
const demoReady = "demo data ready"

// waitLine waits until the server has said want on stderr.
func (s *serverProc) waitLine(want string) {
	s.t.Helper()
	deadline := time.After(3 * time.Minute)
	for {
		s.mu.Lock()
		out, done := s.stderr, s.done
		s.mu.Unlock()
		if strings.Contains(out.String(), want) {
			return
		}
		select {
		case <-done:
			s.t.Fatalf("trove server exited before saying %q:\n%s", want, out.String())
		case <-deadline:
			s.t.Fatalf("trove server did not say %q within 3 minutes:\n%s", want, out.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// startDemoServer starts trove server --demo with args and waits until its
// demo data is in.
func startDemoServer(t *testing.T, env []string, args ...string) *serverProc {
	t.Helper()
	s := startServer(t, env, append([]string{"--demo"}, args...)...)
	s.waitLine(demoReady)
	return s
}

// sdk opens the SDK on a store (a directory or a server URL) with entity
// and project as defaults.
func sdk(t *testing.T, url, key, entity, project string) *trove.Client {
	t.Helper()
	c, err := trove.Open(t.Context(), trove.Options{
		URL: url, APIKey: key, Entity: entity, Project: project, CacheDir: t.TempDir(),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// lineageNames returns a graph's nodes as "kind type name" (type: the
// artifact type or job type) and its edges as "from name -> to name".
func lineageNames(g trove.Graph) (nodes, edges []string) {
	name := map[string]string{}
	for _, n := range g.Nodes {
		name[n.ID] = n.Name
		typ := n.Type
		if n.Kind == "run" {
			typ = n.JobType
		}
		nodes = append(nodes, n.Kind+" "+typ+" "+n.Name)
	}
	for _, e := range g.Edges {
		edges = append(edges, name[e.From]+" -> "+name[e.To])
	}
	return nodes, edges
}

// sameStrings checks that got and want hold the same strings, in any
// order.
func sameStrings(t *testing.T, what string, got, want []string) {
	t.Helper()
	got, want = slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))
	if !slices.Equal(got, want) {
		t.Errorf("%s:\n got %q\nwant %q", what, got, want)
	}
}

// checkDemoData checks, through the SDK on store url, the demo projects
// of entity: the shapes the UI's end-to-end tests rely on.
func checkDemoData(t *testing.T, url, key, entity string) {
	t.Helper()
	ctx := t.Context()
	mnist := sdk(t, url, key, entity, demoMnistProject)
	zoo := sdk(t, url, key, entity, demoZooProject)

	// mnist: the lineage of the model, both ways, is exactly the chain.
	g, err := mnist.Lineage(ctx, "mnist_model:v0", trove.LineageOptions{})
	if err != nil {
		t.Fatal(err)
	}
	nodes, edges := lineageNames(g)
	sameStrings(t, "mnist_model:v0 lineage nodes", nodes, []string{
		"run preprocess jumping-monkey-1", "artifact dataset mnist_dataset:v0", "run train_model vague-morning-5",
		"artifact model mnist_model:v0", "run evaluate serene-haze-6",
	})
	sameStrings(t, "mnist_model:v0 lineage edges", edges, []string{
		"jumping-monkey-1 -> mnist_dataset:v0", "mnist_dataset:v0 -> vague-morning-5",
		"vague-morning-5 -> mnist_model:v0", "mnist_model:v0 -> serene-haze-6",
	})
	ds, err := mnist.Artifact(ctx, "mnist_dataset:v0")
	if err != nil {
		t.Fatal(err)
	}
	if ds.Type != "dataset" || ds.FileCount != 2 || ds.Description == "" || len(ds.Metadata) == 0 || ds.Size < 1000 {
		t.Errorf("mnist_dataset:v0: type %q, %d files, %d bytes, description %q, metadata %v", ds.Type, ds.FileCount, ds.Size, ds.Description, ds.Metadata)
	}
	train, err := mnist.Run(ctx, "vague-morning-5")
	if err != nil {
		t.Fatal(err)
	}
	var config map[string]any
	if err := json.Unmarshal(train.Config, &config); err != nil {
		t.Fatal(err)
	}
	if want := map[string]any{"optimizer": "adam", "batch_size": 128.0, "epochs": 5.0, "validation_split": 0.1}; fmt.Sprint(config) != fmt.Sprint(want) {
		t.Errorf("vague-morning-5 config %v, want %v", config, want)
	}

	// zoo: six split_data runs logged split_zoo_dataset:v4.
	g, err = zoo.Lineage(ctx, "split_zoo_dataset:v4", trove.LineageOptions{Direction: trove.Upstream, Depth: 1})
	if err != nil {
		t.Fatal(err)
	}
	var loggers []string
	for _, n := range g.Nodes {
		if n.Kind == "run" {
			if n.JobType != "split_data" || n.State != "finished" {
				t.Errorf("run %s logging split_zoo_dataset:v4: job type %q, state %q", n.Name, n.JobType, n.State)
			}
			loggers = append(loggers, n.Name)
		}
	}
	sameStrings(t, "runs logging split_zoo_dataset:v4", loggers, zooFinalRuns)
	versions, err := zoo.ArtifactVersions(ctx, "split_zoo_dataset")
	if err != nil {
		t.Fatal(err)
	}
	digests := map[trove.Digest]bool{}
	for i, v := range versions {
		if v.Index != i {
			t.Errorf("split_zoo_dataset versions: %s at %d", v.Label(), i)
		}
		digests[v.Digest] = true
	}
	if len(versions) != 5 || len(digests) != 5 {
		t.Errorf("split_zoo_dataset: %d versions, %d distinct contents; want v0..v4, all different", len(versions), len(digests))
	}

	// The model's lineage: the six runs sit at one level, a cluster.
	g, err = zoo.Lineage(ctx, "zoo-ylbchv20:v0", trove.LineageOptions{})
	if err != nil {
		t.Fatal(err)
	}
	nodes, _ = lineageNames(g)
	want := []string{
		"run download fetch-zoo", "artifact raw_data zoo_dataset:v0", "artifact dataset split_zoo_dataset:v4",
		"run train rural-feather-20", "artifact model zoo-ylbchv20:v0", "run evaluate northern-lake-21",
		"artifact evaluation zoo-eval:v0",
	}
	for _, r := range zooFinalRuns {
		want = append(want, "run split_data "+r)
	}
	sameStrings(t, "zoo-ylbchv20:v0 lineage nodes", nodes, want)
	depths := map[int]int{}
	for _, n := range g.Nodes {
		if n.JobType == "split_data" {
			depths[n.Depth]++
		}
	}
	if len(depths) != 1 {
		t.Errorf("the split_data runs of zoo-ylbchv20:v0's lineage are at depths %v, want one level", depths)
	}
	model, err := zoo.Artifact(ctx, "zoo-ylbchv20:v0")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(model.Aliases, "latest") || model.Type != "model" || model.Metadata["accuracy"] == nil {
		t.Errorf("zoo-ylbchv20:v0: type %q, aliases %v, metadata %v", model.Type, model.Aliases, model.Metadata)
	}
	// rural-feather-20 linked the model into the model registry, with
	// the protected alias production, and northern-lake-21 used the link:
	// its input edge is on the source, so the link's lineage is the
	// model's.
	// On a server only registry admins (here: admin) may set production.
	wantAliases := []string{"latest", "production"}
	if key != "" && entity != "admin" {
		wantAliases = []string{"latest"}
	}
	link, err := zoo.Artifact(ctx, "registry/"+demoZooRegistryTarget+":latest")
	if err != nil {
		t.Fatal(err)
	}
	if link.FullName() != "registry/model/Zoo_Classifier_Models:v0" || link.Source != entity+"/zoo/zoo-ylbchv20:v0" ||
		!slices.Equal(link.Aliases, wantAliases) || link.Digest != model.Digest {
		t.Errorf("the registry link: %s source %q aliases %v, want v0 of the model with %v", link.FullName(), link.Source, link.Aliases, wantAliases)
	}
	if by, err := link.LoggedBy(ctx); err != nil || by == nil || by.Name != "rural-feather-20" {
		t.Errorf("the link was made by %v (%v), want rural-feather-20", by, err)
	}
	lg, err := zoo.Lineage(ctx, "registry/"+demoZooRegistryTarget+":v0", trove.LineageOptions{})
	if err != nil {
		t.Fatal(err)
	}
	linkNodes, _ := lineageNames(lg)
	sameStrings(t, "registry link lineage nodes", linkNodes, want)
	evalRun, err := zoo.Run(ctx, "northern-lake-21")
	if err != nil {
		t.Fatal(err)
	}
	ins, err := evalRun.UsedArtifacts(ctx)
	if err != nil || len(ins) != 1 || ins[0].FullName() != entity+"/zoo/zoo-ylbchv20:v0" {
		t.Errorf("northern-lake-21 used %v (%v), want the linked model", ins, err)
	}

	eval, err := zoo.Artifact(ctx, "zoo-eval:v0")
	if err != nil {
		t.Fatal(err)
	}
	files, err := eval.Files(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if eval.Type != "evaluation" || len(files) != 1 || files[0].Path != "metrics.json" {
		t.Errorf("zoo-eval:v0: type %q, files %v", eval.Type, files)
	}
	dir := t.TempDir()
	if _, err := eval.Download(ctx, dir); err != nil {
		t.Fatal(err)
	}
	var metrics map[string]any
	if b, err := os.ReadFile(filepath.Join(dir, "metrics.json")); err != nil || json.Unmarshal(b, &metrics) != nil || metrics["accuracy"] == nil {
		t.Errorf("zoo-eval:v0 metrics.json: %v %v", err, metrics)
	}
	// Every step has its finished run.
	for _, p := range demoProjects() {
		runs, err := mnist.Runs(ctx, p.name)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range p.steps {
			if !slices.ContainsFunc(runs, func(r *trove.Run) bool { return r.Name == s.run && r.State == trove.RunFinished }) {
				t.Errorf("%s/%s has no finished run %s", entity, p.name, s.run)
			}
		}
	}
}

// demoSnapshot describes everything the demo projects of entity hold:
// every run and every version with its digest and aliases.
func demoSnapshot(t *testing.T, url, key, entity string) []string {
	t.Helper()
	ctx := t.Context()
	c := sdk(t, url, key, entity, demoMnistProject)
	var out []string
	for _, p := range []string{demoMnistProject, demoZooProject} {
		runs, err := c.Runs(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range runs {
			out = append(out, fmt.Sprintf("%s run %s %s %s %s", p, r.ID, r.Name, r.JobType, r.State))
		}
		cols, err := c.Collections(ctx, p, "")
		if err != nil {
			t.Fatal(err)
		}
		for _, col := range cols {
			vs, err := c.ArtifactVersions(ctx, p+"/"+col.Name)
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range vs {
				out = append(out, fmt.Sprintf("%s version %s %s %v", p, v.FullName(), v.Digest, v.Aliases))
			}
		}
	}
	links, err := c.ArtifactVersions(ctx, "registry/"+demoZooRegistryTarget)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range links {
		out = append(out, fmt.Sprintf("link %s %s %v %s", v.FullName(), v.Digest, v.Aliases, v.Source))
	}
	if len(out) == 0 {
		t.Fatal("the demo projects are empty")
	}
	return out
}

// adminKeys lists admin's API keys on a server.
func adminKeys(t *testing.T, url, key string) []string {
	t.Helper()
	c, err := client.New(url, client.Options{APIKey: key})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	keys, err := c.ListKeys(t.Context(), "admin")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, k := range keys {
		out = append(out, fmt.Sprintf("%d %s revoked=%v", k.ID, k.Label, k.RevokedAt != nil))
		if k.Label == demoKeyLabel && k.RevokedAt == nil {
			t.Errorf("the demo key %s is still valid after seeding", k.Prefix)
		}
	}
	return out
}

// testDemoServer runs trove server --demo with args on a new data
// directory, checks the data and what the server says, restarts it with
// --demo and checks that nothing changed.
func testDemoServer(t *testing.T, env []string, args ...string) {
	data := filepath.Join(t.TempDir(), "data")
	s := startDemoServer(t, env, append([]string{"--data", data}, args...)...)
	out := s.stderr.String()
	keyFile := filepath.Join(data, "admin-api-key")
	if want := "trove: open " + s.url + " in a browser and sign in with an API key (the admin key is in " + keyFile + ")"; !strings.Contains(out, want) {
		t.Errorf("the server does not say how to sign in (%q):\n%s", want, out)
	}
	if !strings.Contains(out, "trove: demo data ready in admin/mnist and admin/zoo (16 runs added)") {
		t.Errorf("the server does not say the demo data is in:\n%s", out)
	}
	resp, err := http.Get(s.url + "/admin/mnist/artifacts/model/mnist_model/v0/lineage")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `<div id="root">`) {
		t.Errorf("the UI is not served: %d\n%.300s", resp.StatusCode, body)
	}

	key := adminKey(t, data)
	checkDemoData(t, s.url, key, "admin")
	before := demoSnapshot(t, s.url, key, "admin")
	if runs := len(slices.DeleteFunc(slices.Clone(before), func(l string) bool { return !strings.Contains(l, " run ") })); runs != 16 {
		t.Errorf("the demo made %d runs, want 16:\n%s", runs, strings.Join(before, "\n"))
	}
	keys := adminKeys(t, s.url, key)
	if !slices.ContainsFunc(keys, func(k string) bool { return strings.Contains(k, " demo ") }) {
		t.Errorf("no demo key was made: %q", keys)
	}

	s.stop()
	s.restart()
	s.waitLine(demoReady)
	if out := s.stderr.String(); !strings.Contains(out, "(it was there already)") {
		t.Errorf("the restarted server says:\n%s", out)
	}
	sameStrings(t, "the demo projects after a restart with --demo", demoSnapshot(t, s.url, key, "admin"), before)
	sameStrings(t, "admin's keys after a restart with --demo", adminKeys(t, s.url, key), keys)
}

// TestDemoServer: trove server --demo on the embedded store fills
// admin/mnist and admin/zoo once, serves the UI, and says how to sign in.
func TestDemoServer(t *testing.T) {
	t.Parallel()
	testDemoServer(t, nil)
}

// TestDemoServerScaleOut: the same on PostgreSQL, with file blobs and with
// S3 blobs (versitygw).
func TestDemoServerScaleOut(t *testing.T) {
	t.Parallel()
	t.Run("postgres", func(t *testing.T) {
		testDemoServer(t, nil, "--db", pgschema.URL(t))
	})
	t.Run("postgres+s3", func(t *testing.T) {
		db := pgschema.URL(t)
		gw := s3test.Server(t)
		testDemoServer(t, gw.Env(), "--db", db, "--blobs", gw.NewBucketURL(t))
	})
}

// TestDemoCommand: trove demo fills the current store, embedded or a
// server, under the user's entity; again, it adds nothing.
func TestDemoCommand(t *testing.T) {
	t.Parallel()
	modes(t, func(t *testing.T, e *env) {
		r := e.ok("demo")
		if !strings.Contains(r.stderr, "demo data ready in tester/mnist and tester/zoo (16 runs added)") {
			t.Errorf("trove demo says:\n%s", r.stderr)
		}
		if !strings.Contains(r.stdout, "trove lineage -e tester -p mnist mnist_model:v0") {
			t.Errorf("trove demo does not say what to try:\n%s", r.stdout)
		}
		var url, key string
		for _, v := range e.vars {
			if u, ok := strings.CutPrefix(v, "TROVE_URL="); ok {
				url = u
			} else if k, ok := strings.CutPrefix(v, "TROVE_API_KEY="); ok {
				key = k
			}
		}
		checkDemoData(t, url, key, "tester")
		before := demoSnapshot(t, url, key, "tester")
		r = e.ok("demo")
		if !strings.Contains(r.stderr, "it was there already") {
			t.Errorf("trove demo again says:\n%s", r.stderr)
		}
		sameStrings(t, "the demo projects after trove demo again", demoSnapshot(t, url, key, "tester"), before)
		e.fails("entity", "demo", "-e", "no/such")
		e.fails("unknown command", "demo", "extra")
	})
}

// TestDemoCompletesAnInterruptedSeeding: steps whose runs did not finish
// are run again, finished ones are not.
func TestDemoCompletesAnInterruptedSeeding(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	url := strings.TrimPrefix(e.vars[0], "TROVE_URL=")
	c := sdk(t, url, "", "tester", demoZooProject)
	ctx := t.Context()
	// As if seeding had stopped during the second split run: fetch-zoo
	// finished, crisp-dawn-10 finished, misty-pine-11 failed midway.
	steps := zooSteps()
	dir := t.TempDir()
	for _, s := range steps[:2] {
		if err := runDemoStep(ctx, c, demoZooProject, s, dir); err != nil {
			t.Fatal(err)
		}
	}
	r, err := c.StartRun(ctx, trove.RunOptions{Project: demoZooProject, Name: steps[2].run, JobType: steps[2].jobType})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.UseArtifact(ctx, "zoo_dataset:v0"); err != nil {
		t.Fatal(err)
	}
	if err := r.Fail(ctx); err != nil {
		t.Fatal(err)
	}
	out := e.ok("demo").stderr
	if !strings.Contains(out, "(14 runs added)") {
		t.Errorf("trove demo after an interruption says:\n%s", out)
	}
	checkDemoData(t, url, "", "tester")
	runs, err := c.Runs(ctx, demoZooProject)
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, r := range runs {
		count[r.Name]++
	}
	if count["fetch-zoo"] != 1 || count["crisp-dawn-10"] != 1 || count[steps[2].run] != 2 || len(runs) != len(steps)+1 {
		t.Errorf("runs after completing the demo: %v", count)
	}
}

// TestDemoRefusesOtherProjects: a demo project holding other runs is
// refused, by trove demo and by trove server --demo, and nothing changes.
func TestDemoRefusesOtherProjects(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	data := strings.TrimPrefix(e.vars[0], "TROVE_URL=")
	e.vars = append(e.vars, "TROVE_ENTITY=admin")
	e.write("animals.csv", "animal,legs\nant,6\n")
	e.ok("artifact", "put", "animals.csv", "-n", "animals", "-t", "dataset", "-p", "zoo")
	e.fails("project admin/zoo holds run", "demo")
	if got := jsonOf[[]runJSON](t, e.ok("run", "ls", "-p", "mnist", "--json")); len(got) != 0 {
		t.Errorf("trove demo refused but wrote runs in mnist: %v", got)
	}
	if got := jsonOf[[]runJSON](t, e.ok("run", "ls", "-p", "zoo", "--json")); len(got) != 1 {
		t.Errorf("trove demo refused but changed zoo: %v", got)
	}

	// The server refuses too, and stops: --demo asked for data it cannot give.
	r := e.fails("demo data: project admin/zoo holds run", "server", "--demo", "--data", data, "--addr", "127.0.0.1:0")
	if !strings.Contains(r.stderr, "trove: serving") {
		t.Errorf("the server did not start serving before seeding:\n%s", r.stderr)
	}
	if got := jsonOf[[]runJSON](t, e.ok("run", "ls", "-p", "mnist", "--json")); len(got) != 0 {
		t.Errorf("trove server --demo refused but wrote runs in mnist: %v", got)
	}
	// No key was made for seeding.
	s := startServer(t, nil, "--data", data)
	for _, k := range adminKeys(t, s.url, adminKey(t, data)) {
		if strings.Contains(k, " demo ") {
			t.Errorf("a refused --demo made a key: %s", k)
		}
	}
}

// TestQuickstart: trove quickstart builds the mnist chain in project
// quickstart and prints its lineage; again, it adds nothing.
func TestQuickstart(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for range 2 {
		out := e.ok("quickstart").stdout
		for _, want := range []string{"Lineage of tester/quickstart/mnist_model:v0", "jumping-monkey-1 -> mnist_dataset:v0", "mnist_model:v0 -> serene-haze-6"} {
			if !strings.Contains(out, want) {
				t.Errorf("trove quickstart does not print %q:\n%s", want, out)
			}
		}
	}
	runs := jsonOf[[]runJSON](t, e.ok("run", "ls", "-p", "quickstart", "--json"))
	if len(runs) != 3 {
		t.Errorf("quickstart twice: %d runs, want 3", len(runs))
	}
}

// TestDemoServerHelp: trove server --help tells about the UI and --demo.
func TestDemoServerHelp(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	out := e.ok("server", "--help").stdout
	for _, want := range []string{"--demo", "browser", "sign in with an API key", "web UI"} {
		if !strings.Contains(out, want) {
			t.Errorf("trove server --help does not mention %q", want)
		}
	}
}

// TestDemoServerTLS: with --tls-cert, seeding still works: it does not go
// through the public listener, whose certificate the server's own client
// would not trust.
func TestDemoServerTLS(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	certFile, keyFile, pool := selfSigned(t, e.dir)
	data := filepath.Join(e.dir, "server")
	u := startTLSServer(t, pool, "--demo", "--data", data, "--tls-cert", certFile, "--tls-key", keyFile)
	c := e.with("TROVE_URL="+u, "TROVE_API_KEY="+adminKey(t, data), "TROVE_CONFIG="+filepath.Join(e.dir, "config.json"),
		"TROVE_ENTITY=admin", "SSL_CERT_FILE="+certFile, "SSL_CERT_DIR="+filepath.Join(e.dir, "no-certs"))
	// startTLSServer does not show the server's messages: wait for the
	// last artifact of the demo instead.
	deadline := time.Now().Add(2 * time.Minute)
	for c.trove("artifact", "info", "-p", "zoo", "zoo-eval:v0", "--json").code != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the demo data did not appear within 2 minutes")
		}
		time.Sleep(100 * time.Millisecond)
	}
	g := jsonOf[struct{ Nodes, Edges []map[string]any }](t, c.ok("lineage", "-p", "mnist", "mnist_model:v0", "--format", "json"))
	if len(g.Nodes) != 5 || len(g.Edges) != 4 {
		t.Errorf("mnist_model:v0 lineage over TLS: %d nodes, %d edges, want 5 and 4", len(g.Nodes), len(g.Edges))
	}
}

// TestBrowseURL: the sign-in hint names an address a browser can open.
func TestBrowseURL(t *testing.T) {
	t.Parallel()
	for addr, want := range map[string]string{
		"127.0.0.1:8080": "http://127.0.0.1:8080",
		"0.0.0.0:8080":   "http://localhost:8080",
		"[::]:8080":      "http://localhost:8080",
		"[::1]:9000":     "http://[::1]:9000",
		"10.1.2.3:80":    "http://10.1.2.3:80",
	} {
		a, err := net.ResolveTCPAddr("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		if got := browseURL("http", a); got != want {
			t.Errorf("browseURL(%s) = %s, want %s", addr, got, want)
		}
	}
}
