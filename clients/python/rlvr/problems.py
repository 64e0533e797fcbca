"""Builders for rlvr.v1.Problem messages: math problems from a gold answer, code problems from tests.

Everything here checks its input on the client side and raises TypeError / ValueError naming the bad
argument, so a malformed dataset row fails before any RPC is made.
"""

from __future__ import annotations

import json
import numbers
from collections.abc import Mapping, Sequence
from typing import Any, Optional, Union

from rlvr._proto import common_pb2

__all__ = ["math_problem", "code_problem", "code_problem_from_label", "is_code_label", "as_problem",
           "gold_to_str", "ProblemLike"]

ProblemLike = Union["common_pb2.Problem", str, int, float, Mapping]

_PERCENT = {
    None: common_pb2.PERCENT_MODE_UNSPECIFIED,
    "flexible": common_pb2.PERCENT_MODE_FLEXIBLE,
    "exact": common_pb2.PERCENT_MODE_EXACT,
}
_MATH_OPTION_NAMES = ("precision", "percent", "strict", "allow_set_relation_comp",
                      "last_number_fallback")


def gold_to_str(gold: Any, *, name: str = "gold") -> str:
    """A gold answer as the string the server expects: str as is; int / float / Fraction-like
    numbers via str(). Raises TypeError for anything else (None, bool, lists...) and ValueError for
    an empty or blank string."""
    if isinstance(gold, bool) or gold is None:
        raise TypeError(f"{name} must be a string or a number, not {type(gold).__name__}")
    if isinstance(gold, numbers.Number):
        gold = str(gold)
    if not isinstance(gold, str):
        raise TypeError(f"{name} must be a string or a number, not {type(gold).__name__}")
    if not gold.strip():
        raise ValueError(f"{name} is empty: a math problem needs a gold answer")
    return gold


def math_problem(gold: Any, *, precision: Optional[int] = None, percent: Optional[str] = None,
                 strict: Optional[bool] = None, allow_set_relation_comp: Optional[bool] = None,
                 last_number_fallback: Optional[bool] = None, problem_id: str = "",
                 prompt: str = "") -> "common_pb2.Problem":
    """A math Problem comparing responses with `gold` (LaTeX or plain text; a full solution with
    \\boxed{} works too). Options left None take the server defaults (see the top-level README)."""
    problem = common_pb2.Problem(id=str(problem_id), kind=common_pb2.PROBLEM_KIND_MATH,
                                 prompt=str(prompt or ""))
    problem.math.gold = gold_to_str(gold)
    options = problem.math.options
    if precision is not None:
        if isinstance(precision, bool) or not isinstance(precision, int):
            raise TypeError(f"precision must be an int, not {type(precision).__name__}")
        if not 0 <= precision <= 50:
            raise ValueError(f"precision is {precision}; it must be in 0..50")
        options.precision = precision
    if percent not in _PERCENT:
        raise ValueError(f"percent is {percent!r}; use 'flexible', 'exact' or None")
    options.percent = _PERCENT[percent]
    for name, value in (("strict", strict), ("allow_set_relation_comp", allow_set_relation_comp),
                        ("last_number_fallback", last_number_fallback)):
        if value is not None:
            if not isinstance(value, bool):
                raise TypeError(f"{name} must be a bool, not {type(value).__name__}")
            setattr(options, name, value)
    return problem


def _stdio_cases(tests: "common_pb2.CodeTests", inputs: Sequence, outputs: Sequence) -> None:
    if len(inputs) != len(outputs):
        raise ValueError(f"tests have {len(inputs)} inputs but {len(outputs)} outputs")
    for i, (stdin, stdout) in enumerate(zip(inputs, outputs)):
        texts = []
        for field, value in (("input", stdin), ("output", stdout)):
            if isinstance(value, list):  # some datasets store the lines as a list
                value = "\n".join(str(v) for v in value)
            if not isinstance(value, str):
                raise TypeError(f"tests case {i}: {field} must be a string, not {type(value).__name__}")
            texts.append(value)
        tests.cases.add(input=texts[0], output=texts[1])


