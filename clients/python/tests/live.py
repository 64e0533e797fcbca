"""The live verifier the tests talk to.

run_tests.sh starts one rlvr-verifier and exports RLVR_TEST_GRPC (host:port) and RLVR_TEST_HTTP
(http://host:port, empty without HTTP). Run on their own (python3 -m unittest test_client), the tests
start a server themselves from $RLVR_VERIFIER_BIN (default build/release/cli/rlvr-verifier), once per
process, stopped at exit.
"""

import atexit
import os
import socket
from typing import Optional, Tuple

from rlvr.testing import LocalVerifier

_server: Optional[LocalVerifier] = None


def endpoints() -> Tuple[str, Optional[str]]:
    """(gRPC target, HTTP base URL or None)."""
    global _server
    if os.environ.get("RLVR_TEST_GRPC"):
        return os.environ["RLVR_TEST_GRPC"], os.environ.get("RLVR_TEST_HTTP") or None
    if _server is None:
        _server = LocalVerifier().start()
        atexit.register(_server.stop)
    return _server.grpc_target, _server.http_url


def grpc_target() -> str:
    return endpoints()[0]


def http_url() -> Optional[str]:
    return endpoints()[1]


def dead_target() -> str:
    """A loopback address where nothing listens (the port was just free)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"127.0.0.1:{port}"


def slow_group(count: int = 1024):
    """(gold, responses): a group that takes the verifier a good fraction of a second (about 0.6 s
    for 1024 responses here), so a 1 ms deadline reliably passes before it is done. A tiny deadline
    on a fast request is not enough: a loopback answer can beat gRPC's millisecond timers."""
    expr = "+".join(f"\\frac{{{i}}}{{{i + 1}}}" for i in range(1, 60))
    return expr, ["\\boxed{" + expr + "}"] * count
