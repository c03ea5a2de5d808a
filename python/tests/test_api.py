"""trove.Api: artifacts, versions, collections, types, runs (both modes)."""

from __future__ import annotations

import datetime as dt

import trove
from trove import errors

from .support import TroveTestCase, unique


class ApiTest(TroveTestCase):
    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        t = cls("test_types")
        t.setUp()
        try:
            t.log("images", {"a.png": "a"})
            t.log("images", {"a.png": "b"}, aliases=["best"])
            t.log("labels", {"l.txt": "l"})
            t.log("net", {"w.h5": "w"}, type="model", description="a network")
        finally:
            t.doCleanups()

    def test_artifact(self) -> None:
        api = trove.Api()
        a = api.artifact("images")
        self.assertEqual(a.name, "images:v1")
        self.assertEqual(api.artifact("images:best").version, "v1")
        self.assertEqual(api.artifact(f"{self.project}/images:v0").version, "v0")
        full = api.artifact(f"{a.entity}/{self.project}/images:v0", type="dataset")
        self.assertEqual(full.qualified_name, f"{a.entity}/{self.project}/images:v0")
        self.assertEqual(api.artifact(name="net:latest", type="model").description, "a network")

    def test_versions(self) -> None:
        api = trove.Api()
        vs = api.artifact_versions("dataset", "images")
        self.assertEqual([v.name for v in vs], ["images:v0", "images:v1"])
        self.assertEqual([v.name for v in api.artifacts("dataset", "images")], ["images:v0", "images:v1"])
        self.assertEqual([v.name for v in api.artifact_versions(type_name="dataset", name=f"{self.project}/images")], ["images:v0", "images:v1"])
        with self.assertRaises(errors.NotFound):
            api.artifact_versions("model", "images")

    def test_types(self) -> None:
        api = trove.Api()
        types = api.artifact_types()
        self.assertEqual([t.name for t in types], ["dataset", "model"])
        self.assertEqual([t.name for t in api.artifact_types(project=self.project)], ["dataset", "model"])
        ds = api.artifact_type("dataset")
        self.assertEqual((ds.name, ds.type), ("dataset", "dataset"))
        cols = ds.collections()
        self.assertEqual(sorted(c.name for c in cols), ["images", "labels"])
        for c in cols:
            self.assertEqual(c.type, "dataset")
            self.assertEqual(c.project, self.project)
            self.assertIsInstance(c.created_at, dt.datetime)
        self.assertEqual([c.name for c in api.artifact_type("model", project=self.project).collections()], ["net"])
        self.assertEqual(ds.collection("labels").name, "labels")
        with self.assertRaises(errors.NotFound):
            api.artifact_type("result")
        self.assertEqual(api.artifact_types(project=unique("empty")), [])

    def test_collection(self) -> None:
        api = trove.Api()
        col = api.artifact_collection("dataset", "images")
        self.assertEqual((col.name, col.type, col.project), ("images", "dataset", self.project))
        self.assertEqual(col.qualified_name, f"{col.entity}/{self.project}/images")
        self.assertEqual([v.name for v in col.versions()], ["images:v0", "images:v1"])
        self.assertEqual(api.artifact_collection("model", f"{self.project}/net").name, "net")
        with self.assertRaises(errors.Invalid):
            api.artifact_collection("dataset", "images:v0")
        with self.assertRaises(errors.NotFound):
            api.artifact_collection("model", "images")

    def test_runs(self) -> None:
        with trove.init(job_type="listed", name="findme") as run:
            pass
        api = trove.Api()
        runs = api.runs()
        self.assertIn(run.id, [r.id for r in runs])
        self.assertEqual([r.id for r in api.runs(self.project)], [r.id for r in runs])
        self.assertEqual(api.run(run.id).name, "findme")
        self.assertEqual(api.run("findme").id, run.id)
        self.assertEqual(api.run(f"{self.project}/{run.id}").job_type, "listed")
        self.assertEqual(api.run(f"{run.entity}/{self.project}/runs/{run.id}").id, run.id)
        stored = api.run(run.path)
        self.assertEqual(stored.state, "finished")
        self.assertIsInstance(stored.created_at, dt.datetime)
        with self.assertRaises(errors.NotFound):
            api.run(f"{unique('nowhere')}/{run.id}")
        self.assertEqual(api.runs(unique("empty")), [])
