"""The ``trove helper`` sidecar: finding the binary, starting it, talking to it.

The Python package does no hashing, uploading, caching or retrying of its
own. On first use it starts the ``trove`` binary as a private helper process
(``trove helper``) and sends it one JSON request per line on its stdin; the
helper answers each with one JSON line on its stdout. The protocol is
documented in ``PROTOCOL.md`` next to this package in the source tree
(``python/PROTOCOL.md``); this module is its only Python speaker.

Which binary runs: the one bundled in the platform wheel
(``trove/_bin/trove``), else ``$TROVE_BIN``, else ``trove`` on ``PATH``.

Lifetime:

* The helper starts lazily, on the first call that needs it, in a session of
  its own, so a Ctrl-C typed at the terminal reaches Python only.
* Requests are sent one at a time (a lock serialises threads).
* If the helper dies, the call in flight raises :class:`~trove.errors.HelperDied`
  naming the operation; the next call starts a fresh helper. Runs started in
  the dead helper are lost (the store reports them ``crashed`` later).
* A ``KeyboardInterrupt`` while waiting for an answer asks the helper to
  cancel the request and waits up to :data:`CANCEL_GRACE` seconds for it to
  stop; if it does not, the helper is killed (its active runs are then lost,
  as above). The ``KeyboardInterrupt`` is re-raised either way.
* At interpreter exit, the current run is finished (failed if an uncaught
  exception ended the program), the helper's stdin is closed and the helper
  is given a moment to exit before it is killed.
* A child made by ``os.fork`` (``multiprocessing``) never shares its
  parent's helper: it starts its own on first use.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import subprocess
import sys
import threading
from typing import IO, Any, Dict, List, Mapping, Optional

from . import errors

__all__ = ["PROTOCOL", "find_binary", "client_spec", "call", "pid", "generation", "shutdown"]

#: The protocol version this package speaks (``hello.protocol``).
PROTOCOL = 1

#: Seconds a cancelled request has to end before the helper is killed.
CANCEL_GRACE = 3.0

#: Seconds the helper has to exit at interpreter exit before it is killed.
EXIT_GRACE = 5.0

_INSTALL_HINT = (
    "install the platform wheel (pip install trove-<version>-<platform>.whl, which bundles it), "
    "or build it with `go install github.com/troveml/trove/cmd/trove@latest`, "
    "or set TROVE_BIN to the path of a trove binary"
)


def _bundled() -> str:
    exe = "trove.exe" if os.name == "nt" else "trove"
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "_bin", exe)


def _is_script(path: str) -> bool:
    """Report whether path is a script (such as the ``trove`` console script
    this package installs), not the native binary."""
    try:
        with open(path, "rb") as f:
            return f.read(2) == b"#!"
    except OSError:
        return True


def _executable(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def find_binary() -> str:
    """Return the path of the ``trove`` binary to run.

    Looks for the binary bundled in the wheel, then ``$TROVE_BIN``, then
    ``trove`` on ``PATH`` (skipping scripts such as the console script that
    forwards to the binary).

    Raises:
        trove.errors.BinaryNotFound: none was found; the message says how to
            get one.
    """
    b = _bundled()
    if _executable(b):
        return b
    env = os.environ.get("TROVE_BIN", "")
    if env:
        if _executable(env):
            return os.path.abspath(env)
        raise errors.BinaryNotFound(
            f"TROVE_BIN={env} is not an executable file; point it at a trove binary, or {_INSTALL_HINT}"
        )
    for d in os.environ.get("PATH", "").split(os.pathsep):
        if not d:
            continue
        p = shutil.which("trove", path=d)
        if p and not _is_script(p):
            return os.path.abspath(p)
    raise errors.BinaryNotFound(f"no trove binary found (bundled, $TROVE_BIN or on PATH): {_INSTALL_HINT}")


_CLIENT_ENV = {
    "url": "TROVE_URL",
    "api_key": "TROVE_API_KEY",
    "entity": "TROVE_ENTITY",
    "project": "TROVE_PROJECT",
    "cache_dir": "TROVE_CACHE_DIR",
}


def client_spec(overrides: Optional[Mapping[str, Optional[str]]] = None) -> Dict[str, str]:
    """Return the ``client`` object of a request: the store and its defaults,
    read from the environment now, with non-empty ``overrides`` on top.

    A directory ``url`` is made absolute (against the current directory), as
    the helper's working directory may differ.
    """
    spec = {k: os.environ.get(v, "") for k, v in _CLIENT_ENV.items()}
    for k, v in (overrides or {}).items():
        if k not in spec:
            raise TypeError(f"unknown client field {k!r}")
        if v:
            spec[k] = str(v)
    for k in ("url", "cache_dir"):
        v = spec[k]
        if v and "://" not in v and not _host_port(v):
            spec[k] = os.path.abspath(os.path.expanduser(v))
    return spec


def _host_port(v: str) -> bool:
    # "host:port" is refused by the helper as a URL with no scheme; do not
    # turn it into a directory of that name.
    head, sep, port = v.rpartition(":")
    return bool(sep) and port.isdigit() and "/" not in head


class _Helper:
    """One helper process and the lock that serialises its requests."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.proc: Optional[subprocess.Popen] = None  # type: ignore[type-arg]
        self.stdin: Optional[IO[bytes]] = None
        self.stdout: Optional[IO[bytes]] = None
        self.next_id = 0
        self.generation = 0
        self.version = ""
        self.owner = os.getpid()

    # The caller holds self.lock in every method below.

    def _start(self, op: str) -> None:
        binary = find_binary()
        # The store settings reach the helper in each request's client
        # object, read from os.environ at call time; the helper must not fall
        # back to the values this process had when it started it.
        env = {k: v for k, v in os.environ.items() if k not in _CLIENT_ENV.values()}
        try:
            proc = subprocess.Popen(
                [binary, "helper"],
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=None,
                start_new_session=True,
                close_fds=True,
            )
        except OSError as e:
            raise errors.BinaryNotFound(f"cannot start {binary} helper: {e}; {_INSTALL_HINT}") from None
        assert proc.stdin is not None and proc.stdout is not None
        self.proc, self.stdin, self.stdout = proc, proc.stdin, proc.stdout
        self.generation += 1
        self.owner = os.getpid()
        try:
            line = self._readline(op, starting=True)
        except KeyboardInterrupt:
            self._kill()
            raise
        try:
            hello = json.loads(line)["hello"]
            protocol = hello["protocol"]
        except (ValueError, KeyError, TypeError):
            self._kill()
            raise errors.Internal(f"{binary} helper did not greet with a hello line (got {line[:200]!r})") from None
        if protocol != PROTOCOL:
            self._kill()
            raise errors.Internal(
                f"{binary} speaks helper protocol {protocol!r}, this trove package speaks {PROTOCOL}: "
                "install a trove binary and package of the same release"
            )
        self.version = str(hello.get("version", ""))

    def _readline(self, op: str, starting: bool = False) -> bytes:
        assert self.stdout is not None
        line = self.stdout.readline()
        if not line.endswith(b"\n"):
            self._died(op, starting)
        return line

    def _died(self, op: str, starting: bool = False) -> None:
        """Reap the dead (or mute) helper and raise HelperDied."""
        proc = self.proc
        code: Any = "unknown"
        if proc is not None:
            try:
                code = proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                # Its stdout is closed but it lives on: it is of no more use.
                proc.kill()
                code = proc.wait()
        self._forget()
        when = "while starting" if starting else f"during {op}"
        raise errors.HelperDied(f"trove helper exited (code {code}) {when}")

    def _forget(self) -> None:
        for f in (self.stdin, self.stdout):
            if f is not None:
                try:
                    f.close()
                except OSError:
                    pass
        self.proc = self.stdin = self.stdout = None
        # Runs of the helper that is gone are lost.
        self.generation += 1

    def _kill(self) -> None:
        if self.proc is not None:
            try:
                self.proc.kill()
                self.proc.wait()
            except OSError:
                pass
        self._forget()

    def _send(self, msg: Dict[str, Any]) -> None:
        assert self.stdin is not None
        data = json.dumps(msg, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode() + b"\n"
        self.stdin.write(data)
        self.stdin.flush()

    def call(self, op: str, args: Dict[str, Any]) -> Any:
        if self.owner != os.getpid():
            # A forked child: the pipes belong to the parent's helper.
            self._after_fork()
        if self.proc is not None and self.proc.poll() is not None:
            self._died(op)
        if self.proc is None:
            self._start(op)
        self.next_id += 1
        rid = self.next_id
        try:
            data = json.dumps(
                {"id": rid, "op": op, "args": args}, separators=(",", ":"), ensure_ascii=False, allow_nan=False
            ).encode()
        except (TypeError, ValueError) as e:
            raise errors.Invalid(f"{op}: arguments are not JSON: {e}") from None
        try:
            assert self.stdin is not None
            self.stdin.write(data + b"\n")
            self.stdin.flush()
        except (BrokenPipeError, ConnectionResetError, ValueError):
            self._died(op)
        try:
            while True:
                line = self._readline(op)
                resp = json.loads(line)
                if not isinstance(resp, dict):
                    raise ValueError("not an object")
                if resp.get("id") == rid:
                    break
                # An answer to nothing we wait for (a cancelled request's
                # late reply, or an id-0 complaint about a line we did not
                # send): skip it.
        except KeyboardInterrupt:
            self._interrupt(rid, op)
            raise
        except ValueError:
            self._kill()
            raise errors.Internal(f"trove helper answered {op} with a line that is not JSON") from None
        err = resp.get("error")
        if err is not None:
            raise errors.from_code(str(err.get("code", "")), str(err.get("message", "")))
        return resp.get("result")

    def _interrupt(self, rid: int, op: str) -> None:
        """Cancel request rid after a Ctrl-C; kill the helper if it does not
        answer within CANCEL_GRACE seconds (or on a second Ctrl-C)."""
        try:
            self._send({"id": 0, "op": "cancel", "args": {"id": rid}})
        except (OSError, ValueError):
            self._kill()
            return
        done = threading.Event()
        ok: List[bool] = [False]

        def drain() -> None:
            try:
                while True:
                    line = self.stdout.readline() if self.stdout else b""
                    if not line.endswith(b"\n"):
                        return
                    try:
                        if json.loads(line).get("id") == rid:
                            ok[0] = True
                            return
                    except ValueError:
                        return
            except (OSError, ValueError):
                return
            finally:
                done.set()

        t = threading.Thread(target=drain, name="trove-helper-cancel", daemon=True)
        t.start()
        try:
            done.wait(CANCEL_GRACE)
        except KeyboardInterrupt:
            pass
        if not ok[0]:
            self._kill()
            t.join(1)

    def _after_fork(self) -> None:
        # This process's copies of the parent's pipes: closing them here does
        # not affect the parent (the stdin buffer is empty: every request is
        # flushed while the lock is held).
        for f in (self.stdin, self.stdout):
            if f is not None:
                try:
                    f.close()
                except (OSError, ValueError):
                    pass
        if self.proc is not None:
            # Not this process's child: never wait for it, nor warn about it.
            self.proc.returncode = 0
        self.proc = self.stdin = self.stdout = None
        self.generation += 1
        self.owner = os.getpid()

    def close(self, grace: float) -> None:
        """Close the helper's stdin and wait up to grace seconds for it to
        exit, then kill it."""
        if self.proc is None or self.owner != os.getpid():
            return
        proc = self.proc
        try:
            if self.stdin is not None:
                self.stdin.close()
        except OSError:
            pass
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        self._forget()


_helper = _Helper()
_lock_reset = threading.Lock  # re-made in a forked child


def _reinit_after_fork() -> None:
    # The parent's lock may have been held by another thread at fork time.
    _helper.lock = _lock_reset()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reinit_after_fork)


