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
               valid=False, an RPC error, no ground truth, malformed tests) raises
               rlvr.VerificationFailed / the rlvr.VerifierError / the TypeError or ValueError naming
               the bad tests field. "none": its score is None (with return_dict, {"score": None,
               "acc": None, "valid": False}) for a custom reward manager that masks such samples;
               veRL's stock managers write the score into a tensor and fail on None, which stops
               the run -- loud, never a silent 0. There is no "nan": a NaN reward spreads through
               the group's mean and std into every advantage of the group.
  target       the verifier's gRPC address (default $RLVR_VERIFIER, else 127.0.0.1:50051).
  timeout      the deadline of each call in seconds (default $RLVR_TIMEOUT, else 30).

Which problem a sample is (`data_source` is not used):
  - extra_info["tests"] present and not None: a code problem with those tests (extra_info["language"],
    default python); see rlvr.problems.code_problem_from_label for the shapes;
  - else a ground_truth that is a dict, or JSON object text (first non-blank characters '{"'): a code
    problem, {"language", "tests", "limits"} or the tests themselves (e.g. veRL's code datasets'
    {"inputs": [...], "outputs": [...], "fn_name"?});
  - else a math problem against ground_truth (a string or a number; "{1, 2}" stays math).

Every sample is counted in `counters` (per process): "calls", "samples", "rewarded", "correct",
"code", "failed", and why: "invalid_verdict", "rpc_error", "no_gold", "bad_tests"; verdict outcomes in
`outcomes`. Clients are created lazily, one per process (veRL may fork workers; a gRPC channel must
not cross a fork).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

from rlvr.adapters import _verl_state
from rlvr.adapters._groups import CodeLabel, verify_rows
from rlvr.client import Verdict, VerifierClient, default_target
from rlvr.errors import VerificationFailed, VerifierError
from rlvr.problems import is_code_label

__all__ = ["compute_score", "compute_score_batch", "get_client", "counters", "outcomes",
           "reset_counters"]

Score = Union[float, None, Dict[str, Any]]

# Shared with every copy of this file (veRL loads it by path): see _verl_state.
_lock = _verl_state.lock
_clients: Dict[Tuple[int, str, float], VerifierClient] = _verl_state.clients  # type: ignore[assignment]
counters = _verl_state.counters
outcomes = _verl_state.outcomes


def reset_counters() -> None:
    """Clears `counters` and `outcomes`."""
    with _lock:
        counters.clear()
        outcomes.clear()


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
    if value == "nan":
        raise ValueError("on_failure='nan' is not supported: a NaN reward spreads through the group's "
                         "mean and std into every advantage of the group; use 'raise' or 'none'")
    if value not in ("raise", "none"):
        raise ValueError(f"on_failure is {value!r}; use 'raise' or 'none'")
    return value


def _label(ground_truth: Any, extra_info: Any) -> Any:
    """The sample's label for verify_rows: a CodeLabel or the math gold (see the module docstring)."""
    if isinstance(extra_info, Mapping) and extra_info.get("tests") is not None:
        language = extra_info.get("language") or "python"
        if not isinstance(language, str):
            raise TypeError(f"extra_info['language'] must be a str, not {type(language).__name__}")
        return CodeLabel(extra_info["tests"], language)
    if is_code_label(ground_truth):
        return CodeLabel(ground_truth)
    return ground_truth


def _shorten(value: Any, limit: int = 200) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def _tally(results: Sequence[Any], labels: Sequence[Any]) -> None:
    """Counts one call's samples (before any of them raises)."""
    with _lock:
        counters["calls"] += 1
        for result, label in zip(results, labels):
            counters["samples"] += 1
            counters["code"] += isinstance(label, CodeLabel)
            if isinstance(result, Verdict):
                outcomes[result.outcome] += 1
            if isinstance(result, Verdict) and result.valid:
                counters["rewarded"] += 1
                counters["correct"] += result.correct
            else:
                counters["failed"] += 1
                counters["invalid_verdict" if isinstance(result, Verdict) else
                         "rpc_error" if isinstance(result, VerifierError) else
                         "bad_tests" if isinstance(result, Exception) else "no_gold"] += 1


