"""Runs: init, the current run, finishing, context managers, interpreter exit,
distributed artifacts, registry links (both modes)."""

from __future__ import annotations

import json
import multiprocessing
import os
import sys
import textwrap
import unittest

import trove
from trove import errors

from .support import PYTHON_DIR, TroveTestCase, run_python, trove_cli, unique


class InitTest(TroveTestCase):
    def test_init_fields(self) -> None:
        run = trove.init(
            job_type="train",
            name="my-run",
            config={"optimizer": "adam", "batch_size": 128},
            group="g1",
            notes="a note",
            tags=["a", "b"],
        )
        try:
            self.assertIs(trove.run, run)
            self.assertIsInstance(run, trove.Run)
            self.assertEqual(len(run.id), 8)
            self.assertEqual(run.name, "my-run")
            self.assertEqual(run.project, self.project)
            self.assertTrue(run.entity)
            self.assertEqual(run.job_type, "train")
            self.assertEqual(run.group, "g1")
            self.assertEqual(run.tags, ["a", "b"])
            self.assertEqual(run.notes, "a note")
            self.assertEqual(run.state, "running")
            self.assertEqual(run.config["optimizer"], "adam")
            self.assertEqual(run.config.batch_size, 128)
            self.assertEqual(run.path, f"{run.entity}/{self.project}/{run.id}")
            stored = trove.Api().run(run.path)
            self.assertEqual((stored.id, stored.name, stored.state), (run.id, "my-run", "running"))
            self.assertEqual(dict(stored.config), {"optimizer": "adam", "batch_size": 128})
        finally:
            trove.finish()
        self.assertIsNone(trove.run)
        self.assertEqual(run.state, "finished")
        self.assertIsNotNone(run.finished_at)
        self.assertEqual(trove.Api().run(run.id).state, "finished")

    def test_generated_names_and_projects(self) -> None:
        other = unique("other")
        with trove.init(project=other) as run:
            self.assertEqual(run.project, other)
            self.assertRegex(run.name, r"^[a-z]+-[a-z]+-\d+$")
        with trove.init(project=other, entity=run.entity) as again:
            self.assertEqual(again.entity, run.entity)
        self.assertEqual(sorted(r.id for r in trove.Api().runs(other)), sorted([run.id, again.id]))
        self.assertEqual(sorted(r.id for r in trove.Api().runs(f"{run.entity}/{other}")), sorted([run.id, again.id]))

    def test_config_forms(self) -> None:
        import argparse

        with trove.init(config=argparse.Namespace(lr=0.5)) as run:
            self.assertEqual(run.config.lr, 0.5)
        before = len(trove.Api().runs())
        for bad in ([1, 2], {"x": object()}, {"nan": float("nan")}):
            with self.assertRaises(errors.Invalid):
                trove.init(config=bad)
        self.assertEqual(len(trove.Api().runs()), before)

    def test_bad_init_changes_nothing(self) -> None:
        run = trove.init()
        before = len(trove.Api().runs())
        with self.assertRaises(errors.Invalid):
            trove.init(project="not a project!")
        with self.assertRaises(errors.Invalid):
            trove.init(job_type="bad\x01job")
        # The current run is still the current run, still running.
        self.assertIs(trove.run, run)
        self.assertEqual(trove.Api().run(run.id).state, "running")
        self.assertEqual(len(trove.Api().runs()), before)
        run.finish()

    def test_context_manager_marks_failure(self) -> None:
        with self.assertRaisesRegex(RuntimeError, "boom"):
            with trove.init(job_type="fails") as run:
                raise RuntimeError("boom")
        self.assertEqual(run.state, "failed")
        self.assertEqual(trove.Api().run(run.id).state, "failed")
        self.assertIsNone(trove.run)
        with self.assertRaises(KeyboardInterrupt):
            with trove.init() as interrupted:
                raise KeyboardInterrupt
        self.assertEqual(trove.Api().run(interrupted.id).state, "failed")
        with trove.init() as ok:
            pass
        self.assertEqual(trove.Api().run(ok.id).state, "finished")

    def test_finish(self) -> None:
        run = trove.init()
        run.finish(exit_code=3)
        self.assertEqual(run.state, "failed")
        run.finish()  # twice: nothing happens
        self.assertEqual(trove.Api().run(run.id).state, "failed")
        with self.assertRaises(errors.Conflict):
            run.log_artifact(self.write("f", "x"))
        with self.assertRaises(errors.Conflict):
            run.use_artifact("anything:v0")
        trove.finish()  # no current run: nothing happens

    def test_second_init_finishes_first(self) -> None:
        first = trove.init()
        second = trove.init()
        self.assertIs(trove.run, second)
        self.assertEqual(first.state, "finished")
        self.assertEqual(trove.Api().run(first.id).state, "finished")
        second.finish()

    def test_runs_from_api_are_read_only(self) -> None:
        with trove.init() as run:
            pass
        stored = trove.Api().run(run.id)
        with self.assertRaises(errors.Conflict):
            stored.log_artifact(self.write("f", "x"))
        self.assertEqual(stored.logged_artifacts(), [])


