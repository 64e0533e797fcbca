#!/usr/bin/env bash
# The whole test suite: installs what it needs, builds the release preset and runs every test, then
# the ASan+UBSan build on the unit tests, then a short libFuzzer run under ASan.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
jobs="${RLVR_JOBS:-$(nproc)}"

echo "== release build + all tests"
scripts/build.sh release
ctest --test-dir build/release --output-on-failure -j "$jobs" --timeout 600

echo "== Python client tests (live rlvr-verifier on loopback)"
clients/python/run_tests.sh build/release/cli/rlvr-verifier

echo "== ASan+UBSan build + unit tests (label 'slow' excluded)"
scripts/build.sh asan
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build/asan --output-on-failure -j "$jobs" -LE slow --timeout 900

echo "== libFuzzer (clang, ASan): every parser of model output or user input, briefly"
scripts/build.sh fuzz math_fuzzer rewards_reward_spec_fuzz rlvr_model_safetensors_fuzz rlvr_model_tokenizer_fuzz
for fuzzer in build/fuzz/verifiers/math/math_fuzzer build/fuzz/rewards/rewards_reward_spec_fuzz \
    build/fuzz/model/rlvr_model_safetensors_fuzz build/fuzz/model/rlvr_model_tokenizer_fuzz; do
  echo "-- $fuzzer"
  "$fuzzer" -max_total_time="${RLVR_FUZZ_SECONDS:-30}" -max_len=4096 -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 2>&1 | tail -n 6
done
echo "== all suites passed"
