"""Starts a real rlvr-verifier on free loopback ports, for tests and benchmarks.

    with LocalVerifier("build/release/cli/rlvr-verifier") as server:
        client = VerifierClient(server.grpc_target)
        urllib.request.urlopen(server.http_url + "/healthz")

The server is started with `--port 0 --http-port 0`; it logs
"rlvr-verifier: gRPC on 127.0.0.1:PORT, HTTP on port N, ..." to stderr once it serves, which is parsed
here. stop() sends SIGTERM (the server drains in-flight calls) and kills it if it is still up after
the grace period.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
from typing import List, Optional, Sequence

__all__ = ["LocalVerifier", "default_binary", "READY_PATTERN"]

READY_PATTERN = re.compile(r"gRPC on (\S+), HTTP on port (-?\d+)")


def default_binary() -> str:
    """$RLVR_VERIFIER_BIN, else build/release/cli/rlvr-verifier under the repository root."""
    if os.environ.get("RLVR_VERIFIER_BIN"):
        return os.environ["RLVR_VERIFIER_BIN"]
    root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
    return os.path.join(root, "build", "release", "cli", "rlvr-verifier")


class LocalVerifier:
    """A verifier subprocess. Attributes once started: grpc_target ("127.0.0.1:PORT"), http_port,
    http_url ("http://127.0.0.1:N", None with no HTTP), log (stderr lines so far)."""

    def __init__(self, binary: Optional[str] = None, extra_args: Sequence[str] = (),
                 startup_timeout: float = 30.0):
        self.binary = binary or default_binary()
        self.extra_args = list(extra_args)
        self.startup_timeout = startup_timeout
        self.grpc_target: Optional[str] = None
        self.http_port: Optional[int] = None
        self.log: List[str] = []
        self._process: Optional[subprocess.Popen] = None
        self._ready = threading.Event()
        self._reader: Optional[threading.Thread] = None

    @property
    def http_url(self) -> Optional[str]:
        if self.http_port is None or self.http_port < 0:
            return None
        return f"http://127.0.0.1:{self.http_port}"

    def start(self) -> "LocalVerifier":
        if not (os.path.isfile(self.binary) and os.access(self.binary, os.X_OK)):
            raise FileNotFoundError(
                f"no rlvr-verifier binary at {self.binary}: build it (cmake --preset release && "
                "cmake --build build/release --target rlvr-verifier) or set RLVR_VERIFIER_BIN")
        args = [self.binary, "--host", "127.0.0.1", "--port", "0", "--http-port", "0", *self.extra_args]
        self._process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.PIPE, text=True, errors="replace")
        # Keep draining stderr after the ready line so the server never blocks on a full pipe.
        self._reader = threading.Thread(target=self._read_stderr, daemon=True)
        self._reader.start()
        if not self._ready.wait(self.startup_timeout) or self.grpc_target is None:
            code = self._process.poll()
            self.stop()
            state = f"exited with code {code}" if code is not None else \
                f"did not report its ports within {self.startup_timeout:g} s"
            raise RuntimeError(f"{self.binary} {state}; its stderr:\n" + "".join(self.log[-40:]))
        return self

    def _read_stderr(self) -> None:
        assert self._process is not None and self._process.stderr is not None
        for line in self._process.stderr:
            self.log.append(line)
            if not self._ready.is_set():
                match = READY_PATTERN.search(line)
                if match:
                    self.grpc_target = match.group(1)
                    self.http_port = int(match.group(2))
                    self._ready.set()
        self._ready.set()  # EOF: the process exited; start() reports it

    def stop(self, grace: float = 15.0) -> Optional[int]:
        """Stops the server (SIGTERM, then SIGKILL after `grace` s); returns its exit code."""
        process, self._process = self._process, None
        if process is None:
            return None
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(grace)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._reader is not None:
            self._reader.join(5)
        if process.stderr is not None:
            process.stderr.close()
        return process.returncode

    def __enter__(self) -> "LocalVerifier":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