class ExitTest(TroveTestCase):
    """What happens to the current run when the interpreter exits."""

    def _run(self, body: str) -> "tuple[str, int, str]":
        code = "import trove\nrun = trove.init(job_type='exit')\nprint(run.id, flush=True)\n" + textwrap.dedent(body)
        p = run_python(code)
        rid = p.stdout.split()[0] if p.stdout.split() else ""
        self.assertTrue(rid, p.stderr)
        return trove.Api().run(rid).state, p.returncode, p.stderr

    def test_normal_exit_finishes(self) -> None:
        state, rc, _ = self._run("pass")
        self.assertEqual((state, rc), ("finished", 0))

    def test_uncaught_exception_fails(self) -> None:
        state, rc, err = self._run("raise SystemError('uncaught')")
        self.assertEqual((state, rc), ("failed", 1))
        self.assertIn("uncaught", err)

    def test_sys_exit_nonzero_finishes(self) -> None:
        # As in the reference, only an uncaught exception fails the run.
        state, rc, _ = self._run("import sys; sys.exit(4)")
        self.assertEqual((state, rc), ("finished", 4))

    def test_context_manager_in_script(self) -> None:
        code = textwrap.dedent(
            """
            import trove
            outer = trove.init(job_type='outer')
            with trove.init(job_type='inner') as inner:
                print(outer.id, inner.id, flush=True)
                raise KeyError('inside')
            """
        )
        p = run_python(code)
        self.assertEqual(p.returncode, 1)
        self.assertIn("KeyError", p.stderr)
        outer, inner = p.stdout.split()
        # The second init finished the first; the exception failed the second.
        self.assertEqual(trove.Api().run(outer).state, "finished")
        self.assertEqual(trove.Api().run(inner).state, "failed")


class AttachTest(TroveTestCase):
    """A Python program started by ``trove exec`` attaches to the exec's run
    ($TROVE_RUN_ID): one run holds what it logged, and the exec ends it."""

    def _exec(self, project: str, name: str, code: str, check: bool = True) -> "tuple[int, str]":
        env = {"PYTHONPATH": PYTHON_DIR + os.pathsep + os.environ.get("PYTHONPATH", "")}
        p = trove_cli(
            "exec", "-p", project, "--name", name, "-j", "train", "--", sys.executable, "-c", textwrap.dedent(code),
            env=env, check=check,
        )
        return p.returncode, p.stderr

    def test_python_under_exec_logs_to_the_exec_run(self) -> None:
        project, name = unique("attach"), unique("outer")
        self._exec(
            project,
            name,
            """
            import os, trove
            with trove.init(job_type="inner", name="ignored", config={"lr": 1}) as run:
                assert run.id == os.environ["TROVE_RUN_ID"], (run.id, os.environ["TROVE_RUN_ID"])
                assert run.name == os.environ["TROVE_RUN_NAME"] and run.job_type == "train", (run.name, run.job_type)
                a = trove.Artifact(name="py-data", type="dataset")
                with a.new_file("x.txt") as f:
                    f.write("x")
                run.log_artifact(a)
            assert trove.Api().run(run.id).state == "running"  # the exec ends it
            # A second init attaches again; interpreter exit leaves the run too.
            run = trove.init()
            a = trove.Artifact(name="py-more", type="dataset")
            with a.new_file("y.txt") as f:
                f.write("y")
            run.log_artifact(a)
            """,
        )
        runs = trove.Api().runs(project)
        self.assertEqual([(r.name, r.state) for r in runs], [(name, "finished")])
        logged = sorted(v.name for v in runs[0].logged_artifacts())
        self.assertEqual(logged, ["py-data:v0", "py-more:v0"])

    def test_python_failure_fails_the_exec_run(self) -> None:
        project, name = unique("attach"), unique("outer")
        rc, err = self._exec(
            project,
            name,
            """
            import trove
            trove.init()
            raise SystemError("boom")
            """,
            check=False,
        )
        self.assertEqual(rc, 1, err)
        self.assertIn("boom", err)
        runs = trove.Api().runs(project)
        self.assertEqual([(r.name, r.state) for r in runs], [(name, "failed")])

    def test_attach_false_starts_a_run(self) -> None:
        project, name = unique("attach"), unique("outer")
        self._exec(
            project,
            name,
            """
            import os, trove
            with trove.init(job_type="own", attach=False) as run:
                assert run.id != os.environ["TROVE_RUN_ID"]
            """,
        )
        runs = trove.Api().runs(project)
        self.assertEqual(sorted((r.job_type, r.state) for r in runs), [("own", "finished"), ("train", "finished")])

    def test_other_project_is_refused(self) -> None:
        rc, err = self._exec(unique("attach"), unique("outer"), "import trove; trove.init(project='elsewhere')", check=False)
        self.assertNotEqual(rc, 0)
        self.assertIn("TROVE_RUN_ID=", err)


