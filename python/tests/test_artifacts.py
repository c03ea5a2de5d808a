"""Building, logging, using, reading and changing artifacts (both modes)."""

from __future__ import annotations

import datetime as dt
import functools
import http.server
import os
import threading
import unittest
from typing import Any

import trove
from trove import errors

from .support import TroveTestCase, trove_cli


class _QuietFiles(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


class LogAndUseTest(TroveTestCase):
    def test_walkthrough_layouts(self) -> None:
        # The walkthrough's table of add_file / add_dir / new_file names.
        self.write("model.h5", "top model")
        self.write("checkpoints/model.h5", "checkpoint")
        self.write("images/cat.png", "cat")
        self.write("images/dog.png", "dog")
        with trove.init(job_type="build") as run:
            a = trove.Artifact("layout", type="dataset", description="all the ways", metadata={"classes": 2})
            a.add_file("checkpoints/model.h5")
            a.add_file("model.h5", name="models/mymodel.h5")
            a.add_dir("images")
            a.add_dir("images", name="images")
            with a.new_file("hello.txt") as f:
                f.write("hello")
            with a.new_file("bin/blob.bin", mode="wb") as f:
                f.write(b"\x00\x01")
            logged = run.log_artifact(a)
        self.assertIs(logged, a)
        self.assertEqual(a.name, "layout:v0")
        self.assertEqual(a.version, "v0")
        self.assertEqual(a.type, "dataset")
        self.assertEqual(a.qualified_name, f"{run.entity}/{self.project}/layout:v0")
        self.assertEqual(a.project, self.project)
        self.assertEqual(a.entity, run.entity)
        self.assertEqual(a.aliases, ["latest"])
        self.assertEqual(a.description, "all the ways")
        self.assertEqual(a.metadata, {"classes": 2})
        self.assertTrue(a.digest.startswith("sha256:"))
        self.assertEqual(a.size, len("checkpoint") + len("top model") + 2 * len("catdog") + len("hello") + 2)
        self.assertEqual(a.file_count, 8)
        self.assertEqual(a.state, "committed")
        self.assertIsNone(a.ttl)
        self.assertIsInstance(a.created_at, dt.datetime)
        self.assertIsNotNone(a.created_at.tzinfo)
        self.assertLess(abs((dt.datetime.now(dt.timezone.utc) - a.created_at).total_seconds()), 300)
        self.assertEqual(
            [e.path for e in a.files()],
            ["bin/blob.bin", "cat.png", "dog.png", "hello.txt", "images/cat.png", "images/dog.png", "model.h5", "models/mymodel.h5"],
        )
        # The CLI sees the same version.
        out = trove_cli("artifact", "files", a.qualified_name, "--json").stdout
        self.assertIn("models/mymodel.h5", out)
        # new_file's private directory is gone once logged.
        with self.assertRaises(errors.Conflict):
            a.add_file("model.h5")

    def test_log_path_and_aliases(self) -> None:
        p = self.write("data.csv", "a,b\n1,2\n")
        with trove.init(job_type="log") as run:
            a = run.log_artifact(p, name="csv", type="dataset", aliases="best")
            self.assertEqual(a.name, "csv:v0")
            self.assertEqual(sorted(a.aliases), ["best", "latest"])
            d = self.tree({"x.txt": "x", "sub/y.txt": "y"})
            b = run.log_artifact(d, name="tree", type="dataset", aliases=["one", "two"])
            self.assertEqual([e.path for e in b.files()], ["sub/y.txt", "x.txt"])
            self.assertEqual(sorted(b.aliases), ["latest", "one", "two"])
            # Default name and type, as the reference: run-<id>-<basename>.
            c = run.log_artifact(p)
            self.assertEqual(c.name, f"run-{run.id}-data.csv:v0")
            self.assertEqual(c.type, "unspecified")
            self.assertEqual([x.qualified_name for x in run.logged_artifacts()], [a.qualified_name, b.qualified_name, c.qualified_name])

    def test_dedup_and_new_versions(self) -> None:
        first = self.log("dedup", {"a.txt": "one"}, aliases=["first"])
        again = self.log("dedup", {"a.txt": "one"}, aliases=["again"])
        self.assertEqual(again.version, "v0")
        self.assertEqual(again.digest, first.digest)
        self.assertEqual(sorted(again.aliases), ["again", "first", "latest"])
        changed = self.log("dedup", {"a.txt": "two"}, aliases=["first"])
        self.assertEqual(changed.version, "v1")
        self.assertNotEqual(changed.digest, first.digest)
        vs = trove.Api().artifact_versions("dataset", "dedup")
        self.assertEqual([v.version for v in vs], ["v0", "v1"])
        self.assertEqual(vs[0].aliases, ["again"])
        self.assertEqual(sorted(vs[1].aliases), ["first", "latest"])
        # Logging in a loop: every version has its own metadata.
        with trove.init() as run:
            for i in range(3):
                a = trove.Artifact("race", "dataset", metadata={"index": i})
                with a.new_file("i.txt") as f:
                    f.write(str(i))
                run.log_artifact(a)
        for v in trove.Api().artifact_versions("dataset", "race"):
            self.assertEqual(v.metadata["index"], int(v.version[1:]))

    def test_use_by_name(self) -> None:
        logged = self.log("bike-dataset", {"bikes.csv": "1,2"}, aliases=["best"])
        self.log("bike-dataset", {"bikes.csv": "3,4"})
        with trove.init(job_type="train") as run:
            v0 = run.use_artifact("bike-dataset:v0")
            self.assertEqual(v0.qualified_name, logged.qualified_name)
            latest = run.use_artifact("bike-dataset:latest")
            self.assertEqual(latest.version, "v1")
            plain = run.use_artifact("bike-dataset")
            self.assertEqual(plain.version, "v1")
            by_alias = run.use_artifact("bike-dataset", aliases="best")
            self.assertEqual(by_alias.version, "v0")
            by_list = run.use_artifact(artifact_or_name="bike-dataset", aliases=["best", "latest"])
            self.assertEqual(by_list.version, "v0")
            qualified = run.use_artifact(f"{self.project}/bike-dataset:v1")
            self.assertEqual(qualified.version, "v1")
            full = run.use_artifact(f"{run.entity}/{self.project}/bike-dataset:v0")
            self.assertEqual(full.version, "v0")
            typed = run.use_artifact("bike-dataset:v0", type="dataset")
            self.assertEqual(typed.version, "v0")
            used = sorted(a.qualified_name for a in run.used_artifacts())
        self.assertEqual(used, sorted({logged.qualified_name, latest.qualified_name}))
        consumers = [r.id for r in trove.Api().artifact("bike-dataset:v0").used_by()]
        self.assertEqual(consumers, [run.id])

    def test_use_local_artifact_logs_it_once(self) -> None:
        self.write("model.h5", "weights")
        with trove.init(job_type="eval") as run:
            a = trove.Artifact("bike-model", type="model")
            a.add_file("model.h5")
            used = run.use_artifact(a)
            self.assertIs(used, a)
            self.assertEqual(a.name, "bike-model:v0")
            b = trove.Artifact("bike-model", type="model")
            b.add_file("model.h5")
            run.use_artifact(b)
            self.assertEqual(b.name, "bike-model:v0")
            # A logged artifact object is used by its version.
            self.assertIs(run.use_artifact(a), a)
            self.assertEqual([x.name for x in run.used_artifacts()], ["bike-model:v0"])
        self.assertEqual(len(trove.Api().artifact_versions("model", "bike-model")), 1)

    def test_download_and_entries(self) -> None:
        a = self.log("dl", {"a.txt": "A", "dir/b.txt": "B", "dir/c.txt": "C"})
        got = trove.Api().artifact("dl:latest")
        d = got.download()
        self.assertEqual(d, os.path.join(self.tmp, "artifacts", "dl:v0"))
        self.assertEqual(self.read(os.path.join(d, "dir", "b.txt")), "B")
        root = os.path.join(self.tmp, "elsewhere")
        d2 = got.download(root="elsewhere")
        self.assertEqual(d2, root)
        self.assertEqual(sorted(os.listdir(root)), ["a.txt", "dir"])
        d3 = got.download(root=os.path.join(self.tmp, "prefixed"), path_prefix="dir/")
        self.assertEqual(sorted(os.listdir(os.path.join(d3, "dir"))), ["b.txt", "c.txt"])
        self.assertFalse(os.path.exists(os.path.join(d3, "a.txt")))
        # A file changed locally is fetched again.
        with open(os.path.join(d, "a.txt"), "w") as f:
            f.write("tampered")
        got.download()
        self.assertEqual(self.read(os.path.join(d, "a.txt")), "A")

        e = got.get_entry("dir/c.txt")
        self.assertEqual((e.path, e.name, e.size), ("dir/c.txt", "dir/c.txt", 1))
        self.assertEqual(e.digest, [x for x in a.files() if x.path == "dir/c.txt"][0].digest)
        self.assertEqual(e.ref, "")
        self.assertIsNone(e.ref())
        p = e.download(root=os.path.join(self.tmp, "one"))
        self.assertEqual(p, os.path.join(self.tmp, "one", "dir", "c.txt"))
        self.assertEqual(self.read(p), "C")
        self.assertEqual(got.get_path("a.txt").download(), os.path.join(self.tmp, "artifacts", "dl:v0", "a.txt"))
        with self.assertRaises(errors.NotFound):
            got.get_entry("nope.txt")
        self.assertEqual([e.path for e in got.files(names=["a.txt"])], ["a.txt"])

    def test_references(self) -> None:
        src = self.tree({"model.h5": "m", "images/cat.png": "c", "images/dog.png": "d"}, root="bucket")
        uri = "file://" + src
        with trove.init() as run:
            a = trove.Artifact("refs", "dataset")
            a.add_reference(uri + "/model.h5")
            a.add_reference(uri + "/model.h5", name="models/mymodel.h5")
            a.add_reference(uri + "/images", name="images")
            a.add_reference(uri + "/model.h5", name="nochk.h5", checksum=False)
            run.log_artifact(a)
        paths = {e.path: e for e in a.files()}
        self.assertEqual(sorted(paths), ["images/cat.png", "images/dog.png", "model.h5", "models/mymodel.h5", "nochk.h5"])
        # Without a checksum only the URI is kept: the digest says nothing of the content.
        self.assertNotEqual(paths["nochk.h5"].digest, paths["model.h5"].digest)
        self.assertEqual(paths["nochk.h5"].ref, uri + "/model.h5")
        e = a.get_entry("models/mymodel.h5")
        self.assertEqual(e.ref, uri + "/model.h5")
        self.assertEqual(e.ref(), uri + "/model.h5")
        self.assertEqual(self.read(e.download(root=os.path.join(self.tmp, "r"))), "m")
        with trove.init() as run:
            b = trove.Artifact("refs-max", "dataset")
            b.add_reference(uri + "/images", max_objects=1)
            with self.assertRaises(errors.Error):
                run.log_artifact(b)
        self.assertEqual(self.versions("refs-max"), [])

    def test_http_reference_listing(self) -> None:
        # Python's own http.server: a directory answers with an HTML listing
        # (refused unless allow_html=True), a file with Last-Modified.
        src = self.tree({"data/a.csv": "a,b\n"}, root="web")
        handler = functools.partial(_QuietFiles, directory=src)
        httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        self.addCleanup(httpd.server_close)
        self.addCleanup(httpd.shutdown)
        url = f"http://127.0.0.1:{httpd.server_address[1]}"
        with trove.init() as run:
            a = trove.Artifact("listing", "dataset")
            a.add_reference(url + "/data/")
            with self.assertRaisesRegex(errors.Invalid, "directory listing"):
                run.log_artifact(a)
            self.assertEqual(self.versions("listing"), [])
            b = trove.Artifact("listing", "dataset")
            b.add_reference(url + "/data/", name="index.html", allow_html=True)
            b.add_reference(url + "/data/a.csv")
            run.log_artifact(b)
        self.assertEqual(sorted(e.path for e in b.files()), ["a.csv", "index.html"])
        self.assertEqual(self.read(b.get_entry("a.csv").download(root=os.path.join(self.tmp, "w"))), "a,b\n")

    def test_tables(self) -> None:
        with trove.init() as run:
            a = trove.Artifact("mnist_dataset", "dataset")
            t = trove.Table(columns=["x_train", "y_train"], data=[[[0, 1], 3]])
            t.add_data([1, 1], 5)
            a.add(t, "train_table")
            run.log_artifact(a)
        got = trove.Api().artifact("mnist_dataset:latest").get("train_table")
        self.assertIsInstance(got, trove.Table)
        self.assertEqual(got.get_column("x_train"), [[0, 1], [1, 1]])
        self.assertEqual(got.get_column("y_train"), [3, 5])
        self.assertEqual(got, t)
        self.assertIsNone(a.get("no_table"))
        self.assertEqual([e.path for e in a.files()], ["train_table.table.json"])

    def test_draft(self) -> None:
        v0 = self.log("drafty", {"keep.txt": "k", "drop/a.txt": "a", "drop/b.txt": "b"}, metadata={"m": 1})
        d = v0.new_draft()
        self.assertTrue(d.is_draft())
        self.assertEqual(d.name, "drafty")
        self.assertEqual(d.metadata, {"m": 1})
        d.remove("drop")
        with d.new_file("new.txt") as f:
            f.write("n")
        with trove.init() as run:
            v1 = run.log_artifact(d)
        self.assertEqual(v1.version, "v1")
        self.assertEqual([e.path for e in v1.files()], ["keep.txt", "new.txt"])
        self.assertEqual([e.path for e in v0.files()], ["drop/a.txt", "drop/b.txt", "keep.txt"])
        # Removing what is not there is refused, and logs nothing.
        bad = v1.new_draft()
        bad.remove("nothing-here")
        with trove.init() as run:
            with self.assertRaises(errors.NotFound):
                run.log_artifact(bad)
        self.assertEqual(len(self.versions("drafty")), 2)

    def test_remove_from_new_artifact(self) -> None:
        self.write("a.txt", "a")
        d = self.tree({"cat.png": "c", "dog.png": "d"}, root="imgs")
        with trove.init() as run:
            a = trove.Artifact("removed", "dataset")
            a.add_file("a.txt")
            a.add_dir(d, name="imgs")
            a.remove("a.txt")
            a.remove("imgs/cat.png")
            run.log_artifact(a)
        self.assertEqual([e.path for e in a.files()], ["imgs/dog.png"])

    def test_ttl(self) -> None:
        with trove.init() as run:
            a = trove.Artifact("short-lived", "dataset")
            a.ttl = dt.timedelta(days=2)
            with a.new_file("x") as f:
                f.write("x")
            run.log_artifact(a)
        self.assertEqual(a.ttl, dt.timedelta(days=2))
        self.assertEqual(a.expires_at, a.created_at + dt.timedelta(days=2))
        got = trove.Api().artifact("short-lived:v0")
        self.assertEqual(got.ttl, dt.timedelta(days=2))
        got.ttl = None
        got.save()
        self.assertIsNone(trove.Api().artifact("short-lived:v0").ttl)
        got.ttl = dt.timedelta(hours=5)
        got.save()
        self.assertEqual(trove.Api().artifact("short-lived:v0").ttl, dt.timedelta(hours=5))

    def test_wait(self) -> None:
        with trove.init() as run:
            a = trove.Artifact("waited", "dataset")
            with a.new_file("x") as f:
                f.write("x")
            self.assertIs(run.log_artifact(a).wait(), a)
            self.assertEqual(a.wait().version, "v0")


class UpdateTest(TroveTestCase):
    def test_update_description_metadata_aliases(self) -> None:
        self.log("bike-dataset", {"f": "1"}, description="old", metadata={"oldKey": "old", "other": 1})
        api = trove.Api()
        artifact = api.artifact("bike-dataset:latest")
        artifact.description = "My new description"
        artifact.metadata["oldKey"] = "new value"
        artifact.save()
        got = api.artifact("bike-dataset:v0")
        self.assertEqual(got.description, "My new description")
        self.assertEqual(got.metadata, {"oldKey": "new value", "other": 1})

        got.metadata = {"newKey": "new value"}
        got.aliases.append("best")
        got.save()
        self.assertEqual(api.artifact("bike-dataset:v0").metadata, {"newKey": "new value"})
        self.assertEqual(sorted(api.artifact("bike-dataset:best").aliases), ["best", "latest"])

        got.aliases.remove("latest")  # latest is Trove's: it stays
        got.aliases.remove("best")
        got.save()
        self.assertEqual(api.artifact("bike-dataset:v0").aliases, ["latest"])
        with self.assertRaises(errors.NotFound):
            api.artifact("bike-dataset:best")

        got.aliases = ["replaced"]
        got.save()
        self.assertEqual(sorted(got.aliases), ["latest", "replaced"])
        self.assertEqual(sorted(api.artifact("bike-dataset:replaced").aliases), ["latest", "replaced"])

    def test_alias_moves(self) -> None:
        self.log("mover", {"f": "1"}, aliases=["prod"])
        self.log("mover", {"f": "2"})
        v1 = trove.Api().artifact("mover:v1")
        v1.aliases.append("prod")
        v1.save()
        vs = trove.Api().artifact_versions("dataset", "mover")
        self.assertEqual([sorted(v.aliases) for v in vs], [[], ["latest", "prod"]])

    def test_save_unlogged_logs_it(self) -> None:
        a = trove.Artifact("saved", "dataset")
        with a.new_file("f") as f:
            f.write("x")
        a.save()
        self.assertEqual(a.name, "saved:v0")
        by = a.logged_by()
        assert by is not None
        self.assertEqual(by.job_type, "auto")
        self.assertEqual(by.state, "finished")
        self.assertIsNone(trove.run)
        with trove.init() as run:
            b = trove.Artifact("saved", "dataset")
            with b.new_file("f") as f:
                f.write("y")
            b.save()
            self.assertEqual(b.logged_by().id, run.id)  # type: ignore[union-attr]

    def test_delete(self) -> None:
        self.log("doomed", {"f": "1"}, aliases=["keep"])
        self.log("doomed", {"f": "2"})
        api = trove.Api()
        v0 = api.artifact("doomed:v0")
        before = self.versions("doomed")
        with self.assertRaises(errors.Conflict):
            v0.delete()
        self.assertEqual(self.versions("doomed"), before)
        v0.delete(delete_aliases=True)
        self.assertEqual(v0.state, "deleted")
        self.assertEqual([v.version for v in api.artifact_versions("dataset", "doomed")], ["v1"])
        for ref in ("doomed:v0", "doomed:keep"):
            with self.assertRaises(errors.NotFound):
                api.artifact(ref)
        with trove.init() as run:
            with self.assertRaises(errors.NotFound):
                run.use_artifact("doomed:v0")
        # Using a deleted version recorded nothing.
        self.assertEqual(run.used_artifacts(), [])
        # The deleted version's old object cannot be used either.
        with self.assertRaises(errors.NotFound):
            v0.download(root=os.path.join(self.tmp, "gone"))
        with self.assertRaises(errors.NotFound):
            v0.delete()
        self.assertEqual(len(self.versions("doomed")), 1)
        # The walkthrough's clean-up loop.
        self.log("doomed", {"f": "3"})
        for version in api.artifact_versions("dataset", "doomed"):
            if len(version.aliases) == 0:
                version.delete()
        self.assertEqual([v.version for v in api.artifact_versions("dataset", "doomed")], ["v2"])


class TraversalTest(TroveTestCase):
    def test_logged_by_used_by(self) -> None:
        with trove.init(job_type="make", name="maker") as maker:
            a = trove.Artifact("data", "dataset")
            with a.new_file("f") as f:
                f.write("x")
            maker.log_artifact(a)
        with trove.init(job_type="use") as user1:
            user1.use_artifact("data:v0")
        with trove.init(job_type="use") as user2:
            user2.use_artifact("data:v0")
        artifact = trove.Api().artifact("data:v0")
        producer = artifact.logged_by()
        assert producer is not None
        self.assertEqual((producer.id, producer.name, producer.job_type, producer.state), (maker.id, "maker", "make", "finished"))
        self.assertEqual(sorted(r.id for r in artifact.used_by()), sorted([user1.id, user2.id]))
        self.assertEqual([x.name for x in producer.logged_artifacts()], ["data:v0"])
        self.assertEqual(producer.used_artifacts(), [])
        self.assertEqual([x.name for x in user1.used_artifacts()], ["data:v0"])
        # A version logged by the CLI has a producer too.
        self.write("cli.txt", "c")
        trove_cli("artifact", "put", "cli.txt", "-n", "from-cli", "-t", "dataset")
        cli = trove.Api().artifact("from-cli:v0").logged_by()
        assert cli is not None
        self.assertEqual(cli.job_type, "upload")


if __name__ == "__main__":
    unittest.main()
