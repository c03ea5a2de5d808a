package main

import (
	"bufio"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// helperProc is a trove helper process driven over its pipes, as the
// Python package drives it.
type helperProc struct {
	t     *testing.T
	cmd   *exec.Cmd
	in    io.WriteCloser
	out   *bufio.Reader
	next  int64
	hello map[string]any
}

func (e *env) startHelper() *helperProc {
	e.t.Helper()
	cmd := exec.Command(os.Args[0], "helper")
	cmd.Dir = e.work
	cmd.Env = append(append(os.Environ(), envCLI+"=1"), e.vars...)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		e.t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		e.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	h := &helperProc{t: e.t, cmd: cmd, in: in, out: bufio.NewReader(out)}
	e.t.Cleanup(func() {
		in.Close()
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				e.t.Errorf("helper exited with %v at end of input", err)
			}
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			e.t.Errorf("helper did not exit at end of input")
		}
	})
	var hello struct {
		Hello map[string]any `json:"hello"`
	}
	h.readLine(&hello)
	if hello.Hello["protocol"] != float64(helperProtocol) {
		e.t.Fatalf("hello = %v, want protocol %d", hello, helperProtocol)
	}
	h.hello = hello.Hello
	return h
}

func (h *helperProc) readLine(v any) {
	h.t.Helper()
	line, err := h.out.ReadBytes('\n')
	if err != nil {
		h.t.Fatalf("reading from helper: %v", err)
	}
	if err := json.Unmarshal(line, v); err != nil {
		h.t.Fatalf("helper wrote %q: %v", line, err)
	}
}

// send writes a raw line and returns the answer.
func (h *helperProc) send(line string) (id int64, result json.RawMessage, code, msg string) {
	h.t.Helper()
	if _, err := io.WriteString(h.in, line+"\n"); err != nil {
		h.t.Fatal(err)
	}
	var resp struct {
		ID     int64           `json:"id"`
		Result json.RawMessage `json:"result"`
		Error  *helperError    `json:"error"`
	}
	h.readLine(&resp)
	if resp.Error != nil {
		return resp.ID, nil, resp.Error.Code, resp.Error.Message
	}
	return resp.ID, resp.Result, "", ""
}

// call sends op with args and returns its result or error code and message.
func (h *helperProc) call(op string, args map[string]any) (json.RawMessage, string, string) {
	h.t.Helper()
	h.next++
	b, err := json.Marshal(map[string]any{"id": h.next, "op": op, "args": args})
	if err != nil {
		h.t.Fatal(err)
	}
	id, res, code, msg := h.send(string(b))
	if id != h.next {
		h.t.Fatalf("%s: answer for request %d, want %d", op, id, h.next)
	}
	return res, code, msg
}

// ok calls op, which must succeed, and decodes its result into v (if not nil).
func (h *helperProc) ok(op string, args map[string]any, v any) {
	h.t.Helper()
	res, code, msg := h.call(op, args)
	if code != "" {
		h.t.Fatalf("%s: %s: %s", op, code, msg)
	}
	if v != nil {
		if err := json.Unmarshal(res, v); err != nil {
			h.t.Fatalf("%s: result %s: %v", op, res, err)
		}
	}
}

// fails calls op, which must fail with code and a message containing want.
func (h *helperProc) fails(code, want, op string, args map[string]any) {
	h.t.Helper()
	res, gotCode, msg := h.call(op, args)
	if gotCode == "" {
		h.t.Fatalf("%s succeeded (%s), want %s", op, res, code)
	}
	if gotCode != code || !strings.Contains(msg, want) {
		h.t.Errorf("%s: got %s %q, want %s containing %q", op, gotCode, msg, code, want)
	}
}

