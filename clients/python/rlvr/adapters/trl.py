"""TRL adapter: a reward function for GRPOTrainer (and the other TRL online trainers).

    from rlvr.adapters.trl import make_reward_func
    reward = make_reward_func("127.0.0.1:50051", answer_key="answer", tests_key="tests")
    trainer = GRPOTrainer(model=..., reward_funcs=[reward], train_dataset=dataset, ...)

TRL calls `reward(prompts=..., completions=..., completion_ids=..., **columns)` with every dataset
column except the prompt as a keyword argument, and expects one float per completion, or None where
the function does not apply (TRL turns None into NaN and ignores it). Completions are plain strings,
or in the conversational format a list of {"role", "content"} messages (the last assistant message
is verified).

A row whose tests column (`tests_key`, default "tests") holds a value is a code problem: its program
is run against those tests in the verifier's sandbox (see rlvr.problems.code_problem_from_label for the
shapes: JSON text, a dict or a list). Other rows are math problems against the answer column. A
dataset may mix both (the tests column None on math rows).

Samples the verifier cannot score (verdict valid=False, a failed RPC, a row with neither a gold answer
nor tests, malformed tests) get None -- never a silent 0 -- and are counted in `reward.counters`; with
on_failure="raise" the call raises instead (rlvr.VerificationFailed, the rlvr.VerifierError of the
RPC, or the TypeError / ValueError naming the bad tests field).
"""

from __future__ import annotations

import collections
import logging
import os
from collections.abc import Mapping
from typing import Any, Dict, List, Optional, Sequence

from rlvr.adapters._groups import CodeLabel, missing_gold, verify_rows
from rlvr.client import Verdict, VerifierClient
from rlvr.errors import VerificationFailed, VerifierError

__all__ = ["RewardFunction", "make_reward_func", "completion_text"]

_log = logging.getLogger("rlvr.trl")
_FALLBACK_KEYS = ("answer", "solution", "ground_truth")


