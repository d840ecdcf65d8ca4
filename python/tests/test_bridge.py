#!/usr/bin/env python3
"""Tests of the proxmo bridge adapter, run as a child process exactly as proxmo runs it
(``python3 -m proxmo_bridge``), so the package must be importable: installed
(``pip install ./python``) or on ``PYTHONPATH``:

    PYTHONPATH=python python3 python/tests/test_bridge.py

pytest collects it too (``pytest python/tests``). Only the standard library is needed; the
TextWorld part runs when ``textworld`` is importable, the ALFWorld part when ``alfworld`` and
TextWorld's PDDL backend (``fast_downward``) are, on a tiny hand-written ALFWorld game (the
real data cannot be fetched here).
"""

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

# The pure helpers, tested in process; the server runs as a child.
from proxmo_bridge import webshop_anchor, webshop_instruction


def have(module):
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


class Client:
    """Drives one adapter process over its stdin/stdout."""

    def __init__(self, env=None):
        self.proc = subprocess.Popen(
            # Same interpreter and site setting as the tests, so `have()` matches the adapter.
            [sys.executable] + (["-S"] if sys.flags.no_site else []) + ["-m", "proxmo_bridge"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=env)
        self.next_id = 1

    def raw(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        out = self.proc.stdout.readline()
        if not out:
            raise AssertionError("adapter exited: %s" % self.proc.stderr.read())
        return json.loads(out)

    def call(self, **request):
        request["id"] = self.next_id
        self.next_id += 1
        response = self.raw(json.dumps(request))
        assert response["id"] == request["id"], response
        return response

    def ok(self, **request):
        response = self.call(**request)
        assert response["ok"] is True, response
        return response

    def error(self, **request):
        response = self.call(**request)
        assert response["ok"] is False, response
        return response["error"]["type"]

    def close(self):
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.stdout.close()
            self.proc.stderr.close()


OUTCOME_KEYS = {"observation", "reward", "done", "won", "score", "admissible"}


class ProtocolTest(unittest.TestCase):
    def setUp(self):
        self.c = Client()

    def tearDown(self):
        self.c.close()

    def test_hello(self):
        r = self.c.ok(op="hello")
        self.assertEqual(r["protocol"], 1)
        self.assertEqual(r["kinds"], ["alfworld", "debug", "textworld", "webshop"])

    def test_bad_requests_get_errors_and_the_adapter_survives(self):
        for line, expected in [
            ("not json at all", "bad_json"),
            ("[1, 2, 3]", "bad_request"),
            ('{"id": 5}', "bad_request"),
            ('{"id": 6, "op": 3}', "bad_request"),
            ('{"id": 7, "op": "fly"}', "unknown_op"),
        ]:
            r = self.c.raw(line)
            self.assertFalse(r["ok"], line)
            self.assertEqual(r["error"]["type"], expected, line)
            self.assertIsInstance(r["error"]["message"], str)
        c = self.c
        self.assertEqual(c.error(op="create", env=0, kind="nope"), "unknown_kind")
        self.assertEqual(c.error(op="create", env="zero", kind="debug"), "bad_request")
        self.assertEqual(c.error(op="create", env=0, kind="debug", config=[1]), "bad_request")
        self.assertEqual(c.error(op="create", env=0, kind="debug", config={"n_tasks": 0}),
                         "bad_request")
        c.ok(op="create", env=0, kind="debug", config={"n_tasks": 2})
        self.assertEqual(c.error(op="create", env=0, kind="debug"), "env_exists")
        self.assertEqual(c.error(op="step", env=0, action="look"), "not_reset")
        self.assertEqual(c.error(op="reset", env=0), "bad_request")
        self.assertEqual(c.error(op="reset", env=0, task=2), "bad_task")
        self.assertEqual(c.error(op="reset", env=0, task=-1), "bad_task")
        self.assertEqual(c.error(op="reset", env=0, task=True), "bad_request")
        self.assertEqual(c.error(op="reset", env=1, task=0), "unknown_env")
        c.ok(op="reset", env=0, task=1)
        self.assertEqual(c.error(op="step", env=0, action=5), "bad_request")
        self.assertEqual(c.error(op="sleep", seconds="x"), "bad_request")
        self.assertEqual(c.error(op="close", env=9), "unknown_env")
        self.assertTrue(c.ok(op="hello"))

    def test_debug_play_and_no_auto_reset(self):
        c = self.c
        created = c.ok(op="create", env=3, kind="debug", config={"n_tasks": 2})
        self.assertEqual(created["n_tasks"], 2)
        self.assertEqual(created["tasks"], ["debug-0", "debug-1"])
        c.ok(op="create", env=4, kind="debug", config={"tasks": ["a", "b", "c"]})
        r = c.ok(op="reset", env=3, task=0)
        self.assertTrue(OUTCOME_KEYS <= set(r), r)
        self.assertEqual(r["task"], "debug-0")
        self.assertEqual(c.ok(op="reset", env=4, task=2)["task"], "c")
        self.assertEqual(c.ok(op="reset", env=4, task="explicit-id")["task"], "explicit-id")
        won = c.ok(op="step", env=3, action="win")
        self.assertTrue(won["won"] and won["done"])
        self.assertEqual(won["reward"], 1.0)
        self.assertFalse(c.ok(op="step", env=4, action="look")["done"])
        self.assertEqual(c.error(op="step", env=99, action="look"), "unknown_env")
        self.assertEqual(c.error(op="step", env=3, action="look"), "episode_done")
        c.ok(op="reset", env=3, task=0)
        c.ok(op="step", env=3, action="look")
        c.ok(op="close", env=3)
        self.assertEqual(c.error(op="step", env=3, action="look"), "unknown_env")

    def test_stray_stdout_output_cannot_corrupt_the_stream(self):
        c = self.c
        c.ok(op="create", env=0, kind="debug", config={"chatty": True})
        c.ok(op="reset", env=0, task=0)
        for _ in range(3):
            self.assertIn("you said", c.ok(op="step", env=0, action="look")["observation"])

    def test_missing_data_is_a_protocol_error(self):
        env = dict(os.environ)
        env.pop("WEBSHOP_PATH", None)
        env.pop("ALFWORLD_DATA", None)
        c = Client(env=env)
        try:
            self.assertEqual(c.error(op="create", env=0, kind="webshop"), "missing_data")
            self.assertIn(c.error(op="create", env=1, kind="webshop",
                                  config={"path": "/nonexistent/webshop"}), ["missing_data"])
            kind = c.error(op="create", env=2, kind="alfworld")
            self.assertIn(kind, ["missing_package", "missing_data"])
            if not have("textworld"):
                r = c.call(op="create", env=3, kind="textworld", config={"games": []})
                self.assertEqual(r["error"]["type"], "missing_package")
                self.assertIn("pip install textworld", r["error"]["message"])
        finally:
            c.close()

    def test_sleep_op(self):
        t = time.time()
        self.c.ok(op="sleep", seconds=0.2)
        self.assertGreaterEqual(time.time() - t, 0.2)


def play_expert(test, c, env, first, limit=30):
    """Follows the ``expert`` plan until the episode ends; returns the last outcome."""
    r, steps = first, 0
    while not r["done"]:
        test.assertTrue(r.get("expert"), "no expert plan: %r" % r)
        r = c.ok(op="step", env=env, action=r["expert"][0])
        test.assertEqual(r["admissible"], sorted(set(r["admissible"])))
        steps += 1
        test.assertLessEqual(steps, limit)
    return r


@unittest.skipUnless(have("textworld"), "textworld is not installed")
class TextWorldTest(unittest.TestCase):
    def test_the_kind_module_imports_the_library_not_itself(self):
        # proxmo_bridge/textworld.py imports `textworld` absolutely: the TextWorld library.
        from proxmo_bridge.textworld import _import_textworld
        library = _import_textworld()
        self.assertEqual(library.__name__, "textworld")
        self.assertTrue(hasattr(library, "GameOptions") and hasattr(library, "make"))

    def test_generate_play_and_reset_determinism(self):
        tmp = tempfile.mkdtemp(prefix="proxmo-tw-")
        c = Client()
        try:
            gen = {"count": 1, "seed": 7, "world_size": 2, "nb_objects": 3, "quest_length": 2,
                   "dir": tmp}
            created = c.ok(op="create", env=0, kind="textworld", config={"generate": gen})
            self.assertEqual(created["n_tasks"], 1)
            game = created["tasks"][0]
            self.assertTrue(os.path.isfile(game))
            # A second instance reuses the generated file.
            self.assertEqual(c.ok(op="create", env=1, kind="textworld",
                                  config={"generate": gen})["tasks"], [game])
            first = c.ok(op="reset", env=0, task=0)
            self.assertTrue(first["admissible"])
            # The Z-machine prompt/status line ("> -= Room =-0/1") is stripped by default.
            self.assertFalse(first["observation"].splitlines()[-1].startswith(">"))
            again = c.ok(op="reset", env=1, task=game)
            self.assertEqual(first["observation"], again["observation"])
            last = play_expert(self, c, 0, first)
            self.assertTrue(last["won"])
            self.assertEqual(last["score"], 1.0)
            self.assertGreater(last["reward"], 0)
            self.assertEqual(c.error(op="reset", env=0, task=os.path.join(tmp, "none.z8")),
                             "not_found")
        finally:
            c.close()
            shutil.rmtree(tmp, ignore_errors=True)


# A one-room ALFWorld problem written for this test: a mug on a countertop, to be put in a
# closed cabinet. Object names follow ALFWorld's mangled form (Type_bar_x_bar_y_bar_z).
MUG = "Mug_bar__plus_00_dot_10_bar__plus_00_dot_90_bar__minus_01_dot_20"
COUNTER = "CounterTop_bar__plus_00_dot_50_bar__plus_00_dot_95_bar__minus_01_dot_00"
CABINET = "Cabinet_bar__minus_01_dot_00_bar__plus_00_dot_40_bar__minus_01_dot_50"
ALF_PROBLEM = """(define (problem proxmo_bridge_test)
(:domain alfred)
(:objects
  agent1 - agent
  MugType - otype
  CounterTopType - rtype
  CabinetType - rtype
  %(mug)s - object
  %(counter)s - receptacle
  %(cabinet)s - receptacle
  loc_start - location
  loc_counter - location
  loc_cabinet - location
)
(:init
  (atLocation agent1 loc_start)
  (objectType %(mug)s MugType)
  (receptacleType %(counter)s CounterTopType)
  (receptacleType %(cabinet)s CabinetType)
  (canContain CounterTopType MugType)
  (canContain CabinetType MugType)
  (pickupable %(mug)s)
  (openable %(cabinet)s)
  (receptacleAtLocation %(counter)s loc_counter)
  (receptacleAtLocation %(cabinet)s loc_cabinet)
  (inReceptacle %(mug)s %(counter)s)
  (objectAtLocation %(mug)s loc_counter)
)
(:goal (and (exists (?r - receptacle) (exists (?o - object)
  (and (inReceptacle ?o ?r) (objectType ?o MugType) (receptacleType ?r CabinetType))))))
)
""" % {"mug": MUG, "counter": COUNTER, "cabinet": CABINET}


def write_alfworld_fixture(root):
    import alfworld.info as info
    with open(info.ALFRED_PDDL_PATH) as f:
        domain = f.read()
    with open(info.ALFRED_TWL2_PATH) as f:
        grammar = f.read().replace("UNKNOWN GOAL", "put some mug in cabinet")
    trial = os.path.join(root, "json_2.1.1", "valid_unseen",
                         "pick_and_place_simple-Mug-None-Cabinet-1", "trial_T0")
    os.makedirs(trial)
    with open(os.path.join(trial, "game.tw-pddl"), "w") as f:
        json.dump({"pddl_domain": domain, "grammar": grammar, "pddl_problem": ALF_PROBLEM,
                   "solvable": True}, f)
    with open(os.path.join(trial, "traj_data.json"), "w") as f:
        json.dump({"task_type": "pick_and_place_simple",
                   "pddl_params": {"object_target": "Mug", "parent_target": "Cabinet",
                                   "mrecep_target": "", "toggle_target": "",
                                   "object_sliced": False}}, f)


@unittest.skipUnless(have("alfworld") and have("fast_downward"),
                     "alfworld and textworld[pddl] are not installed")
class AlfWorldTest(unittest.TestCase):
    def test_handwritten_game_with_the_real_alfworld_wrappers(self):
        tmp = tempfile.mkdtemp(prefix="proxmo-alf-")
        c = Client()
        try:
            write_alfworld_fixture(tmp)
            created = c.ok(op="create", env=0, kind="alfworld",
                           config={"data": tmp, "expert": True, "task_types": [1]})
            self.assertEqual(created["n_tasks"], 1)
            self.assertEqual(c.error(op="create", env=1, kind="alfworld",
                                     config={"data": tmp, "task_types": [2]}), "missing_data")
            first = c.ok(op="reset", env=0, task=0)
            self.assertTrue(first["observation"].startswith("-= Welcome to TextWorld, ALFRED! =-"))
            self.assertIn("Your task is to: put some mug in cabinet.", first["observation"])
            self.assertIn("go to cabinet 1", first["admissible"])
            # A fixed plan, then the hand-coded expert on a fresh episode.
            r = first
            for action in ["go to countertop 1", "take mug 1 from countertop 1",
                           "go to cabinet 1", "open cabinet 1", "move mug 1 to cabinet 1"]:
                self.assertIn(action, r["admissible"])
                r = c.ok(op="step", env=0, action=action)
            self.assertTrue(r["won"] and r["done"])
            self.assertEqual(r["score"], 1.0)
            last = play_expert(self, c, 0, c.ok(op="reset", env=0, task=0))
            self.assertTrue(last["won"])
        finally:
            c.close()
            shutil.rmtree(tmp, ignore_errors=True)


# A stand-in for a WebShop checkout with the interface of its text env (``WebAgentTextEnv``:
# reset(session=...) -> (obs, None), step -> (obs, reward, done, info),
# get_available_actions(), instruction_text, server.goals), to exercise the adapter's
# webshop path without WebShop's data.
FAKE_WEBSHOP = """
import os

class _Server:
    def __init__(self, n):
        self.goals = [{"instruction_text": "find item %d" % i} for i in range(n)]

class WebAgentTextEnv:
    def __init__(self, observation_mode="html", **kwargs):
        assert observation_mode == "text"
        assert os.path.isfile("marker.txt"), "not run from the checkout"
        self.server = _Server(kwargs.get("num_products") or 1600)
        self.page = "search"
        self.instruction_text = ""

    def _obs(self):
        if self.page == "search":
            return "WebShop [SEP] Instruction: [SEP] %s [SEP] Search" % self.instruction_text
        return "Instruction: [SEP] %s [SEP] Back to Search [SEP] B0001 [SEP] Item" % (
            self.instruction_text)

    def reset(self, session=None, instruction_text=None):
        self.instruction_text = self.server.goals[session]["instruction_text"]
        self.page = "search"
        return self._obs(), None

    def get_available_actions(self):
        if self.page == "search":
            return {"has_search_bar": True, "clickables": ["search"]}
        return {"has_search_bar": False, "clickables": ["back to search", "b0001"]}

    def step(self, action):
        if action.startswith("search["):
            self.page = "results"
            return self._obs(), 0.0, False, None
        if action == "click[b0001]":
            return "Thank you for shopping with us!", 1.0, True, None
        return self._obs(), 0.0, False, None

    def close(self):
        pass
"""


class WebShopAnchorTest(unittest.TestCase):
    def test_anchor_quotes_the_parts_after_the_instruction(self):
        obs = ("Instruction: [SEP] i need a red shirt [SEP] Back to Search [SEP] "
               "Page 1 (Total results: 50) [SEP] Next >")
        self.assertEqual(webshop_instruction(obs), "i need a red shirt")
        self.assertEqual(webshop_anchor(obs, "i need a red shirt"),
                         "'Back to Search' [SEP] 'Page 1 (Total results: 50)' [SEP] 'Next >'")
        done = "Thank you for shopping with us! [SEP] Your score (min 0.0, max 1.0) [SEP] 0.5"
        self.assertEqual(webshop_anchor(done, "i need a red shirt"), done)
        self.assertIsNone(webshop_instruction(done))


class WebShopAdapterTest(unittest.TestCase):
    def test_webshop_kind_against_a_stand_in_checkout(self):
        tmp = tempfile.mkdtemp(prefix="proxmo-ws-")
        c = Client()
        try:
            envs_dir = os.path.join(tmp, "web_agent_site", "envs")
            os.makedirs(envs_dir)
            for d in [os.path.join(tmp, "web_agent_site"), envs_dir]:
                open(os.path.join(d, "__init__.py"), "w").close()
            with open(os.path.join(envs_dir, "web_agent_text_env.py"), "w") as f:
                f.write(FAKE_WEBSHOP)
            open(os.path.join(tmp, "marker.txt"), "w").close()
            created = c.ok(op="create", env=0, kind="webshop",
                           config={"path": tmp, "split": "eval"})
            self.assertEqual(created["n_tasks"], 1000)
            self.assertEqual(created["tasks"][0], "500")
            self.assertEqual(c.ok(op="create", env=1, kind="webshop",
                                  config={"path": tmp, "split": "train"})["n_tasks"], 100)
            # verl-agent trains on every goal after the first 500.
            self.assertEqual(c.ok(op="create", env=2, kind="webshop",
                                  config={"path": tmp, "split": "verl_train"})["n_tasks"], 1100)
            r = c.ok(op="reset", env=0, task=3)
            self.assertIn("find item 503", r["observation"])
            # The parts after the instruction, quoted, as verl-agent shows them.
            self.assertEqual(r["anchor"], "'Search'")
            # Page order: the search bar first, then the clickables.
            self.assertEqual(r["admissible"], ["search[<your query>]", "click[search]"])
            self.assertEqual(c.ok(op="reset", env=0, task="7")["task"], "7")
            r = c.ok(op="step", env=0, action="search[item]")
            self.assertEqual(r["anchor"], "'Back to Search' [SEP] 'B0001' [SEP] 'Item'")
            self.assertEqual(r["admissible"], ["click[back to search]", "click[b0001]"])
            r = c.ok(op="step", env=0, action="click[b0001]")
            self.assertTrue(r["done"] and r["won"])
            self.assertEqual((r["reward"], r["score"]), (1.0, 1.0))
            self.assertEqual(c.error(op="step", env=0, action="click[b0001]"), "episode_done")
        finally:
            c.close()
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    unittest.main(verbosity=2)
