"""The TRL reward function against a live rlvr-verifier, called the way GRPOTrainer calls it."""

import math
import unittest

import live
import rlvr
from rlvr.adapters.trl import RewardFunction, completion_text, make_reward_func

PROMPTS = ["What is 1/2 as a decimal?"] * 3 + ["What is 2+2?"]
COMPLETIONS = ["It is \\boxed{0.5}", "\\boxed{2}", "I am not sure.", "2+2 = \\boxed{4}"]
ANSWERS = ["\\frac12", "\\frac12", "\\frac12", "4"]


def conversational(texts):
    return [[{"role": "assistant", "content": t}] for t in texts]


class TRLRewardTest(unittest.TestCase):
    def setUp(self):
        self.reward = make_reward_func(live.grpc_target(), timeout=30)

    def tearDown(self):
        self.reward.close()

    def call(self, reward=None, **columns):
        # GRPOTrainer's call: keyword arguments, extra columns and trainer_state included.
        return (reward or self.reward)(prompts=PROMPTS, completions=COMPLETIONS,
                                       completion_ids=[[1, 2]] * 4, trainer_state=object(), **columns)

    def test_plain_completions(self):
        self.assertEqual(self.call(answer=ANSWERS), [1.0, 0.0, 0.0, 1.0])
        self.assertEqual(self.reward.counters["samples"], 4)
        self.assertEqual(self.reward.counters["rewarded"], 4)
        self.assertEqual(self.reward.counters["correct"], 2)
        self.assertEqual(self.reward.counters["masked"], 0)
        self.assertEqual(self.reward.outcomes["no_answer"], 1)
        self.assertEqual(self.reward.__name__, "rlvr_math")

    def test_positional_call(self):
        self.assertEqual(self.reward(PROMPTS, COMPLETIONS, answer=ANSWERS), [1.0, 0.0, 0.0, 1.0])

    def test_conversational_completions(self):
        completions = conversational(COMPLETIONS)
        completions[0] = [{"role": "assistant", "content": "thinking..."},
                          {"role": "tool", "content": "\\boxed{7}"},
                          {"role": "assistant", "content": [{"type": "text", "text": "\\boxed{0.5}"}]}]
        prompts = [[{"role": "user", "content": p}] for p in PROMPTS]
        self.assertEqual(self.reward(prompts=prompts, completions=completions, answer=ANSWERS),
                         [1.0, 0.0, 0.0, 1.0])

    def test_answer_column_fallbacks_and_custom_key(self):
        self.assertEqual(self.call(solution=ANSWERS), [1.0, 0.0, 0.0, 1.0])
        self.assertEqual(self.call(ground_truth=ANSWERS), [1.0, 0.0, 0.0, 1.0])
        custom = make_reward_func(live.grpc_target(), answer_key="final", name="acc")
        try:
            self.assertEqual(self.call(custom, final=ANSWERS, answer=["9"] * 4), [1.0, 0.0, 0.0, 1.0])
            self.assertEqual(custom.__name__, "acc")
        finally:
            custom.close()

    def test_invalid_gold_and_missing_gold_are_none_and_counted(self):
        answers = ["\\frac12", "@@@", None, "4"]
        with self.assertLogs("rlvr.trl", "WARNING") as logs:
            rewards = self.call(answer=answers)
        self.assertIn("2 of 4 samples masked", logs.output[0])
        self.assertEqual(rewards, [1.0, None, None, 1.0])
        self.assertEqual(self.reward.counters["masked"], 2)
        self.assertEqual(self.reward.counters["invalid_verdict"], 1)
        self.assertEqual(self.reward.counters["no_gold"], 1)
        self.assertEqual(self.reward.outcomes["invalid_gold"], 1)

    def test_invalid_gold_raises_when_asked(self):
        strict = make_reward_func(live.grpc_target(), on_failure="raise")
        try:
            with self.assertRaises(rlvr.VerificationFailed) as caught:
                self.call(strict, answer=["\\frac12", "@@@", "1", "4"])
            self.assertEqual(caught.exception.index, 1)
            self.assertEqual(caught.exception.verdict.outcome, "invalid_gold")
            self.assertIn("invalid_gold", str(caught.exception))
        finally:
            strict.close()

    def test_rpc_failure_is_none_not_zero(self):
        down = make_reward_func(live.dead_target(), timeout=5)
        try:
            with self.assertLogs("rlvr.trl", "WARNING"):
                self.assertEqual(self.call(down, answer=ANSWERS), [None] * 4)
            self.assertEqual(down.counters["rpc_error"], 4)
            self.assertEqual(down.counters["masked"], 4)
        finally:
            down.close()
        raising = make_reward_func(live.dead_target(), timeout=5, on_failure="raise")
        try:
            with self.assertRaises(rlvr.UnavailableError):
                self.call(raising, answer=ANSWERS)
        finally:
            raising.close()

    def test_tiny_deadline_masks(self):
        gold, responses = live.slow_group()
        hurried = make_reward_func(live.grpc_target(), timeout=1e-3)
        try:
            with self.assertLogs("rlvr.trl", "WARNING") as logs:
                rewards = hurried(prompts=["p"] * len(responses), completions=responses,
                                  answer=[gold] * len(responses))
            self.assertEqual(rewards, [None] * len(responses))
            self.assertEqual(hurried.counters["rpc_error"], len(responses))
            self.assertIn("deadline", logs.output[0])
        finally:
            hurried.close()

    def test_rewards_are_finite_floats_or_none(self):
        with self.assertLogs("rlvr.trl", "WARNING"):
            rewards = self.call(answer=["\\frac12", "@@@", "1", "4"])
        for r in rewards:
            self.assertTrue(r is None or (isinstance(r, float) and math.isfinite(r)))

    def test_bad_inputs(self):
        with self.assertRaisesRegex(ValueError, "no gold-answer column"):
            self.call(label=ANSWERS)
        with self.assertRaisesRegex(ValueError, "3 values for 4 completions"):
            self.call(answer=ANSWERS[:3])
        with self.assertRaisesRegex(TypeError, "must be a list"):
            self.call(answer="4")
        with self.assertRaisesRegex(ValueError, "completions is empty"):
            self.reward(prompts=[], completions=[], answer=[])
        with self.assertRaisesRegex(TypeError, r"completions\[1\]"):
            self.reward(prompts=PROMPTS, completions=["a", 3, "b", "c"], answer=ANSWERS)
        with self.assertRaisesRegex(TypeError, "missing 'completions'"):
            self.reward(prompts=PROMPTS, answer=ANSWERS)
        with self.assertRaisesRegex(TypeError, "gold answer of sample 0"):
            self.call(answer=[["1"], "1", "1", "1"])
        with self.assertRaisesRegex(ValueError, "on_failure"):
            RewardFunction(live.grpc_target(), on_failure="zero")

    def test_completion_text(self):
        self.assertEqual(completion_text("x"), "x")
        self.assertEqual(completion_text({"role": "assistant", "content": "y"}), "y")
        self.assertEqual(completion_text([{"role": "user", "content": "q"}]), "q")
        with self.assertRaises(TypeError):
            completion_text([])
        with self.assertRaises(TypeError):
            completion_text([{"role": "assistant"}])


if __name__ == "__main__":
    unittest.main()