def call(op: str, args: Optional[Dict[str, Any]] = None, *, client: Optional[Dict[str, str]] = None) -> Any:
    """Send one request and return its result.

    ``args`` gets ``cwd`` and, when ``client`` is given, ``client``.

    Raises:
        trove.errors.Error: the helper's answer was an error (the subclass
            for its kind).
        trove.errors.HelperDied: the helper exited before answering.
        trove.errors.BinaryNotFound: there is no binary to start.
    """
    a: Dict[str, Any] = dict(args or {})
    if "cwd" not in a:
        try:
            a["cwd"] = os.getcwd()
        except OSError:
            pass  # the working directory was removed: ops that need it say so
    if client is not None:
        a["client"] = client
    with _helper.lock:
        return _helper.call(op, a)


def pid() -> Optional[int]:
    """The process id of the running helper, or None when none is running."""
    p = _helper.proc
    return p.pid if p is not None and _helper.owner == os.getpid() else None


def generation() -> int:
    """A number that changes whenever a new helper process starts (or this
    process was forked): runs remember it to tell they were lost."""
    return _helper.generation if _helper.owner == os.getpid() else _helper.generation + 1


def shutdown(grace: float = EXIT_GRACE) -> None:
    """Stop the helper: close its stdin, wait up to ``grace`` seconds, kill.

    The next call starts a new one. Waits up to ``grace`` seconds for a
    request in flight in another thread; kills the helper if it does not end.
    """
    if _helper.lock.acquire(timeout=grace):
        try:
            _helper.close(grace)
        finally:
            _helper.lock.release()
    else:
        p = _helper.proc
        if p is not None and _helper.owner == os.getpid():
            try:
                p.kill()
            except OSError:
                pass


# ---- interpreter exit ----------------------------------------------------

_uncaught = False
_prev_excepthook = sys.excepthook


def _excepthook(etype, value, tb):  # type: ignore[no-untyped-def]
    global _uncaught
    _uncaught = True
    _prev_excepthook(etype, value, tb)


sys.excepthook = _excepthook

#: Called at exit with the exit code for the current run; set by the run
#: module so that this module does not import it.
on_exit: Optional[Any] = None


def _atexit() -> None:
    if _helper.owner != os.getpid():
        return
    if on_exit is not None:
        try:
            on_exit(1 if _uncaught else 0)
        except errors.Error as e:
            print(f"trove: finishing the run at exit: {e}", file=sys.stderr)
        except Exception as e:  # never let exit raise
            print(f"trove: finishing the run at exit: {e!r}", file=sys.stderr)
    shutdown()


atexit.register(_atexit)