def completion_text(completion: Any, index: int = 0) -> str:
    """The text to verify from one TRL completion: a str as is; in the conversational format (a list
    of {"role", "content"} dicts) the content of the last assistant message (or of the last message
    when none has role "assistant"). Content given as a list of parts keeps the "text" parts."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, Mapping):  # a single message
        completion = [completion]
    if not isinstance(completion, (list, tuple)) or not completion:
        raise TypeError(f"completions[{index}] must be a str or a non-empty list of "
                        f"{{'role', 'content'}} messages, not {type(completion).__name__}")
    messages = list(completion)
    for j, message in enumerate(messages):
        if not isinstance(message, Mapping) or "content" not in message:
            raise TypeError(f"completions[{index}][{j}] must be a {{'role', 'content'}} dict, not "
                            f"{type(message).__name__}")
    assistant = [m for m in messages if m.get("role") == "assistant"]
    content = (assistant or messages)[-1]["content"]
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # multimodal parts: [{"type": "text", "text": ...}, ...]
        return "".join(part.get("text", "") for part in content
                       if isinstance(part, Mapping) and part.get("type", "text") == "text")
    raise TypeError(f"completions[{index}] content must be a str or a list of parts, not "
                    f"{type(content).__name__}")


class RewardFunction:
    """A TRL reward function backed by the rlvr verifier (see the module docstring).

    Attributes:
      __name__: the name TRL logs the reward under (default "rlvr_math").
      counters: collections.Counter with "calls", "samples", "rewarded" (got a float), "correct",
        "code" (samples verified as code), "masked" (got None), and why: "invalid_verdict"
        (valid=False), "rpc_error", "no_gold" (neither an answer nor tests), "bad_tests".
      outcomes: collections.Counter of verdict outcomes ("correct", "incorrect", "no_answer", ...).
    """

    def __init__(self, target: Optional[str] = None, *, answer_key: str = "answer",
                 tests_key: Optional[str] = "tests", language: str = "python",
                 timeout: float = 30.0, batch_size: int = 64, on_failure: str = "none",
                 name: str = "rlvr_math", problem_options: Optional[Dict[str, Any]] = None,
                 client: Optional[VerifierClient] = None):
        if on_failure not in ("none", "raise"):
            raise ValueError(f"on_failure is {on_failure!r}; use 'none' (mask the sample) or 'raise'")
        if not isinstance(answer_key, str) or not answer_key:
            raise TypeError("answer_key must be the name of a dataset column (a non-empty str)")
        if tests_key is not None and (not isinstance(tests_key, str) or not tests_key):
            raise TypeError("tests_key must be the name of a dataset column (a non-empty str) or None")
        if not isinstance(language, str) or not language:
            raise TypeError("language must be a non-empty str such as 'python'")
        self.__name__ = name
        self.answer_key = answer_key
        self.tests_key = tests_key
        self.language = language
        self.keys = (answer_key,) + tuple(k for k in _FALLBACK_KEYS if k != answer_key)
        self.batch_size = batch_size
        self.on_failure = on_failure
        self.problem_options = dict(problem_options or {})
        self._target, self._timeout = target, timeout
        self._own_client = client is None
        self._client = client if client is not None else VerifierClient(target, timeout=timeout)
        self._pid = os.getpid()
        self.counters: collections.Counter = collections.Counter()
        self.outcomes: collections.Counter = collections.Counter()

    @property
    def client(self) -> VerifierClient:
        """The client; one of our own is re-created in a forked child (a gRPC channel must not be
        used across a fork)."""
        if self._own_client and os.getpid() != self._pid:
            self._client = VerifierClient(self._target, timeout=self._timeout)
            self._pid = os.getpid()
        return self._client

    @staticmethod
    def _column(kwargs: Dict[str, Any], key: str, count: int) -> List[Any]:
        values = kwargs[key]
        if isinstance(values, (str, bytes)) or not hasattr(values, "__len__"):
            raise TypeError(f"column {key!r} must be a list with one value per completion, not "
                            f"{type(values).__name__}")
        if len(values) != count:
            raise ValueError(f"column {key!r} has {len(values)} values for {count} completions")
        return list(values)

    def _labels(self, kwargs: Dict[str, Any], count: int) -> List[Any]:
        """Per row: a CodeLabel (the tests column has a value), else the gold answer (or None)."""
        tests = None
        if self.tests_key is not None and kwargs.get(self.tests_key) is not None:
            tests = self._column(kwargs, self.tests_key, count)
        golds = None
        for key in self.keys:
            if key in kwargs and kwargs[key] is not None:
                golds = self._column(kwargs, key, count)
                break
        if tests is None and golds is None:
            passed = sorted(k for k in kwargs if k not in ("completion_ids", "trainer_state"))
            tests_hint = f" nor tests column {self.tests_key!r}" if self.tests_key else ""
            raise ValueError(f"rlvr reward: no gold-answer column among {list(self.keys)}{tests_hint} "
                             f"(TRL passes the dataset's columns as keyword arguments; got {passed}); "
                             "set answer_key= / tests_key= to the dataset's columns")
        labels: List[Any] = []
        for i in range(count):
            if tests is not None and not missing_gold(tests[i]):
                labels.append(CodeLabel(tests[i], self.language))
            else:
                labels.append(golds[i] if golds is not None else None)
        return labels

    def __call__(self, prompts: Optional[Sequence[Any]] = None,
                 completions: Optional[Sequence[Any]] = None, **kwargs: Any) -> List[Optional[float]]:
        if completions is None:
            raise TypeError("rlvr reward: missing 'completions' (TRL passes completions=...)")
        if isinstance(completions, (str, bytes)) or not isinstance(completions, Sequence):
            raise TypeError(f"completions must be a list, not {type(completions).__name__}")
        if not completions:
            raise ValueError("completions is empty: nothing to score")
        if prompts is not None and len(prompts) != len(completions):
            raise ValueError(f"{len(prompts)} prompts for {len(completions)} completions")
        texts = [completion_text(c, i) for i, c in enumerate(completions)]
        labels = self._labels(kwargs, len(texts))
        results = verify_rows(self.client, labels, texts, batch_size=self.batch_size,
                              problem_options=self.problem_options)

        self.counters["calls"] += 1
        self.counters["samples"] += len(texts)
        rewards: List[Optional[float]] = []
        first_failure: Optional[Exception] = None
        for i, result in enumerate(results):
            self.counters["code"] += isinstance(labels[i], CodeLabel)
            if isinstance(result, Verdict):
                self.outcomes[result.outcome] += 1
                if result.valid:
                    self.counters["rewarded"] += 1
                    self.counters["correct"] += result.correct
                    rewards.append(float(result.score))
                    continue
                self.counters["invalid_verdict"] += 1
                failure: Exception = VerificationFailed(
                    f"sample {i}: the verifier could not score it ({result.outcome}: {result.reason}); "
                    f"{_describe(labels[i])}", verdict=result, index=i)
            elif isinstance(result, VerifierError):
                self.counters["rpc_error"] += 1
                failure = result
            elif isinstance(result, Exception):
                self.counters["bad_tests"] += 1
                failure = result
            else:
                self.counters["no_gold"] += 1
                where = list(self.keys) + ([self.tests_key] if self.tests_key else [])
                failure = VerificationFailed(f"sample {i}: no gold answer or tests in column(s) {where}",
                                             index=i)
            self.counters["masked"] += 1
            first_failure = first_failure or failure
            rewards.append(None)

        if first_failure is not None:
            masked = sum(r is None for r in rewards)
            if self.on_failure == "raise":
                raise first_failure
            _log.warning("rlvr reward %s: %d of %d samples masked (None); first: %s",
                         self.__name__, masked, len(rewards), first_failure)
        return rewards

    def close(self) -> None:
        self._client.close()


def _describe(label: Any) -> str:
    if isinstance(label, CodeLabel):
        text = repr(label.label)
        return f"code tests {text[:200]}{'...' if len(text) > 200 else ''}"
    return f"gold answer {label!r}"


def make_reward_func(target: Optional[str] = None, **options: Any) -> RewardFunction:
    """A TRL reward function: `fn(prompts, completions, **kwargs) -> list[float | None]`.

    target: the verifier's gRPC address (default $RLVR_VERIFIER or 127.0.0.1:50051). Options:
    answer_key ("answer"; falls back to "solution" then "ground_truth"), tests_key ("tests": a row
    whose tests column holds a value is a code problem; None to ignore it), language ("python": of
    code rows whose tests do not say), timeout (30 s per call),
    batch_size (64 groups per VerifyStream call), on_failure ("none": mask with None; "raise"),
    name (the reward's name in TRL's logs), problem_options (math options such as precision=4).
    """
    return RewardFunction(target, **options)
