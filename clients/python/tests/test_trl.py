"""The TRL reward function against a live rlvr-verifier, called the way GRPOTrainer calls it."""

import json
import math
import unittest

import live
import rlvr
from rlvr.adapters.trl import RewardFunction, completion_text, make_reward_func

PROMPTS = ["What is 1/2 as a decimal?"] * 3 + ["What is 2+2?"]
COMPLETIONS = ["It is \\boxed{0.5}", "\\boxed{2}", "I am not sure.", "2+2 = \\boxed{4}"]
ANSWERS = ["\\frac12", "\\frac12", "\\frac12", "4"]


# A small Python stdio problem (print twice the input) for the code rows.
DOUBLE_TESTS = {"type": "stdio", "cases": [{"input": "1\n", "output": "2\n"},
                                           {"input": "5\n", "output": "10\n"}]}
DOUBLE_OK = "```python\nprint(int(input()) * 2)\n```"
DOUBLE_HALF = "```python\nn = int(input())\nprint(2 if n == 1 else 0)\n```"


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
        with self.assertRaisesRegex(ValueError, "no gold-answer column .* nor tests column 'tests'"):
            self.call(label=ANSWERS)
        with self.assertRaisesRegex(ValueError, "column 'tests' has 3 values for 4 completions"):
            self.call(tests=[DOUBLE_TESTS] * 3)
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

    def test_code_rows_from_the_tests_column(self):
        # A mixed dataset: code rows carry tests (a dict, JSON text, or a whole label with language
        # and limits), math rows None there and an answer instead.
        completions = [DOUBLE_OK, DOUBLE_HALF, "no program", DOUBLE_OK, DOUBLE_OK, "\\boxed{4}"]
        tests = [DOUBLE_TESTS, DOUBLE_TESTS, DOUBLE_TESTS, json.dumps(DOUBLE_TESTS),
                 {"language": "python", "tests": DOUBLE_TESTS, "limits": {"time_ms": 5000}}, None]
        answers = [None] * 5 + ["4"]
        rewards = self.reward(prompts=["p"] * 6, completions=completions, tests=tests, answer=answers)
        self.assertEqual(rewards, [1.0, 0.5, 0.0, 1.0, 1.0, 1.0])
        self.assertEqual(self.reward.counters["code"], 5)
        self.assertEqual(self.reward.counters["rewarded"], 6)
        self.assertEqual(self.reward.counters["correct"], 4)
        self.assertEqual(self.reward.outcomes["no_code"], 1)
        # Only a tests column, under another name; conversational completions.
        custom = make_reward_func(live.grpc_target(), tests_key="test_cases")
        try:
            self.assertEqual(custom(prompts=["p", "p"], completions=conversational([DOUBLE_OK, DOUBLE_HALF]),
                                    test_cases=[json.dumps(DOUBLE_TESTS)] * 2), [1.0, 0.5])
        finally:
            custom.close()

    def test_bad_tests_are_none_and_counted(self):
        tests = [DOUBLE_TESTS, {"type": "stdio", "casez": []}, "{not json", None]
        with self.assertLogs("rlvr.trl", "WARNING") as logs:
            rewards = self.reward(prompts=["p"] * 4, completions=[DOUBLE_OK] * 4, tests=tests)
        self.assertEqual(rewards, [1.0, None, None, None])
        self.assertEqual(self.reward.counters["bad_tests"], 2)
        self.assertEqual(self.reward.counters["no_gold"], 1)
        self.assertEqual(self.reward.counters["masked"], 3)
        self.assertIn("unknown key", logs.output[0])
        strict = make_reward_func(live.grpc_target(), on_failure="raise")
        try:
            with self.assertRaisesRegex(ValueError, "code tests of sample 1: .*unknown key"):
                strict(prompts=["p"] * 2, completions=[DOUBLE_OK] * 2, tests=tests[:2])
            # Tests the server refuses (an unknown language): the group's error, masked or raised.
            with self.assertRaisesRegex(rlvr.InvalidArgumentError, "cobol"):
                strict(prompts=["p"], completions=[DOUBLE_OK],
                       tests=[{"language": "cobol", "tests": DOUBLE_TESTS}])
        finally:
            strict.close()

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
