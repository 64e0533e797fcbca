"""Clients of the rlvr.v1.Verifier gRPC service: VerifierClient (blocking) and AsyncVerifierClient
(grpc.aio).

    with VerifierClient("127.0.0.1:50051") as client:
        verdicts = client.verify("\\frac12", ["so \\boxed{0.5}", "\\boxed{2}"])
        groups = client.verify_batch([(gold, responses) for gold, responses in rows], batch_size=64)

Every call carries a deadline (the client's `timeout`, or the per-call override) and an idempotency
key (`request_id`). verify() is one unary Verify call for one group; verify_batch() sends the groups
over VerifyStream, `batch_size` groups per stream call, and returns the verdicts in input order.
Failures raise rlvr.errors.VerifierError subclasses; bad arguments raise TypeError / ValueError
before anything is sent.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import os
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple, Union

import grpc
from google.protobuf import json_format

from rlvr._proto import common_pb2, verifier_pb2, verifier_pb2_grpc
from rlvr.errors import VerifierError, code_from_number, error_from_code, error_from_rpc
from rlvr.problems import as_problem

__all__ = ["Verdict", "CaseResult", "VerifierClient", "AsyncVerifierClient", "DEFAULT_TARGET",
           "default_target"]

DEFAULT_TARGET = "127.0.0.1:50051"
_MAX_MESSAGE_BYTES = 64 * 1024 * 1024  # the server's per-message limit
_CHANNEL_OPTIONS = [
    ("grpc.max_send_message_length", _MAX_MESSAGE_BYTES),
    ("grpc.max_receive_message_length", _MAX_MESSAGE_BYTES),
]


def default_target() -> str:
    """The verifier address: $RLVR_VERIFIER, else 127.0.0.1:50051."""
    return os.environ.get("RLVR_VERIFIER") or DEFAULT_TARGET


def _outcome_name(value: int) -> str:
    try:
        name = common_pb2.Outcome.Name(value)
    except ValueError:
        return f"unknown_{value}"
    return name[len("OUTCOME_"):].lower()


@dataclass(frozen=True)
class CaseResult:
    """Code problems: the result of one test case (status "passed", "wrong_answer", "runtime_error",
    "time_limit", "memory_limit", "output_limit", "compile_error", "skipped", "sandbox_error")."""

    status: str
    wall_ms: int = 0
    cpu_ms: int = 0
    stderr_excerpt: str = ""
    detail: str = ""


@dataclass(frozen=True)
class Verdict:
    """The verifier's verdict for one response.

    outcome: "correct", "incorrect", "no_answer", "no_code", "invalid_gold", "budget_exceeded",
    "error" (see the top-level README). score: the reward in [0, 1], meaningful only when valid.
    valid: False when the verifier could not score the response: that is "no reward signal", never a 0.
    Code problems also fill tests_passed, tests_total and tests (one CaseResult per test case run).
    """

    outcome: str
    score: float
    valid: bool
    extracted: str = ""
    reason: str = ""
    tests_passed: int = 0
    tests_total: int = 0
    latency_us: float = 0.0
    tests: Tuple[CaseResult, ...] = ()
    # With a reward_spec on the call: the spec's total for this response (None when the verdict is
    # invalid) and each term's weighted value by name ("correctness", format terms, "overlong", ...).
    spec_reward: Optional[float] = None
    components: Tuple[Tuple[str, float], ...] = ()

    @property
    def correct(self) -> bool:
        return self.valid and self.outcome == "correct"

    @property
    def reward(self) -> Optional[float]:
        """The score when valid, else None (mask the sample)."""
        return self.score if self.valid else None

    @classmethod
    def from_proto(cls, verdict: "common_pb2.Verdict") -> "Verdict":
        return cls(outcome=_outcome_name(verdict.outcome), score=verdict.score, valid=verdict.valid,
                   extracted=verdict.extracted, reason=verdict.reason,
                   tests_passed=verdict.tests_passed, tests_total=verdict.tests_total,
                   latency_us=verdict.latency_us,
                   tests=tuple(CaseResult(status=t.status, wall_ms=t.wall_ms, cpu_ms=t.cpu_ms,
                                          stderr_excerpt=t.stderr_excerpt, detail=t.detail)
                               for t in getattr(verdict, "tests", ())))


def _check_timeout(timeout: Any, name: str = "timeout") -> float:
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise TypeError(f"{name} must be a number of seconds, not {type(timeout).__name__}")
    if not timeout > 0:  # also rejects NaN
        raise ValueError(f"{name} is {timeout}; it must be > 0 seconds (every call has a deadline)")
    return float(timeout)


def _check_responses(responses: Any, where: str = "responses") -> List[str]:
    if isinstance(responses, (str, bytes)):
        raise TypeError(f"{where} must be a list of strings, not a single {type(responses).__name__}; "
                        "wrap it: [response]")
    if not isinstance(responses, Iterable):
        raise TypeError(f"{where} must be a list of strings, not {type(responses).__name__}")
    responses = list(responses)
    if not responses:
        raise ValueError(f"{where} is empty: a group needs at least one response")
    for i, response in enumerate(responses):
        if not isinstance(response, str):
            raise TypeError(f"{where}[{i}] must be a str, not {type(response).__name__}")
    return responses


def _split_item(item: Any) -> Tuple[Any, Any]:
    if isinstance(item, Mapping):
        if "responses" not in item:
            raise ValueError(f"item dict needs 'responses'; got keys {sorted(item)}")
        if "problem" in item:
            return item["problem"], item["responses"]
        if "gold" in item:
            return item["gold"], item["responses"]
        raise ValueError(f"item dict needs 'problem' or 'gold'; got keys {sorted(item)}")
    if isinstance(item, (tuple, list)) and len(item) == 2:
        return item[0], item[1]
    raise TypeError("each item must be a (problem, responses) pair or a dict with 'problem'/'gold' "
                    f"and 'responses', not {type(item).__name__}")


class _Batch:
    """The bookkeeping of one verify_batch call, shared by the sync and async clients: the requests,
    which request_id maps to which input index, and each item's result or exception."""

    def __init__(self, items: Any, new_id, target: str, return_exceptions: bool):
        if isinstance(items, (str, bytes, Mapping)) or not isinstance(items, Iterable):
            raise TypeError("items must be a list of (problem, responses) pairs, not "
                            f"{type(items).__name__}")
        items = list(items)
        if not items:
            raise ValueError("items is empty: nothing to verify")
        self.target = target
        self.results: List[Any] = [None] * len(items)
        self.requests: List[Tuple[int, Any]] = []  # (index, VerifyRequest)
        self.sizes: Dict[int, int] = {}
        for index, item in enumerate(items):
            try:
                problem, responses = _split_item(item)
                request = verifier_pb2.VerifyRequest(
                    request_id=new_id(), problem=as_problem(problem),
                    responses=_check_responses(responses, f"items[{index}] responses"))
            except (TypeError, ValueError) as error:
                if not return_exceptions:
                    raise type(error)(f"items[{index}]: {error}") from None
                self.results[index] = error
                continue
            self.requests.append((index, request))
            self.sizes[index] = len(request.responses)

    def chunks(self, batch_size: int):
        for start in range(0, len(self.requests), batch_size):
            chunk = self.requests[start:start + batch_size]
            yield {request.request_id: index for index, request in chunk}, [r for _, r in chunk]

    def accept(self, response: "verifier_pb2.VerifyResponse", pending: Dict[str, int]) -> None:
        index = pending.pop(response.request_id, None)
        if index is None:
            raise VerifierError(f"VerifyStream on {self.target} answered an unknown or repeated "
                                f"request_id {response.request_id!r}", target=self.target)
        if response.error_code:
            self.results[index] = error_from_code(code_from_number(response.error_code),
                                                  response.error_message, target=self.target,
                                                  method="VerifyStream", index=index)
            return
        self.results[index] = _verdicts(response, self.sizes[index], self.target, index)

    def fail(self, pending: Dict[str, int], error: Exception) -> None:
        for index in pending.values():
            self.results[index] = error
        pending.clear()

    def first_error(self) -> Optional[Exception]:
        return next((r for r in self.results if isinstance(r, Exception)), None)


