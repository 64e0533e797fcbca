"""The verifier's HTTP reward endpoints, called with the payloads OpenRLHF and slime send, must give
the same rewards as the gRPC API for the same inputs.

OpenRLHF (--remote_rm_url): POST {"query": [prompt+response...], "prompts": [...], "labels": [...]}
and reads "rewards" (newer versions also "scores" and "extra_logs").
slime (--rm-type remote_rm --rm-url): POST {"prompt", "response", "label"} per sample and uses the JSON
answer as the reward (a number here).
A label is a math gold answer, or a code problem as JSON ({"language", "tests", "limits"}).
"""

import json
import tempfile
import unittest
import urllib.error
import urllib.request

import grpc
from google.protobuf import json_format

import live
import rlvr
from rlvr import VerifierClient
from rlvr.testing import LocalVerifier
from rlvr.v1 import verifier_pb2, verifier_pb2_grpc

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


# A Python stdio problem as a label: print twice the number on stdin.
CODE_LABEL = {"language": "python",
              "tests": {"type": "stdio", "cases": [{"input": "1\n", "output": "2\n"},
                                                   {"input": "5\n", "output": "10\n"}]}}
# A RewardSpec (protobuf JSON): a "think" format term at weight 0.5 and DAPO's overlong penalty.
REWARD_SPEC = {"format": [{"name": "think", "pattern": "(?s)<think>.*</think>.*", "weight": 0.5}],
               "length": {"max_tokens": 100, "buffer_tokens": 20}}
CODE_PROMPT = "<|user|>Print twice the number read from stdin.<|assistant|>"
# (response, reward): correct, half the tests, no program.
CODE_RESPONSES = [("```python\nprint(int(input()) * 2)\n```", 1.0),
                  ("```python\nn = int(input())\nprint(2 if n == 1 else 0)\n```", 0.5),
                  ("I would rather not write code.", 0.0)]


def post(url, body, timeout=30):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.status, json.loads(response.read().decode())


def post_raw(url, data: bytes, timeout=30):
    """POSTs `data` as is; returns (status, parsed JSON body) for success and HTTP errors alike."""
    request = urllib.request.Request(url, data=data, method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read().decode())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read().decode())


