package main

import (
	"slices"
	"sort"
	"strings"
	"testing"
)

// TestZooRegistry is the zoo registry scenario, embedded and against a
// server: three runs log the same split_zoo_dataset (one version, three
// producers), a training run uses it and logs zoo-ylbchv20, which is linked
// into model/Zoo_Classifier_Models; an evaluation run uses the registry
// ref, and the lineage of the link shows the whole chain.
func TestZooRegistry(t *testing.T) { modes(t, testZooRegistry) }

func testZooRegistry(t *testing.T, e *env) {
	server := slices.ContainsFunc(e.vars, func(v string) bool { return strings.HasPrefix(v, "TROVE_API_KEY=") })
	e.vars = append(e.vars, "TROVE_PROJECT=zoo")
	for _, name := range []string{"split-1", "split-2", "split-3"} {
		e.ok("exec", "--name", name, "-j", "split", "--log", "split_zoo_dataset:dataset=./split",
			"--", "sh", "-c", "mkdir -p split && printf 'animal,legs\\nant,6\\n' > split/train.csv")
	}
	if vs := jsonOf[[]map[string]any](t, e.ok("artifact", "versions", "split_zoo_dataset", "--json")); len(vs) != 1 {
		t.Fatalf("identical splits made %d versions, want 1", len(vs))
	}
	e.ok("exec", "--name", "train-zoo", "-j", "train", "--use", "split_zoo_dataset:v0",
		"--log", "zoo-ylbchv20:model=./model.pkl", "--", "sh", "-c", "echo tree > model.pkl")

	// Link: the last line is the link's full name; a second link of the
	// same version is the same link.
	link := e.ok("artifact", "link", "zoo-ylbchv20:v0", "model/Zoo_Classifier_Models", "-a", "candidate").lastLine()
	if link != "registry/model/Zoo_Classifier_Models:v0" {
		t.Fatalf("link printed %q", link)
	}
	again := jsonOf[map[string]any](t, e.ok("artifact", "link", "zoo-ylbchv20:v0", "registry/model/Zoo_Classifier_Models", "--json"))
	if again["version"] != "v0" || again["source"] != "tester/zoo/zoo-ylbchv20:v0" {
		t.Fatalf("relink --json = %v", again)
	}
	info := jsonOf[map[string]any](t, e.ok("artifact", "info", "registry/model/Zoo_Classifier_Models:v0", "--json"))
	if info["source"] != "tester/zoo/zoo-ylbchv20:v0" || info["entity"] != "registry" || info["type"] != "model" {
		t.Fatalf("info of the link = %v", info)
	}
	// The evaluation run uses the registry ref.
	e.ok("exec", "--name", "eval-zoo", "-j", "evaluate", "--use", "registry/model/Zoo_Classifier_Models:latest=MODEL",
		"--", "sh", "-c", `grep -q tree "$MODEL/model.pkl"`)

	g := jsonOf[struct {
		Nodes []map[string]any
		Edges []struct{ From, To string }
	}](t, e.ok("lineage", "registry/model/Zoo_Classifier_Models:v0", "--json"))
	name := map[string]string{}
	var nodes, edges []string
	for _, n := range g.Nodes {
		name[n["id"].(string)] = n["name"].(string)
		nodes = append(nodes, n["name"].(string))
	}
	for _, ed := range g.Edges {
		edges = append(edges, name[ed.From]+" -> "+name[ed.To])
	}
	sort.Strings(nodes)
	sort.Strings(edges)
	wantNodes := []string{"eval-zoo", "split-1", "split-2", "split-3", "split_zoo_dataset:v0", "train-zoo", "zoo-ylbchv20:v0"}
	wantEdges := []string{
		"split-1 -> split_zoo_dataset:v0", "split-2 -> split_zoo_dataset:v0", "split-3 -> split_zoo_dataset:v0",
		"split_zoo_dataset:v0 -> train-zoo", "train-zoo -> zoo-ylbchv20:v0", "zoo-ylbchv20:v0 -> eval-zoo",
	}
	if !slices.Equal(nodes, wantNodes) || !slices.Equal(edges, wantEdges) {
		t.Fatalf("lineage of the link:\nnodes %v\nwant  %v\nedges %v\nwant  %v", nodes, wantNodes, edges, wantEdges)
	}

	regs := jsonOf[[]map[string]any](t, e.ok("registry", "ls", "--json"))
	if len(regs) != 2 || regs[1]["name"] != "model" || regs[1]["collection_count"] != float64(1) {
		t.Fatalf("registry ls = %v", regs)
	}

	// Bad input changes nothing.
	e.fails("dataset", "artifact", "link", "split_zoo_dataset:v0", "model/Zoo_Classifier_Models")
	e.fails("REGISTRY/COLLECTION", "artifact", "link", "zoo-ylbchv20:v0", "Zoo_Classifier_Models")
	e.fails("reserved", "artifact", "put", "./model.pkl", "-n", "x", "-t", "model", "-e", "registry", "-p", "model")
	e.fails("not a registry link", "artifact", "unlink", "zoo-ylbchv20:v0")
	e.fails("unlink it first", "artifact", "delete", "zoo-ylbchv20:v0", "--delete-aliases")
	if vs := jsonOf[[]map[string]any](t, e.ok("artifact", "versions", "registry/model/Zoo_Classifier_Models", "--json")); len(vs) != 1 {
		t.Fatalf("refused commands changed the collection: %v", vs)
	}

	if server {
		// tester is not a registry admin: protected aliases, unlinking
		// and creating registries are refused.
		e.fails("not an admin of registry model", "artifact", "link", "zoo-ylbchv20:v0", "model/Zoo_Classifier_Models", "-a", "production")
		e.fails("not an admin of registry model", "artifact", "unlink", link)
		e.fails("server admin", "registry", "create", "zoo")
		e.ok("artifact", "info", link, "--json")
		return
	}
	e.ok("artifact", "link", "zoo-ylbchv20:v0", "model/Zoo_Classifier_Models", "-a", "production")
	e.ok("registry", "create", "zoo", "-t", "model", "--protect", "gold")
	if out := e.ok("artifact", "unlink", link).lastLine(); out != "unlinked "+link {
		t.Fatalf("unlink printed %q", out)
	}
	e.fails("not found", "artifact", "info", link)
	e.ok("artifact", "info", "zoo-ylbchv20:v0")
}
