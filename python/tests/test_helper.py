"""The helper process: finding it, starting it, its death, Ctrl-C, threads."""

from __future__ import annotations

import http.server
import os
import signal
import stat
import sys
import threading
import time
import unittest
from typing import Any, Dict, Iterator, List
from unittest import mock

import trove
from trove import _helper, errors

from .support import SERVER, TroveTestCase, run_python, unique


class _Hanging(http.server.BaseHTTPRequestHandler):
    """Answers nothing until released: an operation in flight for as long as
    a test wants."""

    got: threading.Event
    release: threading.Event

    def _hang(self) -> None:
        type(self).got.set()
        type(self).release.wait(30)
        try:
            self.send_response(404)
            self.end_headers()
        except OSError:
            pass

    do_GET = do_HEAD = _hang

    def log_message(self, *args: Any) -> None:
        pass


class HangingServer:
    def __init__(self) -> None:
        handler = type("H", (_Hanging,), {"got": threading.Event(), "release": threading.Event()})
        self.handler = handler
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def got(self) -> threading.Event:
        return self.handler.got  # type: ignore[no-any-return]

    def close(self) -> None:
        self.handler.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def _wait_dead(timeout: float = 10) -> None:
    p = _helper._helper.proc
    deadline = time.monotonic() + timeout
    while p is not None and p.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)


class HelperDeathTest(TroveTestCase):
    def test_killed_while_idle(self) -> None:
        a = self.log("idle", {"f": "x"})
        pid = _helper.pid()
        self.assertIsNotNone(pid)
        os.kill(pid, signal.SIGKILL)  # type: ignore[arg-type]
        _wait_dead()
        with self.assertRaises(errors.HelperDied) as cm:
            trove.Api().artifact("idle:v0")
        self.assertEqual(str(cm.exception), "trove helper exited (code -9) during artifact")
        self.assertIsNone(_helper.pid())
        # The next call starts a new helper.
        self.assertEqual(trove.Api().artifact("idle:v0").digest, a.digest)
        self.assertNotEqual(_helper.pid(), pid)

    def test_killed_during_log_artifact(self) -> None:
        srv = HangingServer()
        self.addCleanup(srv.close)
        run = trove.init(job_type="doomed")
        a = trove.Artifact("killed", "dataset")
        a.add_reference(srv.url + "/big.bin")
        pid = _helper.pid()

        def kill() -> None:
            if srv.got.wait(20):
                os.kill(pid, signal.SIGKILL)  # type: ignore[arg-type]

        t = threading.Thread(target=kill)
        t.start()
        started = time.monotonic()
        with self.assertRaises(errors.HelperDied) as cm:
            run.log_artifact(a)
        t.join()
        self.assertLess(time.monotonic() - started, 15)
        self.assertEqual(str(cm.exception), "trove helper exited (code -9) during log_artifact")
        self.assertTrue(a.is_draft())
        # The run died with its helper: using it says so, clearly.
        with self.assertRaisesRegex(errors.HelperDied, "start a new run"):
            run.log_artifact(self.write("f", "x"))
        self.assertIsNone(trove.run)
        run.finish()  # nothing to do: no error
        # Nothing was logged, and the next calls work.
        self.assertEqual(self.versions("killed"), [])
        with trove.init() as again:
            again.log_artifact(self.write("f", "x"), name="killed", type="dataset")
        self.assertEqual(len(self.versions("killed")), 1)

    def test_ctrl_c_cancels_the_request(self) -> None:
        srv = HangingServer()
        self.addCleanup(srv.close)
        run = trove.init()
        a = trove.Artifact("interrupted", "dataset")
        a.add_reference(srv.url + "/big.bin")
        pid = _helper.pid()
        main = threading.main_thread().ident
        self.assertEqual(threading.get_ident(), main)

        def interrupt() -> None:
            if srv.got.wait(20):
                signal.pthread_kill(main, signal.SIGINT)  # type: ignore[arg-type]

        t = threading.Thread(target=interrupt)
        t.start()
        with self.assertRaises(KeyboardInterrupt):
            run.log_artifact(a)
        t.join()
        # The helper cancelled the request and lives on, with the run.
        self.assertEqual(_helper.pid(), pid)
        self.assertEqual(self.versions("interrupted"), [])
        b = trove.Artifact("interrupted", "dataset")
        with b.new_file("f") as f:
            f.write("x")
        run.log_artifact(b)
        self.assertEqual(b.name, "interrupted:v0")
        run.finish()
        self.assertEqual(trove.Api().run(run.id).state, "finished")