def _code_tests(spec: Any) -> "common_pb2.CodeTests":
    if isinstance(spec, (str, bytes)):
        try:
            spec = json.loads(spec)
        except ValueError as error:
            raise ValueError(f"tests is not valid JSON: {error}") from None
    tests = common_pb2.CodeTests()
    if isinstance(spec, Sequence) and not isinstance(spec, (str, bytes)):
        # A bare list of {"input", "output"} cases: stdio tests.
        spec = {"type": "stdio", "cases": list(spec)}
    if not isinstance(spec, Mapping):
        raise TypeError(f"tests must be JSON text, a dict or a list of cases, not {type(spec).__name__}")

    if "inputs" in spec or "outputs" in spec:
        # APPS / TACO / DeepCoder style: {"inputs": [...], "outputs": [...], "fn_name": optional}.
        inputs, outputs = spec.get("inputs", []), spec.get("outputs", [])
        if spec.get("fn_name"):
            tests.type = "call"
            tests.fn_name = str(spec["fn_name"])
            if len(inputs) != len(outputs):
                raise ValueError(f"tests have {len(inputs)} inputs but {len(outputs)} outputs")
            for args, expected in zip(inputs, outputs):
                tests.cases.add(args_json=json.dumps(args), expected_json=json.dumps(expected))
        else:
            tests.type = "stdio"
            _stdio_cases(tests, inputs, outputs)
        return tests

    known = {"type", "cases", "fn_name", "code", "entry_point", "float_tolerance", "compare",
             "float_mode", "early_stop", "unwrap_expected_list", "scoring", "checker"}
    unknown = sorted(set(spec) - known)
    if unknown:
        raise ValueError(f"tests has unknown key(s) {unknown}; known: {sorted(known)}")
    kind = spec.get("type", "stdio")
    if kind not in ("stdio", "call", "assert"):
        raise ValueError(f"tests type is {kind!r}; use 'stdio', 'call' or 'assert'")
    tests.type = kind
    cases = spec.get("cases", [])
    if kind == "stdio":
        _stdio_cases(tests, [c.get("input", "") for c in cases], [c.get("output", "") for c in cases])
    elif kind == "call":
        if not spec.get("fn_name"):
            raise ValueError("call tests need fn_name")
        tests.fn_name = str(spec["fn_name"])
        for c in cases:
            tests.cases.add(args_json=json.dumps(c.get("args", [])),
                            expected_json=json.dumps(c.get("expected")))
    else:
        if not spec.get("code"):
            raise ValueError("assert tests need code")
        tests.code = str(spec["code"])
        tests.entry_point = str(spec.get("entry_point", ""))
    if "float_tolerance" in spec:
        tests.float_tolerance = float(spec["float_tolerance"])
    if "compare" in spec:
        tests.compare = str(spec["compare"])
    if "float_mode" in spec:
        tests.float_mode = str(spec["float_mode"])
    for flag in ("early_stop", "unwrap_expected_list"):
        if flag in spec:
            if not isinstance(spec[flag], bool):
                raise TypeError(f"tests {flag} must be a bool, not {type(spec[flag]).__name__}")
            setattr(tests, flag, spec[flag])
    if "scoring" in spec:
        if spec["scoring"] not in ("fraction", "all_passed"):
            raise ValueError(f"tests scoring is {spec['scoring']!r}; use 'fraction' or 'all_passed'")
        tests.scoring = spec["scoring"]
    if "checker" in spec:
        checker = spec["checker"]
        if not isinstance(checker, Mapping) or set(checker) - {"language", "source"}:
            raise ValueError('tests checker must be {"language": "cpp"|"python", "source": "..."}')
        if not isinstance(checker.get("source"), str) or not checker.get("source"):
            raise ValueError("tests checker needs a non-empty source")
        tests.checker.language = str(checker.get("language", "cpp"))
        tests.checker.source = checker["source"]
    return tests


def _extract(problem: "common_pb2.Problem", spec: Any) -> None:
    # How the server finds the program in a response: {"block": "last"|"first", "untagged_fallback",
    # "whole_response", "accept_unclosed"}; keys left out keep the server's defaults.
    if not isinstance(spec, Mapping):
        raise TypeError(f"extract must be a dict, not {type(spec).__name__}")
    unknown = sorted(set(spec) - {"block", "untagged_fallback", "whole_response", "accept_unclosed"})
    if unknown:
        raise ValueError(f"extract has unknown key(s) {unknown}")
    if "block" in spec:
        if spec["block"] not in ("last", "first"):
            raise ValueError(f"extract block is {spec['block']!r}; use 'last' or 'first'")
        problem.code.extract.block = spec["block"]
    for flag in ("untagged_fallback", "whole_response", "accept_unclosed"):
        if flag in spec:
            if not isinstance(spec[flag], bool):
                raise TypeError(f"extract {flag} must be a bool, not {type(spec[flag]).__name__}")
            setattr(problem.code.extract, flag, spec[flag])