def _score(result: Any, *, index: Optional[int], data_source: Any, label: Any,
           return_dict: bool, on_failure: str) -> Score:
    code = isinstance(label, CodeLabel)
    if isinstance(result, Verdict) and result.valid:
        score = float(result.score)
        if return_dict:
            return {"score": score, "acc": 1.0 if result.correct else 0.0, "valid": True}
        return score
    where = f"sample {index}" if index is not None else "sample"
    what = f"tests={_shorten(label.label)}" if code else f"ground_truth={_shorten(label)}"
    if isinstance(result, Verdict):
        failure: Exception = VerificationFailed(
            f"rlvr: {where} (data_source={data_source!r}) cannot be scored: verdict {result.outcome}: "
            f"{result.reason}; {what}", verdict=result, index=index)
    elif isinstance(result, Exception):
        failure = result
    else:
        failure = VerificationFailed(f"rlvr: {where} (data_source={data_source!r}) has no ground_truth "
                                     f"({_shorten(label)}) and no extra_info['tests']", index=index)
    if on_failure == "raise":
        raise failure
    if return_dict:
        return {"score": None, "acc": None, "valid": False}
    return None


def _check_solution(solution: Any, where: str) -> str:
    if not isinstance(solution, str):
        raise TypeError(f"{where} must be a str, not {type(solution).__name__}")
    return solution


def compute_score(data_source: Any, solution_str: str, ground_truth: Any,
                  extra_info: Optional[dict] = None, *, return_dict: bool = False,
                  on_failure: Optional[str] = None, target: Optional[str] = None,
                  timeout: Optional[float] = None, **unused: Any) -> Score:
    """veRL's per-sample reward function: the verifier's score of `solution_str` against
    `ground_truth` or extra_info["tests"] (see the module docstring for the options, which problem a
    sample is, and failure behaviour)."""
    mode = _on_failure(on_failure)
    solution = _check_solution(solution_str, "solution_str")
    label = _label(ground_truth, extra_info)
    [result] = verify_rows(get_client(target, timeout), [label], [solution], batch_size=1)
    _tally([result], [label])
    return _score(result, index=None, data_source=data_source, label=label,
                  return_dict=return_dict, on_failure=mode)


def compute_score_batch(data_sources: Sequence[Any], solution_strs: Sequence[str],
                        ground_truths: Sequence[Any], extra_infos: Optional[Sequence[Any]] = None, *,
                        return_dict: bool = False, on_failure: Optional[str] = None,
                        target: Optional[str] = None, timeout: Optional[float] = None,
                        batch_size: int = 64, **unused: Any) -> List[Score]:
    """veRL's batch reward function (reward_model.reward_manager=batch): one score (or dict) per
    sample, verified over VerifyStream with samples sharing a ground truth (or tests) sent as one
    group."""
    mode = _on_failure(on_failure)
    if len(solution_strs) != len(ground_truths):
        raise ValueError(f"{len(solution_strs)} solution_strs for {len(ground_truths)} ground_truths")
    if not solution_strs:
        raise ValueError("solution_strs is empty: nothing to score")
    if extra_infos is not None and len(extra_infos) != len(solution_strs):
        raise ValueError(f"{len(extra_infos)} extra_infos for {len(solution_strs)} solution_strs")
    solutions = [_check_solution(s, f"solution_strs[{i}]") for i, s in enumerate(solution_strs)]
    infos = list(extra_infos) if extra_infos is not None else [None] * len(solutions)
    labels = [_label(truth, info) for truth, info in zip(ground_truths, infos)]
    results = verify_rows(get_client(target, timeout), labels, solutions, batch_size=batch_size)
    _tally(results, labels)
    sources = list(data_sources) if data_sources is not None else [None] * len(solutions)
    return [_score(result, index=i, data_source=sources[i] if i < len(sources) else None,
                   label=labels[i], return_dict=return_dict, on_failure=mode)
            for i, result in enumerate(results)]