// TestHelperProtocol drives trove helper as the Python package does and
// checks what it did with the CLI.
func TestHelperProtocol(t *testing.T) {
	e := newEnv(t)
	h := e.startHelper()
	client := map[string]any{}
	cwd := e.work

	// Framing errors are answered in order and the helper keeps serving.
	if id, _, code, _ := h.send("not json"); id != 0 || code != "invalid" {
		t.Errorf("malformed line: id %d code %q, want 0 invalid", id, code)
	}
	h.fails("invalid", `unknown op "nope"`, "nope", nil)
	h.fails("invalid", "unknown field", "ping", map[string]any{"bogus": 1})
	var ping map[string]any
	h.ok("ping", nil, &ping)

	var run helperRunJSON
	h.ok("init", map[string]any{"client": client, "job_type": "preprocess", "config": map[string]any{"lr": 0.1}, "tags": []string{"a"}}, &run)
	if run.State != "running" || run.Entity != "tester" || run.Project != "walkthrough" || string(run.Config) != `{"lr":0.1}` {
		t.Fatalf("init: %+v", run)
	}

	data := e.write("data/bicycle-data.h5", "wheels: 2\n")
	e.write("data/images/cat.png", "cat")
	e.write("extra.txt", "extra")
	spec := map[string]any{
		"name": "bike-dataset", "type": "dataset", "description": "bikes", "metadata": map[string]any{"rows": 2},
		"ops": []map[string]any{
			{"op": "dir", "path": filepath.Dir(data), "name": ""},
			{"op": "file", "path": filepath.Join(e.work, "extra.txt"), "name": "docs/extra.txt"},
			{"op": "remove", "path": "images/cat.png"},
		},
	}
	var v helperVersionJSON
	h.ok("log_artifact", map[string]any{"run": run.ID, "artifact": spec, "aliases": []string{"best"}}, &v)
	if v.Ref != "tester/walkthrough/bike-dataset:v0" || v.Index != 0 || v.FileCount != 2 || v.Description != "bikes" ||
		strings.Join(v.Aliases, ",") != "best,latest" || v.TTL != nil {
		t.Fatalf("log_artifact: %+v", v)
	}
	// The CLI sees the same version.
	info := jsonOf[infoJSON](t, e.ok("artifact", "info", "bike-dataset:v0", "--json"))
	if info.Digest != v.Digest || info.LoggedBy == nil || info.LoggedBy.ID != run.ID {
		t.Errorf("CLI info %+v, helper said %+v", info, v)
	}

	// Bad artifacts change nothing.
	bad := func(op map[string]any) map[string]any {
		return map[string]any{"name": "bike-dataset", "type": "dataset", "ops": []map[string]any{op}}
	}
	h.fails("invalid", "not absolute", "log_artifact", map[string]any{"run": run.ID, "artifact": bad(map[string]any{"op": "file", "path": "extra.txt"})})
	h.fails("invalid", "", "log_artifact", map[string]any{"run": run.ID, "artifact": bad(map[string]any{"op": "file", "path": data, "name": "../x"})})
	h.fails("invalid", "", "log_artifact", map[string]any{"run": run.ID, "artifact": map[string]any{"name": "bad name", "type": "dataset", "ops": []any{}}})
	h.fails("not_found", "", "log_artifact", map[string]any{"run": run.ID, "artifact": bad(map[string]any{"op": "file", "path": filepath.Join(e.work, "missing")})})
	h.fails("not_found", "no active run", "log_artifact", map[string]any{"run": "zzzz", "artifact": spec})
	var versions []helperVersionJSON
	h.ok("artifact_versions", map[string]any{"client": client, "name": "bike-dataset"}, &versions)
	if len(versions) != 1 {
		t.Fatalf("after refused logs: %d versions, want 1", len(versions))
	}

	// Fetch: files, one entry, a download, a prefix.
	var files []helperEntry
	h.ok("files", map[string]any{"client": client, "ref": "bike-dataset:latest"}, &files)
	if len(files) != 2 || files[0].Path != "bicycle-data.h5" || files[1].Path != "docs/extra.txt" {
		t.Fatalf("files: %+v", files)
	}
	var dl struct {
		Dir  string `json:"dir"`
		Path string `json:"path"`
	}
	h.ok("download", map[string]any{"client": client, "ref": "bike-dataset:v0", "cwd": cwd}, &dl)
	if dl.Dir != filepath.Join(cwd, "artifacts", "bike-dataset:v0") || e.read(filepath.Join(dl.Dir, "docs/extra.txt")) != "extra" {
		t.Errorf("download: %+v", dl)
	}
	root := filepath.Join(e.dir, "prefix")
	h.ok("download", map[string]any{"client": client, "ref": "bike-dataset:v0", "root": root, "path_prefix": "docs/"}, &dl)
	if _, err := os.Stat(filepath.Join(root, "bicycle-data.h5")); !os.IsNotExist(err) {
		t.Errorf("download with a prefix fetched a file outside it: %v", err)
	}
	h.ok("download_entry", map[string]any{"client": client, "ref": "bike-dataset:v0", "path": "bicycle-data.h5", "root": root}, &dl)
	if dl.Path != filepath.Join(root, "bicycle-data.h5") {
		t.Errorf("download_entry: %+v", dl)
	}
	h.fails("not_found", "", "entry", map[string]any{"client": client, "ref": "bike-dataset:v0", "path": "nope"})
	h.fails("not_found", "", "artifact", map[string]any{"client": client, "ref": "no-such:v0"})
	h.fails("invalid", "of type", "artifact", map[string]any{"client": client, "ref": "bike-dataset:v0", "type": "model"})

	// A second run uses it; lineage and the graph queries agree.
	var run2 helperRunJSON
	h.ok("init", map[string]any{"client": client, "job_type": "train"}, &run2)
	h.ok("use_artifact", map[string]any{"run": run2.ID, "ref": "bike-dataset", "aliases": []string{"best"}}, &v)
	if v.Version != "v0" {
		t.Errorf("use_artifact by alias: %+v", v)
	}
	h.fails("invalid", "of type", "use_artifact", map[string]any{"run": run2.ID, "ref": "bike-dataset:v0", "type": "model"})
	model := e.write("model.h5", "weights")
	h.ok("link_model", map[string]any{"run": run2.ID, "path": model, "registered_model_name": "Bike-dev", "name": "bike-model", "aliases": []string{"staging"}}, &v)
	if v.Ref != "registry/model/Bike-dev:v0" || v.Source != "tester/walkthrough/bike-model:v0" {
		t.Errorf("link_model: %+v", v)
	}
	var users []helperRunJSON
	h.ok("used_by", map[string]any{"client": client, "ref": "bike-dataset:v0"}, &users)
	if len(users) != 1 || users[0].ID != run2.ID {
		t.Errorf("used_by: %+v", users)
	}
	h.ok("run_artifacts", map[string]any{"client": client, "id": run2.ID, "direction": "logged"}, &versions)
	if len(versions) != 1 || versions[0].Name != "bike-model" {
		t.Errorf("run_artifacts logged: %+v", versions)
	}
	h.ok("finish", map[string]any{"run": run2.ID, "exit_code": 3}, &run2)
	if run2.State != "failed" {
		t.Errorf("finish with exit code 3: state %q", run2.State)
	}
	h.ok("finish", map[string]any{"run": run.ID}, &run)
	h.ok("finish", map[string]any{"run": run.ID}, &run)
	if run.State != "finished" {
		t.Errorf("finish: state %q", run.State)
	}
	h.fails("conflict", "has finished", "log_artifact", map[string]any{"run": run.ID, "artifact": spec})
	var g struct {
		Nodes []map[string]any `json:"nodes"`
		Edges []map[string]any `json:"edges"`
	}
	h.ok("lineage", map[string]any{"client": client, "ref": "bike-model:v0", "direction": "upstream"}, &g)
	cli := jsonOf[struct {
		Nodes []map[string]any `json:"nodes"`
		Edges []map[string]any `json:"edges"`
	}](t, e.ok("lineage", "bike-model:v0", "--direction", "upstream", "--format", "json"))
	if len(g.Nodes) != 4 || len(g.Edges) != 3 || len(cli.Nodes) != len(g.Nodes) || len(cli.Edges) != len(g.Edges) {
		t.Errorf("lineage: helper %d nodes %d edges, CLI %d/%d; want 4/3", len(g.Nodes), len(g.Edges), len(cli.Nodes), len(cli.Edges))
	}

	// Save: description, metadata, aliases (latest stays Trove's), TTL.
	h.ok("save", map[string]any{"client": client, "ref": "bike-dataset:v0", "description": "new", "metadata": map[string]any{"k": "v"},
		"aliases": []string{"replaced"}, "ttl": 3600}, &v)
	if v.Description != "new" || v.Metadata["k"] != "v" || strings.Join(v.Aliases, ",") != "latest,replaced" || v.TTL == nil || *v.TTL != 3600 {
		t.Errorf("save: %+v", v)
	}
	h.ok("save", map[string]any{"client": client, "ref": "bike-dataset:v0", "ttl": nil}, &v)
	if v.TTL != nil {
		t.Errorf("save ttl null: %+v", v.TTL)
	}
	h.fails("invalid", "", "save", map[string]any{"client": client, "ref": "bike-dataset:v0", "aliases": []string{"v3"}})
	h.fails("conflict", "", "delete", map[string]any{"client": client, "ref": "bike-dataset:v0"})
	h.ok("delete", map[string]any{"client": client, "ref": "bike-dataset:v0", "delete_aliases": true}, nil)
	e.fails("not found", "artifact", "info", "bike-dataset:v0")
	h.fails("not_found", "", "download", map[string]any{"client": client, "ref": "bike-dataset:v0", "cwd": cwd})

	// A cancel names a request; an unknown one is ignored and not answered.
	if _, err := io.WriteString(h.in, `{"id":99,"op":"cancel","args":{"id":12345}}`+"\n"); err != nil {
		t.Fatal(err)
	}
	h.ok("ping", nil, nil)
}
