"""Parts of the package that need no helper: errors, tables, names, config."""

from __future__ import annotations

import argparse
import datetime as dt
import unittest

import trove
from trove import errors
from trove.artifact import Reference, parse_time
from trove.data_types import PartitionedTable, Table


class ErrorsTest(unittest.TestCase):
    def test_codes_map_to_classes(self) -> None:
        cases = {
            "invalid": errors.Invalid,
            "not_found": errors.NotFound,
            "conflict": errors.Conflict,
            "corrupt": errors.Corrupt,
            "permission_denied": errors.PermissionDenied,
            "unauthenticated": errors.Unauthenticated,
            "too_large": errors.TooLarge,
            "unavailable": errors.Unavailable,
            "internal": errors.Internal,
            "canceled": errors.Cancelled,
        }
        for code, cls in cases.items():
            e = errors.from_code(code, f"the reason for {code}")
            self.assertIs(type(e), cls, code)
            self.assertIsInstance(e, errors.Error)
            self.assertEqual(e.code, code)
            self.assertEqual(str(e), f"the reason for {code}")
            self.assertEqual(e.message, f"the reason for {code}")

    def test_unknown_code_keeps_it(self) -> None:
        e = errors.from_code("teapot", "short and stout")
        self.assertIs(type(e), errors.Error)
        self.assertEqual(e.code, "teapot")

    def test_builtin_bases(self) -> None:
        self.assertIsInstance(errors.Invalid("x"), ValueError)
        self.assertIsInstance(errors.NotFound("x"), LookupError)
        self.assertEqual(str(errors.NotFound("artifact a:v9 not found")), "artifact a:v9 not found")
        for cls in (errors.HelperDied, errors.BinaryNotFound, errors.NotLogged):
            self.assertTrue(issubclass(cls, errors.Error))


class TableTest(unittest.TestCase):
    def test_build_and_columns(self) -> None:
        t = Table(columns=["a", "b", "c"], data=[[1, 2, 4]])
        t.add_data(2, 4, 16)
        self.assertEqual(t.get_column("a"), [1, 2])
        self.assertEqual(t.get_column("c"), [4, 16])
        self.assertEqual(len(t), 2)
        self.assertEqual(list(t.iterrows()), [(0, [1, 2, 4]), (1, [2, 4, 16])])
        t.add_column("d", ["x", "y"])
        self.assertEqual(t.get_column("d"), ["x", "y"])
        self.assertEqual(Table.from_json(t.to_json()), t)

    def test_bad_rows_and_columns(self) -> None:
        t = Table(columns=["a", "b"])
        with self.assertRaises(errors.Invalid):
            t.add_data(1)
        with self.assertRaises(errors.Invalid):
            Table(columns=["a", "a"])
        with self.assertRaises(errors.Invalid):
            Table(columns=["a"], data=[[1, 2]])
        self.assertEqual(t.data, [])
        with self.assertRaises(errors.NotFound):
            t.get_column("zz")
        with self.assertRaises(errors.Invalid):
            t.get_column("a", convert_to="pandas")

    def test_numpy_conversion(self) -> None:
        t = Table(columns=["x"], data=[[1], [2]])
        try:
            import numpy  # noqa: F401
        except ImportError:
            with self.assertRaisesRegex(ImportError, "needs numpy"):
                t.get_column("x", convert_to="numpy")
            return
        arr = t.get_column("x", convert_to="numpy")
        self.assertEqual(arr.tolist(), [1, 2])

    def test_not_json(self) -> None:
        t = Table(columns=["x"], data=[[object()]])
        with self.assertRaises(errors.Invalid):
            t._dumps()
        with self.assertRaises(errors.Invalid):
            Table(columns=["x"], data=[[float("nan")]])._dumps()

    def test_partitioned(self) -> None:
        p = PartitionedTable("parts/")
        self.assertEqual(p.parts_path, "parts")
        self.assertEqual(PartitionedTable.from_json(p.to_json()), p)
        with self.assertRaises(errors.NotLogged):
            p.parts()
        self.assertIs(trove.data_types.PartitionedTable, PartitionedTable)


