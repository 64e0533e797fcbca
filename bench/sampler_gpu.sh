#!/usr/bin/env bash
# The CUDA sampler backend's checks on a GPU machine (an H200 in mind), in one go: builds only the
# gpu test and the decode benchmark (release preset), runs `ctest -L gpu` (every kernel against its
# CPU reference, the backend against the reference forward), then the benchmark: decode tokens/s of
# a ~100M model at batch 1, 8, 16 and the fraction of the HBM roofline, beside the CPU backend.
# About 2-4 minutes on 16 cores, most of it the build.
# Usage: bench/sampler_gpu.sh [benchmark flags: --prompt 128 --steps 64 --cpu_steps 4 --batches 1,8,16]
set -euo pipefail
cd "$(dirname "$0")/.."
jobs="${RLVR_JOBS:-$(nproc)}"

if command -v nvidia-smi >/dev/null; then
  nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.memory --format=csv
else
  echo "nvidia-smi not found; the gpu tests will skip and the benchmark will stop" >&2
fi

start=$(date +%s)
cmake --preset release >/dev/null
cmake --build --preset release -j "$jobs" --target rlvr_sampler_cuda_test rlvr_sampler_cuda_bench
echo "== build: $(( $(date +%s) - start )) s"

status=0
start=$(date +%s)
ctest --test-dir build/release -L gpu --output-on-failure --timeout 300 || status=$?
echo "== ctest -L gpu: $(( $(date +%s) - start )) s, exit $status"
# A skipped test passes ctest; say so loudly, as here it means the GPU was not used.
probe=$(build/release/sampler/cuda/rlvr_sampler_cuda_test --gtest_filter='CudaTest.GatherRows*' 2>&1 || true)
if grep -q SKIPPED <<<"$probe"; then
  echo "== WARNING: the gpu tests SKIPPED (no usable CUDA device)" >&2
  status=1
fi

start=$(date +%s)
build/release/sampler/cuda/rlvr_sampler_cuda_bench "$@" || status=$?
echo "== benchmark: $(( $(date +%s) - start )) s"
exit "$status"