def _fake(dirpath: str, body: str) -> str:
    """Write an executable fake helper script; return its path."""
    p = os.path.join(dirpath, "fake-trove")
    with open(p, "w") as f:
        f.write(f"#!{sys.executable}\n" + body)
    os.chmod(p, os.stat(p).st_mode | stat.S_IXUSR)
    return p


class FakeHelperTest(TroveTestCase):
    """Helpers that misbehave, and no helper at all. Each test stops the real
    helper first; the next test starts a fresh one."""

    real: str

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.real = _helper.find_binary()

    def setUp(self) -> None:
        super().setUp()
        _helper.shutdown()
        self.addCleanup(_helper.shutdown)
        env = mock.patch.dict(os.environ)
        env.start()
        self.addCleanup(env.stop)

    def test_binary_not_found(self) -> None:
        with mock.patch.object(_helper, "_bundled", return_value=os.path.join(self.tmp, "none")):
            os.environ.pop("TROVE_BIN", None)
            os.environ["PATH"] = self.tmp
            with self.assertRaises(errors.BinaryNotFound) as cm:
                trove.Api().artifact("x:v0")
            msg = str(cm.exception)
            self.assertIn("pip install", msg)
            self.assertIn("go install github.com/troveml/trove/cmd/trove@latest", msg)
            self.assertIn("TROVE_BIN", msg)
            self.assertIsNone(_helper.pid())

            os.environ["TROVE_BIN"] = os.path.join(self.tmp, "missing-trove")
            with self.assertRaisesRegex(errors.BinaryNotFound, "TROVE_BIN=.*missing-trove"):
                trove.init()
            self.assertIsNone(trove.run)

            # A script named trove on PATH (such as the console script) is
            # not the binary.
            os.environ.pop("TROVE_BIN")
            script = os.path.join(self.tmp, "trove")
            with open(script, "w") as f:
                f.write("#!/bin/sh\nexec true\n")
            os.chmod(script, 0o755)
            with self.assertRaises(errors.BinaryNotFound):
                _helper.find_binary()

            # The real binary on PATH is found.
            os.remove(script)
            os.symlink(self.real, script)
            self.assertEqual(_helper.find_binary(), script)
            self.assertEqual(trove.Api().default_project, self.project)

    def test_order(self) -> None:
        real = self.real
        bundled = os.path.join(self.tmp, "_bin", "trove")
        os.makedirs(os.path.dirname(bundled))
        os.symlink(real, bundled)
        os.environ["TROVE_BIN"] = "/nonexistent"
        with mock.patch.object(_helper, "_bundled", return_value=bundled):
            self.assertEqual(_helper.find_binary(), bundled)

    def test_exits_at_start(self) -> None:
        os.environ["TROVE_BIN"] = _fake(self.tmp, "import sys\nsys.exit(3)\n")
        with self.assertRaises(errors.HelperDied) as cm:
            trove.Api().artifact("x:v0")
        self.assertEqual(str(cm.exception), "trove helper exited (code 3) while starting")

    def test_wrong_protocol(self) -> None:
        os.environ["TROVE_BIN"] = _fake(
            self.tmp, 'import sys\nprint(\'{"hello": {"protocol": 2, "version": "9", "pid": 1}}\', flush=True)\nsys.stdin.read()\n'
        )
        with self.assertRaisesRegex(errors.Internal, "speaks helper protocol 2, this trove package speaks 1"):
            trove.Api().artifact("x:v0")
        self.assertIsNone(_helper.pid())

    def test_no_hello(self) -> None:
        os.environ["TROVE_BIN"] = _fake(self.tmp, "import sys\nprint('good morning', flush=True)\nsys.stdin.read()\n")
        with self.assertRaisesRegex(errors.Internal, "did not greet"):
            trove.Api().artifact("x:v0")

    def test_garbage_answer(self) -> None:
        os.environ["TROVE_BIN"] = _fake(
            self.tmp,
            'import sys\nprint(\'{"hello": {"protocol": 1, "version": "f", "pid": 1}}\', flush=True)\n'
            "sys.stdin.readline()\nprint('{not json', flush=True)\nsys.stdin.read()\n",
        )
        with self.assertRaisesRegex(errors.Internal, "not JSON"):
            trove.Api().artifact("x:v0")
        self.assertIsNone(_helper.pid())

    def test_errors_and_stray_answers(self) -> None:
        # Answers for other ids are skipped; an error answer becomes its class.
        os.environ["TROVE_BIN"] = _fake(
            self.tmp,
            "import json, sys\n"
            'print(json.dumps({"hello": {"protocol": 1, "version": "f", "pid": 1}}), flush=True)\n'
            "for line in sys.stdin:\n"
            "    req = json.loads(line)\n"
            '    print(json.dumps({"id": 0, "error": {"code": "invalid", "message": "stray"}}), flush=True)\n'
            '    print(json.dumps({"id": req["id"], "error": {"code": "corrupt", "message": "blob sha256:00 is damaged"}}), flush=True)\n',
        )
        with self.assertRaises(errors.Corrupt) as cm:
            trove.Api().artifact("x:v0")
        self.assertEqual(str(cm.exception), "blob sha256:00 is damaged")
        with self.assertRaises(errors.Corrupt):
            trove.Api().artifact("x:v0")

    def test_ctrl_c_kills_a_helper_that_does_not_cancel(self) -> None:
        os.environ["TROVE_BIN"] = _fake(
            self.tmp,
            "import json, sys, time\n"
            'print(json.dumps({"hello": {"protocol": 1, "version": "f", "pid": 1}}), flush=True)\n'
            "for line in sys.stdin:\n"
            "    time.sleep(60)\n",
        )
        main = threading.main_thread().ident
        got: List[int] = []

        def interrupt() -> None:
            for _ in range(500):
                p = _helper.pid()
                if p is not None:
                    got.append(p)
                    time.sleep(0.2)
                    signal.pthread_kill(main, signal.SIGINT)  # type: ignore[arg-type]
                    return
                time.sleep(0.01)

        t = threading.Thread(target=interrupt)
        t.start()
        started = time.monotonic()
        with mock.patch.object(_helper, "CANCEL_GRACE", 0.3):
            with self.assertRaises(KeyboardInterrupt):
                trove.Api().artifact("x:v0")
        t.join()
        self.assertLess(time.monotonic() - started, 10)
        self.assertIsNone(_helper.pid())
        with self.assertRaises(ProcessLookupError):
            os.kill(got[0], 0)


