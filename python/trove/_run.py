"""Runs: one execution of a pipeline step that logs and uses artifacts.

(The module is ``trove._run`` because ``trove.run`` is the current run.)
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import threading
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

from . import _helper, errors
from .artifact import Artifact, PathLike, _aliases, parse_time

__all__ = ["Run", "Config", "init", "finish", "current"]


class Config(dict):  # type: ignore[type-arg]
    """A run's configuration: a dict whose keys can also be read and set as
    attributes (``run.config.batch_size`` is ``run.config["batch_size"]``).

    The configuration is saved with the run when it starts (``trove.init(config=...)``);
    changes made afterwards stay in this process.
    """

    def __getattr__(self, key: str) -> Any:
        try:
            return self[key]
        except KeyError:
            raise AttributeError(f"config has no key {key!r}") from None

    def __setattr__(self, key: str, value: Any) -> None:
        self[key] = value

    def __delattr__(self, key: str) -> None:
        try:
            del self[key]
        except KeyError:
            raise AttributeError(f"config has no key {key!r}") from None

    def update(self, *args: Any, allow_val_change: Optional[bool] = None, **kwargs: Any) -> None:  # type: ignore[override]
        """Update keys from a dict (or an ``argparse.Namespace``) and keyword
        arguments."""
        if len(args) == 1 and isinstance(args[0], argparse.Namespace):
            args = (vars(args[0]),)
        super().update(*args, **kwargs)


class Run:
    """A run: one execution of a pipeline step (preprocessing, training,
    evaluation, …) whose inputs and outputs are artifact versions.

    Start one with :func:`trove.init`. A run is a context manager: leaving the
    ``with`` block finishes it, and an exception inside marks it failed and
    is re-raised. Runs returned by :class:`trove.Api`, ``artifact.logged_by()``
    or ``artifact.used_by()`` describe runs of the store: they can be read and
    traversed, not logged to.

    Attributes:
        id: the run's id (short and random).
        name: its display name (given, or generated as ``adjective-noun-N``).
        entity, project: where it logs.
        job_type, group, tags, notes: as given to :func:`trove.init`.
        config: a :class:`Config`.
        state: ``running``, ``finished``, ``failed`` or ``crashed``.
    """

    def __init__(self) -> None:  # use trove.init
        self.id = ""
        self.name = ""
        self.entity = ""
        self.project = ""
        self.job_type = ""
        self.group = ""
        self.tags: List[str] = []
        self.notes: Optional[str] = None
        self.config = Config()
        self.state = ""
        self.started_at: Optional[_dt.datetime] = None
        self.finished_at: Optional[_dt.datetime] = None
        self._client: Dict[str, str] = {}
        self._active = False
        self._generation = -1

    @classmethod
    def _from_dict(cls, d: Dict[str, Any], client: Dict[str, str]) -> "Run":
        r = cls()
        r._update(d)
        c = dict(client)
        c["entity"], c["project"] = r.entity or c.get("entity", ""), r.project or c.get("project", "")
        r._client = c
        return r

    def _update(self, d: Dict[str, Any]) -> None:
        self.id = str(d.get("id", ""))
        self.name = str(d.get("name", ""))
        self.entity = str(d.get("entity", ""))
        self.project = str(d.get("project", ""))
        self.job_type = str(d.get("job_type", "") or "")
        self.group = str(d.get("group", "") or "")
        self.tags = list(d.get("tags") or [])
        cfg = d.get("config") or {}
        self.config = Config(cfg if isinstance(cfg, dict) else {})
        self.state = str(d.get("state", ""))
        self.started_at = parse_time(d.get("started_at"))
        self.finished_at = parse_time(d.get("finished_at"))

    @property
    def path(self) -> str:
        """``entity/project/id``, as :meth:`trove.Api.run` takes it."""
        return f"{self.entity}/{self.project}/{self.id}"

    @property
    def created_at(self) -> Optional[_dt.datetime]:
        """When the run started."""
        return self.started_at

    def _usable(self) -> bool:
        return self._active and self._generation == _helper.generation()

    def _handle(self, op: str) -> str:
        """The run's id for an op that acts through the active run."""
        if not self._active:
            raise errors.Conflict(f"{op}: run {self.id} ({self.name}) is {self.state or 'not active'}: start a run with trove.init()")
        if self._generation != _helper.generation():
            self._active = False
            _forget(self)
            raise errors.HelperDied(
                f"{op}: run {self.id} was started by a trove helper that has exited (or in another process): "
                "start a new run with trove.init()"
            )
        return self.id

    # ---- logging -------------------------------------------------------

    def _artifact_from_path(
        self, path: PathLike, name: Optional[str], type: Optional[str]
    ) -> Artifact:
        p = os.path.abspath(os.fspath(path))
        a = Artifact(name or f"run-{self.id}-{os.path.basename(p.rstrip(os.sep))}", type or "unspecified")
        if os.path.isdir(p):
            a.add_dir(p)
        else:
            a.add_file(p)
        return a

    def log_artifact(
        self,
        artifact_or_path: Union[Artifact, PathLike],
        name: Optional[str] = None,
        type: Optional[str] = None,
        aliases: Union[None, str, Sequence[str]] = None,
        tags: Optional[Sequence[str]] = None,
    ) -> Artifact:
        """Log an artifact as an output of this run and return it, filled with
        its version (``name`` is now ``bike-dataset:v0``).

        ``artifact_or_path`` is an :class:`Artifact`, or the path of a file or
        directory to log as one, named ``name`` (default
        ``run-<id>-<basename>``) of type ``type`` (default ``unspecified``).
        ``aliases`` (a string or a list) are given to the version besides
        ``latest``. If the content equals an existing version, no new version
        is made: the aliases move to that version.

        Logging is synchronous: when this returns, the version is stored.
        """
        rid = self._handle("log_artifact")
        a = artifact_or_path if isinstance(artifact_or_path, Artifact) else self._artifact_from_path(artifact_or_path, name, type)
        a._local("log_artifact")
        al = _aliases(aliases)
        al += [x for x in a.aliases if x not in al]
        v = _helper.call("log_artifact", {"run": rid, "artifact": a._spec(), "aliases": al})
        a._fill(v, self._client)
        return a

    def use_artifact(
        self,
        artifact_or_name: Union[Artifact, str],
        type: Optional[str] = None,
        aliases: Union[None, str, Sequence[str]] = None,
        use_as: Optional[str] = None,
    ) -> Artifact:
        """Mark an artifact as an input of this run and return it.

        ``artifact_or_name`` is a reference (``bike-dataset:v0``,
        ``bike-dataset:latest``, ``my-project/bike-model:v0``,
        ``my-entity/my-project/bike-model:v0``; no version means ``latest``,
        unless ``aliases`` is given: then its first alias picks the version),
        or an :class:`Artifact`: a logged one is used as it is; one built
        locally is logged first if its content is new (so passing the same
        content again is idempotent), and is filled with its version.

        Raises:
            trove.errors.NotFound: no such artifact or version.
            trove.errors.Invalid: ``type`` is given and the artifact's type
                differs.
        """
        rid = self._handle("use_artifact")
        al = _aliases(aliases)
        if isinstance(artifact_or_name, Artifact) and artifact_or_name._version is None:
            a = artifact_or_name
            v = _helper.call("use_artifact", {"run": rid, "artifact": a._spec(), "aliases": al})
            a._fill(v, self._client)
            return a
        ref = artifact_or_name.qualified_name if isinstance(artifact_or_name, Artifact) else artifact_or_name
        if not isinstance(ref, str):
            raise errors.Invalid(f"use_artifact: want an Artifact or a name, not {ref.__class__.__name__}")
        v = _helper.call("use_artifact", {"run": rid, "ref": ref, "type": type, "aliases": al})
        if isinstance(artifact_or_name, Artifact):
            artifact_or_name._fill(v, artifact_or_name._client_spec())
            return artifact_or_name
        return Artifact._from_version(v, self._client)

    def upsert_artifact(
        self,
        artifact_or_path: Union[Artifact, PathLike],
        name: Optional[str] = None,
        type: Optional[str] = None,
        aliases: Union[None, str, Sequence[str]] = None,
        distributed_id: Optional[str] = None,
    ) -> Artifact:
        """Add this run's part to a distributed artifact that several
        parallel runs write: the parts are merged into one version when some
        run calls :meth:`finish_artifact`. ``distributed_id`` names the
        shared artifact (default: the run's group, so give parallel writers
        one ``group``). Aliases are given at :meth:`finish_artifact`."""
        rid = self._handle("upsert_artifact")
        a = artifact_or_path if isinstance(artifact_or_path, Artifact) else self._artifact_from_path(artifact_or_path, name, type)
        a._local("upsert_artifact")
        _helper.call("upsert_artifact", {"run": rid, "artifact": a._spec(distributed_id)})
        return a

    def finish_artifact(
        self,
        artifact_or_path: Union[Artifact, PathLike],
        name: Optional[str] = None,
        type: Optional[str] = None,
        aliases: Union[None, str, Sequence[str]] = None,
        distributed_id: Optional[str] = None,
    ) -> Artifact:
        """Finish a distributed artifact: commit the parts upserted so far
        (plus this artifact's own contents) as one version, after which no
        more parts can be added. Returns the artifact filled with its
        version."""
        rid = self._handle("finish_artifact")
        a = artifact_or_path if isinstance(artifact_or_path, Artifact) else self._artifact_from_path(artifact_or_path, name, type)
        a._local("finish_artifact")
        al = _aliases(aliases)
        al += [x for x in a.aliases if x not in al]
        v = _helper.call("finish_artifact", {"run": rid, "artifact": a._spec(distributed_id), "aliases": al})
        a._fill(v, self._client)
        return a

    def link_artifact(
        self, artifact: Artifact, target_path: str, aliases: Union[None, str, Sequence[str]] = None
    ) -> Artifact:
        """Link a logged artifact version into a registry collection
        (``model/MNIST-dev``) and return the link. An artifact not logged yet
        is logged by this run first."""
        rid = self._handle("link_artifact")
        if artifact._version is None:
            self.log_artifact(artifact)
        v = _helper.call(
            "link_artifact",
            {"ref": artifact.qualified_name, "target": target_path, "aliases": _aliases(aliases), "run": rid},
            client=artifact._client_spec(),
        )
        return Artifact._from_version(v, artifact._client_spec())

    def link_model(
        self,
        path: PathLike,
        registered_model_name: str,
        name: Optional[str] = None,
        aliases: Union[None, str, Sequence[str]] = None,
    ) -> Artifact:
        """Log a model file or directory as a ``model`` artifact of this run
        (named ``name``, by default after the run) and link it into the model
        registry collection ``registered_model_name``; returns the link."""
        rid = self._handle("link_model")
        v = _helper.call(
            "link_model",
            {
                "run": rid,
                "path": os.path.abspath(os.fspath(path)),
                "registered_model_name": registered_model_name,
                "name": name,
                "aliases": _aliases(aliases),
            },
        )
        return Artifact._from_version(v, self._client)

    # ---- traversal -------------------------------------------------------

    def _run_artifacts(self, direction: str) -> List[Artifact]:
        vs = _helper.call("run_artifacts", {"id": self.id, "direction": direction}, client=self._client)
        return [Artifact._from_version(v, self._client) for v in vs]

    def logged_artifacts(self, per_page: int = 100) -> List[Artifact]:
        """The artifact versions this run logged (its outputs)."""
        return self._run_artifacts("logged")

    def used_artifacts(self, per_page: int = 100) -> List[Artifact]:
        """The artifact versions this run used (its inputs)."""
        return self._run_artifacts("used")

    # ---- the end -----------------------------------------------------------

    def finish(self, exit_code: Optional[int] = None, quiet: Optional[bool] = None) -> None:
        """Finish the run: ``finished`` for exit code 0 or None, ``failed``
        otherwise. Finishing a finished run does nothing. If this is the
        current run, ``trove.run`` becomes None."""
        if not self._active:
            return
        rid = self._handle("finish")
        try:
            d = _helper.call("finish", {"run": rid, "exit_code": exit_code})
        finally:
            self._active = False
            _forget(self)
        self._update(d)

    def __enter__(self) -> "Run":
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> bool:
        if exc_type is None:
            self.finish(exit_code=0)
            return False
        try:
            self.finish(exit_code=130 if issubclass(exc_type, KeyboardInterrupt) else 1)
        except errors.Error:
            pass  # the exception that ended the block matters more
        return False

    def __repr__(self) -> str:
        return f"<Run {self.path} ({self.name}, {self.state})>"