def require_endpoint(test, path, body):
    """POSTs `body` to `path`. Skips only when the verifier runs without HTTP; a missing endpoint
    (404) is a failure."""
    base = live.http_url()
    if base is None:
        test.skipTest("the verifier runs without HTTP (--http-port -1)")
    try:
        return post(base + path, body)
    except urllib.error.HTTPError as error:
        if error.code == 404:
            test.fail(f"this rlvr-verifier does not serve POST {path} (HTTP 404)")
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

    def test_openrlhf_code_labels_match_grpc(self):
        # The label as JSON text (what a string dataset column holds) and as an object, beside a
        # math sample.
        queries = [CODE_PROMPT + r for r, _ in CODE_RESPONSES] + ["Q: 6*7? \\boxed{42}",
                                                                 CODE_PROMPT + CODE_RESPONSES[0][0]]
        prompts = [CODE_PROMPT] * 3 + ["Q: 6*7? ", CODE_PROMPT]
        labels = [json.dumps(CODE_LABEL)] * 3 + ["42", CODE_LABEL]
        status, answer = require_endpoint(self, OPENRLHF_PATH,
                                          {"query": queries, "prompts": prompts, "labels": labels})
        self.assertEqual(status, 200)
        self.assertEqual(answer["rewards"], [1.0, 0.5, 0.0, 1.0, 1.0])
        self.assertEqual(answer["extra_logs"]["rlvr_correct"], [1.0, 0.0, 0.0, 1.0, 1.0])
        # The same code group through gRPC.
        problem = rlvr.code_problem_from_label(CODE_LABEL)
        grpc_verdicts = self.client.verify(problem, [r for r, _ in CODE_RESPONSES])
        self.assertEqual(answer["rewards"][:3], [v.score for v in grpc_verdicts])
        self.assertEqual([v.outcome for v in grpc_verdicts], ["correct", "incorrect", "no_code"])

    def test_openrlhf_bad_code_label_names_the_sample(self):
        require_endpoint(self, OPENRLHF_PATH, {"query": ["\\boxed{1}"], "labels": ["1"]})
        bad = {"query": ["\\boxed{1}", CODE_RESPONSES[0][0]],
               "labels": ["1", json.dumps({"tests": {"cases": []}})]}
        status, error = post_raw(live.http_url() + OPENRLHF_PATH, json.dumps(bad).encode())
        self.assertEqual(status, 400, error)
        self.assertEqual(error["code"], "INVALID_ARGUMENT")
        self.assertIn('sample 1: "labels"[1]: code label: tests.type', error["error"])

    def test_openrlhf_prompt_missing_from_query_is_refused(self):
        # Verifying the whole query would read the gold number quoted in the prompt.
        prompt = "<|user|>Is 42 the answer?<|assistant|>"
        body = {"query": [prompt + "\\boxed{42}", "<|user|>Is it?<|assistant|>I cannot tell."],
                "prompts": [prompt, prompt], "labels": ["42", "42"]}
        require_endpoint(self, OPENRLHF_PATH, {"query": body["query"][:1], "prompts": body["prompts"][:1],
                                               "labels": ["42"]})
        status, error = post_raw(live.http_url() + OPENRLHF_PATH, json.dumps(body).encode())
        self.assertEqual(status, 400, error)
        self.assertIn('sample 1: "query"[1] does not contain "prompts"[1]', error["error"])

    def test_non_json_bodies_are_400(self):
        require_endpoint(self, SLIME_PATH, {"prompt": "p", "response": "\\boxed{1}", "label": "1"})
        for path in (OPENRLHF_PATH, SLIME_PATH):
            for data in (b"query=a&labels=1", b"", b"{\"query\": [", b"[1, 2]", b"\xff\xfe"):
                status, error = post_raw(live.http_url() + path, data)
                self.assertEqual(status, 400, (path, data, error))
                self.assertEqual(error["code"], "INVALID_ARGUMENT", (path, data))
                self.assertTrue(error["error"], (path, data))

    def test_slime_code_labels_match_grpc(self):
        grpc_verdicts = self.client.verify(rlvr.code_problem_from_label(CODE_LABEL),
                                           [r for r, _ in CODE_RESPONSES])
        for (response, reward), verdict in zip(CODE_RESPONSES, grpc_verdicts):
            for label in (CODE_LABEL, json.dumps(CODE_LABEL)):
                status, answer = require_endpoint(self, SLIME_PATH, {"prompt": CODE_PROMPT,
                                                                     "response": response, "label": label})
                self.assertEqual(status, 200)
                self.assertEqual(float(answer), reward, (response, label))
                self.assertEqual(float(answer), verdict.score)

    def test_openrlhf_reward_spec_components_match_grpc(self):
        responses = ["<think>2+2</think> \\boxed{4}", "\\boxed{4}", "<think>hm</think> \\boxed{5}"]
        lengths = [10, 90, 200]
        body = {"query": responses, "labels": ["4"] * 3, "reward_spec": REWARD_SPEC,
                "response_lengths": lengths}
        status, answer = require_endpoint(self, OPENRLHF_PATH, body)
        self.assertEqual(status, 200)
        # correctness + 0.5 * think + overlong (max 100, buffer 20).
        self.assertEqual(answer["rewards"], [1.5, 0.5, -0.5])
        logs = answer["extra_logs"]
        self.assertEqual(logs["rlvr_score"], [1.0, 1.0, 0.0])
        self.assertEqual(logs["rlvr_reward_think"], [0.5, 0.0, 0.5])
        self.assertEqual(logs["rlvr_reward_overlong"], [0.0, -0.5, -1.0])
        # The same through gRPC: VerifyRequest.reward_spec and response_lengths.
        request = verifier_pb2.VerifyRequest(request_id="spec", problem=rlvr.math_problem("4"),
                                             responses=responses, response_lengths=lengths)
        json_format.ParseDict(REWARD_SPEC, request.reward_spec)
        with grpc.insecure_channel(live.grpc_target()) as channel:
            reply = verifier_pb2_grpc.VerifierStub(channel).Verify(request, timeout=30)
        self.assertEqual([r.total for r in reply.rewards], answer["rewards"])
        self.assertEqual([c.name for c in reply.rewards[0].components], ["correctness", "think", "overlong"])
        # And through the client.
        with rlvr.VerifierClient(live.grpc_target()) as client:
            verdicts = client.verify("4", responses, reward_spec=REWARD_SPEC, response_lengths=lengths)
            self.assertEqual([v.spec_reward for v in verdicts], answer["rewards"])
            self.assertEqual(verdicts[2].components, (("correctness", 0.0), ("think", 0.5), ("overlong", -1.0)))
            self.assertIsNone(client.verify("4", ["\\boxed{4}"])[0].spec_reward)  # no spec, no reward
            with self.assertRaisesRegex(ValueError, "response_lengths has 1 entries for 3"):
                client.verify("4", responses, reward_spec=REWARD_SPEC, response_lengths=[1])
            with self.assertRaisesRegex(ValueError, "reward_spec"):
                client.verify("4", responses, reward_spec={"formats": []})
            with self.assertRaises(rlvr.InvalidArgumentError):  # length terms need the lengths
                client.verify("4", responses, reward_spec=REWARD_SPEC)
        # A bad spec is a 400 naming the term.
        bad = dict(body, reward_spec={"format": [{"name": "broken", "pattern": "(x"}]})
        status, error = post_raw(live.http_url() + OPENRLHF_PATH, json.dumps(bad).encode())
        self.assertEqual(status, 400, error)
        self.assertIn("broken", error["error"])

    def test_server_reward_spec_flag(self):
        # rlvr-verifier --reward-spec FILE: OpenRLHF requests without a spec get the server's.
        with tempfile.NamedTemporaryFile("w", suffix=".json") as spec_file:
            json.dump({"format": [{"name": "think", "pattern": "(?s)<think>.*</think>.*"}]}, spec_file)
            spec_file.flush()
            with LocalVerifier(extra_args=["--reward-spec", spec_file.name]) as server:
                status, answer = post(server.http_url + OPENRLHF_PATH,
                                      {"query": ["<think>x</think> \\boxed{4}", "\\boxed{4}"],
                                       "labels": ["4", "4"]})
        self.assertEqual(status, 200)
        self.assertEqual(answer["rewards"], [2.0, 1.0])
        self.assertEqual(answer["extra_logs"]["rlvr_reward_think"], [1.0, 0.0])

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
