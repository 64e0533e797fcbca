"""TRL adapter: a reward function for GRPOTrainer (and the other TRL online trainers).

    from rlvr.adapters.trl import make_reward_func
    reward = make_reward_func("127.0.0.1:50051", answer_key="answer")
    trainer = GRPOTrainer(model=..., reward_funcs=[reward], train_dataset=dataset, ...)

TRL calls `reward(prompts=..., completions=..., completion_ids=..., **columns)` with every dataset
column except the prompt as a keyword argument, and expects one float per completion, or None where
the function does not apply (TRL turns None into NaN and ignores it). Completions are plain strings,
or in the conversational format a list of {"role", "content"} messages (the last assistant message
is verified).

Samples the verifier cannot score (verdict valid=False, a failed RPC, a row without a gold answer)
get None -- never a silent 0 -- and are counted in `reward.counters`; with on_failure="raise" the call
raises instead (rlvr.VerificationFailed or the rlvr.VerifierError of the RPC).
"""

from __future__ import annotations

import collections
import logging
import os
from collections.abc import Mapping
from typing import Any, Dict, List, Optional, Sequence

from rlvr.adapters._groups import verify_rows
from rlvr.client import Verdict, VerifierClient
from rlvr.errors import VerificationFailed

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
        "masked" (got None), and why: "invalid_verdict" (valid=False), "rpc_error", "no_gold".
      outcomes: collections.Counter of verdict outcomes ("correct", "incorrect", "no_answer", ...).
    """

    def __init__(self, target: Optional[str] = None, *, answer_key: str = "answer",
                 timeout: float = 30.0, batch_size: int = 64, on_failure: str = "none",
                 name: str = "rlvr_math", problem_options: Optional[Dict[str, Any]] = None,
                 client: Optional[VerifierClient] = None):
        if on_failure not in ("none", "raise"):
            raise ValueError(f"on_failure is {on_failure!r}; use 'none' (mask the sample) or 'raise'")
        if not isinstance(answer_key, str) or not answer_key:
            raise TypeError("answer_key must be the name of a dataset column (a non-empty str)")
        self.__name__ = name
        self.answer_key = answer_key
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

    def _golds(self, kwargs: Dict[str, Any], count: int) -> Sequence[Any]:
        for key in self.keys:
            if key in kwargs and kwargs[key] is not None:
                golds = kwargs[key]
                if isinstance(golds, (str, bytes)) or not hasattr(golds, "__len__"):
                    raise TypeError(f"column {key!r} must be a list with one gold answer per "
                                    f"completion, not {type(golds).__name__}")
                if len(golds) != count:
                    raise ValueError(f"column {key!r} has {len(golds)} values for {count} completions")
                return list(golds)
        passed = sorted(k for k in kwargs if k not in ("completion_ids", "trainer_state"))
        raise ValueError(f"rlvr reward: no gold-answer column among {list(self.keys)} "
                         f"(TRL passes the dataset's columns as keyword arguments; got {passed}); "
                         "set answer_key= to the dataset's answer column")

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
        golds = self._golds(kwargs, len(texts))
        results = verify_rows(self.client, golds, texts, batch_size=self.batch_size,
                              problem_options=self.problem_options)

        self.counters["calls"] += 1
        self.counters["samples"] += len(texts)
        rewards: List[Optional[float]] = []
        first_failure: Optional[Exception] = None
        for i, result in enumerate(results):
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
                    f"gold answer {golds[i]!r}", verdict=result, index=i)
            elif isinstance(result, Exception):
                self.counters["rpc_error"] += 1
                failure = result
            else:
                self.counters["no_gold"] += 1
                failure = VerificationFailed(f"sample {i}: no gold answer in column(s) {list(self.keys)}",
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


def make_reward_func(target: Optional[str] = None, **options: Any) -> RewardFunction:
    """A TRL reward function: `fn(prompts, completions, **kwargs) -> list[float | None]`.

    target: the verifier's gRPC address (default $RLVR_VERIFIER or 127.0.0.1:50051). Options:
    answer_key ("answer"; falls back to "solution" then "ground_truth"), timeout (30 s per call),
    batch_size (64 groups per VerifyStream call), on_failure ("none": mask with None; "raise"),
    name (the reward's name in TRL's logs), problem_options (math options such as precision=4).
    """
    return RewardFunction(target, **options)
