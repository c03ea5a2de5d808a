"""What only makes sense against a server (API keys, other users, saved
logins), and login on the embedded store."""

from __future__ import annotations

import json
import os
import unittest
from unittest import mock

import trove
from trove import _helper, errors

from .support import SERVER, TroveTestCase, trove_cli, unique


@unittest.skipUnless(SERVER, "needs a server (TROVE_TEST_MODE=server)")
class ServerTest(TroveTestCase):
    admin_key: str
    bob: str
    bob_key: str

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.admin_key = os.environ["TROVE_TEST_ADMIN_KEY"]
        cls.bob = unique("bob")
        out = trove_cli("user", "create", cls.bob, env={"TROVE_API_KEY": cls.admin_key}).stdout
        cls.bob_key = out.strip().splitlines()[-1].strip()

    def test_runs_as_the_test_user(self) -> None:
        with trove.init() as run:
            self.assertEqual(run.entity, os.environ.get("TROVE_TEST_USER", "alice"))
        self.assertEqual(trove.Api().default_entity, run.entity)

    def test_bad_keys(self) -> None:
        before = len(trove.Api().runs())
        for key in ("trove_" + "x" * 40, "not-a-key"):
            with self.assertRaises(errors.Unauthenticated):
                trove.Api(api_key=key).artifact("anything:v0")
            with mock.patch.dict(os.environ, {"TROVE_API_KEY": key}):
                with self.assertRaises(errors.Unauthenticated):
                    trove.init()
                self.assertIsNone(trove.run)
        self.assertEqual(len(trove.Api().runs()), before)

    def test_other_users_things(self) -> None:
        proj = unique("bobs")
        with mock.patch.dict(os.environ, {"TROVE_API_KEY": self.bob_key, "TROVE_PROJECT": proj}):
            bobs = self.log("secret", {"plans.txt": "bob's"})
            self.assertEqual(bobs.entity, self.bob)
            bob_before = self.versions("secret")
        ref = f"{self.bob}/{proj}/secret:v0"
        mine_before = len(trove.Api().runs())
        with self.assertRaises(errors.NotFound):
            trove.Api().artifact(ref)
        with self.assertRaises(errors.NotFound):
            trove.Api().artifact_versions("dataset", f"{self.bob}/{proj}/secret")
        with self.assertRaises(errors.NotFound):
            trove.Api().runs(f"{self.bob}/{proj}")
        with self.assertRaises(errors.Error) as cm:
            trove.init(entity=self.bob, project=proj)
        self.assertIsInstance(cm.exception, (errors.NotFound, errors.PermissionDenied))
        with trove.init() as run:
            with self.assertRaises(errors.NotFound):
                run.use_artifact(ref)
            self.assertEqual(run.used_artifacts(), [])
        # Bob's object in alice's hands reaches bob's store as bob: that is
        # its client. A version fetched by alice never carries bob's key.
        with self.assertRaises(errors.NotFound):
            trove.Api(api_key=os.environ["TROVE_API_KEY"]).artifact(ref)
        self.assertEqual(len(trove.Api().runs()), mine_before + 1)
        with mock.patch.dict(os.environ, {"TROVE_API_KEY": self.bob_key, "TROVE_PROJECT": proj}):
            self.assertEqual(self.versions("secret"), bob_before)
            self.assertEqual(trove.Api().artifact("secret:v0").used_by(), [])

    def test_protected_registry_alias(self) -> None:
        reg = unique("protected")
        path = self.write("model.h5", "w")
        with trove.init() as run:
            link = run.link_model(path, reg, name="guarded")
            before = [v.qualified_name + str(sorted(v.aliases)) for v in trove.Api().artifact_versions("model", f"registry/model/{reg}")]
            with self.assertRaises(errors.PermissionDenied):
                run.link_model(path, reg, name="guarded", aliases=["production"])
            with self.assertRaises(errors.PermissionDenied):
                trove.Api().artifact("guarded:v0").link(f"model/{reg}", aliases="production")
            link.aliases.append("production")
            with self.assertRaises(errors.PermissionDenied):
                link.save()
        after = [v.qualified_name + str(sorted(v.aliases)) for v in trove.Api().artifact_versions("model", f"registry/model/{reg}")]
        self.assertEqual(after, before)

    def test_login(self) -> None:
        url, key = os.environ["TROVE_URL"], os.environ["TROVE_API_KEY"]
        conf = os.path.join(self.tmp, "config")
        # The helper reads its config directory when it starts: start one
        # with a config directory of this test's own.
        _helper.shutdown()
        self.addCleanup(_helper.shutdown)
        with mock.patch.dict(os.environ, {"XDG_CONFIG_HOME": conf}):
            with self.assertRaises(errors.Unauthenticated):
                trove.login(key="trove_" + "y" * 40, host=url)
            self.assertFalse(os.path.exists(os.path.join(conf, "trove", "config.json")))
            self.assertIs(trove.login(key=key, host=url), True)
            with open(os.path.join(conf, "trove", "config.json")) as f:
                saved = json.load(f)
            self.assertIn(url.rstrip("/"), json.dumps(saved))
            # Without TROVE_URL and TROVE_API_KEY, the saved login is used.
            del os.environ["TROVE_URL"]
            del os.environ["TROVE_API_KEY"]
            self.assertEqual(trove.Api().default_entity, os.environ.get("TROVE_TEST_USER", "alice"))
            a = self.log("via-login", {"f": "x"})
            self.assertEqual(a.entity, os.environ.get("TROVE_TEST_USER", "alice"))
        # The same version, through the environment.
        self.assertEqual(trove.Api().artifact("via-login:v0").digest, a.digest)


@unittest.skipIf(SERVER, "embedded only")
class EmbeddedLoginTest(TroveTestCase):
    def test_login_needs_a_server(self) -> None:
        with self.assertRaisesRegex(errors.Invalid, "server URL"):
            trove.login(key="trove_" + "z" * 40)
        with self.assertRaises(errors.Invalid):
            trove.login(key="trove_" + "z" * 40, host=self.tmp)


if __name__ == "__main__":
    unittest.main()