def _writer(group: str, project: str, i: int, q: "multiprocessing.Queue[str]") -> None:
    # A forked child: it starts its own helper.
    try:
        os.environ["TROVE_PROJECT"] = project
        with trove.init(group=group, job_type="writer") as run:
            artifact = trove.Artifact(name="parallel-artifact", type="dataset")
            table = trove.Table(columns=["a", "b", "c"], data=[[i, i * 2, 2**i]])
            artifact.add(table, "parts/table_{}".format(i))
            run.upsert_artifact(artifact)
        q.put("ok")
    except BaseException as e:  # report to the parent
        q.put(repr(e))


@unittest.skipUnless(hasattr(os, "fork"), "needs fork")
class DistributedTest(TroveTestCase):
    def test_parallel_writers_in_forked_children(self) -> None:
        group = unique("writer-group")
        # The parent has a helper and a run before forking: the children must
        # not share them.
        parent_run = trove.init(job_type="parent")
        ctx = multiprocessing.get_context("fork")
        q: "multiprocessing.Queue[str]" = ctx.Queue()
        procs = [ctx.Process(target=_writer, args=(group, self.project, i, q)) for i in range(3)]
        for p in procs:
            p.start()
        results = [q.get(timeout=60) for _ in procs]
        for p in procs:
            p.join(30)
        self.assertEqual(results, ["ok"] * 3)
        self.assertEqual(parent_run.state, "running")
        parent_run.finish()

        with trove.init(group=group) as run:
            artifact = trove.Artifact("parallel-artifact", type="dataset")
            artifact.add(trove.data_types.PartitionedTable("parts"), "distributed_table")
            run.finish_artifact(artifact, aliases=["done"])
        self.assertEqual(artifact.name, "parallel-artifact:v0")
        self.assertEqual(sorted(artifact.aliases), ["done", "latest"])
        self.assertEqual(
            [e.path for e in artifact.files()],
            ["distributed_table.partitioned-table.json", "parts/table_0.table.json", "parts/table_1.table.json", "parts/table_2.table.json"],
        )
        pt = trove.Api().artifact("parallel-artifact:v0").get("distributed_table")
        self.assertIsInstance(pt, trove.PartitionedTable)
        rows = sorted(row for part in pt for row in part.data)  # type: ignore[union-attr]
        self.assertEqual(rows, [[0, 0, 1], [1, 2, 2], [2, 4, 4]])

    def test_distributed_id_and_finished_artifact(self) -> None:
        did = unique("did")
        with trove.init() as run:
            a = trove.Artifact("dist", "dataset")
            with a.new_file("one.txt") as f:
                f.write("1")
            self.assertIs(run.upsert_artifact(a, distributed_id=did), a)
            self.assertTrue(a.is_draft())
        with trove.init() as run:
            b = trove.Artifact("dist", "dataset")
            b.distributed_id = did
            with b.new_file("two.txt") as f:
                f.write("2")
            run.finish_artifact(b)
        self.assertEqual([e.path for e in b.files()], ["one.txt", "two.txt"])
        with trove.init() as run:
            c = trove.Artifact("dist", "dataset")
            with c.new_file("three.txt") as f:
                f.write("3")
            before = self.versions("dist")
            # Finished: nothing more can be added under the same id.
            with self.assertRaises(errors.Conflict):
                run.upsert_artifact(c, distributed_id=did)
            with self.assertRaises(errors.Conflict):
                run.finish_artifact(c, distributed_id=did)
            # Finishing an id nothing was upserted to, with nothing of its own, is refused.
            with self.assertRaises(errors.Invalid):
                run.finish_artifact(trove.Artifact("dist", "dataset"), distributed_id=unique("empty"))
        self.assertEqual(self.versions("dist"), before)


