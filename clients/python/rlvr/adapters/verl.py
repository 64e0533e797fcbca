"""veRL adapter: `compute_score` for veRL's custom_reward_function.

    custom_reward_function.path=/path/to/rlvr/clients/python/rlvr/adapters/verl.py
    custom_reward_function.name=compute_score          # or compute_score_batch with the batch manager

veRL's reward managers call `compute_score(data_source=..., solution_str=..., ground_truth=...,
extra_info=...)` per sample (the naive manager) or `compute_score_batch(data_sources=...,
solution_strs=..., ground_truths=..., extra_infos=...)` once per batch (reward_model.reward_manager=
batch), plus any `custom_reward_function.reward_kwargs`. The keyword options below can be set there:

  return_dict  False: return the score (float). True: {"score", "acc", "valid"} (veRL logs the extra
               keys as reward_extra_info).
  on_failure   "raise" (default, or $RLVR_ON_FAILURE): a sample the verifier cannot score (verdict
               valid=False, an RPC error, no gold answer) raises rlvr.VerificationFailed / the
               rlvr.VerifierError. "nan": its score is NaN (and valid False) -- loud, never a silent 0.
  target       the verifier's gRPC address (default $RLVR_VERIFIER, else 127.0.0.1:50051).
  timeout      the deadline of each call in seconds (default $RLVR_TIMEOUT, else 30).

Clients are created lazily, one per process (veRL may fork workers; a gRPC channel must not cross a
fork). `data_source` is not used: every sample is verified as a math problem against ground_truth.
"""

from __future__ import annotations

import math
import os
import threading
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

from rlvr.adapters._groups import missing_gold, verify_rows
from rlvr.client import Verdict, VerifierClient, default_target
from rlvr.errors import VerificationFailed

__all__ = ["compute_score", "compute_score_batch", "get_client"]

Score = Union[float, Dict[str, Any]]

_lock = threading.Lock()
_clients: Dict[Tuple[int, str, float], VerifierClient] = {}


def get_client(target: Optional[str] = None, timeout: Optional[float] = None) -> VerifierClient:
    """The per-process shared client for (target, timeout)."""
    target = target or default_target()
    timeout = float(timeout if timeout is not None else os.environ.get("RLVR_TIMEOUT", 30.0))
    key = (os.getpid(), target, timeout)
    with _lock:
        client = _clients.get(key)
        if client is None:
            # Forget clients inherited from a parent process: their channels are not usable here.
            for stale in [k for k in _clients if k[0] != key[0]]:
                del _clients[stale]
            client = _clients[key] = VerifierClient(target, timeout=timeout)
        return client


def _on_failure(value: Optional[str]) -> str:
    value = value or os.environ.get("RLVR_ON_FAILURE") or "raise"
    if value not in ("raise", "nan"):
        raise ValueError(f"on_failure is {value!r}; use 'raise' or 'nan'")
    return value


def _score(result: Any, *, index: Optional[int], data_source: Any, ground_truth: Any,
           return_dict: bool, on_failure: str) -> Score:
    if isinstance(result, Verdict) and result.valid:
        score = float(result.score)
        if return_dict:
            return {"score": score, "acc": 1.0 if result.correct else 0.0, "valid": True}
        return score
    where = f"sample {index}" if index is not None else "sample"
    if isinstance(result, Verdict):
        failure: Exception = VerificationFailed(
            f"rlvr: {where} (data_source={data_source!r}) cannot be scored: verdict {result.outcome}: "
            f"{result.reason}; ground_truth={ground_truth!r}", verdict=result, index=index)
    elif isinstance(result, Exception):
        failure = result
    else:
        failure = VerificationFailed(f"rlvr: {where} (data_source={data_source!r}) has no ground_truth "
                                     f"({ground_truth!r})", index=index)
    if on_failure == "raise":
        raise failure
    if return_dict:
        return {"score": math.nan, "acc": math.nan, "valid": False}
    return math.nan


def _check_solution(solution: Any, where: str) -> str:
    if not isinstance(solution, str):
        raise TypeError(f"{where} must be a str, not {type(solution).__name__}")
    return solution


def compute_score(data_source: Any, solution_str: str, ground_truth: Any,
                  extra_info: Optional[dict] = None, *, return_dict: bool = False,
                  on_failure: Optional[str] = None, target: Optional[str] = None,
                  timeout: Optional[float] = None, **unused: Any) -> Score:
    """veRL's per-sample reward function: the verifier's score of `solution_str` against
    `ground_truth` (see the module docstring for the options and failure behaviour)."""
    mode = _on_failure(on_failure)
    solution = _check_solution(solution_str, "solution_str")
    if missing_gold(ground_truth):
        result: Any = None
    else:
        [result] = verify_rows(get_client(target, timeout), [ground_truth], [solution], batch_size=1)
    return _score(result, index=None, data_source=data_source, ground_truth=ground_truth,
                  return_dict=return_dict, on_failure=mode)


def compute_score_batch(data_sources: Sequence[Any], solution_strs: Sequence[str],
                        ground_truths: Sequence[Any], extra_infos: Optional[Sequence[Any]] = None, *,
                        return_dict: bool = False, on_failure: Optional[str] = None,
                        target: Optional[str] = None, timeout: Optional[float] = None,
                        batch_size: int = 64, **unused: Any) -> List[Score]:
    """veRL's batch reward function (reward_model.reward_manager=batch): one score (or dict) per
    sample, verified over VerifyStream with samples sharing a ground truth sent as one group."""
    mode = _on_failure(on_failure)
    if len(solution_strs) != len(ground_truths):
        raise ValueError(f"{len(solution_strs)} solution_strs for {len(ground_truths)} ground_truths")
    if not solution_strs:
        raise ValueError("solution_strs is empty: nothing to score")
    solutions = [_check_solution(s, f"solution_strs[{i}]") for i, s in enumerate(solution_strs)]
    results = verify_rows(get_client(target, timeout), list(ground_truths), solutions,
                          batch_size=batch_size)
    sources = list(data_sources) if data_sources is not None else [None] * len(solutions)
    return [_score(result, index=i, data_source=sources[i] if i < len(sources) else None,
                   ground_truth=ground_truths[i], return_dict=return_dict, on_failure=mode)
            for i, result in enumerate(results)]
