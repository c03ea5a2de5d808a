"""Trove: versioned ML artifacts and their lineage, from Python.

The API of the reference system's Python client, so its samples run with
``import trove as wandb``::

    import trove

    with trove.init(project="bikes", job_type="preprocess") as run:
        artifact = trove.Artifact("bike-dataset", type="dataset")
        artifact.add_file("bicycle-data.h5")
        run.log_artifact(artifact)            # bike-dataset:v0

    with trove.init(project="bikes", job_type="train") as run:
        data_dir = run.use_artifact("bike-dataset:latest").download()

The work (hashing, storing, uploading, caching, retrying) is done by the
``trove`` binary, run as a private helper process (see ``trove._helper``).
Where data goes follows the environment, as for the ``trove`` command:
``TROVE_URL`` (a data directory, the default being the embedded store, or a
server's ``http(s)://`` URL), ``TROVE_API_KEY`` (or a saved ``trove login``),
``TROVE_ENTITY``, ``TROVE_PROJECT`` and ``TROVE_CACHE_DIR``.

Errors are :class:`trove.errors.Error` subclasses, one per kind.
"""

from __future__ import annotations

from typing import Optional

from . import data_types, errors
from ._run import Config, Run, finish, init
from .api import Api, ArtifactCollection, ArtifactType
from .artifact import Artifact, Entry, Reference
from .data_types import PartitionedTable, Table

__all__ = [
    "init",
    "run",
    "finish",
    "login",
    "Run",
    "Config",
    "Artifact",
    "Entry",
    "Reference",
    "Api",
    "ArtifactType",
    "ArtifactCollection",
    "Table",
    "PartitionedTable",
    "data_types",
    "errors",
    "__version__",
]

__version__ = "0.1.0"

#: The current run: the one the last :func:`init` started, until it finishes.
run: Optional[Run] = None


def login(key: Optional[str] = None, host: Optional[str] = None, relogin: Optional[bool] = None, **_ignored: object) -> bool:
    """Check an API key against a server and save both, as ``trove login``
    does, so later runs and the CLI use them without ``TROVE_API_KEY``.

    Args:
        key: the API key (default ``TROVE_API_KEY``).
        host: the server URL (default ``TROVE_URL``).

    Returns True. Raises :class:`trove.errors.Unauthenticated` for a bad key.
    """
    import os

    from . import _helper

    _helper.call(
        "login",
        {"key": key or os.environ.get("TROVE_API_KEY") or None, "host": host or os.environ.get("TROVE_URL") or None},
    )
    return True
