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
# Each fuzzer starts from a fresh corpus plus its folder of past findings (read, never written), with a
# fixed seed so that a CI failure reproduces; on a finding the log's end and the input are printed.
rm -rf build/fuzz/corpus build/fuzz/artifacts
mkdir -p build/fuzz/artifacts
for pair in verifiers/math/math_fuzzer:verifiers/math/fuzz_regressions \
    rewards/rewards_reward_spec_fuzz:rewards/fuzz_regressions \
    model/rlvr_model_safetensors_fuzz:model/fuzz_regressions/safetensors \
    model/rlvr_model_tokenizer_fuzz:model/fuzz_regressions/tokenizer; do
  fuzzer="build/fuzz/${pair%%:*}"
  regressions="${pair#*:}"
  corpus="build/fuzz/corpus/$(basename "$fuzzer")"
  mkdir -p "$corpus"
  seeds=() past=0
  if [[ -d "$regressions" ]]; then seeds=("$regressions"); past=$(find "$regressions" -type f | wc -l); fi
  echo "-- $fuzzer (past findings: $past)"
  log="build/fuzz/artifacts/$(basename "$fuzzer").log"
  if ! "$fuzzer" "$corpus" "${seeds[@]}" -seed="${RLVR_FUZZ_SEED:-1}" \
      -max_total_time="${RLVR_FUZZ_SECONDS:-30}" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix=build/fuzz/artifacts/ >"$log" 2>&1; then
    tail -n 60 "$log"
    for finding in build/fuzz/artifacts/crash-* build/fuzz/artifacts/timeout-* build/fuzz/artifacts/oom-*; do
      [[ -f "$finding" ]] && echo "finding $finding (base64): $(base64 -w0 "$finding")"
    done
    echo "FAILED: $fuzzer found an input that crashes, hangs or gets an error verdict; add it to $regressions"
    exit 1
  fi
  tail -n 6 "$log"
done
echo "== all suites passed"