def _verdicts(response: "verifier_pb2.VerifyResponse", expected: int, target: str,
              index: Optional[int] = None) -> List[Verdict]:
    if len(response.verdicts) != expected:
        where = f"items[{index}]: " if index is not None else ""
        raise VerifierError(f"{where}{target} returned {len(response.verdicts)} verdicts for "
                            f"{expected} responses", target=target, index=index)
    verdicts = [Verdict.from_proto(v) for v in response.verdicts]
    if len(response.rewards) == len(verdicts):
        verdicts = [dataclasses.replace(v, spec_reward=r.total if r.valid else None,
                                        components=tuple((c.name, c.value) for c in r.components))
                    for v, r in zip(verdicts, response.rewards)]
    return verdicts


def _reward_spec(spec: Any, lengths: Any, request: "verifier_pb2.VerifyRequest") -> None:
    # A RewardSpec message or its protobuf-JSON dict; lengths: one token count per response.
    if spec is not None:
        if isinstance(spec, common_pb2.RewardSpec):
            request.reward_spec.CopyFrom(spec)
        elif isinstance(spec, Mapping):
            try:
                json_format.ParseDict(dict(spec), request.reward_spec)
            except json_format.ParseError as error:
                raise ValueError(f"reward_spec: {error}") from None
        else:
            raise TypeError(f"reward_spec must be a dict or a RewardSpec, not {type(spec).__name__}")
    if lengths is not None:
        lengths = list(lengths)
        if len(lengths) != len(request.responses):
            raise ValueError(f"response_lengths has {len(lengths)} entries for "
                             f"{len(request.responses)} responses")
        for i, n in enumerate(lengths):
            if isinstance(n, bool) or not isinstance(n, int) or n < 0:
                raise ValueError(f"response_lengths[{i}] is {n!r}; expected a token count >= 0")
        request.response_lengths.extend(lengths)