# ---- the current run and trove.init ------------------------------------

_mu = threading.Lock()
_current: Optional[Run] = None
_active: List[Run] = []


def _reinit_after_fork() -> None:
    global _mu
    _mu = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reinit_after_fork)


def current() -> Optional[Run]:
    """The current run (``trove.run``), or None."""
    return _current


def _set_current(r: Optional[Run]) -> None:
    global _current
    _current = r
    import trove

    trove.run = r  # type: ignore[attr-defined]


def _forget(r: Run) -> None:
    with _mu:
        if r in _active:
            _active.remove(r)
    if _current is r:
        _set_current(None)


def _config_dict(config: Any) -> Dict[str, Any]:
    if config is None:
        return {}
    if isinstance(config, argparse.Namespace):
        config = vars(config)
    if not isinstance(config, Mapping):
        raise errors.Invalid(f"config must be a dict (or argparse.Namespace), not {type(config).__name__}")
    d = dict(config)
    try:
        json.dumps(d, allow_nan=False)
    except (TypeError, ValueError) as e:
        raise errors.Invalid(f"config is not JSON: {e}") from None
    return d


def init(
    project: Optional[str] = None,
    entity: Optional[str] = None,
    job_type: Optional[str] = None,
    name: Optional[str] = None,
    config: Any = None,
    group: Optional[str] = None,
    notes: Optional[str] = None,
    tags: Optional[Sequence[str]] = None,
    attach: bool = True,
) -> Run:
    """Start a run, make it the current run (``trove.run``) and return it.

    Args:
        project: the project to log to (default ``$TROVE_PROJECT``, else
            ``uncategorized``).
        entity: the user or team that owns the project (default
            ``$TROVE_ENTITY``, else the user of the API key, or the OS user
            when embedded).
        job_type: the kind of step (``train``, ``preprocess``, ``eval``, …),
            to tell pipeline steps apart.
        name: a display name (default: generated, ``adjective-noun-N``).
        config: a dict (or ``argparse.Namespace``) of the run's settings,
            saved with the run and readable as ``run.config``.
        group: groups runs, for example the parallel writers of one
            distributed artifact.
        notes: a longer description of the run (kept on the returned Run;
            the store does not record notes).
        tags: labels for the run.
        attach: under ``trove exec`` (``$TROVE_RUN_ID`` set), attach to the
            exec's run (the default, see below); False starts a run of its
            own.

    Where runs are stored follows ``TROVE_URL`` / ``TROVE_API_KEY`` (or a
    saved ``trove login``), as for the CLI. Starting a run while another is
    current finishes that one first. At interpreter exit the current run is
    finished, or marked failed if an uncaught exception ended the program.

    Under ``trove exec`` (``$TROVE_RUN_ID`` set), ``init`` attaches to the
    exec's run instead of starting one, so that the lineage shows one run:
    what the program logs and uses is recorded on that run, which keeps its
    own project, name, job type, group, config and tags (a ``project`` or
    ``entity`` other than the run's is an error). Finishing the attached
    run, the ``with`` block and interpreter exit leave it running: ``trove
    exec`` ends it, failed if the program exits non-zero.
    """
    prev = _current
    cfg = _config_dict(config)
    client = _helper.client_spec()
    args: Dict[str, Any] = {
        "entity": entity or "",
        "project": project or "",
        "name": name,
        "job_type": job_type or "",
        "group": group or "",
        "config": cfg,
        "tags": list(tags or []),
        "notes": notes or "",
    }
    if not attach:
        args["no_attach"] = True
    d = _helper.call("init", args, client=client)
    r = Run._from_dict(d, client)
    r.notes = notes
    r._active = True
    r._generation = _helper.generation()
    with _mu:
        _active.append(r)
    _set_current(r)
    # The previous run ends once the new one has started: a failed init
    # changes nothing.
    if prev is not None and prev._active:
        if prev.id == r.id:
            # Both attached to $TROVE_RUN_ID's run: the new one goes on
            # with it (finishing the old one would end the helper's use of
            # the run for both).
            prev._active = False
            with _mu:
                if prev in _active:
                    _active.remove(prev)
            return r
        try:
            prev.finish()
        except errors.HelperDied:
            pass
    return r


def finish(exit_code: Optional[int] = None, quiet: Optional[bool] = None) -> None:
    """Finish the current run (see :meth:`Run.finish`); does nothing when
    there is none."""
    r = _current
    if r is not None:
        r.finish(exit_code=exit_code)


def _finish_all(exit_code: int) -> None:
    with _mu:
        runs = list(_active)
    for r in reversed(runs):
        if r._usable():
            try:
                r.finish(exit_code=exit_code)
            except errors.Error as e:
                import sys

                print(f"trove: finishing run {r.id} at exit: {e}", file=sys.stderr)


_helper.on_exit = _finish_all