class ThreadsTest(TroveTestCase):
    def test_concurrent_calls(self) -> None:
        a = self.log("shared", {"f": "x"})
        errs: List[BaseException] = []
        digests: List[str] = []

        def work() -> None:
            try:
                for _ in range(10):
                    digests.append(trove.Api().artifact("shared:v0").digest)
            except BaseException as e:  # noqa
                errs.append(e)

        ts = [threading.Thread(target=work) for _ in range(8)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(60)
        self.assertEqual(errs, [])
        self.assertEqual(digests, [a.digest] * 80)


class ClientSpecTest(TroveTestCase):
    def test_env_read_at_call_time(self) -> None:
        with mock.patch.dict(os.environ, {"TROVE_ENTITY": "e1", "TROVE_PROJECT": "p1", "TROVE_CACHE_DIR": "rel/cache"}):
            s = _helper.client_spec()
            self.assertEqual((s["entity"], s["project"]), ("e1", "p1"))
            self.assertEqual(s["cache_dir"], os.path.join(self.tmp, "rel", "cache"))
            os.environ["TROVE_PROJECT"] = "p2"
            self.assertEqual(_helper.client_spec({"entity": "e3", "project": ""})["project"], "p2")
            self.assertEqual(_helper.client_spec({"entity": "e3"})["entity"], "e3")
            os.environ["TROVE_URL"] = "relative/store"
            self.assertEqual(_helper.client_spec()["url"], os.path.join(self.tmp, "relative", "store"))
            for u in ("http://h:1", "file:///x/y", "localhost:8080"):
                os.environ["TROVE_URL"] = u
                self.assertEqual(_helper.client_spec()["url"], u)
        with self.assertRaises(TypeError):
            _helper.client_spec({"colour": "blue"})

    def test_project_from_env_at_call_time(self) -> None:
        other = unique("later")
        with mock.patch.dict(os.environ, {"TROVE_PROJECT": other}):
            with trove.init() as run:
                self.assertEqual(run.project, other)
        with trove.init() as run:
            self.assertEqual(run.project, self.project)

    @unittest.skipIf(SERVER, "a store of its own is a data directory")
    def test_store_switch(self) -> None:
        # Setting TROVE_URL between calls switches the store, as for the CLI.
        with mock.patch.dict(os.environ, {"TROVE_URL": os.path.join(self.tmp, "second-store")}):
            self.log("only-here", {"f": "x"})
            self.assertEqual(len(self.versions("only-here")), 1)
        self.assertEqual(self.versions("only-here"), [])
        self.assertTrue(os.path.isdir(os.path.join(self.tmp, "second-store")))

    def test_api_overrides(self) -> None:
        a = self.log("overridden", {"f": "x"})
        api = trove.Api(overrides={"project": self.project, "entity": a.entity})
        with mock.patch.dict(os.environ, {"TROVE_PROJECT": unique("elsewhere")}):
            self.assertEqual(api.artifact("overridden:v0").digest, a.digest)
            self.assertEqual(api.default_project, self.project)
            self.assertEqual(api.default_entity, a.entity)
            with self.assertRaises(errors.NotFound):
                trove.Api().artifact("overridden:v0")


class CLITest(unittest.TestCase):
    def test_console_script(self) -> None:
        p = run_python("import sys; from trove._cli import main; sys.exit(main())\n", env={}, cwd=None)
        self.assertEqual(p.returncode, 0, p.stderr)  # no arguments: trove prints its help
        self.assertIn("trove", p.stdout + p.stderr)
        code = "import sys; sys.argv[1:] = ['artifact', '--help']; from trove._cli import main; sys.exit(main())\n"
        p = run_python(code)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("put", p.stdout)
        code = "import sys; sys.argv[1:] = ['artifact', 'info', 'no-such-thing:v0']; from trove._cli import main; sys.exit(main())\n"
        p = run_python(code)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("not found", p.stderr)

    @unittest.skipIf(os.path.exists(_helper._bundled()), "a bundled binary is always found")
    def test_console_script_without_binary(self) -> None:
        p = run_python(
            "import sys; from trove._cli import main; sys.exit(main())\n",
            env={"TROVE_BIN": "", "PATH": "/nonexistent"},
        )
        self.assertEqual(p.returncode, 127)
        self.assertIn("go install github.com/troveml/trove/cmd/trove@latest", p.stderr)


if __name__ == "__main__":
    unittest.main()
