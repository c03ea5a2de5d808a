"""Tables that can be stored in an artifact with ``artifact.add(obj, name)``.

A :class:`Table` is stored as the JSON file ``<name>.table.json`` and read back
with ``artifact.get(name)``. A :class:`PartitionedTable` is stored as
``<name>.partitioned-table.json`` and points at a folder of tables in the same
artifact (the parts written by parallel runs with ``run.upsert_artifact``).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Dict, Iterator, List, Optional, Sequence

from . import errors

if TYPE_CHECKING:  # pragma: no cover
    from .artifact import Artifact

__all__ = ["Table", "PartitionedTable"]

TABLE_SUFFIX = ".table.json"
PARTITIONED_SUFFIX = ".partitioned-table.json"


def _jsonable(o: Any) -> Any:
    # numpy arrays and scalars (and anything alike) without importing numpy.
    if hasattr(o, "tolist"):
        return o.tolist()
    if hasattr(o, "item"):
        return o.item()
    raise TypeError(f"{type(o).__name__} is not JSON serializable")


class Table:
    """A two-dimensional table of data: named columns and rows of values.

    Build one from rows (``Table(columns=["a", "b"], data=[[1, 2]])``), add rows
    with :meth:`add_data`, store it in an artifact with
    ``artifact.add(table, "name")`` and read a column back with
    :meth:`get_column`. Values must be JSON values (numbers, strings, booleans,
    None, lists, dicts); numpy arrays and scalars are stored as lists and
    numbers.
    """

    def __init__(
        self,
        columns: Optional[Sequence[str]] = None,
        data: Optional[Sequence[Sequence[Any]]] = None,
    ) -> None:
        rows = [list(r) for r in (data or [])]
        if columns is None:
            width = len(rows[0]) if rows else 0
            columns = [f"col{i}" for i in range(width)]
        self.columns: List[str] = [str(c) for c in columns]
        if len(set(self.columns)) != len(self.columns):
            raise errors.Invalid(f"table columns {self.columns} are not unique")
        self.data: List[List[Any]] = []
        for r in rows:
            self.add_data(*r)

    def add_data(self, *row: Any) -> None:
        """Add one row: one value per column, in column order."""
        if len(row) != len(self.columns):
            raise errors.Invalid(f"table row has {len(row)} values, the table has {len(self.columns)} columns")
        self.data.append(list(row))

    def add_column(self, name: str, data: Sequence[Any]) -> None:
        """Add a column with one value per existing row."""
        if name in self.columns:
            raise errors.Invalid(f"table already has a column {name!r}")
        if self.data and len(data) != len(self.data):
            raise errors.Invalid(f"column {name!r} has {len(data)} values, the table has {len(self.data)} rows")
        if not self.data:
            self.data = [[] for _ in data]
        self.columns.append(name)
        for row, v in zip(self.data, data):
            row.append(v)

    def get_column(self, name: str, convert_to: Optional[str] = None) -> Any:
        """Return the values of column ``name``, as a list, or as a numpy array
        with ``convert_to="numpy"`` (which needs numpy installed).

        Raises:
            trove.errors.NotFound: the table has no such column.
            trove.errors.Invalid: ``convert_to`` is neither None nor "numpy".
            ImportError: ``convert_to="numpy"`` and numpy is not installed.
        """
        if convert_to not in (None, "numpy"):
            raise errors.Invalid(f"get_column: convert_to={convert_to!r}: want None or 'numpy'")
        try:
            i = self.columns.index(name)
        except ValueError:
            raise errors.NotFound(f"table has no column {name!r} (columns: {', '.join(self.columns)})") from None
        values = [row[i] for row in self.data]
        if convert_to is None:
            return values
        try:
            import numpy  # type: ignore[import-not-found]
        except ImportError:
            raise ImportError("get_column(convert_to='numpy') needs numpy: pip install numpy") from None
        return numpy.array(values)

    def iterrows(self) -> Iterator[Any]:
        """Yield ``(index, row)`` for every row."""
        for i, row in enumerate(self.data):
            yield i, list(row)

    def __len__(self) -> int:
        return len(self.data)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Table) and self.columns == other.columns and self.data == other.data

    def __repr__(self) -> str:
        return f"Table(columns={self.columns!r}, rows={len(self.data)})"

    def to_json(self) -> Dict[str, Any]:
        """The JSON object the table is stored as."""
        return {"_type": "table", "columns": self.columns, "data": self.data, "ncols": len(self.columns), "nrows": len(self.data)}

    def _dumps(self) -> bytes:
        try:
            return json.dumps(self.to_json(), default=_jsonable, allow_nan=False).encode()
        except (TypeError, ValueError) as e:
            raise errors.Invalid(f"table cannot be stored as JSON: {e}") from None

    @classmethod
    def from_json(cls, obj: Dict[str, Any]) -> "Table":
        """Rebuild a table from the JSON object it was stored as."""
        if not isinstance(obj, dict) or "columns" not in obj or "data" not in obj:
            raise errors.Invalid("not a stored table: want an object with columns and data")
        return cls(columns=obj["columns"], data=obj["data"])


class PartitionedTable:
    """A table stored in parts: every table under the folder ``parts_path``
    of the same artifact.

    Parallel runs each add a part (``artifact.add(table, "parts/table_1")``)
    and ``run.upsert_artifact`` it; the run that calls ``finish_artifact``
    adds ``PartitionedTable("parts")``. A partitioned table read back with
    ``artifact.get(name)`` iterates over its parts (as :class:`Table`).
    """

    def __init__(self, parts_path: str) -> None:
        self.parts_path = parts_path.strip("/")
        self._artifact: Optional["Artifact"] = None

    def to_json(self) -> Dict[str, Any]:
        """The JSON object the partitioned table is stored as."""
        return {"_type": "partitioned-table", "parts_path": self.parts_path}

    def _dumps(self) -> bytes:
        return json.dumps(self.to_json()).encode()

    @classmethod
    def from_json(cls, obj: Dict[str, Any]) -> "PartitionedTable":
        """Rebuild a partitioned table from the JSON object it was stored as."""
        if not isinstance(obj, dict) or not isinstance(obj.get("parts_path"), str):
            raise errors.Invalid("not a stored partitioned table: want an object with parts_path")
        return cls(obj["parts_path"])

    def parts(self) -> List[str]:
        """The entry paths of the parts, sorted (only for a partitioned table
        read from an artifact)."""
        if self._artifact is None:
            raise errors.NotLogged("this partitioned table was not read from a logged artifact: it has no parts to read")
        prefix = self.parts_path + "/" if self.parts_path else ""
        return sorted(
            e.path
            for e in self._artifact.files()
            if e.path.startswith(prefix) and e.path.endswith(TABLE_SUFFIX)
        )

    def __iter__(self) -> Iterator[Table]:
        assert_artifact = self._artifact
        for p in self.parts():
            t = assert_artifact.get(p) if assert_artifact is not None else None
            if isinstance(t, Table):
                yield t

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PartitionedTable) and self.parts_path == other.parts_path

    def __repr__(self) -> str:
        return f"PartitionedTable({self.parts_path!r})"
