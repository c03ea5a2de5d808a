"""Timing driver of bench/python.sh: Trove's Python package against the CLI.

Run by bench/python.sh (which builds trove and the trees); see bench/README.md.

    python3 bench/python_bench.py driver --bin BIN/trove --work WORK --big TREE --many TREE ...

The same file is the worker that the driver times in a fresh interpreter
(`python3 python_bench.py log|relog|first ...`): it imports only the
standard library and, in the worker, the package under test (`import trove`).

Every timed command runs after `sync` and a pause, neither timed. Wall time is
the time from spawning a process to reaping it; CPU time is user + system of
the process tree, from wait4's resource usage of the process (which includes
the children it waited for: the package waits for its helper at exit) plus
that of any descendant left behind, which the driver reaps as a child
subreaper. Rows measured inside one interpreter (`relog`, `first`) report
their own figures: wall time by time.perf_counter, CPU time of the
interpreter (getrusage) and of the helper (its /proc/PID/stat).
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

PR_SET_CHILD_SUBREAPER = 36


def say(*parts):
    print("bench:", *parts, file=sys.stderr, flush=True)


def fail(msg):
    """Stops the run: exit code 2 (1 means only that a target was missed)."""
    say(msg)
    sys.exit(2)


# ---------------------------------------------------------------- worker side


def proc_cpu(pid):
    """User + system seconds of a live process, from /proc/PID/stat."""
    with open("/proc/{}/stat".format(pid)) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # fields[0] is field 3 (state); utime and stime are fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def self_cpu():
    import resource

    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def helper_cpu():
    from trove import _helper

    pid = _helper.pid()
    return proc_cpu(pid) if pid else 0.0


def worker(argv):
    mode = argv[0]
    if mode == "first":
        # import trove, start the helper, get a first answer from the store.
        t0, c0 = time.perf_counter(), self_cpu()
        import trove

        trove.Api().artifact_versions("dataset", argv[1])
        wall = time.perf_counter() - t0
        print(json.dumps({"wall": wall, "cpu": self_cpu() - c0 + helper_cpu()}))
        return
    import trove as wandb

    tree, name = argv[1], argv[2]
    run = wandb.init(job_type="upload")
    if mode == "log":
        # Timed from outside, as a whole process, like `trove artifact put`.
        artifact = wandb.Artifact(name, type="dataset")
        artifact.add_dir(tree)
        run.log_artifact(artifact)
        run.finish()
        print(artifact.qualified_name)
        return
    if mode == "relog":
        # The interpreter is up and the helper started (by init): time the
        # log of the unchanged tree alone.
        t0, c0, h0 = time.perf_counter(), self_cpu(), helper_cpu()
        artifact = wandb.Artifact(name, type="dataset")
        artifact.add_dir(tree)
        run.log_artifact(artifact)
        wall = time.perf_counter() - t0
        cpu = self_cpu() - c0 + helper_cpu() - h0
        run.finish()
        print(json.dumps({"wall": wall, "cpu": cpu, "ref": artifact.qualified_name}))
        return
    raise SystemExit("unknown worker mode " + mode)


# ---------------------------------------------------------------- driver side


class Driver:
    def __init__(self, args):
        self.a = args
        self.log = open(os.path.join(args.work, "logs", "python.log"), "a")
        self.series = {}  # key -> list of (wall, cpu)
        self.env = dict(os.environ)
        for k in ("TROVE_URL", "TROVE_API_KEY", "TROVE_CACHE_DIR", "TROVE_RUN_ID", "TROVE_MODE"):
            self.env.pop(k, None)
        self.env.update({
            "TROVE_ENTITY": "bench", "TROVE_PROJECT": "bench", "TROVE_BIN": args.bin,
            "PYTHONPATH": args.pythonpath, "PYTHONDONTWRITEBYTECODE": "1",
        })
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            self.subreaper = libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
        except (OSError, AttributeError):
            self.subreaper = False
        if not self.subreaper:
            say("warning: not a child subreaper; CPU time of processes left behind is not counted")

    def record(self, key, wall, cpu):
        self.series.setdefault(key, []).append((wall, cpu))

    def settle(self):
        subprocess.run(["sync"], check=True)
        time.sleep(self.a.pause)

    def store(self, name):
        """A fresh, empty store and cache: TROVE_URL, TROVE_CACHE_DIR."""
        s, c = os.path.join(self.a.work, "store-" + name), os.path.join(self.a.work, "cache-" + name)
        for d in (s, c):
            shutil.rmtree(d, ignore_errors=True)
            os.mkdir(d)
        return {"TROVE_URL": s, "TROVE_CACHE_DIR": c}

    def drop(self, name):
        for d in ("store-", "cache-"):
            shutil.rmtree(os.path.join(self.a.work, d + name), ignore_errors=True)

    def run(self, cmd, extra_env):
        """Runs cmd after settle(); returns (stdout, wall, cpu) of its process tree."""
        env = dict(self.env, **extra_env)
        out_path = os.path.join(self.a.work, "out")
        self.settle()
        self.log.write("$ {}\n".format(" ".join(cmd)))
        self.log.flush()
        with open(out_path, "wb") as out:
            t0 = time.perf_counter()
            p = subprocess.Popen(cmd, env=env, stdout=out, stderr=self.log, stdin=subprocess.DEVNULL)
            _, status, ru = os.wait4(p.pid, 0)
            wall = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        cpu = ru.ru_utime + ru.ru_stime
        if self.subreaper:
            # Descendants left behind (a helper not waited for) are ours now.
            while True:
                try:
                    _, _, ru = os.wait4(-1, 0)
                except ChildProcessError:
                    break
                cpu += ru.ru_utime + ru.ru_stime
        with open(out_path) as f:
            stdout = f.read()
        self.log.write(stdout)
        if p.returncode != 0:
            fail("{} exited with {}; see {}".format(cmd[0], p.returncode, self.log.name))
        return stdout, wall, cpu

    def py(self, *args):
        return [self.a.python, os.path.abspath(__file__)] + list(args)

    def expect(self, stdout, want, what):
        got = stdout.strip().splitlines()[-1] if stdout.strip() else ""
        if got != want:
            fail("{} printed {!r}, want {!r}".format(what, got, want))

    def cold(self, key, name, tree):
        """Cold Python log vs cold `trove artifact put` of tree, alternating."""
        want = "bench/bench/{}:v0".format(name)
        for i in range(1, self.a.reps + 1):
            for side in (("py", "cli") if i % 2 else ("cli", "py")):
                env = self.store(name + "-" + side)
                if side == "py":
                    out, wall, cpu = self.run(self.py("log", tree, name), env)
                    self.expect(out, want, "Python log_artifact")
                else:
                    out, wall, cpu = self.run([self.a.bin, "artifact", "put", tree, "-n", name, "-t", "dataset"], env)
                    self.expect(out, want, "trove artifact put")
                self.record(key + "." + side, wall, cpu)
                if i < self.a.reps or side == "cli":
                    self.drop(name + "-" + side)
            say("  rep {}/{}: Python {:.3f} s, CLI {:.3f} s".format(
                i, self.a.reps, self.series[key + ".py"][-1][0], self.series[key + ".cli"][-1][0]))

    def relog(self, name, tree):
        """Re-log of the unchanged tree into the store of the last cold Python log."""
        s, c = os.path.join(self.a.work, "store-" + name + "-py"), os.path.join(self.a.work, "cache-" + name + "-py")
        env = {"TROVE_URL": s, "TROVE_CACHE_DIR": c}
        want = "bench/bench/{}:v0".format(name)
        for i in range(1, self.a.reps + 1):
            for side in (("py", "cli") if i % 2 else ("cli", "py")):
                if side == "py":
                    out, _, _ = self.run(self.py("relog", tree, name), env)
                    r = json.loads(out.strip().splitlines()[-1])
                    if r["ref"] != want:
                        fail("Python re-log gave {}, want {}".format(r["ref"], want))
                    self.record("relog.py", r["wall"], r["cpu"])
                else:
                    out, wall, cpu = self.run([self.a.bin, "artifact", "put", tree, "-n", name, "-t", "dataset"], env)
                    self.expect(out, want, "trove artifact put (again)")
                    self.record("relog.cli", wall, cpu)
            say("  rep {}/{}: Python re-log {:.3f} s (in process), CLI re-put {:.3f} s (whole command)".format(
                i, self.a.reps, self.series["relog.py"][-1][0], self.series["relog.cli"][-1][0]))
        for i in range(1, self.a.reps + 1):
            out, _, _ = self.run(self.py("first", name), env)
            r = json.loads(out.strip().splitlines()[-1])
            self.record("first.py", r["wall"], r["cpu"])
        self.drop(name + "-py")

    def helper(self):
        """Spawning `trove helper` to its hello line and a ping answer."""
        env = dict(self.env, **self.store("helper"))
        n = self.a.reps * 4
        for i in range(n):
            self.settle()
            t0 = time.perf_counter()
            p = subprocess.Popen([self.a.bin, "helper"], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=self.log)
            hello = json.loads(p.stdout.readline())
            p.stdin.write(b'{"id": 1, "op": "ping"}\n')
            p.stdin.flush()
            pong = json.loads(p.stdout.readline())
            wall = time.perf_counter() - t0
            p.stdin.close()
            _, status, ru = os.wait4(p.pid, 0)
            p.returncode = os.waitstatus_to_exitcode(status)
            if hello.get("hello", {}).get("protocol") != 1 or pong.get("id") != 1 or "result" not in pong:
                fail("trove helper answered {} then {}".format(hello, pong))
            self.record("helper", wall, ru.ru_utime + ru.ru_stime)
        walls = [w for w, _ in self.series["helper"]]
        say("  {} starts: median {:.1f} ms, min {:.1f} ms".format(n, 1000 * statistics.median(walls), 1000 * min(walls)))
        self.drop("helper")

    # ------------------------------------------------------------ report

    def med(self, key, i):
        xs = [x[i] for x in self.series.get(key, [])]
        return statistics.median(xs) if xs else None

    def report(self, big_desc, many_desc):
        def sec(v):
            if v is None:
                return "—"
            return "{:.1f} ms".format(v * 1000) if v < 1 else "{:.2f} s".format(v)

        print("Per-repetition figures, wall / CPU (user+sys) seconds, in run order:")
        print()
        for key, label in self.labels(big_desc, many_desc):
            xs = self.series.get(key, [])
            print("- {}: {}".format(label, ", ".join("{:.3f}/{:.3f}".format(w, c) for w, c in xs)))
        print()
        print("| measurement | Python wall | Python CPU | compared with | its wall | its CPU | wall ratio | target | pass/fail |")
        print("|---|---:|---:|---|---:|---:|---:|---|---|")
        ok = True
        for row in self.rows(big_desc, many_desc):
            label, key, base_label, base_key, check, target = row
            w, c = self.med(key, 0), self.med(key, 1)
            bw, bc = (self.med(base_key, 0), self.med(base_key, 1)) if base_key else (None, None)
            ratio = w / bw if w is not None and bw else None
            verdict = "—"
            if check:
                metric, limit = check
                v = ratio if metric == "ratio" else w
                verdict = "**pass**" if v is not None and v <= limit else "**FAIL**"
                ok = ok and verdict == "**pass**"
            print("| {} | {} | {} | {} | {} | {} | {} | {} | {} |".format(
                label, sec(w), sec(c), base_label or "—", sec(bw), sec(bc),
                "{:.2f}x".format(ratio) if ratio is not None else "—", target, verdict))
        return ok

    def labels(self, big_desc, many_desc):
        return [
            ("big.py", "Python log_artifact, " + big_desc),
            ("big.cli", "trove artifact put, " + big_desc),
            ("many.py", "Python log_artifact, " + many_desc),
            ("many.cli", "trove artifact put, " + many_desc),
            ("relog.py", "Python re-log, unchanged " + many_desc + " (in process)"),
            ("relog.cli", "trove artifact put again, unchanged " + many_desc),
            ("helper", "trove helper: spawn to hello and ping answer"),
            ("first.py", "import trove + helper start + first answer (in process)"),
        ]

    def rows(self, big_desc, many_desc):
        return [
            ("(a) cold `run.log_artifact`, " + big_desc + ", fresh store", "big.py",
             "`trove artifact put`", "big.cli", ("ratio", 1.2), "≤ 1.2x"),
            ("cold `run.log_artifact`, " + many_desc + ", fresh store", "many.py",
             "`trove artifact put`", "many.cli", None, "— (information)"),
            ("(b) re-log of the unchanged " + many_desc + ", interpreter up, helper started", "relog.py",
             "`trove artifact put` again (whole command)", "relog.cli", ("abs", 0.5), "< 0.5 s"),
            ("(c) helper start-up: spawn `trove helper`, hello line, `ping` answer", "helper",
             None, None, ("abs", 0.1), "< 100 ms"),
            ("`import trove` + helper start + first answer from the store", "first.py",
             None, None, None, "— (information)"),
        ]


def driver(argv):
    ap = argparse.ArgumentParser(prog="python_bench.py driver")
    ap.add_argument("--bin", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--big", required=True)
    ap.add_argument("--many", required=True)
    ap.add_argument("--big-desc", required=True)
    ap.add_argument("--many-desc", required=True)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--pause", type=float, default=1.0)
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--pythonpath", required=True)
    ap.add_argument("--strict", action="store_true")
    a = ap.parse_args(argv)
    d = Driver(a)
    say("cold log of {}: Python log_artifact vs trove artifact put".format(a.big_desc))
    d.cold("big", "big", a.big)
    d.drop("big-py")
    say("cold log of {}: Python log_artifact vs trove artifact put".format(a.many_desc))
    d.cold("many", "many", a.many)
    say("re-log of the unchanged {} (store and cache of the last cold Python log)".format(a.many_desc))
    d.relog("many", a.many)
    say("helper start-up")
    d.helper()
    ok = d.report(a.big_desc, a.many_desc)
    if a.strict and not ok:
        sys.exit(1)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "driver":
        driver(sys.argv[2:])
    else:
        worker(sys.argv[1:])
