#!/usr/bin/env bash
# rlvr's main job on embedded defaults: installs what it needs, builds, and verifies the sample
# math dataset in-process. Results go to stdout (one JSON line each), the summary to stderr.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh release rlvr rlvr-verifier >/dev/null
exec build/release/cli/rlvr verify --input examples/math_sample.jsonl "$@"