class RegistryTest(TroveTestCase):
    def test_link_model_and_link(self) -> None:
        reg = unique("MNIST-dev")
        path = self.write("model.h5", "keras weights")
        with trove.init(job_type="train") as run:
            link = run.link_model(path=path, registered_model_name=reg, name="mnist_model")
        self.assertEqual(link.qualified_name, f"registry/model/{reg}:v0")
        self.assertEqual(link.name, f"{reg}:v0")
        self.assertEqual(link.type, "model")
        self.assertEqual(link.source_qualified_name, f"{run.entity}/{self.project}/mnist_model:v0")
        model = trove.Api().artifact("mnist_model:v0")
        self.assertEqual(model.logged_by().id, run.id)  # type: ignore[union-attr]
        self.assertEqual(trove.Api().artifact(f"registry/model/{reg}:latest").digest, model.digest)

        # Link again through the artifact and through a run, with aliases.
        self.log("mnist_model", {"model.h5": "better weights"}, type="model")
        v1 = trove.Api().artifact("mnist_model:v1")
        l1 = v1.link(f"model/{reg}", aliases=["staging"])
        self.assertEqual(l1.qualified_name, f"registry/model/{reg}:v1")
        self.assertEqual(sorted(l1.aliases), ["latest", "staging"])
        with trove.init() as run:
            l2 = run.link_artifact(model, f"model/{reg}", aliases="candidate")
        self.assertEqual(l2.version, "v0")
        self.assertIn("candidate", l2.aliases)
        got = trove.Api().artifact(f"registry/model/{reg}:candidate")
        self.assertEqual(got.source_qualified_name, model.qualified_name)
        # The lineage of a link is that of its source.
        g = trove.Api().lineage(f"registry/model/{reg}:v0", direction="upstream")
        self.assertIn(f"run:{model.logged_by().id}", [n["id"] for n in g["nodes"]])  # type: ignore[union-attr]

    def test_link_bad_target(self) -> None:
        a = self.log("linkme", {"f": "x"}, type="model")
        with self.assertRaises(errors.Error) as cm:
            a.link("no-such-registry-xyz/col")
        self.assertIsInstance(cm.exception, (errors.NotFound, errors.Invalid, errors.PermissionDenied))
        with self.assertRaises(errors.Error):
            a.link("model/bad name!")
        self.assertEqual(len(self.versions("linkme")), 1)


class LineageTest(TroveTestCase):
    def test_mnist_chain_matches_cli(self) -> None:
        with trove.init(job_type="create") as r1:
            d = trove.Artifact("mnist_dataset", "dataset")
            with d.new_file("data.json") as f:
                f.write("[]")
            r1.log_artifact(d)
        with trove.init(job_type="train_model") as r2:
            r2.use_artifact("mnist_dataset:latest")
            m = trove.Artifact("mnist_model", "model")
            with m.new_file("model.h5") as f:
                f.write("w")
            r2.log_artifact(m)
        with trove.init(job_type="evaluate") as r3:
            r3.use_artifact("mnist_model:v0")
        api = trove.Api()
        g = api.lineage("mnist_model:v0")
        cli = json.loads(trove_cli("lineage", f"{self.project}/mnist_model:v0", "--format", "json").stdout)
        self.assertEqual(g, cli)
        ids = {n["id"] for n in g["nodes"]}
        self.assertEqual(ids, {f"run:{r1.id}", f"run:{r2.id}", f"run:{r3.id}", f"artifact:{d.qualified_name}", f"artifact:{m.qualified_name}"})
        self.assertEqual(len(g["edges"]), 4)
        down1 = api.lineage("mnist_dataset:v0", direction="downstream", depth=1)
        self.assertEqual({n["id"] for n in down1["nodes"]}, {f"artifact:{d.qualified_name}", f"run:{r2.id}"})
        up = api.lineage(f"run:{r3.id}", direction="upstream")
        self.assertEqual(len(up["nodes"]), 5)
        for bad in ({"direction": "sideways"}, {"depth": -1}):
            with self.assertRaises(errors.Invalid):
                api.lineage("mnist_model:v0", **bad)  # type: ignore[arg-type]
        with self.assertRaises(errors.NotFound):
            api.lineage("mnist_model:v7")


if __name__ == "__main__":
    unittest.main()
