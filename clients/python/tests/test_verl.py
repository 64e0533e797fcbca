"""The veRL compute_score functions against a live rlvr-verifier, called the way veRL's reward
managers call them (keyword arguments; the file loaded by path like custom_reward_function.path)."""

import importlib.util
import math
import os
import unittest

import live
import rlvr
import rlvr.adapters.verl as verl


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

    def test_invalid_gold_nan_when_asked(self):
        self.assertTrue(math.isnan(self.score("\\boxed{1}", "@@@", on_failure="nan")))
        result = self.score("\\boxed{1}", "", on_failure="nan", return_dict=True)
        self.assertTrue(math.isnan(result["score"]))
        self.assertIs(result["valid"], False)
        os.environ["RLVR_ON_FAILURE"] = "nan"
        self.assertTrue(math.isnan(self.score("\\boxed{1}", "@@@")))

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
                                         return_dict=True, on_failure="nan")
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
        with self.assertRaisesRegex(TypeError, "gold answer"):
            self.score("\\boxed{1}", ["1"])

    def test_loaded_by_path_like_verl(self):
        # veRL's custom_reward_function.path: importlib.util.spec_from_file_location + exec_module.
        spec = importlib.util.spec_from_file_location("custom_module", verl.__file__)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        fn = getattr(module, "compute_score")
        self.assertEqual(fn(data_source="x", solution_str="\\boxed{3}", ground_truth="3",
                            extra_info=None), 1.0)


if __name__ == "__main__":
    unittest.main()
