#!/usr/bin/env python3
"""Builds Trove's Python wheels, with the standard library only.

Run as a script, it builds the **platform wheel**: the ``trove`` package, the
``trove`` binary (built here with Go, static, for the current platform or the
one given with ``--platform``) as ``trove/_bin/trove``, and the ``trove``
command, as ruff and uv ship theirs. The wheel path is the last line of
stdout::

    python3 python/build_wheel.py                 # -> dist/trove-<v>-py3-none-<platform>.whl
    python3 python/build_wheel.py --platform darwin/arm64 --out /tmp/wheels

Imported by pip (it is the PEP 517 build backend named in pyproject.toml), it
builds the **pure wheel** and the sdist of ``pip install ./python``: the
package only, no binary and no ``trove`` command, so a pure install never
shadows a ``trove`` already on PATH; the package then runs ``$TROVE_BIN`` or
``trove`` on PATH. Being in the tree and needing nothing outside the standard
library, the backend works offline, with ``--no-build-isolation`` or without,
whatever setuptools or wheel the interpreter has (none at all is fine).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import os
import platform
import re
import stat
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

NAME = "trove"
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
PACKAGE = os.path.join(HERE, NAME)
SUMMARY = "Versioned ML artifacts and their lineage: the Python client of Trove"
REQUIRES_PYTHON = ">=3.9"
# Fixed timestamps make the same inputs give the same wheel, byte for byte.
ZIP_DATE = (1980, 1, 1, 0, 0, 0)

# Wheel platform tags for a static Go binary (CGO_ENABLED=0: no libc at all,
# so every glibc and musl Linux runs it). Keys are GOOS/GOARCH.
PLATFORM_TAGS: Dict[str, List[str]] = {
    "linux/amd64": ["manylinux_2_17_x86_64", "manylinux2014_x86_64", "musllinux_1_2_x86_64"],
    "linux/arm64": ["manylinux_2_17_aarch64", "manylinux2014_aarch64", "musllinux_1_2_aarch64"],
    # Go 1.25 and later need macOS 12.
    "darwin/amd64": ["macosx_12_0_x86_64"],
    "darwin/arm64": ["macosx_12_0_arm64"],
    "windows/amd64": ["win_amd64"],
    "windows/arm64": ["win_arm64"],
}


def version() -> str:
    """The package version: ``__version__`` in trove/_version.py or trove/__init__.py.

    That is the one place it is written; the wheel, the sdist and the bundled
    binary (``trove --version``) take it from there.
    """
    for name in ("_version.py", "__init__.py"):
        path = os.path.join(PACKAGE, name)
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except FileNotFoundError:
            continue
        m = re.search(r"""^__version__\s*(?::\s*str\s*)?=\s*["']([^"']+)["']""", text, re.M)
        if m:
            return m.group(1)
    raise SystemExit("build_wheel: no __version__ = \"...\" in trove/_version.py or trove/__init__.py")


def metadata(ver: str) -> str:
    """The METADATA (core metadata 2.1) of the wheel and the sdist's PKG-INFO."""
    lines = [
        "Metadata-Version: 2.1",
        "Name: " + NAME,
        "Version: " + ver,
        "Summary: " + SUMMARY,
        "Requires-Python: " + REQUIRES_PYTHON,
        "Classifier: Programming Language :: Python :: 3",
        "Classifier: Typing :: Typed",
        "Description-Content-Type: text/markdown",
    ]
    readme = os.path.join(HERE, "README.md")
    body = ""
    if os.path.exists(readme):
        with open(readme, encoding="utf-8") as f:
            body = f.read()
    return "\n".join(lines) + "\n\n" + body


def package_files() -> Iterator[Tuple[str, str]]:
    """(archive name, source path) of every file of the package, sorted.

    Compiled files, caches and trove/_bin (a binary left by hand) are left out:
    only the platform wheel carries a binary, and only the one built for it.
    """
    out = []
    for root, dirs, files in os.walk(PACKAGE):
        rel = os.path.relpath(root, HERE)
        dirs[:] = [d for d in dirs if d != "__pycache__" and not (rel == NAME and d == "_bin")]
        for f in files:
            if f.endswith((".pyc", ".pyo")) or f.startswith("."):
                continue
            out.append((os.path.join(rel, f).replace(os.sep, "/"), os.path.join(root, f)))
    return iter(sorted(out))


