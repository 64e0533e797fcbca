"""Exceptions raised by the rlvr client and adapters.

Every failure of the verifier (an RPC error, a per-request error on a stream, or a verdict with
valid=False that an adapter was told to raise on) is an RlvrError. The RPC errors also derive from the
closest built-in (ValueError, TimeoutError, ConnectionError, NotImplementedError), so callers that
already catch those keep working.
"""

from __future__ import annotations

from typing import Optional

import grpc

__all__ = [
    "RlvrError",
    "VerifierError",
    "InvalidArgumentError",
    "DeadlineExceededError",
    "ResourceExhaustedError",
    "UnimplementedError",
    "UnavailableError",
    "VerificationFailed",
    "error_from_rpc",
    "error_from_code",
]

_CODE_BY_NUMBER = {code.value[0]: code for code in grpc.StatusCode}


class RlvrError(Exception):
    """Base class of every rlvr client error."""


class VerifierError(RlvrError):
    """The verifier could not answer a call or a request.

    Attributes:
      code: the grpc.StatusCode (None when the failure was found on the client side).
      details: the server's message, naming the bad field and value where there is one.
      target: the server address.
      index: for verify_batch, the position of the failing item in the input (else None).
    """

    def __init__(self, message: str, *, code: Optional[grpc.StatusCode] = None, details: str = "",
                 target: str = "", index: Optional[int] = None):
        super().__init__(message)
        self.code = code
        self.details = details
        self.target = target
        self.index = index


class InvalidArgumentError(VerifierError, ValueError):
    """The server rejected the request (INVALID_ARGUMENT): the message names the field and value."""


class DeadlineExceededError(VerifierError, TimeoutError):
    """The call's deadline passed before the verifier answered (DEADLINE_EXCEEDED)."""


class ResourceExhaustedError(VerifierError):
    """The verifier's queue is full (RESOURCE_EXHAUSTED): back off and retry with the same request."""


class UnimplementedError(VerifierError, NotImplementedError):
    """The server does not implement this (UNIMPLEMENTED), e.g. code problems on a math-only verifier."""


class UnavailableError(VerifierError, ConnectionError):
    """The verifier cannot be reached (UNAVAILABLE): not running, wrong address, or shutting down."""


class VerificationFailed(RlvrError):
    """A verdict came back with valid=False (the verifier could not score it), and the adapter was
    configured to raise instead of masking the sample.

    Attributes: verdict (the rlvr.Verdict), index (position in the caller's batch, or None).
    """

    def __init__(self, message: str, *, verdict=None, index: Optional[int] = None):
        super().__init__(message)
        self.verdict = verdict
        self.index = index


_CLASS_BY_CODE = {
    grpc.StatusCode.INVALID_ARGUMENT: InvalidArgumentError,
    grpc.StatusCode.DEADLINE_EXCEEDED: DeadlineExceededError,
    grpc.StatusCode.RESOURCE_EXHAUSTED: ResourceExhaustedError,
    grpc.StatusCode.UNIMPLEMENTED: UnimplementedError,
    grpc.StatusCode.UNAVAILABLE: UnavailableError,
}


def _message(code: grpc.StatusCode, details: str, target: str, method: str,
             timeout: Optional[float]) -> str:
    if code == grpc.StatusCode.DEADLINE_EXCEEDED:
        limit = f"its {timeout:g} s deadline" if timeout is not None else "its deadline"
        return f"{method} on {target} did not finish within {limit} ({details or 'deadline exceeded'})"
    if code == grpc.StatusCode.UNAVAILABLE:
        return f"verifier at {target} is unavailable ({method}): {details}"
    if code == grpc.StatusCode.UNIMPLEMENTED:
        return f"{method} on {target}: the verifier does not implement this: {details}"
    if code == grpc.StatusCode.RESOURCE_EXHAUSTED:
        return f"{method} on {target}: verifier overloaded, retry later: {details}"
    return f"{method} on {target} failed with {code.name}: {details}"


def error_from_code(code: grpc.StatusCode, details: str, *, target: str, method: str,
                    timeout: Optional[float] = None, index: Optional[int] = None) -> VerifierError:
    """Builds the most specific VerifierError for a gRPC status code."""
    cls = _CLASS_BY_CODE.get(code, VerifierError)
    message = _message(code, details, target, method, timeout)
    if index is not None:
        message = f"items[{index}]: {message}"
    return cls(message, code=code, details=details, target=target, index=index)


def error_from_rpc(error: grpc.RpcError, *, target: str, method: str,
                   timeout: Optional[float] = None) -> VerifierError:
    """Converts a grpc.RpcError (sync or aio) into a VerifierError."""
    code = error.code() if hasattr(error, "code") else grpc.StatusCode.UNKNOWN
    details = (error.details() if hasattr(error, "details") else str(error)) or ""
    return error_from_code(code, details, target=target, method=method, timeout=timeout)


def code_from_number(number: int) -> grpc.StatusCode:
    """google.rpc.Code number (as in VerifyResponse.error_code) to grpc.StatusCode."""
    return _CODE_BY_NUMBER.get(number, grpc.StatusCode.UNKNOWN)
