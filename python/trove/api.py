"""The public API: read and manage what is stored, outside of a run."""

from __future__ import annotations

import datetime as _dt
from typing import Any, Dict, List, Optional

from . import _helper, errors
from ._run import Run
from .artifact import Artifact, parse_time

__all__ = ["Api", "ArtifactType", "ArtifactCollection"]


class ArtifactCollection:
    """A named collection of artifact versions (``bike-dataset``) of one
    type."""

    def __init__(self, api: "Api", d: Dict[str, Any]) -> None:
        self._api = api
        self.name: str = d.get("name", "")
        self.type: str = d.get("type", "")
        self.entity: str = d.get("entity", "")
        self.project: str = d.get("project", "")
        self.description: str = d.get("description", "") or ""
        self.created_at: Optional[_dt.datetime] = parse_time(d.get("created_at"))
        self._count: Optional[int] = d.get("version_count")

    @property
    def qualified_name(self) -> str:
        """``entity/project/name``."""
        return f"{self.entity}/{self.project}/{self.name}"

    def versions(self) -> List[Artifact]:
        """The collection's versions, oldest first (deleted ones left out)."""
        return self._api.artifact_versions(self.type, self.qualified_name)

    def __repr__(self) -> str:
        return f"<ArtifactCollection {self.qualified_name} (type {self.type})>"


class ArtifactType:
    """An artifact type (``dataset``, ``model``, …) within a project."""

    def __init__(self, api: "Api", type_name: str, project: Optional[str]) -> None:
        self._api = api
        self.name = type_name
        self.project = project

    @property
    def type(self) -> str:
        """The type name (the same as :attr:`name`)."""
        return self.name

    def collections(self) -> List[ArtifactCollection]:
        """The collections of this type in the project."""
        return self._api._collections(self.project, self.name)

    def collection(self, name: str) -> ArtifactCollection:
        """The collection ``name`` of this type."""
        return self._api.artifact_collection(self.name, name if self.project is None else f"{self.project}/{name}")

    def __repr__(self) -> str:
        return f"<ArtifactType {self.name}>"