def _record_hash(data: bytes) -> str:
    digest = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class _WheelWriter:
    """Writes a wheel: a zip whose dist-info/RECORD lists every file's hash."""

    def __init__(self, path: str) -> None:
        self._zip = zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED)
        self._records: List[str] = []

    def add(self, name: str, data: bytes, executable: bool = False) -> None:
        info = zipfile.ZipInfo(name, ZIP_DATE)
        mode = 0o755 if executable else 0o644
        info.external_attr = (stat.S_IFREG | mode) << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        self._zip.writestr(info, data)
        self._records.append("%s,%s,%d" % (name, _record_hash(data), len(data)))

    def add_file(self, name: str, path: str, executable: bool = False) -> None:
        with open(path, "rb") as f:
            self.add(name, f.read(), executable)

    def close(self, record_name: str) -> None:
        self._records.append(record_name + ",,")
        info = zipfile.ZipInfo(record_name, ZIP_DATE)
        info.external_attr = (stat.S_IFREG | 0o644) << 16
        self._zip.writestr(info, "\n".join(self._records) + "\n")
        self._zip.close()


def _dist_info_files(ver: str, tags: Sequence[str], purelib: bool, scripts: bool) -> Dict[str, str]:
    wheel = ["Wheel-Version: 1.0", "Generator: trove build_wheel.py", "Root-Is-Purelib: " + ("true" if purelib else "false")]
    wheel += ["Tag: " + t for t in tags]
    files = {"METADATA": metadata(ver), "WHEEL": "\n".join(wheel) + "\n"}
    if scripts:
        files["entry_points.txt"] = "[console_scripts]\ntrove = trove._cli:main\n"
    return files


def write_wheel(
    out_dir: str,
    tags: Sequence[str],
    binary: Optional[str] = None,
    binary_name: str = "trove",
    extra: Sequence[Tuple[str, bytes]] = (),
    with_package: bool = True,
) -> str:
    """Writes the wheel into out_dir and returns its file name.

    tags are the full tags (``py3-none-any``); with binary, the file is
    bundled as trove/_bin/<binary_name> (executable) and the wheel gets the
    ``trove`` command.
    """
    ver = version()
    dist_info = "%s-%s.dist-info" % (NAME, ver)
    # Compressed tag set: py3-none-a.b.c for tags that differ only in platform.
    platforms = ".".join(t.split("-", 2)[2] for t in tags)
    filename = "%s-%s-py3-none-%s.whl" % (NAME, ver, platforms)
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, filename)
    tmp = path + ".tmp"
    w = _WheelWriter(tmp)
    try:
        if with_package:
            for name, src in package_files():
                w.add_file(name, src)
        for name, data in extra:
            w.add(name, data)
        if binary:
            w.add_file("%s/_bin/%s" % (NAME, binary_name), binary, executable=True)
        for name, text in _dist_info_files(ver, tags, purelib=binary is None, scripts=binary is not None).items():
            w.add("%s/%s" % (dist_info, name), text.encode("utf-8"))
        w.close(dist_info + "/RECORD")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return filename


# PEP 517 / PEP 660 hooks: the pure wheel, the sdist, the editable wheel.


def get_requires_for_build_wheel(config_settings=None) -> List[str]:
    return []


def get_requires_for_build_sdist(config_settings=None) -> List[str]:
    return []


def get_requires_for_build_editable(config_settings=None) -> List[str]:
    return []


def prepare_metadata_for_build_wheel(metadata_directory: str, config_settings=None) -> str:
    ver = version()
    dist_info = "%s-%s.dist-info" % (NAME, ver)
    d = os.path.join(metadata_directory, dist_info)
    os.makedirs(d, exist_ok=True)
    for name, text in _dist_info_files(ver, ["py3-none-any"], purelib=True, scripts=False).items():
        with open(os.path.join(d, name), "w", encoding="utf-8") as f:
            f.write(text)
    return dist_info


prepare_metadata_for_build_editable = prepare_metadata_for_build_wheel


def build_wheel(wheel_directory: str, config_settings=None, metadata_directory=None) -> str:
    return write_wheel(wheel_directory, ["py3-none-any"])


