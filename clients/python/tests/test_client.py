"""VerifierClient against a live rlvr-verifier: verdicts, batching, deadlines, errors, bad inputs."""

import unittest

import grpc

import live
import rlvr
from rlvr import VerifierClient, code_problem, math_problem
from rlvr.v1 import common_pb2

HALF = "\\frac12"
RESPONSES = ["so the answer is \\boxed{0.5}", "\\boxed{2}", "I have no idea."]


def oversized_gold_problem():
    """A problem the client accepts but the server rejects (gold over its 1 MiB limit)."""
    problem = common_pb2.Problem(kind=common_pb2.PROBLEM_KIND_MATH)
    problem.math.gold = "1" * (1024 * 1024 + 1)
    return problem


class ClientTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.client = VerifierClient(live.grpc_target(), timeout=30)
        cls.client.wait_ready(10)

    @classmethod
    def tearDownClass(cls):
        cls.client.close()

    def test_correct_incorrect_no_answer(self):
        verdicts = self.client.verify(HALF, RESPONSES)
        self.assertEqual([v.outcome for v in verdicts], ["correct", "incorrect", "no_answer"])
        self.assertEqual([v.score for v in verdicts], [1.0, 0.0, 0.0])
        self.assertTrue(all(v.valid for v in verdicts))
        self.assertEqual([v.reward for v in verdicts], [1.0, 0.0, 0.0])
        self.assertTrue(verdicts[0].correct)
        self.assertEqual(verdicts[0].extracted, "0.5")
        self.assertIsInstance(verdicts[0].reason, str)

    def test_invalid_gold_is_not_a_zero(self):
        [verdict] = self.client.verify("@@@", ["\\boxed{1}"])
        self.assertEqual(verdict.outcome, "invalid_gold")
        self.assertFalse(verdict.valid)
        self.assertIsNone(verdict.reward)
        self.assertFalse(verdict.correct)

    def test_number_gold_and_options(self):
        self.assertEqual(self.client.verify(42, ["\\boxed{42}"])[0].outcome, "correct")
        self.assertEqual(self.client.verify(0.5, ["\\boxed{1/2}"])[0].outcome, "correct")
        strict = math_problem("0.333", precision=3)
        self.assertEqual(self.client.verify(strict, ["\\boxed{1/3}"])[0].outcome, "correct")
        exact = math_problem("28%", percent="exact")
        self.assertEqual(self.client.verify(exact, ["\\boxed{28}"])[0].outcome, "incorrect")
        self.assertEqual(self.client.verify(exact, ["\\boxed{0.28}"])[0].outcome, "correct")
        self.assertEqual(self.client.verify({"gold": "28%"}, ["\\boxed{28}"])[0].outcome, "correct")

    def test_batch_matches_single_calls_in_order(self):
        items = [(str(i), [f"\\boxed{{{i}}}", f"\\boxed{{{i + 1}}}", "nothing"]) for i in range(150)]
        results = self.client.verify_batch(items, batch_size=16)
        self.assertEqual(len(results), 150)
        for i, verdicts in enumerate(results):
            self.assertEqual([v.outcome for v in verdicts], ["correct", "incorrect", "no_answer"], i)
        for i in (0, 77, 149):  # latency_us differs between calls; everything else must not
            single = self.client.verify(*items[i])
            self.assertEqual([(v.outcome, v.score, v.valid, v.extracted) for v in single],
                             [(v.outcome, v.score, v.valid, v.extracted) for v in results[i]])

    def test_batch_accepts_dicts_and_problems(self):
        results = self.client.verify_batch([
            {"gold": HALF, "responses": RESPONSES},
            {"problem": math_problem("3"), "responses": ["\\boxed{3}"]},
            (math_problem("x+1", strict=False), ["\\boxed{1+x}"]),
        ], batch_size=2)
        self.assertEqual([len(r) for r in results], [3, 1, 1])
        self.assertEqual(results[1][0].outcome, "correct")
        self.assertEqual(results[2][0].outcome, "correct")

    def test_batch_item_error_raises_with_index(self):
        items = [(HALF, RESPONSES), (oversized_gold_problem(), ["1"]), ("7", ["\\boxed{7}"])]
        with self.assertRaises(rlvr.InvalidArgumentError) as caught:
            self.client.verify_batch(items)
        self.assertEqual(caught.exception.index, 1)
        self.assertIn("items[1]", str(caught.exception))
        self.assertIn("gold", str(caught.exception))

    def test_batch_return_exceptions_keeps_other_items(self):
        items = [(HALF, RESPONSES), (oversized_gold_problem(), ["1"]), ("", ["x"]), ("7", ["\\boxed{7}"])]
        results = self.client.verify_batch(items, batch_size=3, return_exceptions=True)
        self.assertEqual(results[0][0].outcome, "correct")
        self.assertIsInstance(results[1], rlvr.InvalidArgumentError)
        self.assertIsInstance(results[2], ValueError)  # found on the client: empty gold
        self.assertEqual(results[3][0].outcome, "correct")

    def test_server_rejection_of_unary_call(self):
        with self.assertRaises(rlvr.InvalidArgumentError) as caught:
            self.client.verify(oversized_gold_problem(), ["1"])
        self.assertEqual(caught.exception.code, grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIsInstance(caught.exception, ValueError)
        self.assertIn("gold", str(caught.exception))

    def test_tiny_deadline_is_a_clear_timeout(self):
        gold, responses = live.slow_group()
        with self.assertRaises(rlvr.DeadlineExceededError) as caught:
            self.client.verify(gold, responses, timeout=1e-3)
        self.assertIsInstance(caught.exception, TimeoutError)
        self.assertIn("0.001 s deadline", str(caught.exception))
        self.assertIn(live.grpc_target(), str(caught.exception))
        with self.assertRaises(rlvr.DeadlineExceededError):
            self.client.verify_batch([(gold, responses)] * 2, timeout=1e-3)
        results = self.client.verify_batch([(gold, responses), (HALF, RESPONSES)], batch_size=1,
                                           timeout=1e-3, return_exceptions=True)
        self.assertIsInstance(results[0], rlvr.DeadlineExceededError)
        with VerifierClient(live.grpc_target(), timeout=1e-3) as hurried:
            with self.assertRaises(rlvr.DeadlineExceededError):
                hurried.verify(gold, responses)
        # The client still works after a deadline.
        self.assertEqual(self.client.verify(HALF, RESPONSES)[0].outcome, "correct")

    def test_code_problem_runs_in_the_sandbox(self):
        problem = code_problem({"type": "stdio", "cases": [{"input": "1 2\n", "output": "3\n"},
                                                           {"input": "5 5\n", "output": "10\n"}]})
        program = "```python\nprint(sum(map(int, input().split())))\n```"
        wrong = "```python\nprint(3)\n```"
        verdicts = self.client.verify(problem, [program, wrong, "no code here"])
        self.assertEqual([v.outcome for v in verdicts], ["correct", "incorrect", "no_code"], verdicts)
        self.assertEqual([v.score for v in verdicts], [1.0, 0.5, 0.0])
        self.assertTrue(all(v.valid for v in verdicts))
        self.assertEqual((verdicts[0].tests_passed, verdicts[0].tests_total), (2, 2))
        self.assertEqual([t.status for t in verdicts[1].tests], ["passed", "wrong_answer"])
        results = self.client.verify_batch([(problem, [program]), (HALF, RESPONSES)])
        self.assertEqual(results[0][0].outcome, "correct")
        self.assertEqual(results[1][0].outcome, "correct")
        # Binary scoring, a checker program and extraction options reach the server.
        all_or_nothing = code_problem({"type": "stdio", "scoring": "all_passed",
                                       "cases": [{"input": "1 2\n", "output": "3\n"},
                                                 {"input": "5 5\n", "output": "10\n"}]})
        self.assertEqual([v.score for v in self.client.verify(all_or_nothing, [program, wrong])], [1.0, 0.0])
        # Any permutation of the input is accepted by this checker (testlib argv: in out answer).
        checker = ("import sys\nsrc, out, ans = (open(p).read().split() for p in sys.argv[1:4])\n"
                   "sys.exit(0 if sorted(out) == sorted(ans) else 1)\n")
        permutation = code_problem({"type": "stdio", "checker": {"language": "python", "source": checker},
                                    "cases": [{"input": "3 1 2\n", "output": "1 2 3\n"}]})
        reversed_ok = "```python\nprint(*sorted(map(int, input().split()), reverse=True))\n```"
        dropped = "```python\nprint(1, 2)\n```"
        self.assertEqual([v.outcome for v in self.client.verify(permutation, [reversed_ok, dropped])],
                         ["correct", "incorrect"])
        first_block = code_problem({"type": "stdio", "cases": [{"input": "", "output": "1\n"}]},
                                   extract={"block": "first"})
        two_blocks = "```python\nprint(1)\n```\nor\n```python\nprint(2)\n```"
        self.assertEqual(self.client.verify(first_block, [two_blocks])[0].outcome, "correct")
        # Broken tests are refused before anything runs, naming the field.
        bad = code_problem({"type": "stdio", "cases": []}, language="cobol")
        with self.assertRaises(rlvr.InvalidArgumentError) as caught:
            self.client.verify(bad, [program])
        self.assertIn("cobol", str(caught.exception))

    def test_unreachable_server(self):
        with VerifierClient(live.dead_target(), timeout=5) as client:
            with self.assertRaises(rlvr.UnavailableError) as caught:
                client.verify(HALF, RESPONSES)
            self.assertIsInstance(caught.exception, ConnectionError)
            with self.assertRaises(rlvr.UnavailableError):
                client.verify_batch([(HALF, RESPONSES)])
            with self.assertRaises(rlvr.UnavailableError):
                client.wait_ready(0.2)


class VerdictTest(unittest.TestCase):
    """Verdict.from_proto on messages the math server does not send yet (code verdicts)."""

    def test_code_verdict_fields(self):
        message = common_pb2.Verdict(outcome=common_pb2.OUTCOME_INCORRECT, score=0.5, valid=True,
                                     tests_passed=1, tests_total=2)
        message.tests.add(status="passed", wall_ms=3, cpu_ms=2)
        message.tests.add(status="wrong_answer", detail="expected 3, got 4")
        verdict = rlvr.Verdict.from_proto(message)
        self.assertEqual((verdict.outcome, verdict.score, verdict.tests_passed, verdict.tests_total),
                         ("incorrect", 0.5, 1, 2))
        self.assertEqual(verdict.tests, (rlvr.CaseResult("passed", 3, 2),
                                         rlvr.CaseResult("wrong_answer", detail="expected 3, got 4")))
        self.assertEqual(rlvr.Verdict.from_proto(common_pb2.Verdict(outcome=99)).outcome, "unknown_99")


class BadInputTest(unittest.TestCase):
    """Found on the client: TypeError / ValueError naming the argument, nothing sent."""

    @classmethod
    def setUpClass(cls):
        cls.client = VerifierClient(live.grpc_target())

    @classmethod
    def tearDownClass(cls):
        cls.client.close()

    def check(self, error, pattern, fn, *args, **kwargs):
        with self.assertRaisesRegex(error, pattern):
            fn(*args, **kwargs)

    def test_responses(self):
        self.check(TypeError, "wrap it", self.client.verify, HALF, "\\boxed{1}")
        self.check(ValueError, "responses is empty", self.client.verify, HALF, [])
        self.check(TypeError, r"responses\[1\] must be a str", self.client.verify, HALF, ["a", 1])
        self.check(TypeError, "list of strings", self.client.verify, HALF, None)

    def test_problems(self):
        self.check(TypeError, "problem must be", self.client.verify, None, ["a"])
        self.check(TypeError, "problem must be", self.client.verify, True, ["a"])
        self.check(TypeError, "gold must be", math_problem, None)
        self.check(ValueError, "gold is empty", self.client.verify, "  ", ["a"])
        self.check(ValueError, "needs 'gold'", self.client.verify, {"answer": "1"}, ["a"])
        self.check(ValueError, "UNSPECIFIED", self.client.verify, common_pb2.Problem(), ["a"])
        self.check(ValueError, "percent", math_problem, "1", percent="loose")
        self.check(ValueError, "precision", math_problem, "1", precision=99)
        self.check(TypeError, "strict", math_problem, "1", strict="yes")
        self.check(ValueError, "not valid JSON", code_problem, "{oops")
        self.check(ValueError, "unknown key", code_problem, {"type": "stdio", "casez": []})
        self.check(ValueError, "scoring", code_problem, {"type": "stdio", "scoring": "best"})
        self.check(ValueError, "checker", code_problem, {"type": "stdio", "checker": {"src": "x"}})
        self.check(ValueError, "block", code_problem, {"type": "stdio"}, extract={"block": "middle"})
        self.check(TypeError, "whole_response", code_problem, {"type": "stdio"},
                   extract={"whole_response": "yes"})

    def test_batches_and_settings(self):
        self.check(ValueError, "items is empty", self.client.verify_batch, [])
        self.check(TypeError, "items must be", self.client.verify_batch, "abc")
        self.check(TypeError, r"items\[0\]", self.client.verify_batch, [("1",)])
        self.check(ValueError, r"items\[1\]: .*responses is empty", self.client.verify_batch,
                   [("1", ["a"]), ("1", [])])
        self.check(ValueError, "batch_size", self.client.verify_batch, [("1", ["a"])], batch_size=0)
        self.check(ValueError, "timeout", self.client.verify, HALF, ["a"], timeout=0)
        self.check(TypeError, "timeout", self.client.verify, HALF, ["a"], timeout="1")
        self.check(ValueError, "timeout", VerifierClient, "127.0.0.1:1", timeout=-1)
        self.check(TypeError, "target", VerifierClient, 50051)


if __name__ == "__main__":
    unittest.main()