def code_problem(tests: Any, *, language: str = "python", time_ms: int = 0, memory_mb: int = 0,
                 problem_id: str = "", prompt: str = "", extract: Any = None) -> "common_pb2.Problem":
    """A code Problem: the response's program is run against `tests`.

    `tests` is JSON text, a dict or a list: {"type": "stdio", "cases": [{"input", "output"}]},
    {"type": "call", "fn_name": f, "cases": [{"args": [...], "expected": v}]},
    {"type": "assert", "code": "...", "entry_point": f}, the APPS/TACO form
    {"inputs": [...], "outputs": [...], "fn_name"?}, or a bare list of {"input", "output"} cases.
    Stdio tests also take "float_tolerance", "float_mode", "compare", "early_stop" and a "checker"
    ({"language": "cpp"|"python", "source": ...}); call tests "unwrap_expected_list"; every kind
    "scoring" ("fraction" or "all_passed"). `extract`: how the program is found in the response
    ({"block": "last"|"first", "untagged_fallback", "whole_response", "accept_unclosed"}).
    time_ms / memory_mb: 0 takes the server's defaults.
    """
    if not isinstance(language, str) or not language:
        raise ValueError("language must be a non-empty string such as 'python'")
    problem = common_pb2.Problem(id=str(problem_id), kind=common_pb2.PROBLEM_KIND_CODE,
                                 prompt=str(prompt or ""))
    problem.code.language = language
    problem.code.tests.CopyFrom(_code_tests(tests))
    problem.code.limits.time_ms = int(time_ms)
    problem.code.limits.memory_mb = int(memory_mb)
    if extract is not None:
        _extract(problem, extract)
    return problem


def is_code_label(label: Any) -> bool:
    """Whether a trainer's label names a code problem rather than a math gold answer, by the rule the
    verifier's HTTP endpoints use: a dict, or text whose first non-blank characters are '{"' or '{}'
    (JSON object text). Anything else, a LaTeX set such as "{1, 2}" included, is a math gold answer."""
    if isinstance(label, Mapping):
        return True
    if isinstance(label, bytes):
        label = label.decode("utf-8", "replace")
    if not isinstance(label, str):
        return False
    text = label.lstrip()
    return text.startswith("{") and text[1:].lstrip()[:1] in ('"', "}")


def code_problem_from_label(label: Any, *, language: str = "python", problem_id: str = "",
                            prompt: str = "") -> "common_pb2.Problem":
    """A code Problem from a trainer's label (a dataset column): JSON text, a dict or a list.

    A dict with "tests" is a whole problem, the shape of the verifier's HTTP code labels and of a
    `rlvr verify` JSONL code line: {"language": "python", "tests": {...}, "limits": {"time_ms": 2000,
    "memory_mb": 256}} ("language" defaults to `language`, other keys are ignored). Anything else is
    the tests themselves, as code_problem() takes them. Raises TypeError / ValueError naming the field.
    """
    if isinstance(label, (str, bytes)):
        try:
            label = json.loads(label)
        except ValueError as error:
            raise ValueError(f"code label is not valid JSON: {error}") from None
    if not (isinstance(label, Mapping) and "tests" in label):
        return code_problem(label, language=language, problem_id=problem_id, prompt=prompt)
    chosen = label.get("language") or language
    if not isinstance(chosen, str):
        raise TypeError(f"code label language must be a string, not {type(chosen).__name__}")
    limits = label.get("limits") or {}
    if not isinstance(limits, Mapping):
        raise TypeError(f"code label limits must be a dict, not {type(limits).__name__}")
    unknown = sorted(set(limits) - {"time_ms", "memory_mb"})
    if unknown:
        raise ValueError(f"code label limits has unknown key(s) {unknown}; known: ['memory_mb', 'time_ms']")
    for key in ("time_ms", "memory_mb"):
        value = limits.get(key, 0)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"code label limits.{key} is {value!r}; expected a non-negative integer")
    return code_problem(label["tests"], language=chosen, time_ms=limits.get("time_ms", 0),
                        memory_mb=limits.get("memory_mb", 0), problem_id=problem_id, prompt=prompt,
                        extract=label.get("extract"))


def as_problem(problem: Any) -> "common_pb2.Problem":
    """Coerces what callers pass as a problem: a Problem message (used as is), a gold answer (str or
    number: a math problem), or a dict ({"gold": ..., options...} for math, {"tests": ..., ...} for
    code)."""
    if isinstance(problem, common_pb2.Problem):
        if problem.kind == common_pb2.PROBLEM_KIND_UNSPECIFIED:
            raise ValueError("problem.kind is PROBLEM_KIND_UNSPECIFIED; build it with math_problem() "
                             "or code_problem()")
        return problem
    if isinstance(problem, Mapping):
        fields = dict(problem)
        if "tests" in fields:
            return code_problem(fields.pop("tests"), **fields)
        if "gold" in fields:
            return math_problem(fields.pop("gold"), **fields)
        raise ValueError(f"problem dict needs 'gold' (math) or 'tests' (code); got keys {sorted(fields)}")
    if isinstance(problem, (str, numbers.Number)) and not isinstance(problem, bool):
        return math_problem(problem)
    raise TypeError("problem must be a gold answer (str), a dict or an rlvr.v1 Problem, not "
                    f"{type(problem).__name__}")
