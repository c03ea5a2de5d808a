"""Bad input gets the right exception and changes nothing (both modes)."""

from __future__ import annotations

import os

import trove
from trove import errors

from .support import TroveTestCase, unique


class BadInputTest(TroveTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.name = unique("good")
        self.good = self.log(self.name, {"a.txt": "a"}, aliases=["stable"])
        self.before = self.versions(self.name)
        self.runs_before = len(trove.Api().runs())

    def assertUnchanged(self) -> None:
        self.assertEqual(self.versions(self.name), self.before)

    def test_bad_artifact_names_and_types(self) -> None:
        for bad in ("bad name", "a/b", "", "x" * 200, "semi:colon"):
            with self.assertRaises(errors.Invalid):
                trove.Artifact(bad, "dataset")
        with trove.init() as run:
            for typ in ("trove-internal", "a/b", "a:b"):
                a = trove.Artifact(self.name, typ)
                a.add_file(self.write("f.txt", "new content"))
                with self.assertRaises(errors.Invalid, msg=typ):
                    run.log_artifact(a)
            # A collection keeps its type.
            a = trove.Artifact(self.name, "model")
            a.add_file(self.write("f.txt", "new content"))
            with self.assertRaises(errors.Error) as cm:
                run.log_artifact(a)
            self.assertIsInstance(cm.exception, (errors.Invalid, errors.Conflict))
            self.assertTrue(a.is_draft())
            self.assertEqual(run.logged_artifacts(), [])
        self.assertUnchanged()

    def test_traversal_entry_names(self) -> None:
        f = self.write("f.txt", "new content")
        a = trove.Artifact(self.name, "dataset")
        for bad in ("../x", "../../etc/passwd", "/etc/passwd", "a/../../x", "./x", "a//b"):
            with self.assertRaises(errors.Invalid, msg=bad):
                a.add_file(f, name=bad)
            with self.assertRaises(errors.Invalid, msg=bad):
                a.add_dir(self.tmp, name=bad)
            with self.assertRaises(errors.Invalid, msg=bad):
                with a.new_file(bad) as out:
                    out.write("x")
        self.assertEqual(a._ops, [])
        # The helper checks again what reaches it (a spec built by other means).
        with trove.init() as run:
            for bad in ("../x", "/abs", "a/./b"):
                b = trove.Artifact(self.name, "dataset")
                b._ops.append({"op": "file", "path": f, "name": bad})
                with self.assertRaises(errors.Invalid, msg=bad):
                    run.log_artifact(b)
            c = trove.Artifact(self.name, "dataset")
            c._ops.append({"op": "file", "path": "relative.txt", "name": ""})
            with self.assertRaises(errors.Invalid):
                run.log_artifact(c)
            d = trove.Artifact(self.name, "dataset")
            d._ops.append({"op": "explode", "path": f})
            with self.assertRaises(errors.Invalid):
                run.log_artifact(d)
        self.assertUnchanged()
        self.assertFalse(os.path.exists(os.path.join(os.path.dirname(self.tmp), "x")))

    def test_missing_local_files(self) -> None:
        a = trove.Artifact(self.name, "dataset")
        with self.assertRaises(errors.NotFound):
            a.add_file("no-such-file.txt")
        with self.assertRaises(errors.NotFound):
            a.add_dir("no-such-dir")
        with self.assertRaises(errors.Invalid):
            a.add_file(self.tmp)
        with self.assertRaises(errors.Invalid):
            a.add_dir(self.write("file.txt"))
        # A file removed between add_file and log_artifact.
        p = self.write("gone.txt", "soon gone")
        a.add_file(p)
        os.remove(p)
        with trove.init() as run:
            with self.assertRaises(errors.NotFound):
                run.log_artifact(a)
        self.assertTrue(a.is_draft())
        self.assertUnchanged()

    def test_empty_and_duplicate(self) -> None:
        with trove.init() as run:
            with self.assertRaises(errors.Invalid):
                run.log_artifact(trove.Artifact(self.name, "dataset"))
            a = trove.Artifact(self.name, "dataset")
            p = self.write("twice.txt", "t")
            a.add_file(p)
            a.add_file(p)
            with self.assertRaises(errors.Conflict):
                run.log_artifact(a)
        self.assertUnchanged()

    def test_bad_aliases(self) -> None:
        with trove.init() as run:
            for bad in (["v3"], ["bad alias"], [""], ["a/b"]):
                a = trove.Artifact(self.name, "dataset")
                a.add_file(self.write("n.txt", "new"))
                with self.assertRaises(errors.Invalid, msg=str(bad)):
                    run.log_artifact(a, aliases=bad)
            with self.assertRaises(errors.Invalid):
                run.log_artifact(self.write("n.txt"), name=self.name, type="dataset", aliases=[3])  # type: ignore[list-item]
        got = trove.Api().artifact(f"{self.name}:v0")
        got.aliases.append("v9")
        with self.assertRaises(errors.Invalid):
            got.save()
        got.aliases = ["has space"]
        with self.assertRaises(errors.Invalid):
            got.save()
        self.assertUnchanged()

    def test_missing_artifacts(self) -> None:
        api = trove.Api()
        for ref in (f"{self.name}:v1", f"{self.name}:nosuchalias", unique("nothing"), f"{unique('nope')}/{self.name}:v0"):
            with self.assertRaises(errors.NotFound, msg=ref):
                api.artifact(ref)
            with self.assertRaises(LookupError):
                api.artifact(ref)
        with self.assertRaises(errors.NotFound):
            api.artifact_versions("dataset", unique("nothing"))
        with self.assertRaises(errors.Invalid):
            api.artifact(f"{self.name}:v0", type="model")
        with self.assertRaises(errors.NotFound):
            api.artifact_collection("dataset", unique("nothing"))
        with self.assertRaises(errors.NotFound):
            api.artifact_collection("model", self.name)
        with self.assertRaises(errors.NotFound):
            api.artifact_type("no-such-type")
        with self.assertRaises(errors.NotFound):
            api.run("zzzzzzzz")
        for ref in ("bad name!", "a/b/c/d", "x:", ":v0"):
            with self.assertRaises(errors.Invalid, msg=ref):
                api.artifact(ref)
        with trove.init() as run:
            with self.assertRaises(errors.NotFound):
                run.use_artifact(f"{self.name}:v5")
            with self.assertRaises(errors.NotFound):
                run.use_artifact(self.name, aliases="nosuchalias")
            with self.assertRaises(errors.Invalid):
                run.use_artifact(f"{self.name}:v0", type="model")
            with self.assertRaises(errors.Invalid):
                run.use_artifact("bad name!")
            self.assertEqual(run.used_artifacts(), [])
        self.assertEqual(self.good.used_by(), [])
        self.assertUnchanged()

    def test_bad_downloads(self) -> None:
        got = trove.Api().artifact(f"{self.name}:v0")
        with self.assertRaises(errors.Invalid):
            got.get_entry("../a.txt")
        with self.assertRaises(errors.NotFound):
            got.get_path("missing.txt")
        # A root that is a file cannot hold the download.
        blocker = self.write("blocker", "I am a file")
        with self.assertRaises(errors.Error):
            got.download(root=blocker)
        self.assertEqual(self.read(blocker), "I am a file")
        self.assertIsNone(got.get("no-table"))
        self.assertUnchanged()

    def test_deleted_version(self) -> None:
        v1 = self.log(self.name, {"a.txt": "changed"})
        draft = v1.new_draft()
        with self.assertRaises(errors.Conflict):
            v1.delete()  # it has "latest"
        v1.delete(delete_aliases=True)
        self.assertEqual(self.versions(self.name), self.before)
        for call in (v1.files, v1.download, lambda: v1.get_entry("a.txt"), v1.logged_by, v1.used_by, v1.save, v1.delete, v1.new_draft):
            with self.assertRaises(errors.NotFound):
                call()
        with self.assertRaises(errors.NotFound):
            v1.link("model/whatever")
        with trove.init() as run:
            with self.assertRaises(errors.NotFound):
                run.use_artifact(v1)
            with self.assertRaises(errors.NotFound):
                run.link_artifact(v1, "model/whatever")
            with draft.new_file("more.txt") as f:
                f.write("more")
            with self.assertRaises(errors.NotFound):
                run.log_artifact(draft)
        # Logging the same content again makes a new version, v2: indices are never reused.
        v2 = self.log(self.name, {"a.txt": "changed"})
        self.assertEqual(v2.version, "v2")

    def test_bad_arguments(self) -> None:
        got = trove.Api().artifact(f"{self.name}:v0")
        got.metadata["x"] = object()
        with self.assertRaises(errors.Invalid):
            got.save()
        got.metadata = {"ok": 1}
        got.metadata["nan"] = float("nan")
        with self.assertRaises(errors.Invalid):
            got.save()
        with self.assertRaises(errors.Invalid):
            trove.Api().run("a/b/c/d/e")
        with self.assertRaises(errors.Invalid):
            trove.Api().runs("a/b/c")
        self.assertUnchanged()
        self.assertEqual(len(trove.Api().runs()), self.runs_before)