class LocalArtifactTest(unittest.TestCase):
    """What an artifact refuses before anything reaches the helper."""

    def test_bad_names(self) -> None:
        for name in ["", "has space", "a/b", "a:b", "x" * 129, "ü"]:
            with self.assertRaises(errors.Invalid, msg=name):
                trove.Artifact(name, "dataset")
        with self.assertRaises(errors.Invalid):
            trove.Artifact("ok", "")

    def test_bad_entry_paths(self) -> None:
        a = trove.Artifact("ok", "dataset")
        for bad in ["../x", "/abs", "a//b", "a/./b", "a/..", "back\\slash", "", "nul\x00"]:
            with self.assertRaises(errors.Invalid, msg=repr(bad)):
                with a.new_file(bad) as f:
                    f.write("x")
            with self.assertRaises(errors.Invalid, msg=repr(bad)):
                a.remove(bad)
        for bad in ["../x", "/abs", "a//b"]:
            with self.assertRaises(errors.Invalid, msg=repr(bad)):
                a.add(Table(columns=["a"]), bad)
            with self.assertRaises(errors.Invalid, msg=repr(bad)):
                a.add_reference("s3://b/k", name=bad)
            with self.assertRaises(errors.Invalid, msg=repr(bad)):
                a.add_file(__file__, name=bad)
        self.assertEqual(a._ops, [])
        with self.assertRaises(errors.Invalid):
            a.add_reference("not a uri")
        with self.assertRaises(errors.Invalid):
            a.add_reference("s3://b/k", max_objects=0)
        with self.assertRaises(errors.Invalid):
            a.add(object(), "thing")  # type: ignore[arg-type]
        self.assertEqual(a._ops, [])

    def test_not_logged(self) -> None:
        a = trove.Artifact("ok", "dataset", description="d", metadata={"k": 1})
        self.assertEqual(a.name, "ok")
        self.assertEqual(a.type, "dataset")
        self.assertEqual(a.state, "PENDING")
        self.assertTrue(a.is_draft())
        for attr in ("version", "qualified_name", "digest", "size", "created_at"):
            with self.assertRaises(errors.NotLogged, msg=attr):
                getattr(a, attr)
        for call in (a.download, a.files, lambda: a.get_entry("x"), a.new_draft, a.delete):
            with self.assertRaises(errors.NotLogged):
                call()
        self.assertIs(a.wait(), a)

    def test_metadata_and_ttl(self) -> None:
        a = trove.Artifact("ok", "dataset")
        with self.assertRaises(errors.Invalid):
            a.metadata = {"x": object()}
        with self.assertRaises(errors.Invalid):
            trove.Artifact("ok", "dataset", metadata=[1])  # type: ignore[arg-type]
        with self.assertRaises(errors.Invalid):
            a.ttl = 30  # type: ignore[assignment]
        a.ttl = dt.timedelta(days=1)
        self.assertEqual(a._spec()["ttl"], 86400.0)

    def test_new_file_that_raises_adds_nothing(self) -> None:
        a = trove.Artifact("ok", "dataset")
        with self.assertRaises(RuntimeError):
            with a.new_file("x.txt") as f:
                f.write("partial")
                raise RuntimeError("boom")
        self.assertEqual(a._ops, [])

    def test_add_table_name(self) -> None:
        a = trove.Artifact("ok", "dataset")
        t = Table(columns=["a"], data=[[1]])
        a.add(t, "parts/t1")
        a.add(t, "t2.table.json")
        a.add(PartitionedTable("parts"), "whole")
        self.assertEqual([o["name"] for o in a._ops], ["parts/t1.table.json", "t2.table.json", "whole.partitioned-table.json"])
        self.assertIs(a.get("parts/t1"), t)
        self.assertIsNone(a.get("nothing"))


class ValuesTest(unittest.TestCase):
    def test_reference(self) -> None:
        r = Reference("s3://b/k")
        self.assertEqual(r, "s3://b/k")
        self.assertEqual(r(), "s3://b/k")
        self.assertEqual(Reference("")(), None)
        self.assertFalse(Reference(""))

    def test_parse_time(self) -> None:
        t = parse_time("2024-05-06T07:08:09.123456789Z")
        self.assertEqual(t, dt.datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=dt.timezone.utc))
        self.assertEqual(parse_time("2024-05-06T07:08:09+02:00").utcoffset(), dt.timedelta(hours=2))
        self.assertIsNone(parse_time(None))
        with self.assertRaises(errors.Internal):
            parse_time("yesterday")

    def test_config(self) -> None:
        c = trove.Config({"lr": 0.1})
        self.assertEqual(c.lr, 0.1)
        c.epochs = 3
        self.assertEqual(c["epochs"], 3)
        c.update(argparse.Namespace(batch=8))
        self.assertEqual(c.batch, 8)
        with self.assertRaises(AttributeError):
            c.missing
        del c.epochs
        self.assertNotIn("epochs", c)


if __name__ == "__main__":
    unittest.main()
