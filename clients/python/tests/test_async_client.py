"""AsyncVerifierClient (grpc.aio) against a live rlvr-verifier."""

import asyncio
import unittest

import live
import rlvr
from rlvr import AsyncVerifierClient, code_problem

HALF = "\\frac12"
RESPONSES = ["so the answer is \\boxed{0.5}", "\\boxed{2}", "I have no idea."]


class AsyncClientTest(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self):
        self.client = AsyncVerifierClient(live.grpc_target(), timeout=30, max_concurrent_streams=3)
        await self.client.wait_ready(10)

    async def asyncTearDown(self):
        await self.client.close()

    async def test_verify(self):
        verdicts = await self.client.verify(HALF, RESPONSES)
        self.assertEqual([v.outcome for v in verdicts], ["correct", "incorrect", "no_answer"])
        self.assertEqual([v.reward for v in verdicts], [1.0, 0.0, 0.0])
        [invalid] = await self.client.verify("@@@", ["\\boxed{1}"])
        self.assertFalse(invalid.valid)
        self.assertIsNone(invalid.reward)

    async def test_batch_over_concurrent_streams(self):
        items = [(str(i), [f"\\boxed{{{i}}}", "\\boxed{-1}"]) for i in range(100)]
        results = await self.client.verify_batch(items, batch_size=8)  # 13 stream calls, 3 at a time
        self.assertEqual(len(results), 100)
        for i, verdicts in enumerate(results):
            self.assertEqual([v.outcome for v in verdicts], ["correct", "incorrect"], i)

    async def test_many_unary_calls_at_once(self):
        calls = [self.client.verify(str(i), [f"\\boxed{{{i}}}"]) for i in range(50)]
        results = await asyncio.gather(*calls)
        self.assertTrue(all(r[0].outcome == "correct" for r in results))

    async def test_tiny_deadline(self):
        gold, responses = live.slow_group()
        with self.assertRaises(rlvr.DeadlineExceededError) as caught:
            await self.client.verify(gold, responses, timeout=1e-3)
        self.assertIn("deadline", str(caught.exception))
        with self.assertRaises(rlvr.DeadlineExceededError):
            await self.client.verify_batch([(gold, responses)] * 2, timeout=1e-3)
        self.assertEqual((await self.client.verify(HALF, RESPONSES))[0].outcome, "correct")

    async def test_code_problem_runs_in_the_sandbox(self):
        problem = code_problem([{"input": "1\n", "output": "1\n"}, {"input": "7\n", "output": "7\n"}])
        verdicts = await self.client.verify(problem, ["```python\nprint(input())\n```",
                                                      "```python\nprint(1)\n```"])
        self.assertEqual([v.outcome for v in verdicts], ["correct", "incorrect"], verdicts)
        self.assertEqual([v.reward for v in verdicts], [1.0, 0.5])
        results = await self.client.verify_batch([(problem, ["```python\nprint(input())\n```"]),
                                                  (HALF, ["\\boxed{1/2}"])])
        self.assertEqual(results[0][0].outcome, "correct")
        self.assertTrue(results[1][0].correct)

    async def test_bad_inputs(self):
        with self.assertRaisesRegex(ValueError, "responses is empty"):
            await self.client.verify(HALF, [])
        with self.assertRaisesRegex(TypeError, "wrap it"):
            await self.client.verify(HALF, "x")
        with self.assertRaisesRegex(ValueError, "items is empty"):
            await self.client.verify_batch([])

    async def test_unreachable_and_context_manager(self):
        async with AsyncVerifierClient(live.dead_target(), timeout=5) as client:
            with self.assertRaises(rlvr.UnavailableError):
                await client.verify(HALF, RESPONSES)
            with self.assertRaises(rlvr.UnavailableError):
                await client.wait_ready(0.2)


if __name__ == "__main__":
    unittest.main()
