"""Shared by the adapters: turn per-sample (gold, response) rows into verifier groups (one group per
distinct gold answer, in first-seen order) and spread the verdicts back to the samples."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

from rlvr.client import Verdict
from rlvr.problems import gold_to_str

Result = Union[Verdict, Exception]


def missing_gold(gold: Any) -> bool:
    """A row with no usable gold answer (None or blank): a data error, masked by the adapters."""
    return gold is None or (isinstance(gold, str) and not gold.strip())


def verify_rows(client, golds: Sequence[Any], responses: Sequence[str], *, batch_size: int,
                problem_options: Optional[Dict[str, Any]] = None) -> List[Optional[Result]]:
    """Verifies each (gold, response) row; returns per row a Verdict, an Exception (the call or the
    group failed), or None (the row has no gold answer: nothing was sent).

    Raises TypeError for a gold that is neither a string nor a number (a wrong column, not bad data)
    and for responses that are not strings.
    """
    options = dict(problem_options or {})
    groups: Dict[str, List[int]] = {}
    for i, (gold, response) in enumerate(zip(golds, responses)):
        if not isinstance(response, str):
            raise TypeError(f"completion {i} must be a str, not {type(response).__name__}")
        if missing_gold(gold):
            continue
        groups.setdefault(gold_to_str(gold, name=f"gold answer of sample {i}"), []).append(i)
    results: List[Optional[Result]] = [None] * len(responses)
    if not groups:
        return results
    items: List[Tuple[Dict[str, Any], List[str]]] = [
        (dict(options, gold=gold), [responses[i] for i in rows]) for gold, rows in groups.items()]
    outcomes = client.verify_batch(items, batch_size=batch_size, return_exceptions=True)
    for rows, outcome in zip(groups.values(), outcomes):
        for position, row in enumerate(rows):
            results[row] = outcome if isinstance(outcome, Exception) else outcome[position]
    return results
