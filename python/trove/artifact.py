"""Artifacts: versioned folders of files and references.

An :class:`Artifact` is built locally (``Artifact("bike-dataset", "dataset")``,
then ``add_file``, ``add_dir``, ``new_file``, ``add_reference``, ``add``) and
becomes a version of a collection when a run logs it (``run.log_artifact``)
or uses it (``run.use_artifact``). The same object is then filled with its
version: ``name`` becomes ``bike-dataset:v0`` and ``version``, ``digest``,
``size``, ``aliases``, … are set. Artifacts fetched with ``run.use_artifact``
or ``Api().artifact`` are such logged artifacts too.

Building records what to add; the files are read (hashed, uploaded) by the
``trove`` helper only when the artifact is logged, so a file changed between
``add_file`` and ``log_artifact`` is logged as it is at logging time.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
import re
import shutil
import tempfile
import weakref
from typing import (
    IO,
    TYPE_CHECKING,
    Any,
    Dict,
    Iterator,
    List,
    Optional,
    Sequence,
    Union,
)

from . import _helper, errors
from .data_types import PARTITIONED_SUFFIX, TABLE_SUFFIX, PartitionedTable, Table

if TYPE_CHECKING:  # pragma: no cover
    from ._run import Run

__all__ = ["Artifact", "Entry", "Reference"]

PathLike = Union[str, "os.PathLike[str]"]

_NAME_RE = re.compile(r"[A-Za-z0-9._-]{1,128}")


def parse_time(s: Optional[str]) -> Optional[_dt.datetime]:
    """Parse an RFC 3339 time as the helper writes it (nanoseconds, ``Z``)."""
    if not s:
        return None
    m = re.match(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$", s)
    if not m:
        raise errors.Internal(f"trove helper sent a time that is not RFC 3339: {s!r}")
    frac = (m.group(2) or "")[:7]  # a dot and at most 6 digits
    if frac:
        frac = frac.ljust(7, "0")
    tz = "+00:00" if m.group(3) == "Z" else m.group(3)
    return _dt.datetime.fromisoformat(m.group(1) + frac + tz)


def _check_entry_path(p: str, what: str = "path") -> str:
    """Check an entry path early, with the store's rules for the common
    mistakes (the helper checks everything again when the artifact is
    logged)."""
    if not isinstance(p, str):
        raise errors.Invalid(f"{what} must be a string, not {type(p).__name__}")
    if p == "":
        raise errors.Invalid(f"{what} is empty")
    if p.startswith("/"):
        raise errors.Invalid(f"{what} {p!r} is absolute; entry paths are relative")
    if any(ord(c) < 0x20 or c in "\x7f\\" for c in p):
        raise errors.Invalid(f"{what} {p!r} contains a control character or backslash")
    for seg in p.split("/"):
        if seg == "":
            raise errors.Invalid(f"{what} {p!r} has an empty segment")
        if seg in (".", ".."):
            raise errors.Invalid(f"{what} {p!r} has a {seg!r} segment")
    return p


def _aliases(a: Union[None, str, Sequence[str]]) -> List[str]:
    if a is None:
        return []
    if isinstance(a, str):
        return [a]
    out = list(a)
    for x in out:
        if not isinstance(x, str):
            raise errors.Invalid(f"alias {x!r} is not a string")
    return out


def _ttl_seconds(ttl: Optional[_dt.timedelta]) -> Optional[float]:
    if ttl is None:
        return None
    if isinstance(ttl, _dt.timedelta):
        return ttl.total_seconds()
    raise errors.Invalid(f"ttl must be a datetime.timedelta or None, not {type(ttl).__name__}")


def _jsonable_dict(d: Optional[Dict[str, Any]], what: str) -> Optional[Dict[str, Any]]:
    if d is None:
        return None
    if not isinstance(d, dict):
        raise errors.Invalid(f"{what} must be a dict, not {type(d).__name__}")
    try:
        json.dumps(d, allow_nan=False)
    except (TypeError, ValueError) as e:
        raise errors.Invalid(f"{what} is not JSON: {e}") from None
    return d


class Reference(str):
    """The reference URI of an entry: a string, empty for a stored file.

    It reads as the URI (``entry.ref == "s3://bucket/model.h5"``) and can be
    called, as in the reference's walkthrough: ``entry.ref()`` returns the URI,
    or None for a file stored in the artifact.
    """

    def __call__(self) -> Optional[str]:
        return str(self) or None


class Entry:
    """One entry (file or reference) of a logged artifact.

    Attributes:
        path: the entry's path inside the artifact (``images/cat.png``).
        digest: ``sha256:<hex>`` of a stored file; for a reference, derived
            from the remote's checksum information.
        size: size in bytes.
        ref: the reference URI (see :class:`Reference`), ``""`` for a file.
    """

    def __init__(self, artifact: "Artifact", d: Dict[str, Any]) -> None:
        self._artifact = artifact
        self.path: str = d.get("path", "")
        self.digest: str = d.get("digest", "")
        self.size: int = int(d.get("size", 0) or 0)
        self.ref: Reference = Reference(d.get("ref") or "")

    @property
    def name(self) -> str:
        """The entry's path (the name it was added under)."""
        return self.path

    def download(self, root: Optional[PathLike] = None) -> str:
        """Download this file only (a reference is fetched from where it
        points) and return the absolute path of the local copy. It goes under
        ``root``, by default the artifact's default download directory
        ``./artifacts/<name:vN>``; a valid copy already there is kept."""
        a = self._artifact
        res = _helper.call(
            "download_entry",
            {"ref": a.qualified_name, "path": self.path, "root": _abs(root)},
            client=a._client_spec(),
        )
        return str(res["path"])

    def __repr__(self) -> str:
        return f"<Entry {self.path} {self.digest} {self.size}>"


