"""What the tests share: the test mode, isolated projects, scratch files.

The Go harness (python/harness_test.go) runs this suite once per mode, with

    TROVE_TEST_MODE=embedded  TROVE_URL=<fresh data dir>
    TROVE_TEST_MODE=server    TROVE_URL=http://127.0.0.1:PORT  TROVE_API_KEY=<alice's key>
                              TROVE_TEST_ADMIN_KEY=<admin key>  TROVE_TEST_USER=alice

plus TROVE_BIN and TROVE_CACHE_DIR. The same test bodies run in both modes;
each test class works in a project of its own, so tests do not see each
other's artifacts.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import unittest
from typing import Dict, List, Optional

import trove
from trove import _helper

MODE = os.environ.get("TROVE_TEST_MODE", "embedded")
SERVER = MODE == "server"
PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def unique(prefix: str) -> str:
    """A name no other test uses."""
    return f"{prefix}-{secrets.token_hex(4)}"


def trove_cli(*args: str, env: Optional[Dict[str, str]] = None, check: bool = True) -> subprocess.CompletedProcess:  # type: ignore[type-arg]
    """Run the trove binary the helper runs, with the test's environment."""
    e = dict(os.environ)
    e.update(env or {})
    p = subprocess.run(
        [_helper.find_binary(), *args], env=e, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60
    )
    if check and p.returncode != 0:
        raise AssertionError(f"trove {' '.join(args)}: exit {p.returncode}: {p.stderr}")
    return p


def run_python(code: str, env: Optional[Dict[str, str]] = None, cwd: Optional[str] = None) -> subprocess.CompletedProcess:  # type: ignore[type-arg]
    """Run a Python program that imports this trove package."""
    e = dict(os.environ)
    e["PYTHONPATH"] = PYTHON_DIR + os.pathsep + e.get("PYTHONPATH", "")
    e.update(env or {})
    return subprocess.run(
        [sys.executable, "-c", code], env=e, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60
    )


class TroveTestCase(unittest.TestCase):
    """A test class with a project of its own (TROVE_PROJECT) and a scratch
    directory that is the working directory during each test."""

    project: str
    _saved_env: Dict[str, Optional[str]]

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.project = unique(cls.__name__.lower()[:30])
        cls._saved_env = {"TROVE_PROJECT": os.environ.get("TROVE_PROJECT")}
        os.environ["TROVE_PROJECT"] = cls.project

    @classmethod
    def tearDownClass(cls) -> None:
        for k, v in cls._saved_env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        super().tearDownClass()

    def setUp(self) -> None:
        super().setUp()
        self.tmp = tempfile.mkdtemp(prefix="trove-pytest-")
        self._cwd = os.getcwd()
        os.chdir(self.tmp)
        self.addCleanup(self._restore)

    def _restore(self) -> None:
        os.chdir(self._cwd)
        r = trove.run
        if r is not None:
            try:
                r.finish()
            except trove.errors.Error:
                pass
        shutil.rmtree(self.tmp, ignore_errors=True)

    # ---- scratch files ---------------------------------------------------

    def write(self, rel: str, content: str = "x") -> str:
        """Write a file under the scratch dir and return its absolute path."""
        p = os.path.join(self.tmp, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as f:
            f.write(content)
        return p

    def tree(self, files: Dict[str, str], root: str = "tree") -> str:
        """Write files (relative path → content) under root; return root."""
        for rel, content in files.items():
            self.write(os.path.join(root, rel), content)
        return os.path.join(self.tmp, root)

    def read(self, path: str) -> str:
        with open(path) as f:
            return f.read()

    # ---- the store ---------------------------------------------------------

    def log(self, name: str, files: Dict[str, str], type: str = "dataset", aliases: Optional[List[str]] = None, **kw: object) -> trove.Artifact:
        """Log files as a version of name in a run of its own."""
        with trove.init(job_type="log") as run:
            a = trove.Artifact(name, type, **kw)  # type: ignore[arg-type]
            for rel, content in files.items():
                with a.new_file(rel) as f:
                    f.write(content)
            return run.log_artifact(a, aliases=aliases)

    def versions(self, name: str) -> List[str]:
        """The version labels of name (and their aliases), or [] when the
        collection does not exist: what tests compare before and after bad
        input."""
        try:
            vs = trove.Api().artifact_versions(None, name)
        except trove.errors.NotFound:
            return []
        return [f"{v.version}:{','.join(sorted(v.aliases))}:{v.digest}:{v.description}:{sorted(v.metadata.items())}" for v in vs]
