"""Shared by the adapters: turn per-sample (label, response) rows into verifier groups (one group per
distinct label, in first-seen order) and spread the verdicts back to the samples. A label is a math
gold answer, or a CodeLabel (the row's code tests)."""

from __future__ import annotations

import json
from typing import Any, Dict, Hashable, List, Optional, Sequence, Tuple, Union

from rlvr.client import Verdict
from rlvr.problems import code_problem_from_label, gold_to_str

Result = Union[Verdict, Exception]


class CodeLabel:
    """A row's code tests (anything code_problem_from_label takes), as opposed to a math gold answer."""

    __slots__ = ("label", "language")

    def __init__(self, label: Any, language: str = "python"):
        self.label = label
        self.language = language

    def key(self) -> Hashable:
        """Equal for labels that name the same problem (dict key order aside)."""
        text = self.label if isinstance(self.label, str) else json.dumps(self.label, sort_keys=True,
                                                                          default=str)
        return ("code", self.language, text)


def missing_gold(gold: Any) -> bool:
    """A row with no usable label (None or blank text): a data error, masked by the adapters."""
    if isinstance(gold, CodeLabel):
        gold = gold.label
    return gold is None or (isinstance(gold, (str, bytes)) and not gold.strip())


def verify_rows(client, labels: Sequence[Any], responses: Sequence[str], *, batch_size: int,
                problem_options: Optional[Dict[str, Any]] = None) -> List[Optional[Result]]:
    """Verifies each (label, response) row; returns per row a Verdict, an Exception (the call or the
    group failed: an rlvr.VerifierError; or the row's code tests are malformed: TypeError /
    ValueError naming the field), or None (the row has no label: nothing was sent).
    `problem_options` are math options (precision=...); code rows ignore them.

    Raises TypeError for a math gold that is neither a string nor a number (a wrong column, not bad
    data) and for responses that are not strings.
    """
    options = dict(problem_options or {})
    groups: Dict[Hashable, List[int]] = {}
    problems: Dict[Hashable, Any] = {}
    for i, (label, response) in enumerate(zip(labels, responses)):
        if not isinstance(response, str):
            raise TypeError(f"completion {i} must be a str, not {type(response).__name__}")
        if missing_gold(label):
            continue
        if isinstance(label, CodeLabel):
            key = label.key()
            if key not in problems:
                try:
                    problems[key] = code_problem_from_label(label.label, language=label.language)
                except (TypeError, ValueError) as error:
                    problems[key] = type(error)(f"code tests of sample {i}: {error}")
        else:
            gold = gold_to_str(label, name=f"gold answer of sample {i}")
            key = ("math", gold)
            problems.setdefault(key, dict(options, gold=gold))
        groups.setdefault(key, []).append(i)
    results: List[Optional[Result]] = [None] * len(responses)
    items: List[Tuple[Any, List[str]]] = []
    sent: List[List[int]] = []
    for key, rows in groups.items():
        if isinstance(problems[key], Exception):
            for row in rows:
                results[row] = problems[key]
            continue
        items.append((problems[key], [responses[i] for i in rows]))
        sent.append(rows)
    if not items:
        return results
    outcomes = client.verify_batch(items, batch_size=batch_size, return_exceptions=True)
    for rows, outcome in zip(sent, outcomes):
        for position, row in enumerate(rows):
            results[row] = outcome if isinstance(outcome, Exception) else outcome[position]
    return results