def build_editable(wheel_directory: str, config_settings=None, metadata_directory=None) -> str:
    # A .pth naming this directory: `import trove` then reads the checkout.
    return write_wheel(
        wheel_directory, ["py3-none-any"], extra=[("trove-editable.pth", (HERE + "\n").encode("utf-8"))], with_package=False
    )


SDIST_FILES = ["pyproject.toml", "build_wheel.py", "README.md", "PROTOCOL.md"]


def build_sdist(sdist_directory: str, config_settings=None) -> str:
    ver = version()
    base = "%s-%s" % (NAME, ver)
    filename = base + ".tar.gz"
    os.makedirs(sdist_directory, exist_ok=True)
    path = os.path.join(sdist_directory, filename)

    def add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
        info = tarfile.TarInfo(base + "/" + name)
        info.size, info.mode, info.mtime = len(data), 0o644, 315532800
        tar.addfile(info, io.BytesIO(data))

    with tarfile.open(path, "w:gz", format=tarfile.PAX_FORMAT) as tar:
        add(tar, "PKG-INFO", metadata(ver).encode("utf-8"))
        for name in SDIST_FILES:
            src = os.path.join(HERE, name)
            if os.path.exists(src):
                with open(src, "rb") as f:
                    add(tar, name, f.read())
        for name, src in package_files():
            with open(src, "rb") as f:
                add(tar, name, f.read())
    return filename


# The script: the platform wheel.


def host_platform() -> str:
    """GOOS/GOARCH of this machine."""
    goos = {"linux": "linux", "darwin": "darwin", "win32": "windows"}.get(sys.platform, sys.platform)
    machine = platform.machine().lower()
    goarch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(machine, machine)
    return goos + "/" + goarch


def build_binary(goos_arch: str, out: str, ver: str, go: str) -> None:
    """Builds ./cmd/trove for goos_arch into out: static, stripped, -trimpath."""
    goos, goarch = goos_arch.split("/")
    env = dict(os.environ, CGO_ENABLED="0", GOOS=goos, GOARCH=goarch)
    cmd = [go, "build", "-trimpath", "-ldflags", "-s -w -X main.version=" + ver, "-o", out, "./cmd/trove"]
    try:
        subprocess.run(cmd, cwd=REPO, env=env, check=True)
    except FileNotFoundError:
        raise SystemExit("build_wheel: %r not found: the platform wheel needs Go (https://go.dev/dl/) or --binary" % go)
    except subprocess.CalledProcessError as e:
        raise SystemExit("build_wheel: go build failed (exit %d)" % e.returncode)


def main(argv: Optional[Sequence[str]] = None) -> int:
    p = argparse.ArgumentParser(description="Build the platform wheel of Trove's Python package (package + trove binary).")
    p.add_argument("--out", default="dist", help="directory for the wheel (default: ./dist)")
    p.add_argument("--platform", default=host_platform(), help="GOOS/GOARCH to build for (default: this machine, %(default)s)")
    p.add_argument("--binary", help="a trove binary built already, bundled instead of building one")
    p.add_argument("--go", default=os.environ.get("GO", "go"), help="the go command (default: $GO, else go)")
    args = p.parse_args(argv)

    plat = args.platform
    if plat not in PLATFORM_TAGS:
        raise SystemExit("build_wheel: no wheel tag for %s; known: %s" % (plat, ", ".join(sorted(PLATFORM_TAGS))))
    ver = version()
    binary_name = "trove.exe" if plat.startswith("windows/") else "trove"
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="trove-wheel-") as tmp:
        # The binary is built outside the source tree: a trove/_bin/trove left
        # there would be run, stale, by everything using the checkout.
        binary = args.binary
        if not binary:
            binary = os.path.join(tmp, binary_name)
            build_binary(plat, binary, ver, args.go)
        built = time.monotonic()
        tags = ["py3-none-" + t for t in PLATFORM_TAGS[plat]]
        out = os.path.abspath(args.out)
        filename = write_wheel(out, tags, binary=binary, binary_name=binary_name)
    path = os.path.join(out, filename)
    print(
        "build_wheel: %s %s: binary %.1fs, wheel %.1fs, %.1f MB"
        % (NAME, ver, built - start, time.monotonic() - built, os.path.getsize(path) / 1e6),
        file=sys.stderr,
    )
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
