#!/usr/bin/env bash
# Tests of the rlvr Python package against a real verifier:
#   clients/python/run_tests.sh [PATH/TO/rlvr-verifier]
# (binary: the argument, else $RLVR_VERIFIER_BIN, else build/release/cli/rlvr-verifier). Generates the
# gRPC stubs, starts rlvr-verifier on free loopback ports (--port 0 --http-port 0; the ports are read
# from its "gRPC on 127.0.0.1:PORT, HTTP on port N" log line), runs every clients/python/tests/test_*.py
# with unittest under /usr/bin/python3 (Debian's, which has python3-grpcio), and stops the server.
# Exits non-zero on any failure.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
python="${RLVR_PYTHON:-/usr/bin/python3}"
bin="${1:-${RLVR_VERIFIER_BIN:-$root/build/release/cli/rlvr-verifier}}"
if [ ! -x "$bin" ]; then
  echo "run_tests.sh: no rlvr-verifier binary at $bin; build it first (scripts/build.sh release)" >&2
  exit 2
fi

"$here/generate.sh"

log="$(mktemp)"
"$bin" --host 127.0.0.1 --port 0 --http-port 0 2>"$log" &
server=$!
stop_server() {
  if kill -0 "$server" 2>/dev/null; then
    kill -TERM "$server" 2>/dev/null || true
    for _ in $(seq 1 150); do kill -0 "$server" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$server" 2>/dev/null || true
  fi
  wait "$server" 2>/dev/null || true
  rm -f "$log"
}
trap stop_server EXIT

ready=""
for _ in $(seq 1 300); do
  ready="$(grep -m1 -oE 'gRPC on [^ ,]+, HTTP on port -?[0-9]+' "$log" || true)"
  [ -n "$ready" ] && break
  if ! kill -0 "$server" 2>/dev/null; then
    echo "run_tests.sh: $bin exited before serving; its stderr:" >&2
    cat "$log" >&2
    exit 1
  fi
  sleep 0.1
done
if [ -z "$ready" ]; then
  echo "run_tests.sh: $bin did not report its ports within 30 s; its stderr:" >&2
  cat "$log" >&2
  exit 1
fi
grpc_target="$(sed -E 's/^gRPC on ([^ ,]+),.*/\1/' <<<"$ready")"
http_port="$(sed -E 's/.*HTTP on port (-?[0-9]+)$/\1/' <<<"$ready")"
export RLVR_TEST_GRPC="$grpc_target"
export RLVR_VERIFIER_BIN="$bin"  # for the tests that start a server with their own flags
if [ "$http_port" -gt 0 ]; then export RLVR_TEST_HTTP="http://127.0.0.1:$http_port"; else export RLVR_TEST_HTTP=""; fi
echo "run_tests.sh: rlvr-verifier $bin: gRPC $RLVR_TEST_GRPC, HTTP ${RLVR_TEST_HTTP:-none}"

export PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONDONTWRITEBYTECODE=1
"$python" -m unittest discover -s "$here/tests" -t "$here/tests" -p 'test_*.py' -v