class Api:
    """Query and manage the store outside of a run: fetch artifacts and their
    versions, list collections and types, look at runs and lineage.

    Args:
        overrides: defaults for this Api, as a dict: ``entity``, ``project``
            and ``base_url`` (the store: a server URL or a data directory;
            ``url`` is accepted too). Unset ones come from ``TROVE_ENTITY``,
            ``TROVE_PROJECT``, ``TROVE_URL`` and a saved ``trove login``.
        timeout: accepted for compatibility; the helper's own limits apply.
        api_key: the API key for a server (default ``TROVE_API_KEY``, or the
            saved login).

    The environment is read at each call, so setting ``TROVE_URL`` after
    creating an Api takes effect on its next call.
    """

    def __init__(
        self,
        overrides: Optional[Dict[str, Any]] = None,
        timeout: Optional[int] = None,
        api_key: Optional[str] = None,
    ) -> None:
        o = dict(overrides or {})
        self._overrides = {
            "entity": o.get("entity") or "",
            "project": o.get("project") or "",
            "url": o.get("base_url") or o.get("url") or "",
            "api_key": api_key or o.get("api_key") or "",
        }

    def _client(self, **extra: str) -> Dict[str, str]:
        ov = dict(self._overrides)
        ov.update({k: v for k, v in extra.items() if v})
        return _helper.client_spec(ov)

    @property
    def default_entity(self) -> str:
        """The entity used when a reference names none."""
        return str(_helper.call("open", {}, client=self._client())["entity"])

    @property
    def default_project(self) -> str:
        """The project used when a reference names none."""
        return str(_helper.call("open", {}, client=self._client())["project"])

    def artifact(self, name: str, type: Optional[str] = None) -> Artifact:
        """Return the artifact version ``name``: ``[[entity/]project/]name[:vN|:alias]``
        (no version means ``latest``).

        Raises:
            trove.errors.NotFound: no such artifact or version.
            trove.errors.Invalid: ``type`` is given and the artifact is of
                another type.
        """
        c = self._client()
        v = _helper.call("artifact", {"ref": name, "type": type}, client=c)
        return Artifact._from_version(v, c)

    def artifact_versions(self, type_name: Optional[str], name: str, per_page: Optional[int] = None) -> List[Artifact]:
        """The versions of the collection ``name`` (``[[entity/]project/]name``)
        of type ``type_name``, oldest first (deleted ones left out).

        Raises:
            trove.errors.NotFound: no such collection (or of another type).
        """
        c = self._client()
        vs = _helper.call("artifact_versions", {"name": name, "type": type_name or None}, client=c)
        return [Artifact._from_version(v, c) for v in vs]

    def artifacts(self, type_name: Optional[str], name: str, per_page: Optional[int] = None) -> List[Artifact]:
        """The same as :meth:`artifact_versions`."""
        return self.artifact_versions(type_name, name, per_page)

    def _collections(self, project: Optional[str], type_name: str) -> List[ArtifactCollection]:
        proj, ent = _split_project(project)
        cs = _helper.call("collections", {"project": proj, "type": type_name}, client=self._client(entity=ent))
        return [ArtifactCollection(self, d) for d in cs]

    def artifact_types(self, project: Optional[str] = None) -> List[ArtifactType]:
        """The artifact types used in the project (``[entity/]project``; default
        the default project), sorted by name."""
        types = sorted({c.type for c in self._collections(project, "")})
        return [ArtifactType(self, t, project) for t in types]

    def artifact_type(self, type_name: str, project: Optional[str] = None) -> ArtifactType:
        """The artifact type ``type_name`` in the project.

        Raises:
            trove.errors.NotFound: the project has no artifact of that type.
        """
        if not self._collections(project, type_name):
            raise errors.NotFound(f"no artifact of type {type_name!r} in project {project or self.default_project}")
        return ArtifactType(self, type_name, project)

    def artifact_collection(self, type_name: str, name: str) -> ArtifactCollection:
        """The collection ``name`` (``[[entity/]project/]name``) of type
        ``type_name``.

        Raises:
            trove.errors.NotFound: no such collection, or of another type.
        """
        parts = name.split("/")
        bare = parts[-1]
        if ":" in bare:
            raise errors.Invalid(f"collection name {name!r} names a version; leave out ':{bare.split(':', 1)[1]}'")
        project = "/".join(parts[:-1]) or None
        for col in self._collections(project, type_name):
            if col.name == bare:
                return col
        # Say why: another type, or nothing at all.
        self.artifact_versions(None, name)
        raise errors.NotFound(f"artifact collection {name} is not of type {type_name!r}")

    def run(self, path: str = "") -> Run:
        """The run at ``path``: ``entity/project/run_id``, ``project/run_id``
        or ``run_id`` (a run's name is accepted for its id)."""
        parts = [p for p in path.split("/") if p]
        if len(parts) == 4 and parts[2] == "runs":
            del parts[2]
        if not parts or len(parts) > 3:
            raise errors.Invalid(f"run path {path!r}: want entity/project/run_id, project/run_id or run_id")
        rid = parts[-1]
        ent = parts[0] if len(parts) == 3 else ""
        proj = parts[-2] if len(parts) >= 2 else ""
        c = self._client(entity=ent, project=proj)
        d = _helper.call("run_info", {"id": rid}, client=c)
        # Run ids are unique in the whole store, so the lookup finds a run
        # of another project too: the path asked for this one.
        if (proj and d.get("project") != proj) or (ent and d.get("entity") != ent):
            raise errors.NotFound(f"run {path} not found (run {rid} is in {d.get('entity')}/{d.get('project')})")
        return Run._from_dict(d, c)

    def runs(self, path: Optional[str] = None, filters: Optional[Dict[str, Any]] = None, per_page: int = 50) -> List[Run]:
        """The runs of a project: ``path`` is ``entity/project`` or
        ``project`` (default the default project)."""
        proj, ent = _split_project(path)
        c = self._client(entity=ent, project=proj)
        ds = _helper.call("runs", {"project": proj}, client=c)
        return [Run._from_dict(d, c) for d in ds]

    def lineage(self, ref: str, direction: str = "both", depth: int = 0) -> Dict[str, Any]:
        """The lineage graph around an artifact version (``name:vN``, …) or a
        run (``run:ID``), as ``trove lineage --format json`` prints it:
        ``{"nodes": [...], "edges": [...]}``, each edge ``{"from", "to"}`` in
        the direction data flows.

        Args:
            direction: ``upstream`` (what it came from), ``downstream`` (what
                came of it) or ``both``.
            depth: keep nodes at most this many edges away; 0 = unlimited.
        """
        g = _helper.call("lineage", {"ref": ref, "direction": direction, "depth": depth}, client=self._client())
        return g  # type: ignore[no-any-return]


def _split_project(path: Optional[str]) -> "tuple[str, str]":
    """Split ``[entity/]project`` into (project, entity)."""
    if not path:
        return "", ""
    parts = [p for p in path.split("/") if p]
    if len(parts) == 1:
        return parts[0], ""
    if len(parts) == 2:
        return parts[1], parts[0]
    raise errors.Invalid(f"project path {path!r}: want entity/project or project")
