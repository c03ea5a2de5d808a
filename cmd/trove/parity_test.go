package main

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/troveml/trove/internal/core"
)

// Tests of the CLI's parity with the SDK: put PATH[=NAME]..., get --path,
// exec --log-alias/--log-description/--log-metadata, update --set/--unset.

// filePaths returns the entry paths of a version, from artifact files --json.
func (e *env) filePaths(ref string) []string {
	e.t.Helper()
	var out []string
	for _, f := range jsonOf[[]fileJSON](e.t, e.ok("artifact", "files", ref, "--json")) {
		out = append(out, f.Path)
	}
	return out
}

// unchanged runs the bad commands, each of which must fail with its
// reason, and checks that they created no version, artifact or run.
func (e *env) unchanged(cases [][]string) {
	e.t.Helper()
	arts := e.ok("artifact", "ls", "--json").stdout
	runs := e.ok("run", "ls", "--json").stdout
	for _, c := range cases {
		e.fails(c[0], c[1:]...)
	}
	if after := e.ok("artifact", "ls", "--json").stdout; after != arts {
		e.t.Errorf("bad input changed the artifacts:\n%s\nwas\n%s", after, arts)
	}
	if after := e.ok("run", "ls", "--json").stdout; after != runs {
		e.t.Errorf("bad input created runs:\n%s\nwas\n%s", after, runs)
	}
}

// TestPutSeveralPaths: put PATH[=NAME]... logs several files and
// directories in one version, as AddFile/AddDir with a name or prefix;
// one PATH without a name behaves as before.
func TestPutSeveralPaths(t *testing.T) {
	modes(t, func(t *testing.T, e *env) {
		e.write("data/train/a.txt", "a")
		e.write("data/test/b.txt", "b")
		e.write("labels.csv", "l")
		e.write("ckpt/model.h5", "m")
		e.write("parts/date=2024-01-01/p.txt", "p")
		e.write("eq=file", "eq")
		e.write("eq", "plain")

		// One PATH without a name: as before.
		e.ok("artifact", "put", "data", "-n", "one-dir")
		if got, want := e.filePaths("one-dir"), []string{"test/b.txt", "train/a.txt"}; !slices.Equal(got, want) {
			t.Errorf("put data: %v, want %v", got, want)
		}
		e.ok("artifact", "put", "ckpt/model.h5")
		if got := e.filePaths("model.h5"); !slices.Equal(got, []string{"model.h5"}) {
			t.Errorf("put ckpt/model.h5 (default name): %v", got)
		}

		// One PATH=NAME: the artifact is still named after PATH.
		if v := e.ok("artifact", "put", "labels.csv=meta/labels.csv").lastLine(); !strings.HasSuffix(v, "/labels.csv:v0") {
			t.Errorf("put labels.csv=meta/labels.csv logged %q", v)
		}
		if got := e.filePaths("labels.csv"); !slices.Equal(got, []string{"meta/labels.csv"}) {
			t.Errorf("put labels.csv=meta/labels.csv: %v", got)
		}

		// Several, named and not.
		v := e.ok("artifact", "put", "data/train=train", "data/test=splits/test/", "labels.csv",
			"ckpt/model.h5=models/best.h5", "-n", "mixed", "-t", "dataset").lastLine()
		if !strings.HasSuffix(v, "/mixed:v0") {
			t.Errorf("last line %q", v)
		}
		want := []string{"labels.csv", "models/best.h5", "splits/test/b.txt", "train/a.txt"}
		if got := e.filePaths("mixed:v0"); !slices.Equal(got, want) {
			t.Errorf("put several: %v, want %v", got, want)
		}
		// Several without names: each as AddFile/AddDir, the directories'
		// files at the root.
		e.ok("artifact", "put", "data/train", "data/test", "labels.csv", "-n", "merged")
		if got, want := e.filePaths("merged"), []string{"a.txt", "b.txt", "labels.csv"}; !slices.Equal(got, want) {
			t.Errorf("put several without names: %v, want %v", got, want)
		}

		// '=' in a PATH: the whole argument when it exists, else the longest
		// existing part before an '='.
		e.ok("artifact", "put", "parts/date=2024-01-01", "parts/date=2024-01-01=day", "eq=file", "eq=plain.txt", "-n", "eqs")
		if got, want := e.filePaths("eqs"), []string{"day/p.txt", "eq=file", "p.txt", "plain.txt"}; !slices.Equal(got, want) {
			t.Errorf("put with '=' in paths: %v, want %v", got, want)
		}

		// With references alongside.
		ref := "file://" + filepath.ToSlash(e.write("remote/r.bin", "r"))
		e.ok("artifact", "put", "labels.csv=l.csv", "--reference", ref, "-n", "withref")
		if got, want := e.filePaths("withref"), []string{"l.csv", "r.bin"}; !slices.Equal(got, want) {
			t.Errorf("put with a reference: %v, want %v", got, want)
		}

		e.unchanged([][]string{
			{"is added twice", "artifact", "put", "data/train", "data/test", "data/train", "-n", "dup"},
			{`path "labels.csv" is added twice`, "artifact", "put", "labels.csv", "ckpt/model.h5=labels.csv", "-n", "dup"},
			{`path "train/a.txt" is added twice`, "artifact", "put", "data/train=train", "data", "-n", "dup"},
			{"empty NAME", "artifact", "put", "labels.csv=", "-n", "dup"},
			{`".." segment`, "artifact", "put", "labels.csv=../x", "-n", "dup"},
			{"absolute", "artifact", "put", "data=/abs", "-n", "dup"},
			{"empty segment", "artifact", "put", "labels.csv=a//b", "-n", "dup"},
			{"-n NAME is required with several PATHs", "artifact", "put", "labels.csv", "data"},
			{"nope=x: no such file or directory", "artifact", "put", "nope=x", "-n", "dup"},
			{"nope: no such file or directory", "artifact", "put", "labels.csv", "nope", "-n", "dup"},
		})
		if got := e.filePaths("mixed"); !slices.Equal(got, want) {
			t.Errorf("mixed changed: %v", got)
		}
	})
}

