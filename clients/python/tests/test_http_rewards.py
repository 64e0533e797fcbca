"""The verifier's HTTP reward endpoints, called with the payloads OpenRLHF and slime send, must give
the same rewards as the gRPC API for the same inputs.

OpenRLHF (--remote_rm_url): POST {"query": [prompt+response...], "prompts": [...], "labels": [...]}
and reads "rewards" (newer versions also "scores" and "extra_logs").
slime (--rm-type remote_rm --rm-url): POST {"prompt", "response", "label"} per sample and uses the JSON
answer as the reward (a number here).
"""

import json
import unittest
import urllib.error
import urllib.request

import live
from rlvr import VerifierClient

OPENRLHF_PATH = "/v1/openrlhf/reward"
SLIME_PATH = "/v1/slime/reward"

# (prompt, response, label): correct, incorrect, no answer, equivalent forms.
CASES = [
    ("<|user|>What is 1/2 as a decimal?<|assistant|>", "It is \\boxed{0.5}", "\\frac12"),
    ("<|user|>What is 1/2 as a decimal?<|assistant|>", "\\boxed{2}", "\\frac12"),
    ("<|user|>Compute 6*7.<|assistant|>", "I do not know.", "42"),
    ("<|user|>Compute 6*7.<|assistant|>", "6*7 = \\boxed{42}", "42"),
    ("<|user|>Simplify (x+1)^2.<|assistant|>", "\\boxed{x^2+2x+1}", "(x+1)^2"),
    ("<|user|>What is 3/4?<|assistant|>", "The answer is $\\frac{3}{4}$.", "0.75"),
    # The prompt holds the gold number and the response none: only the response may be verified.
    ("<|user|>Is 42 the answer? Reply with the number.<|assistant|>", "I cannot tell.", "42"),
]


def post(url, body, timeout=30):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.status, json.loads(response.read().decode())


def require_endpoint(test, path, body):
    """Skips the test, naming the endpoint, when this server does not serve `path` (404)."""
    base = live.http_url()
    if base is None:
        test.skipTest("the verifier runs without HTTP (--http-port -1)")
    try:
        return post(base + path, body)
    except urllib.error.HTTPError as error:
        if error.code == 404:
            test.skipTest(f"endpoint missing: this rlvr-verifier does not serve POST {path} (HTTP 404)")
        raise


class HttpRewardTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.client = VerifierClient(live.grpc_target())
        cls.grpc_scores = [cls.client.verify(label, [response])[0] for _, response, label in CASES]
        assert all(v.valid for v in cls.grpc_scores)

    @classmethod
    def tearDownClass(cls):
        cls.client.close()

    def test_verify_json_matches_grpc(self):
        body = {"request_id": "http-1",
                "problem": {"kind": "PROBLEM_KIND_MATH", "math": {"gold": "\\frac12"}},
                "responses": [CASES[0][1], CASES[1][1]]}
        status, answer = require_endpoint(self, "/v1/verify", body)
        self.assertEqual(status, 200)
        self.assertEqual([v["score"] for v in answer["verdicts"]],
                         [self.grpc_scores[0].score, self.grpc_scores[1].score])

    def test_openrlhf_rewards_match_grpc(self):
        body = {"query": [p + r for p, r, _ in CASES], "prompts": [p for p, _, _ in CASES],
                "labels": [label for _, _, label in CASES]}
        status, answer = require_endpoint(self, OPENRLHF_PATH, body)
        self.assertEqual(status, 200)
        expected = [v.score for v in self.grpc_scores]
        self.assertEqual([float(r) for r in answer["rewards"]], expected)
        self.assertEqual([float(s) for s in answer["scores"]], expected)
        self.assertIsInstance(answer.get("extra_logs", {}), dict)

    def test_openrlhf_left_padded_queries(self):
        # OpenRLHF decodes the whole left-padded sequence with special tokens, so a query can start
        # with pad tokens before its prompt and end with EOS. The prompt (which here holds the gold
        # number) must still not be verified as part of the response.
        prompt = ("<|im_start|>user\nIs 42 the answer? Reply with the number.<|im_end|>\n"
                  "<|im_start|>assistant\n")
        responses = ["I cannot tell.", "So \\boxed{42}", "\\boxed{41}"]
        queries = ["<|endoftext|><|endoftext|>" + prompt + r + "<|im_end|>" for r in responses]
        status, answer = require_endpoint(self, OPENRLHF_PATH, {"query": queries, "prompts": [prompt] * 3,
                                                                "labels": ["42"] * 3})
        self.assertEqual(status, 200)
        self.assertEqual(answer["rewards"], [v.score for v in self.client.verify("42", responses)])
        self.assertEqual(answer["rewards"], [0.0, 1.0, 0.0])

    def test_openrlhf_rejects_mismatched_lists(self):
        body = {"query": ["a", "b"], "prompts": ["a"], "labels": ["1", "2"]}
        base = live.http_url()
        require_endpoint(self, OPENRLHF_PATH, {"query": [CASES[0][0] + CASES[0][1]],
                                               "prompts": [CASES[0][0]], "labels": [CASES[0][2]]})
        with self.assertRaises(urllib.error.HTTPError) as caught:
            post(base + OPENRLHF_PATH, body)
        self.assertEqual(caught.exception.code, 400)

    def test_openrlhf_invalid_label_is_refused_not_zero(self):
        good = {"query": [CASES[0][0] + CASES[0][1]], "prompts": [CASES[0][0]], "labels": [CASES[0][2]]}
        require_endpoint(self, OPENRLHF_PATH, good)
        body = {"query": [p + r for p, r, _ in CASES[:2]], "prompts": [p for p, _, _ in CASES[:2]],
                "labels": ["@@@", CASES[1][2]]}
        with self.assertRaises(urllib.error.HTTPError) as caught:
            post(live.http_url() + OPENRLHF_PATH, body)
        self.assertEqual(caught.exception.code, 422)
        error = json.loads(caught.exception.read().decode())
        self.assertEqual(error["invalid"], [0])
        self.assertIn("invalid_gold", error["error"])
        # Opting in to zeros: the invalid sample is visible in extra_logs.
        status, answer = post(live.http_url() + OPENRLHF_PATH + "?on_invalid=zero", body)
        self.assertEqual(answer["rewards"], [0.0, 0.0])
        self.assertEqual(answer["extra_logs"]["rlvr_valid"], [0.0, 1.0])

    def test_slime_reward_matches_grpc(self):
        for (prompt, response, label), verdict in zip(CASES, self.grpc_scores):
            status, answer = require_endpoint(self, SLIME_PATH,
                                              {"prompt": prompt, "response": response, "label": label})
            self.assertEqual(status, 200)
            self.assertIsInstance(answer, (int, float), answer)
            self.assertEqual(float(answer), verdict.score, (prompt, response, label))

    def test_slime_invalid_label_is_refused_not_zero(self):
        require_endpoint(self, SLIME_PATH, {"prompt": "p", "response": "\\boxed{1}", "label": "1"})
        with self.assertRaises(urllib.error.HTTPError) as caught:
            post(live.http_url() + SLIME_PATH, {"prompt": "p", "response": "\\boxed{1}", "label": "@@@"})
        self.assertEqual(caught.exception.code, 422)
        with self.assertRaises(urllib.error.HTTPError) as caught:
            post(live.http_url() + SLIME_PATH, {"prompt": "p", "response": "\\boxed{1}"})
        self.assertEqual(caught.exception.code, 400)


if __name__ == "__main__":
    unittest.main()