class _Base:
    def __init__(self, target: Optional[str], timeout: float):
        target = default_target() if target is None else target
        if not isinstance(target, str) or not target:
            raise TypeError(f"target must be a 'host:port' string, not {target!r}")
        self.target = target
        self.timeout = _check_timeout(timeout)
        self._prefix = uuid.uuid4().hex[:12]
        self._counter = itertools.count()

    def _new_id(self) -> str:
        return f"{self._prefix}-{next(self._counter)}"

    def _deadline(self, timeout: Optional[float]) -> float:
        return self.timeout if timeout is None else _check_timeout(timeout)

    def _request(self, problem: Any, responses: Any) -> "verifier_pb2.VerifyRequest":
        return verifier_pb2.VerifyRequest(request_id=self._new_id(), problem=as_problem(problem),
                                          responses=_check_responses(responses))

    @staticmethod
    def _check_batch_size(batch_size: Any) -> int:
        if isinstance(batch_size, bool) or not isinstance(batch_size, int):
            raise TypeError(f"batch_size must be an int, not {type(batch_size).__name__}")
        if batch_size < 1:
            raise ValueError(f"batch_size is {batch_size}; it must be >= 1")
        return batch_size


class VerifierClient(_Base):
    """Blocking client. Thread-safe (one channel, shared); close() it or use it as a context manager.

    target: "host:port" (default $RLVR_VERIFIER or 127.0.0.1:50051). timeout: the deadline of every
    call, in seconds (a VerifyStream call covers one chunk of batch_size groups).
    """

    def __init__(self, target: Optional[str] = None, timeout: float = 30.0):
        super().__init__(target, timeout)
        self._channel = grpc.insecure_channel(self.target, options=_CHANNEL_OPTIONS)
        self._stub = verifier_pb2_grpc.VerifierStub(self._channel)

    def wait_ready(self, timeout: float = 10.0) -> None:
        """Blocks until the channel connects; raises UnavailableError after `timeout` seconds."""
        try:
            grpc.channel_ready_future(self._channel).result(timeout=_check_timeout(timeout))
        except grpc.FutureTimeoutError:
            raise error_from_code(grpc.StatusCode.UNAVAILABLE,
                                  f"not reachable within {timeout:g} s", target=self.target,
                                  method="connect") from None

    def verify(self, problem: Any, responses: Sequence[str], *, timeout: Optional[float] = None,
               reward_spec: Any = None, response_lengths: Optional[Sequence[int]] = None) -> List[Verdict]:
        """Verifies one group: `responses` (a list of str) against `problem` (a gold answer string, a
        dict or a Problem message). Returns one Verdict per response, in order. With `reward_spec` (a
        RewardSpec or its JSON dict; `response_lengths` in tokens when it has length terms) each
        Verdict also carries spec_reward and components."""
        request = self._request(problem, responses)
        _reward_spec(reward_spec, response_lengths, request)
        deadline = self._deadline(timeout)
        try:
            response = self._stub.Verify(request, timeout=deadline)
        except grpc.RpcError as error:
            raise error_from_rpc(error, target=self.target, method="Verify", timeout=deadline) from None
        return _verdicts(response, len(request.responses), self.target)

    def verify_batch(self, items: Iterable[Any], *, batch_size: int = 64,
                     timeout: Optional[float] = None,
                     return_exceptions: bool = False) -> List[Union[List[Verdict], Exception]]:
        """Verifies many groups over VerifyStream, `batch_size` groups per stream call (each call
        with its own deadline). `items` are (problem, responses) pairs or dicts with 'problem' (or
        'gold') and 'responses'. Returns one list of Verdicts per item, in input order.

        A failed item (bad input, a per-request server error, a failed call) raises its error
        (with .index) unless return_exceptions=True, which puts the exception in its slot instead.
        """
        batch_size = self._check_batch_size(batch_size)
        deadline = self._deadline(timeout)
        batch = _Batch(items, self._new_id, self.target, return_exceptions)
        for pending, requests in batch.chunks(batch_size):
            call = self._stub.VerifyStream(iter(requests), timeout=deadline)
            try:
                for response in call:
                    batch.accept(response, pending)
            except grpc.RpcError as error:
                batch.fail(pending, error_from_rpc(error, target=self.target, method="VerifyStream",
                                                   timeout=deadline))
            finally:
                call.cancel()  # no-op once the call has finished; stops it if accept() raised
            if pending:
                batch.fail(pending, VerifierError(
                    f"VerifyStream on {self.target} ended without answering {len(pending)} requests",
                    target=self.target))
            if not return_exceptions and batch.first_error() is not None:
                raise batch.first_error()
        return batch.results

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> "VerifierClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class AsyncVerifierClient(_Base):
    """asyncio client (grpc.aio) with the same methods as VerifierClient, as coroutines. The channel
    is opened on first use inside the running event loop; `await client.close()` or
    `async with AsyncVerifierClient(...) as client:`. verify_batch runs up to `max_concurrent_streams`
    stream calls at once.
    """

    def __init__(self, target: Optional[str] = None, timeout: float = 30.0, *,
                 max_concurrent_streams: int = 4):
        super().__init__(target, timeout)
        self.max_concurrent_streams = self._check_batch_size(max_concurrent_streams)
        self._channel = None
        self._stub = None

    def _ensure(self):
        if self._channel is None:
            self._channel = grpc.aio.insecure_channel(self.target, options=_CHANNEL_OPTIONS)
            self._stub = verifier_pb2_grpc.VerifierStub(self._channel)
        return self._stub

    async def wait_ready(self, timeout: float = 10.0) -> None:
        """Waits until the channel connects; raises UnavailableError after `timeout` seconds."""
        self._ensure()
        try:
            await asyncio.wait_for(self._channel.channel_ready(), _check_timeout(timeout))
        except asyncio.TimeoutError:
            raise error_from_code(grpc.StatusCode.UNAVAILABLE,
                                  f"not reachable within {timeout:g} s", target=self.target,
                                  method="connect") from None

    async def verify(self, problem: Any, responses: Sequence[str], *, timeout: Optional[float] = None,
                     reward_spec: Any = None,
                     response_lengths: Optional[Sequence[int]] = None) -> List[Verdict]:
        """See VerifierClient.verify."""
        request = self._request(problem, responses)
        _reward_spec(reward_spec, response_lengths, request)
        deadline = self._deadline(timeout)
        stub = self._ensure()
        try:
            response = await stub.Verify(request, timeout=deadline)
        except grpc.RpcError as error:
            raise error_from_rpc(error, target=self.target, method="Verify", timeout=deadline) from None
        return _verdicts(response, len(request.responses), self.target)

    async def verify_batch(self, items: Iterable[Any], *, batch_size: int = 64,
                           timeout: Optional[float] = None,
                           return_exceptions: bool = False) -> List[Union[List[Verdict], Exception]]:
        """See VerifierClient.verify_batch."""
        batch_size = self._check_batch_size(batch_size)
        deadline = self._deadline(timeout)
        batch = _Batch(items, self._new_id, self.target, return_exceptions)
        stub = self._ensure()
        gate = asyncio.Semaphore(self.max_concurrent_streams)

        async def run(pending: Dict[str, int], requests: list) -> None:
            async with gate:
                call = stub.VerifyStream(iter(requests), timeout=deadline)
                try:
                    async for response in call:
                        batch.accept(response, pending)
                except grpc.RpcError as error:
                    batch.fail(pending, error_from_rpc(error, target=self.target,
                                                       method="VerifyStream", timeout=deadline))
                finally:
                    call.cancel()
                if pending:
                    batch.fail(pending, VerifierError(
                        f"VerifyStream on {self.target} ended without answering {len(pending)} "
                        "requests", target=self.target))

        await asyncio.gather(*(run(pending, requests) for pending, requests in batch.chunks(batch_size)))
        if not return_exceptions and batch.first_error() is not None:
            raise batch.first_error()
        return batch.results

    async def close(self) -> None:
        if self._channel is not None:
            await self._channel.close()
            self._channel = None
            self._stub = None

    async def __aenter__(self) -> "AsyncVerifierClient":
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()