func TestParsePutArg(t *testing.T) {
	fs := map[string]bool{ // path → is a directory
		"data": true, "f.txt": false, "a=b": false, "a": false, "d=1": true, "d": true, "x=y=z": false,
	}
	stat := func(p string) (bool, bool) { d, ok := fs[p]; return d, ok }
	for _, tc := range []struct {
		in   string
		want putArg
	}{
		{"data", putArg{"data", "", true}},
		{"data=pre", putArg{"data", "pre", true}},
		{"data=pre/", putArg{"data", "pre", true}},
		{"data=a/b", putArg{"data", "a/b", true}},
		{"f.txt=models/m.h5", putArg{"f.txt", "models/m.h5", false}},
		{"a=b", putArg{"a=b", "", false}},       // the whole argument exists
		{"a=b=c", putArg{"a=b", "c", false}},    // the longest existing part
		{"a=c=d", putArg{"a", "c=d", false}},    // names may hold '='
		{"d=1=x=2", putArg{"d=1", "x=2", true}}, // hive-style prefixes
		{"x=y=z", putArg{"x=y=z", "", false}},
	} {
		got, err := parsePutArg(tc.in, stat)
		if err != nil || got != tc.want {
			t.Errorf("parsePutArg(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
	for _, tc := range []struct {
		in   string
		kind error
	}{
		{"", core.ErrInvalid},
		{"nope", core.ErrNotFound},
		{"nope=x", core.ErrNotFound},
		{"=x", core.ErrNotFound},
		{"f.txt=", core.ErrInvalid},
		{"data=/", core.ErrInvalid},
		{"f.txt=m/", core.ErrInvalid},
		{"f.txt=/abs", core.ErrInvalid},
		{"f.txt=a/../b", core.ErrInvalid},
		{"f.txt=./b", core.ErrInvalid},
		{"f.txt=a\\b", core.ErrInvalid},
	} {
		if got, err := parsePutArg(tc.in, stat); !errors.Is(err, tc.kind) {
			t.Errorf("parsePutArg(%q) = %+v, %v; want a %v error", tc.in, got, err, tc.kind)
		}
	}
}

// FuzzParsePutArg: an accepted PATH[=NAME] names an existing path that is
// the argument or a part of it before an '=', and a valid entry name.
func FuzzParsePutArg(f *testing.F) {
	for _, s := range []string{"data", "data=pre", "a=b", "a=b=c", "f=", "=x", "d=../x", "d=/", "d=a//b", "x==y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		// Every part before an '=' and the whole exist, alternately as
		// files and directories, except those ending in "x".
		stat := func(p string) (bool, bool) {
			return len(p)%2 == 0, !strings.HasSuffix(p, "x") && strings.HasPrefix(s, p)
		}
		a, err := parsePutArg(s, stat)
		if err != nil {
			if k := core.KindOf(err); k != core.ErrInvalid && k != core.ErrNotFound {
				t.Fatalf("parsePutArg(%q): error of kind %v: %v", s, k, err)
			}
			return
		}
		if _, ok := stat(a.path); !ok {
			t.Fatalf("parsePutArg(%q) = %+v: the path does not exist", s, a)
		}
		if a.name == "" {
			if a.path != s {
				t.Fatalf("parsePutArg(%q) = %+v: no name, but the path is not the argument", s, a)
			}
			return
		}
		if err := core.ValidatePath(a.name); err != nil {
			t.Fatalf("parsePutArg(%q) = %+v: bad name: %v", s, a, err)
		}
		if !strings.HasPrefix(s, a.path+"=") || !strings.HasPrefix(s[len(a.path)+1:], a.name) {
			t.Fatalf("parsePutArg(%q) = %+v: not PATH=NAME", s, a)
		}
	})
}

// TestGetPath: get --path downloads one entry and prints its local path;
// an entry the version does not hold is not found and writes nothing.
func TestGetPath(t *testing.T) {
	modes(t, func(t *testing.T, e *env) {
		e.write("data/a.txt", "a")
		e.write("data/sub/b.txt", "bee")
		e.ok("artifact", "put", "data", "-n", "ds")

		p := e.ok("artifact", "get", "ds:v0", "--path", "sub/b.txt").lastLine()
		if want := filepath.Join(e.work, "artifacts", "ds:v0", "sub", "b.txt"); p != want {
			t.Errorf("get --path printed %q, want %q", p, want)
		}
		if got := e.read(p); got != "bee" {
			t.Errorf("downloaded %q", got)
		}
		if _, err := os.Stat(filepath.Join(e.work, "artifacts", "ds:v0", "a.txt")); !os.IsNotExist(err) {
			t.Errorf("get --path downloaded another file too: %v", err)
		}

		root := filepath.Join(e.dir, "elsewhere")
		type getJSON struct{ Ref, Dir, Path string }
		got := jsonOf[getJSON](t, e.ok("artifact", "get", "ds", "--path", "a.txt", "--root", root, "--json"))
		if got.Dir != root || got.Path != filepath.Join(root, "a.txt") || !strings.HasSuffix(got.Ref, "/ds:v0") {
			t.Errorf("get --path --root --json = %+v", got)
		}
		if e.read(got.Path) != "a" {
			t.Errorf("downloaded %q", e.read(got.Path))
		}

		missing := filepath.Join(e.dir, "missing")
		e.fails(`file "sub/nope.txt" not found in `, "artifact", "get", "ds", "--path", "sub/nope.txt", "--root", missing)
		e.fails("not found", "artifact", "get", "ds", "--path", "sub", "--root", missing)
		e.fails(`".." segment`, "artifact", "get", "ds", "--path", "../a.txt", "--root", missing)
		e.fails("empty value", "artifact", "get", "ds", "--path", "", "--root", missing)
		e.fails("not found", "artifact", "get", "ds:v9", "--path", "a.txt", "--root", missing)
		if _, err := os.Stat(missing); !os.IsNotExist(err) {
			t.Errorf("a failed get --path wrote %s: %v", missing, err)
		}
	})
}

// TestExecLogOptions: --log-alias, --log-description and --log-metadata
// attach to the --log of their NAME; bad ones create no run.
func TestExecLogOptions(t *testing.T) {
	modes(t, func(t *testing.T, e *env) {
		e.write("model.h5", "weights")
		e.write("eval.json", "{}")
		e.ok("exec", "-j", "train",
			"--log", "bike-model:model=model.h5", "--log", "scores:result=eval.json",
			"--log-alias", "bike-model=best", "--log-alias", "bike-model=prod", "--log-alias", "scores=first",
			"--log-description", "bike-model=CNN, 10 epochs: a=b",
			"--log-metadata", `bike-model={"ap50": 0.71, "layers": [3, 4]}`,
			"--", "true")
		m := jsonOf[versionJSON](t, e.ok("artifact", "info", "bike-model", "--json"))
		if !slices.Equal(m.Aliases, []string{"best", "latest", "prod"}) || m.Description != "CNN, 10 epochs: a=b" ||
			!reflect.DeepEqual(m.Metadata, map[string]any{"ap50": 0.71, "layers": []any{3.0, 4.0}}) {
			t.Errorf("bike-model = %+v", m)
		}
		s := jsonOf[versionJSON](t, e.ok("artifact", "info", "scores", "--json"))
		if !slices.Equal(s.Aliases, []string{"first", "latest"}) || s.Description != "" || len(s.Metadata) != 0 {
			t.Errorf("scores = %+v", s)
		}

		// The same content with new metadata keeps the version and says so.
		r := e.ok("exec", "--log", "bike-model:model=model.h5", "--log-metadata", `bike-model={"ap50": 0.8}`, "--", "true")
		if !strings.Contains(r.stderr, "metadata was not changed (use trove artifact update)") {
			t.Errorf("exec of unchanged content with new metadata: stderr %q", r.stderr)
		}

		log := []string{"exec", "--log", "bike-model:model=model.h5"}
		bad := func(want string, args ...string) []string {
			return append(append([]string{want}, log...), append(args, "--", "sh", "-c", "echo ran > ran.txt")...)
		}
		e.unchanged([][]string{
			bad("no --log other:TYPE=PATH", "--log-alias", "other=best"),
			bad("want NAME=VALUE", "--log-alias", "bike-model"),
			bad("reserved", "--log-alias", "bike-model=v3"),
			bad("only letters", "--log-alias", "bike-model=a b"),
			bad("JSON object", "--log-metadata", `bike-model={"a":`),
			bad("JSON object", "--log-metadata", `bike-model=[1]`),
			bad("already given", "--log-metadata", `bike-model={}`, "--log-metadata", `bike-model={"a":1}`),
			bad("already given", "--log-description", "bike-model=x", "--log-description", "bike-model=y"),
			bad("only letters", "--log-description", "bad name=x"),
			bad("given twice", "--log", "bike-model:model=eval.json"),
		})
		if _, err := os.Stat(filepath.Join(e.work, "ran.txt")); !os.IsNotExist(err) {
			t.Errorf("a refused exec ran its command: %v", err)
		}
		if vs := jsonOf[[]versionJSON](t, e.ok("artifact", "versions", "bike-model", "--json")); len(vs) != 1 {
			t.Errorf("bike-model has %d versions, want 1", len(vs))
		}
	})
}

func TestParseOutputExtras(t *testing.T) {
	outs := []outputSpec{{"m", "model", "x"}, {"d", "dataset", "y"}}
	x, err := parseOutputExtras(execOptions{
		logAliases: []string{"m=best", "m=best", "m=latest"},
		logDescs:   []string{"d=", "m=a=b"},
		logMDs:     []string{`d={"k":"v"}`},
	}, outs)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(x["m"].aliases, []string{"best", "latest"}) || x["m"].desc != "a=b" || x["m"].metadata != nil {
		t.Errorf("m: %+v", *x["m"])
	}
	if x["d"].aliases != nil || x["d"].desc != "" || x["d"].metadata["k"] != "v" {
		t.Errorf("d: %+v", *x["d"])
	}
}

// FuzzParseLogOption: an accepted --log-* NAME=VALUE has a valid artifact
// name and rebuilds the argument.
func FuzzParseLogOption(f *testing.F) {
	for _, s := range []string{"m=best", "m=", "=x", "m", "a b=c", "m=a=b", "m:v0=x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		name, value, err := parseLogOption("log-alias", s)
		if err != nil {
			if !errors.Is(err, core.ErrInvalid) {
				t.Fatalf("parseLogOption(%q): %v, not invalid", s, err)
			}
			return
		}
		if core.ValidateName(name) != nil || name+"="+value != s {
			t.Fatalf("parseLogOption(%q) = %q, %q", s, name, value)
		}
	})
}

// TestUpdateSetUnset: --set and --unset change one metadata key each and
// keep the others; bad ones change nothing.
func TestUpdateSetUnset(t *testing.T) {
	modes(t, func(t *testing.T, e *env) {
		e.write("f.txt", "f")
		e.ok("artifact", "put", "f.txt", "-n", "m", "-m", `{"keep": "me", "drop": 1, "n": 2}`)
		v := jsonOf[versionJSON](t, e.ok("artifact", "update", "m:v0", "--json",
			"--set", "n=3", "--set", "note=hello world", "--set", `list=["a", 1]`, "--set", "s=\"10\"",
			"--set", "eq=a=b", "--set", "empty=", "--set", "obj={\"x\": {\"y\": null}}", "--unset", "drop"))
		want := map[string]any{"keep": "me", "n": 3.0, "note": "hello world", "list": []any{"a", 1.0}, "s": "10",
			"eq": "a=b", "empty": "", "obj": map[string]any{"x": map[string]any{"y": nil}}}
		if !reflect.DeepEqual(v.Metadata, want) {
			t.Errorf("after --set/--unset: %v\nwant %v", v.Metadata, want)
		}
		info := jsonOf[versionJSON](t, e.ok("artifact", "info", "m:v0", "--json"))
		if !reflect.DeepEqual(info.Metadata, want) {
			t.Errorf("stored: %v", info.Metadata)
		}

		before := e.ok("artifact", "versions", "m", "--json").stdout
		e.unchanged([][]string{
			{"give one or the other", "artifact", "update", "m:v0", "-m", "{}", "--set", "a=1"},
			{"give one or the other", "artifact", "update", "m:v0", "-m", "{}", "--unset", "keep"},
			{`no metadata key "nope" to unset`, "artifact", "update", "m:v0", "--set", "keep=x", "--unset", "nope"},
			{"want KEY=VALUE", "artifact", "update", "m:v0", "--set", "keep"},
			{"empty KEY", "artifact", "update", "m:v0", "--set", "=1"},
			{"empty KEY", "artifact", "update", "m:v0", "--unset", ""},
			{"cannot unmarshal number 1e999", "artifact", "update", "m:v0", "--set", "huge=1e999"},
			{"changed twice", "artifact", "update", "m:v0", "--set", "a=1", "--set", "a=2"},
			{"changed twice", "artifact", "update", "m:v0", "--set", "keep=1", "--unset", "keep"},
			{"not found", "artifact", "update", "m:v7", "--set", "a=1"},
		})
		if after := e.ok("artifact", "versions", "m", "--json").stdout; after != before {
			t.Errorf("bad updates changed the version:\n%s\nwas\n%s", after, before)
		}
	})
}

// TestUpdateSetAccess: --set goes through the same access rules as every
// update: a reader of a public project cannot change a key.
func TestUpdateSetAccess(t *testing.T) {
	s := newSite(t)
	alice, carol := s.user("alice"), s.user("carol")
	alice.write("f.txt", "f")
	alice.ok("artifact", "put", "f.txt", "-n", "ds", "-p", "demo", "-m", `{"k": 1}`)
	carol.fails("not found", "artifact", "update", "alice/demo/ds", "--set", "k=2")
	alice.ok("project", "visibility", "demo", "public")
	carol.fails("write access is needed", "artifact", "update", "alice/demo/ds", "--set", "k=2")
	carol.fails("write access is needed", "artifact", "update", "alice/demo/ds", "--unset", "k")
	alice.ok("artifact", "update", "ds", "-p", "demo", "--set", "j=true")
	got := jsonOf[versionJSON](t, alice.ok("artifact", "info", "ds", "-p", "demo", "--json")).Metadata
	if !reflect.DeepEqual(got, map[string]any{"k": 1.0, "j": true}) {
		t.Errorf("metadata %v", got)
	}
}

func TestParseMetadataEdits(t *testing.T) {
	edits, err := parseMetadataEdits([]string{"a=1", "b=x y", "c=", `d="q"`, "e=a=b", "f=null"}, []string{"g"})
	if err != nil {
		t.Fatal(err)
	}
	md, err := applyMetadataEdits(map[string]any{"g": 1, "h": 2, "a": "old"}, edits)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(md)
	if want := `{"a":1,"b":"x y","c":"","d":"q","e":"a=b","f":null,"h":2}`; string(b) != want {
		t.Errorf("edited metadata %s, want %s", b, want)
	}
	if _, err := applyMetadataEdits(map[string]any{}, edits); !errors.Is(err, core.ErrNotFound) {
		t.Errorf("unset of a missing key: %v", err)
	}
}

// FuzzParseSet: an accepted --set KEY=VALUE has a non-empty KEY without
// '=', and a VALUE that is the argument's JSON or, when that is not JSON,
// the argument's text itself.
func FuzzParseSet(f *testing.F) {
	for _, s := range []string{"a=1", "a=x", "a=", "=1", "a", `a={"b":[1,2]}`, "a=1 2", "a=a=b", "a=\xff", `a="\ud800"`, "a=1e999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := parseSet(s)
		if err != nil {
			if !errors.Is(err, core.ErrInvalid) {
				t.Fatalf("parseSet(%q): %v, not invalid", s, err)
			}
			return
		}
		raw := strings.TrimPrefix(s, e.key+"=")
		if e.key == "" || strings.Contains(e.key, "=") || raw == s {
			t.Fatalf("parseSet(%q) key %q", s, e.key)
		}
		b, err := json.Marshal(e.value)
		if err != nil {
			t.Fatalf("parseSet(%q) value %#v does not marshal: %v", s, e.value, err)
		}
		if json.Valid([]byte(raw)) {
			var a, c any
			if json.Unmarshal([]byte(raw), &a) != nil || json.Unmarshal(b, &c) != nil || !reflect.DeepEqual(a, c) {
				t.Fatalf("parseSet(%q) value %s, not the JSON given", s, b)
			}
		} else if e.value != raw {
			t.Fatalf("parseSet(%q) value %#v, want the string %q", s, e.value, raw)
		}
	})
}
