"""The veRL compute_score functions against a live rlvr-verifier, called the way veRL's reward
managers call them (keyword arguments; the file loaded by path like custom_reward_function.path)."""

import importlib.util
import json
import os
import unittest

import live
import rlvr
import rlvr.adapters.verl as verl


# A small Python stdio problem (print twice the input).
DOUBLE_TESTS = {"type": "stdio", "cases": [{"input": "1\n", "output": "2\n"},
                                           {"input": "5\n", "output": "10\n"}]}
DOUBLE_OK = "```python\nprint(int(input()) * 2)\n```"
DOUBLE_HALF = "```python\nn = int(input())\nprint(2 if n == 1 else 0)\n```"


class VerlTest(unittest.TestCase):
    def setUp(self):
        self.saved = {k: os.environ.get(k) for k in ("RLVR_VERIFIER", "RLVR_ON_FAILURE")}
        os.environ["RLVR_VERIFIER"] = live.grpc_target()
        os.environ.pop("RLVR_ON_FAILURE", None)

    def tearDown(self):
        for key, value in self.saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value

    def score(self, solution, truth, **kwargs):
        return verl.compute_score(data_source="openai/gsm8k", solution_str=solution, ground_truth=truth,
                                  extra_info={"split": "train", "index": 0}, **kwargs)

    def test_scores(self):
        self.assertEqual(self.score("#### \\boxed{72}", "72"), 1.0)
        self.assertEqual(self.score("\\boxed{71}", "72"), 0.0)
        self.assertEqual(self.score("I give up.", "72"), 0.0)
        self.assertIsInstance(self.score("\\boxed{72}", 72), float)

    def test_dict_scores(self):
        self.assertEqual(self.score("\\boxed{72}", "72", return_dict=True),
                         {"score": 1.0, "acc": 1.0, "valid": True})
        self.assertEqual(self.score("\\boxed{7}", "72", return_dict=True),
                         {"score": 0.0, "acc": 0.0, "valid": True})

    def test_invalid_gold_raises_by_default(self):
        with self.assertRaises(rlvr.VerificationFailed) as caught:
            self.score("\\boxed{1}", "@@@")
        self.assertIn("invalid_gold", str(caught.exception))
        self.assertIn("openai/gsm8k", str(caught.exception))
        with self.assertRaises(rlvr.VerificationFailed):
            self.score("\\boxed{1}", None)

    def test_invalid_gold_none_when_asked_and_counted(self):
        verl.reset_counters()
        self.assertIsNone(self.score("\\boxed{1}", "@@@", on_failure="none"))
        result = self.score("\\boxed{1}", "", on_failure="none", return_dict=True)
        self.assertEqual(result, {"score": None, "acc": None, "valid": False})
        os.environ["RLVR_ON_FAILURE"] = "none"
        self.assertIsNone(self.score("\\boxed{1}", "@@@"))
        self.assertEqual(self.score("\\boxed{1}", "1"), 1.0)
        self.assertEqual(verl.counters["calls"], 4)
        self.assertEqual(verl.counters["samples"], 4)
        self.assertEqual(verl.counters["failed"], 3)
        self.assertEqual(verl.counters["invalid_verdict"], 2)
        self.assertEqual(verl.counters["no_gold"], 1)
        self.assertEqual(verl.counters["rewarded"], 1)
        self.assertEqual(verl.outcomes["invalid_gold"], 2)

    def test_nan_is_refused(self):
        # A NaN reward would spread into every advantage of its group.
        with self.assertRaisesRegex(ValueError, "NaN reward"):
            self.score("\\boxed{1}", "@@@", on_failure="nan")
        os.environ["RLVR_ON_FAILURE"] = "nan"
        with self.assertRaisesRegex(ValueError, "NaN reward"):
            self.score("\\boxed{1}", "1")

    def test_failures_are_counted_before_raising(self):
        verl.reset_counters()
        with self.assertRaises(rlvr.VerificationFailed):
            verl.compute_score_batch(["m"] * 3, ["\\boxed{1}"] * 3, ["@@@", "1", None])
        self.assertEqual(verl.counters["samples"], 3)
        self.assertEqual(verl.counters["failed"], 2)
        self.assertEqual(verl.counters["rewarded"], 1)
        with self.assertRaises(rlvr.UnavailableError):
            self.score("\\boxed{1}", "1", target=live.dead_target(), timeout=5)
        self.assertEqual(verl.counters["rpc_error"], 1)

    def test_code_problems(self):
        verl.reset_counters()
        # extra_info["tests"], a ground_truth dict, JSON text of a whole label, and veRL's code
        # datasets' {"inputs", "outputs"} JSON text.
        apps = json.dumps({"inputs": ["1\n", "5\n"], "outputs": ["2\n", "10\n"]})
        self.assertEqual(verl.compute_score("code", DOUBLE_OK, ground_truth="",
                                            extra_info={"tests": DOUBLE_TESTS}), 1.0)
        self.assertEqual(verl.compute_score("code", DOUBLE_HALF, ground_truth=DOUBLE_TESTS), 0.5)
        self.assertEqual(verl.compute_score("code", DOUBLE_OK, json.dumps(
            {"language": "python", "tests": DOUBLE_TESTS})), 1.0)
        self.assertEqual(verl.compute_score("code", DOUBLE_HALF, apps, return_dict=True),
                         {"score": 0.5, "acc": 0.0, "valid": True})
        self.assertEqual(verl.counters["code"], 4)
        scores = verl.compute_score_batch(
            ["code", "code", "math", "code"], [DOUBLE_OK, "no program", "\\boxed{2}", DOUBLE_OK],
            [apps, apps, "2", "{1, 2}"], [None, None, None, {"tests": json.dumps(DOUBLE_TESTS)}])
        self.assertEqual(scores, [1.0, 0.0, 1.0, 1.0])
        self.assertEqual(verl.outcomes["no_code"], 1)
        # Malformed tests: raised (naming the field) or None.
        with self.assertRaisesRegex(ValueError, "unknown key"):
            verl.compute_score("code", DOUBLE_OK, {"type": "stdio", "casez": []})
        self.assertIsNone(verl.compute_score("code", DOUBLE_OK, '{"tests": ', on_failure="none"))
        self.assertEqual(verl.counters["bad_tests"], 2)

    def test_rpc_failure_raises(self):
        with self.assertRaises(rlvr.UnavailableError):
            self.score("\\boxed{1}", "1", target=live.dead_target(), timeout=5)
        gold, responses = live.slow_group()
        with self.assertRaises(rlvr.DeadlineExceededError):
            verl.compute_score_batch(["m"] * len(responses), responses, [gold] * len(responses),
                                     timeout=1e-3)

    def test_batch(self):
        scores = verl.compute_score_batch(
            data_sources=["math"] * 4, solution_strs=["\\boxed{1}", "\\boxed{2}", "\\boxed{3}", "no"],
            ground_truths=["1", "1", "3", "3"], extra_infos=[{}] * 4)
        self.assertEqual(scores, [1.0, 0.0, 1.0, 0.0])
        dicts = verl.compute_score_batch(["m", "m"], ["\\boxed{1}", "\\boxed{1}"], ["1", "@@@"],
                                         return_dict=True, on_failure="none")
        self.assertEqual(dicts[0], {"score": 1.0, "acc": 1.0, "valid": True})
        self.assertFalse(dicts[1]["valid"])
        with self.assertRaises(rlvr.VerificationFailed) as caught:
            verl.compute_score_batch(["m", "m"], ["\\boxed{1}", "\\boxed{1}"], ["1", "@@@"])
        self.assertEqual(caught.exception.index, 1)

    def test_unknown_reward_kwargs_are_ignored(self):
        self.assertEqual(self.score("\\boxed{5}", "5", some_future_kwarg=1), 1.0)

    def test_bad_inputs(self):
        with self.assertRaisesRegex(TypeError, "solution_str must be a str"):
            self.score(None, "1")
        with self.assertRaisesRegex(ValueError, "on_failure"):
            self.score("\\boxed{1}", "1", on_failure="zero")
        with self.assertRaisesRegex(ValueError, "2 solution_strs for 1 ground_truths"):
            verl.compute_score_batch(["m"], ["a", "b"], ["1"])
        with self.assertRaisesRegex(ValueError, "empty"):
            verl.compute_score_batch([], [], [])
        with self.assertRaisesRegex(ValueError, "1 extra_infos for 2 solution_strs"):
            verl.compute_score_batch(["m", "m"], ["a", "b"], ["1", "2"], [{}])
        with self.assertRaisesRegex(TypeError, "gold answer"):
            self.score("\\boxed{1}", ["1"])

    def test_loaded_by_path_like_verl(self):
        # veRL's custom_reward_function.path: importlib.util.spec_from_file_location + exec_module.
        spec = importlib.util.spec_from_file_location("custom_module", verl.__file__)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        fn = getattr(module, "compute_score")
        calls = verl.counters["calls"]
        self.assertEqual(fn(data_source="x", solution_str="\\boxed{3}", ground_truth="3",
                            extra_info=None), 1.0)
        # One set of counters however the module was loaded.
        self.assertIs(module.counters, verl.counters)
        self.assertEqual(verl.counters["calls"], calls + 1)


if __name__ == "__main__":
    unittest.main()