def _abs(p: Optional[PathLike]) -> Optional[str]:
    return None if p is None else os.path.abspath(os.fspath(p))


class Artifact:
    """A versioned folder of files and references.

    Create one with a name and a type, add contents, and log it from a run::

        artifact = trove.Artifact("bike-dataset", type="dataset")
        artifact.add_file("bicycle-data.h5")
        run.log_artifact(artifact)

    Args:
        name: the collection name, used to refer to the artifact later
            (``bike-dataset:v1``): 1 to 128 letters, digits, ``_``, ``-``, ``.``.
        type: what kind of artifact it is, for organising them (``dataset``,
            ``model``, ``result``, or any type of your own).
        description: free text shown with the version.
        metadata: structured data about the artifact (a JSON-able dict), such
            as the class distribution of a dataset.
        incremental: accepted for compatibility; a draft of an existing
            version is made with :meth:`new_draft`.

    Logging the same content twice creates no new version: the aliases move to
    the existing one.
    """

    def __init__(
        self,
        name: str,
        type: str,
        description: Optional[str] = None,
        metadata: Optional[Dict[str, Any]] = None,
        incremental: bool = False,
    ) -> None:
        if not isinstance(name, str) or not _NAME_RE.fullmatch(name):
            raise errors.Invalid(
                f"artifact name {name!r} is not valid: use 1 to 128 letters, digits, '_', '-' or '.'"
            )
        if not isinstance(type, str) or not type:
            raise errors.Invalid("artifact type is empty: give one, such as 'dataset' or 'model'")
        self._setup(name, type, description, metadata)

    def _setup(self, name: str, type: str, description: Optional[str], metadata: Optional[Dict[str, Any]]) -> None:
        self._name = name
        self._type = type
        self.description: Optional[str] = description
        self._metadata: Dict[str, Any] = dict(_jsonable_dict(metadata, "metadata") or {})
        self.distributed_id: Optional[str] = None
        self._ttl: Optional[_dt.timedelta] = None
        self._ttl_changed = False
        self._aliases: List[str] = []
        self._ops: List[Dict[str, Any]] = []
        self._objects: Dict[str, Any] = {}
        self._base: Optional[str] = None
        self._tmpdir: Optional[str] = None
        self._tmp_finalizer: Optional[weakref.finalize] = None
        self._tmp_count = 0
        self._version: Optional[Dict[str, Any]] = None
        self._client: Optional[Dict[str, str]] = None
        self._deleted = False

    # ---- constructed from the store ------------------------------------

    @classmethod
    def _from_version(cls, v: Dict[str, Any], client: Dict[str, str]) -> "Artifact":
        a = cls.__new__(cls)
        a._setup(str(v.get("name", "")), str(v.get("type", "")), None, None)
        a._fill(v, client)
        return a

    def _fill(self, v: Dict[str, Any], client: Dict[str, str]) -> None:
        self._version = v
        self._client = client
        self._name = v.get("name", self._name)
        self._type = v.get("type", self._type)
        self.description = v.get("description") or ""
        self._metadata = dict(v.get("metadata") or {})
        self._aliases = list(v.get("aliases") or [])
        ttl = v.get("ttl")
        self._ttl = None if ttl is None else _dt.timedelta(seconds=float(ttl))
        self._ttl_changed = False
        self._ops = []
        self._base = None
        self._deleted = v.get("state") == "deleted"
        self._drop_tmp()

    def _drop_tmp(self) -> None:
        if self._tmp_finalizer is not None:
            self._tmp_finalizer()
        self._tmpdir = None
        self._tmp_finalizer = None

    def _logged(self) -> Dict[str, Any]:
        if self._version is None:
            raise errors.NotLogged(f"artifact {self._name} has not been logged yet: log it with run.log_artifact first")
        return self._version

    def _client_spec(self) -> Dict[str, str]:
        return self._client if self._client is not None else _helper.client_spec()

    def _local(self, what: str) -> None:
        if self._version is not None:
            raise errors.Conflict(
                f"artifact {self.name} was already logged: it is final; "
                f"{what} on a new artifact, or on artifact.new_draft()"
            )

    # ---- identity --------------------------------------------------------

    @property
    def name(self) -> str:
        """The artifact's name: ``bike-dataset`` before it is logged,
        ``bike-dataset:v0`` (name and version) after."""
        if self._version is not None:
            return f"{self._name}:{self._version.get('version', '')}"
        return self._name

    @property
    def qualified_name(self) -> str:
        """``entity/project/name:vN``: the full reference of this version."""
        return str(self._logged().get("ref", ""))

    @property
    def source_qualified_name(self) -> str:
        """For a registry link, the full reference of the version it links;
        else :attr:`qualified_name`."""
        v = self._logged()
        return str(v.get("source") or v.get("ref", ""))

    @property
    def version(self) -> str:
        """The version label, ``v0``, ``v1``, …"""
        return str(self._logged().get("version", ""))

    @property
    def entity(self) -> str:
        """The entity (user or team) that owns the version's project."""
        return str(self._logged().get("entity", ""))

    @property
    def project(self) -> str:
        """The project the version belongs to."""
        return str(self._logged().get("project", ""))

    @property
    def type(self) -> str:
        """The artifact's type (``dataset``, ``model``, …)."""
        return self._type

    @property
    def digest(self) -> str:
        """The version's content digest (``sha256:<hex>`` over its manifest):
        the same content always has the same digest."""
        return str(self._logged().get("digest", ""))

    @property
    def size(self) -> int:
        """Total size in bytes of the version's entries."""
        return int(self._logged().get("size", 0) or 0)

    @property
    def file_count(self) -> int:
        """Number of entries in the version."""
        return int(self._logged().get("file_count", 0) or 0)

    @property
    def state(self) -> str:
        """``PENDING`` before logging; the store's state after
        (``committed``, ``deleted``)."""
        if self._version is None:
            return "PENDING"
        return "deleted" if self._deleted else str(self._version.get("state", ""))

    @property
    def created_at(self) -> Optional[_dt.datetime]:
        """When the version was created (an aware datetime, UTC)."""
        return parse_time(self._logged().get("created_at"))

    @property
    def expires_at(self) -> Optional[_dt.datetime]:
        """When the version expires (created_at + ttl), or None."""
        return parse_time(self._logged().get("expires_at"))

    @property
    def id(self) -> str:
        """A stable identifier of the version (its full reference)."""
        return self.qualified_name

    # ---- editable fields -------------------------------------------------

    @property
    def metadata(self) -> Dict[str, Any]:
        """Structured data about the artifact. Edit the dict in place or
        assign a new one, then call :meth:`save` (for a logged version)."""
        return self._metadata

    @metadata.setter
    def metadata(self, value: Dict[str, Any]) -> None:
        self._metadata = dict(_jsonable_dict(value, "metadata") or {})

    @property
    def aliases(self) -> List[str]:
        """The version's aliases. Append to, remove from or replace the list,
        then call :meth:`save`. ``latest`` is managed by Trove: it always
        points at the highest version, whatever the list says.

        Before logging, aliases set here are given to the version when it is
        logged (with those passed to ``log_artifact``)."""
        return self._aliases

    @aliases.setter
    def aliases(self, value: Union[str, Sequence[str]]) -> None:
        self._aliases = _aliases(value)

    @property
    def ttl(self) -> Optional[_dt.timedelta]:
        """How long the version is kept after it is created (a
        ``datetime.timedelta``), or None to keep it until deleted. Set it
        before logging, or on a logged version and then :meth:`save`."""
        return self._ttl

    @ttl.setter
    def ttl(self, value: Optional[_dt.timedelta]) -> None:
        _ttl_seconds(value)
        self._ttl = value
        self._ttl_changed = True

    # ---- building --------------------------------------------------------

    def _tmp(self) -> str:
        if self._tmpdir is None:
            self._tmpdir = tempfile.mkdtemp(prefix="trove-artifact-")
            self._tmp_finalizer = weakref.finalize(self, shutil.rmtree, self._tmpdir, True)
        return self._tmpdir

    def _tmp_path(self, name: str) -> str:
        self._tmp_count += 1
        base = os.path.basename(name)[-80:]
        return os.path.join(self._tmp(), f"{self._tmp_count}-{base}")

    def add_file(self, local_path: PathLike, name: Optional[str] = None, **_ignored: Any) -> None:
        """Add a local file, stored as ``name`` when given, else as its base
        name: ``add_file("checkpoints/model.h5")`` stores ``model.h5``,
        ``add_file("model.h5", name="models/mymodel.h5")`` stores
        ``models/mymodel.h5``.

        Raises:
            trove.errors.NotFound: there is no such file.
            trove.errors.Invalid: it is a directory, or ``name`` is not a
                valid entry path (absolute, ``..``, empty segments).
        """
        self._local("add_file")
        p = os.path.abspath(os.fspath(local_path))
        if not os.path.exists(p):
            raise errors.NotFound(f"add file: {local_path}: no such file")
        if os.path.isdir(p):
            raise errors.Invalid(f"add file {local_path}: is a directory; use add_dir")
        entry = name if name is not None else os.path.basename(p)
        _check_entry_path(entry, "entry name")
        self._ops.append({"op": "file", "path": p, "name": name or ""})

    def add_dir(self, local_path: PathLike, name: Optional[str] = None, **_ignored: Any) -> None:
        """Add every file under a local directory, recursively, with paths
        relative to it, under the prefix ``name`` when given:
        ``add_dir("images")`` stores ``cat.png``, ``add_dir("images",
        name="images")`` stores ``images/cat.png``.

        Raises:
            trove.errors.NotFound: there is no such directory.
            trove.errors.Invalid: it is not a directory, or ``name`` is not a
                valid entry path.
        """
        self._local("add_dir")
        p = os.path.abspath(os.fspath(local_path))
        if not os.path.exists(p):
            raise errors.NotFound(f"add dir: {local_path}: no such directory")
        if not os.path.isdir(p):
            raise errors.Invalid(f"add dir {local_path}: not a directory; use add_file")
        if name:
            _check_entry_path(name.rstrip("/"), "prefix")
        self._ops.append({"op": "dir", "path": p, "name": (name or "").rstrip("/")})

    @contextlib.contextmanager
    def new_file(self, name: str, mode: str = "w", encoding: Optional[str] = None) -> Iterator[IO[Any]]:
        """Open a new file, stored as ``name`` in the artifact, to write its
        content into::

            with artifact.new_file("hello.txt") as f:
                f.write("hello")

        The file lives in a private temporary directory until the artifact
        is logged. If the block raises, nothing is added.
        """
        self._local("new_file")
        _check_entry_path(name, "entry name")
        if not any(c in mode for c in "wxa"):
            raise errors.Invalid(f"new_file: mode {mode!r} does not write")
        p = self._tmp_path(name)
        f = open(p, mode, encoding=encoding)
        try:
            yield f
        except BaseException:
            f.close()
            os.remove(p)
            raise
        f.close()
        self._ops.append({"op": "file", "path": p, "name": name})

    def add_reference(
        self,
        uri: str,
        name: Optional[str] = None,
        checksum: bool = True,
        max_objects: Optional[int] = None,
        allow_html: bool = False,
    ) -> None:
        """Add a reference to an external object (or to every object under a
        prefix) instead of a copy of it: ``http(s)://``, ``s3://``, ``gs://``
        or ``file://``.

        With ``checksum=True`` the remote's checksum, version and size are
        recorded when the artifact is logged, so a later change is detected;
        with ``checksum=False`` only the URI is kept. ``name`` names the entry
        of a single object, or is the folder the objects under a prefix go in;
        without it an object is named by its base name. ``max_objects``
        bounds how many objects a prefix may expand to. An ``http(s)`` URL
        that answers with an HTML page although it names no ``.html`` file
        (most likely a directory listing) is refused when the artifact is
        logged, unless ``allow_html=True``.
        """
        self._local("add_reference")
        if not isinstance(uri, str) or "://" not in uri:
            raise errors.Invalid(f"reference {uri!r} is not a URI (want http(s)://, s3://, gs:// or file://)")
        if name is not None:
            _check_entry_path(name.rstrip("/"), "reference name")
        if max_objects is not None and (not isinstance(max_objects, int) or max_objects <= 0):
            raise errors.Invalid(f"max_objects {max_objects!r}: want a positive integer")
        self._ops.append(
            {"op": "reference", "uri": uri, "name": name or "", "checksum": bool(checksum), "max_objects": max_objects,
             "allow_html": bool(allow_html)}
        )

    def remove(self, item: Union[str, "Entry"]) -> None:
        """Remove an entry (or every entry under a folder) from the artifact:
        from what was added so far, or from what a draft inherited."""
        self._local("remove")
        path = item.path if isinstance(item, Entry) else item
        _check_entry_path(str(path).rstrip("/"), "path")
        self._ops.append({"op": "remove", "path": str(path).rstrip("/")})

    def add(self, obj: Union[Table, PartitionedTable], name: str) -> None:
        """Add a :class:`~trove.data_types.Table` (stored as
        ``<name>.table.json``) or a
        :class:`~trove.data_types.PartitionedTable` (stored as
        ``<name>.partitioned-table.json``). Read it back with :meth:`get`."""
        self._local("add")
        if isinstance(obj, Table):
            suffix = TABLE_SUFFIX
        elif isinstance(obj, PartitionedTable):
            suffix = PARTITIONED_SUFFIX
        else:
            raise errors.Invalid(f"add: cannot store a {type(obj).__name__}; use Table or PartitionedTable")
        entry = name if name.endswith(suffix) else name + suffix
        _check_entry_path(entry, "name")
        data = obj._dumps()
        p = self._tmp_path(entry)
        with open(p, "wb") as f:
            f.write(data)
        self._ops.append({"op": "file", "path": p, "name": entry})
        self._objects[entry] = obj

    def new_draft(self) -> "Artifact":
        """Return a new, unlogged artifact that starts with this version's
        entries, name, type, description and metadata. Add or remove entries
        and log it to make a new version."""
        v = self._logged()
        if self._deleted:
            raise errors.NotFound(f"artifact version {self.qualified_name} was deleted")
        d = Artifact(self._name, self._type, description=self.description, metadata=json.loads(json.dumps(self._metadata)))
        d._base = str(v.get("ref"))
        d._client = self._client
        return d

    def wait(self, timeout: Optional[float] = None) -> "Artifact":
        """Return the artifact. Logging is synchronous in Trove, so there is
        nothing to wait for; this exists for code written for the reference,
        where logging finishes in the background."""
        return self

    def is_draft(self) -> bool:
        """Report whether the artifact has not been logged yet."""
        return self._version is None

    def _spec(self, distributed_id: Optional[str] = None) -> Dict[str, Any]:
        """The artifact spec of the protocol (what log/use send)."""
        did = distributed_id if distributed_id is not None else self.distributed_id
        return {
            "name": self._name,
            "type": self._type,
            "description": self.description or "",
            "metadata": _jsonable_dict(self._metadata, "metadata") or None,
            "ttl": _ttl_seconds(self._ttl),
            "distributed_id": did or "",
            "allow_empty": False,
            "base": self._base,
            "ops": list(self._ops),
        }

    # ---- reading a logged version ---------------------------------------

    def download(self, root: Optional[PathLike] = None, path_prefix: Optional[str] = None, **_ignored: Any) -> str:
        """Download the version's contents and return the absolute directory
        they are in. Only files not already present and valid are fetched.

        Args:
            root: where to put them; by default ``./artifacts/<name:vN>``.
            path_prefix: download only the entries whose path starts with it.
        """
        self._logged()
        res = _helper.call(
            "download",
            {"ref": self.qualified_name, "root": _abs(root), "path_prefix": path_prefix},
            client=self._client_spec(),
        )
        return str(res["dir"])

    def get_entry(self, name: str) -> Entry:
        """Return the entry at path ``name``; call ``.download()`` on it to
        fetch that file only.

        Raises:
            trove.errors.NotFound: the version has no such entry.
        """
        self._logged()
        d = _helper.call("entry", {"ref": self.qualified_name, "path": name}, client=self._client_spec())
        return Entry(self, d)

    def get_path(self, name: str) -> Entry:
        """The same as :meth:`get_entry`."""
        return self.get_entry(name)

    def files(self, names: Optional[Sequence[str]] = None, per_page: int = 50) -> List[Entry]:
        """The version's entries, sorted by path (only those in ``names`` when
        given)."""
        self._logged()
        es = _helper.call("files", {"ref": self.qualified_name}, client=self._client_spec())
        out = [Entry(self, d) for d in es]
        if names is not None:
            want = set(names)
            out = [e for e in out if e.path in want]
        return out

    def get(self, name: str) -> Optional[Union[Table, PartitionedTable]]:
        """Return the table stored as ``name`` with :meth:`add`
        (``name.table.json`` or ``name.partitioned-table.json``), or None
        when there is none."""
        if self._version is None:
            for entry in (name, name + TABLE_SUFFIX, name + PARTITIONED_SUFFIX):
                if entry in self._objects:
                    return self._objects[entry]  # type: ignore[no-any-return]
            return None
        candidates = [name] if name.endswith((TABLE_SUFFIX, PARTITIONED_SUFFIX)) else [name + TABLE_SUFFIX, name + PARTITIONED_SUFFIX]
        for entry in candidates:
            try:
                self.get_entry(entry)
            except errors.NotFound:
                continue
            tmp = tempfile.mkdtemp(prefix="trove-get-")
            try:
                res = _helper.call(
                    "download_entry",
                    {"ref": self.qualified_name, "path": entry, "root": tmp},
                    client=self._client_spec(),
                )
                with open(res["path"], "rb") as f:
                    obj = json.loads(f.read())
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
            if entry.endswith(PARTITIONED_SUFFIX):
                pt = PartitionedTable.from_json(obj)
                pt._artifact = self
                return pt
            return Table.from_json(obj)
        return None

    def logged_by(self) -> Optional["Run"]:
        """The run that created this version, or None."""
        from ._run import Run

        d = _helper.call("logged_by", {"ref": self.qualified_name}, client=self._client_spec())
        return None if d is None else Run._from_dict(d, self._client_spec())

    def used_by(self) -> List["Run"]:
        """The runs that used this version as an input."""
        from ._run import Run

        ds = _helper.call("used_by", {"ref": self.qualified_name}, client=self._client_spec())
        return [Run._from_dict(d, self._client_spec()) for d in ds]

    # ---- changing a logged version ---------------------------------------

    def save(self) -> None:
        """Save changes of ``description``, ``metadata``, ``aliases`` and
        ``ttl`` to the logged version.

        An artifact not logged yet is logged instead: by the current run, or
        by a short run of job type ``auto`` when there is none.
        """
        if self._version is None:
            from . import _run

            r = _run.current()
            if r is not None:
                r.log_artifact(self)
                return
            with _run.init(job_type="auto") as tmp:
                tmp.log_artifact(self)
            return
        args: Dict[str, Any] = {
            "ref": self.qualified_name,
            "description": self.description or "",
            "metadata": _jsonable_dict(self._metadata, "metadata") or {},
            "aliases": _aliases(self._aliases),
        }
        if self._ttl_changed:
            args["ttl"] = _ttl_seconds(self._ttl)
        v = _helper.call("save", args, client=self._client_spec())
        self._fill(v, self._client_spec())

    def delete(self, delete_aliases: bool = False) -> None:
        """Delete this version. A version with aliases is kept unless
        ``delete_aliases=True`` (which removes them too).

        Raises:
            trove.errors.Conflict: the version has aliases and
                ``delete_aliases`` is False.
        """
        self._logged()
        _helper.call(
            "delete", {"ref": self.qualified_name, "delete_aliases": bool(delete_aliases)}, client=self._client_spec()
        )
        self._deleted = True

    def link(self, target_path: str, aliases: Union[None, str, Sequence[str]] = None) -> "Artifact":
        """Link this version into a registry collection (``model/MNIST-dev``,
        or ``registry/model/MNIST-dev``) without copying its data, and return
        the link (a version of the registry collection, with its own ``vN``
        and aliases)."""
        from . import _run

        self._logged()
        args: Dict[str, Any] = {"ref": self.qualified_name, "target": target_path, "aliases": _aliases(aliases)}
        r = _run.current()
        if r is not None and r._usable():
            args["run"] = r.id
        v = _helper.call("link_artifact", args, client=self._client_spec())
        return Artifact._from_version(v, self._client_spec())

    # ---- misc ---------------------------------------------------------------

    def __repr__(self) -> str:
        if self._version is None:
            return f"<Artifact {self._name} (type {self._type}, not logged)>"
        return f"<Artifact {self.qualified_name} (type {self._type})>"
