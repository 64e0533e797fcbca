// Decode throughput of the CUDA backend on a ~100M-parameter model (model::Config100M(), random
// weights, fp32) at several batch sizes, beside the HBM roofline and the CPU backend.
//
// Decode is memory-bound: each step reads every weight once plus each sequence's K/V. The roofline
// fraction is (weight bytes + K/V bytes read per step) / step time / peak bandwidth, with the peak
// from the device's memory clock and bus width (2 transfers per clock) and, as a practical ceiling,
// a measured device-to-device copy.
//
// Usage: rlvr_sampler_cuda_bench [--prompt 128] [--steps 64] [--cpu_steps 4] [--batches 1,8,16]
//                                [--cpu_only 1]
#include <cuda_runtime_api.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "model/fixtures.h"
#include "sampler/backend.h"

namespace rlvr::sampler {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int64_t kPageSize = 16;

struct Options {
  int prompt = 128;
  int steps = 64;
  int cpu_steps = 4;
  bool cpu_only = false;  // skip the GPU (checks the harness on a machine without one)
  std::vector<int> batches = {1, 8, 16};
};

bool ParseOptions(int argc, char** argv, Options* options) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    bool ok = true;
    if (flag == "--prompt") {
      ok = absl::SimpleAtoi(value, &options->prompt) && options->prompt > 0;
    } else if (flag == "--steps") {
      ok = absl::SimpleAtoi(value, &options->steps) && options->steps > 0;
    } else if (flag == "--cpu_steps") {
      ok = absl::SimpleAtoi(value, &options->cpu_steps) && options->cpu_steps >= 0;
    } else if (flag == "--cpu_only") {
      options->cpu_only = value == "1" || value == "true";
    } else if (flag == "--batches") {
      options->batches.clear();
      for (absl::string_view part : absl::StrSplit(value, ',')) {
        int b = 0;
        ok = ok && absl::SimpleAtoi(part, &b) && b > 0;
        options->batches.push_back(b);
      }
    } else {
      ok = false;
    }
    if (!ok) {
      std::fprintf(stderr, "bad flag %s %s\n", flag.c_str(), value.c_str());
      return false;
    }
  }
  return argc % 2 == 1;
}

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// Peak DRAM bandwidth in bytes/s from the memory clock (kHz) and bus width (bits); 0 if unknown.
double PeakBandwidth(int device) {
  int clock_khz = 0, bus_bits = 0;
  if (cudaDeviceGetAttribute(&clock_khz, cudaDevAttrMemoryClockRate, device) != cudaSuccess ||
      cudaDeviceGetAttribute(&bus_bits, cudaDevAttrGlobalMemoryBusWidth, device) != cudaSuccess) {
    cudaGetLastError();
    return 0.0;
  }
  std::printf("memory clock %d MHz, bus %d bits\n", clock_khz / 1000, bus_bits);
  return 2.0 * clock_khz * 1e3 * (bus_bits / 8.0);
}

// Device-to-device copy bandwidth (bytes read + written per second) over 1 GiB; 0 on failure.
double MeasuredCopyBandwidth() {
  const size_t bytes = size_t{1} << 30;
  void *src = nullptr, *dst = nullptr;
  if (cudaMalloc(&src, bytes) != cudaSuccess || cudaMalloc(&dst, bytes) != cudaSuccess) {
    cudaGetLastError();
    cudaFree(src);
    return 0.0;
  }
  cudaEvent_t start, stop;
  cudaEventCreate(&start);
  cudaEventCreate(&stop);
  cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToDevice);  // warm-up
  const int reps = 10;
  cudaEventRecord(start);
  for (int i = 0; i < reps; ++i) cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToDevice);
  cudaEventRecord(stop);
  cudaEventSynchronize(stop);
  float ms = 0.0f;
  cudaEventElapsedTime(&ms, start, stop);
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  cudaFree(src);
  cudaFree(dst);
  return ms > 0.0f ? 2.0 * bytes * reps / (ms * 1e-3) : 0.0;
}

// Bytes of weights one decode step of `batch` rows reads: every matrix and norm once, `batch`
// embedding rows.
double WeightBytesPerStep(const model::ModelWeights& w, int batch) {
  int64_t floats = w.final_norm.numel() + batch * w.config.hidden_size;
  if (!w.lm_head.data.empty())
    floats += w.lm_head.numel();
  else
    floats += w.embed.numel();
  for (const model::LayerWeights& l : w.layers) {
    for (const model::Tensor* t :
         {&l.input_norm, &l.q_proj, &l.k_proj, &l.v_proj, &l.q_bias, &l.k_bias, &l.v_bias,
          &l.o_proj, &l.post_norm, &l.gate_proj, &l.up_proj, &l.down_proj}) {
      floats += static_cast<int64_t>(t->data.size());
    }
  }
  return 4.0 * floats;
}

// K/V bytes attention reads for one row at `position` (positions 0..position, every layer).
double KvBytesRead(const model::ModelConfig& c, int64_t position) {
  return 4.0 * (position + 1) * c.num_layers * 2 * c.num_kv_heads * c.head_dim;
}

struct DecodeResult {
  double prefill_s = 0.0;
  double step_s = 0.0;  // mean decode step
  double bytes_per_step = 0.0;
  bool ok = false;
};

// Prefills `batch` random prompts of `prompt` tokens in one Forward, then times `steps` decode
// steps.
DecodeResult RunDecode(Backend& backend, const LoadedWeights& loaded,
                       const model::ModelWeights& weights, int batch, int prompt, int steps) {
  DecodeResult result;
  const model::ModelConfig& c = weights.config;
  std::mt19937 rng(42);
  std::uniform_int_distribution<int32_t> token(0, static_cast<int32_t>(c.vocab_size - 1));
  const int64_t pages_per_seq = (prompt + steps + 2 + kPageSize - 1) / kPageSize;
  std::vector<SequenceChunk> chunks(batch);
  for (int b = 0; b < batch; ++b) {
    chunks[b].tokens.resize(prompt);
    for (int32_t& t : chunks[b].tokens) t = token(rng);
    chunks[b].start_pos = 0;
    for (int64_t p = 0; p < pages_per_seq; ++p)
      chunks[b].pages.push_back(static_cast<int32_t>(b * pages_per_seq + p));
  }
  std::vector<float> logits;
  Clock::time_point t0 = Clock::now();
  if (absl::Status s = backend.Forward(loaded, chunks, &logits); !s.ok()) {
    std::fprintf(stderr, "prefill: %s\n", s.ToString().c_str());
    return result;
  }
  result.prefill_s = Seconds(Clock::now() - t0);
  auto advance = [&] {
    for (SequenceChunk& chunk : chunks) {
      chunk.start_pos += static_cast<int64_t>(chunk.tokens.size());
      chunk.tokens = {token(rng)};
    }
  };
  advance();
  if (absl::Status s = backend.Forward(loaded, chunks, &logits); !s.ok()) {  // warm-up step
    std::fprintf(stderr, "decode: %s\n", s.ToString().c_str());
    return result;
  }
  double kv_bytes = 0.0;
  t0 = Clock::now();
  for (int step = 0; step < steps; ++step) {
    advance();
    for (const SequenceChunk& chunk : chunks) kv_bytes += KvBytesRead(c, chunk.start_pos);
    if (absl::Status s = backend.Forward(loaded, chunks, &logits); !s.ok()) {
      std::fprintf(stderr, "decode: %s\n", s.ToString().c_str());
      return result;
    }
  }
  result.step_s = Seconds(Clock::now() - t0) / steps;
  result.bytes_per_step = WeightBytesPerStep(weights, batch) + kv_bytes / steps;
  result.ok = true;
  return result;
}

void PrintHeader() {
  std::printf("%-10s %6s %14s %10s %12s %10s %8s %8s\n", "backend", "batch", "prefill tok/s",
              "step ms", "decode tok/s", "MB/step", "% peak", "% copy");
}

// The CUDA rows of the table; false (after printing why) on failure.
bool RunCuda(const Options& options, const model::ModelWeights& weights) {
  auto backend = NewCudaBackend(0);
  if (!backend.ok()) {
    std::fprintf(stderr, "no CUDA backend: %s\n", backend.status().ToString().c_str());
    return false;
  }
  cudaDeviceProp prop;
  cudaGetDeviceProperties(&prop, 0);
  std::printf("device: %s, %d SMs, %.1f GiB\n", prop.name, prop.multiProcessorCount,
              prop.totalGlobalMem / double(1 << 30));
  const double peak = PeakBandwidth(0);
  const double copy = MeasuredCopyBandwidth();
  std::printf(
      "peak DRAM bandwidth: %.2f TB/s from clock x bus (nominal H200: 4.8 TB/s); measured D2D "
      "copy: %.2f TB/s\n",
      peak / 1e12, copy / 1e12);
  const double roofline = peak > 0.0 ? peak : 4.8e12;

  const model::ModelConfig& c = weights.config;
  int max_batch = 1;
  for (int b : options.batches) max_batch = std::max(max_batch, b);
  const int64_t pages_per_seq = (options.prompt + options.steps + 2 + kPageSize - 1) / kPageSize;
  if (absl::Status s = (*backend)->AllocateKv(c, max_batch * pages_per_seq, kPageSize); !s.ok()) {
    std::fprintf(stderr, "AllocateKv: %s\n", s.ToString().c_str());
    return false;
  }
  auto loaded = (*backend)->Load(weights, 1);
  if (!loaded.ok()) {
    std::fprintf(stderr, "Load: %s\n", loaded.status().ToString().c_str());
    return false;
  }
  std::printf("cuda: prompt %d tokens, %d timed decode steps (context %d..%d)\n", options.prompt,
              options.steps, options.prompt + 1, options.prompt + options.steps + 1);
  PrintHeader();
  for (int batch : options.batches) {
    const DecodeResult r =
        RunDecode(**backend, **loaded, weights, batch, options.prompt, options.steps);
    if (!r.ok) return false;
    const double achieved = r.bytes_per_step / r.step_s;
    std::printf("%-10s %6d %14.0f %10.3f %12.0f %10.1f %7.1f%% %7.1f%%\n", "cuda", batch,
                batch * options.prompt / r.prefill_s, r.step_s * 1e3, batch / r.step_s,
                r.bytes_per_step / 1e6, 100.0 * achieved / roofline,
                copy > 0.0 ? 100.0 * achieved / copy : 0.0);
  }
  return true;
}

int Main(int argc, char** argv) {
  Options options;
  if (!ParseOptions(argc, argv, &options)) {
    std::fprintf(
        stderr,
        "usage: %s [--prompt N] [--steps N] [--cpu_steps N] [--batches 1,8,16] [--cpu_only 1]\n",
        argv[0]);
    return 2;
  }
  const model::ModelWeights weights = model::RandomWeights(model::Config100M(), 1);
  const model::ModelConfig& c = weights.config;
  std::printf(
      "model: Config100M, hidden %lld, %lld layers, %lld/%lld heads of %lld, vocab %lld; %.1f MB "
      "of fp32 "
      "weights read per step\n",
      static_cast<long long>(c.hidden_size), static_cast<long long>(c.num_layers),
      static_cast<long long>(c.num_heads), static_cast<long long>(c.num_kv_heads),
      static_cast<long long>(c.head_dim), static_cast<long long>(c.vocab_size),
      WeightBytesPerStep(weights, 0) / 1e6);
  if (!options.cpu_only && !RunCuda(options, weights)) return 1;
  if (options.cpu_only) PrintHeader();
  if (options.cpu_steps > 0) {
    // The alternative: the CPU backend on this machine's cores, batch 1 and 8, a short prompt.
    std::unique_ptr<Backend> cpu = NewCpuBackend(0);
    const int cpu_prompt = 32;
    if (absl::Status s = cpu->AllocateKv(
            c, 8 * ((cpu_prompt + options.cpu_steps + 2 + kPageSize - 1) / kPageSize), kPageSize);
        !s.ok()) {
      std::fprintf(stderr, "cpu AllocateKv: %s\n", s.ToString().c_str());
      return 1;
    }
    auto cpu_loaded = cpu->Load(weights, 1);
    if (!cpu_loaded.ok()) {
      std::fprintf(stderr, "cpu Load: %s\n", cpu_loaded.status().ToString().c_str());
      return 1;
    }
    for (int batch : {1, 8}) {
      const DecodeResult r =
          RunDecode(*cpu, **cpu_loaded, weights, batch, cpu_prompt, options.cpu_steps);
      if (!r.ok) return 1;
      std::printf("%-10s %6d %14.0f %10.3f %12.0f %10.1f %8s %8s\n", "cpu", batch,
                  batch * cpu_prompt / r.prefill_s, r.step_s * 1e3, batch / r.step_s,
                  r.bytes_per_step / 1e6, "-", "-");
    }
    std::printf("(cpu: prompt %d, %d decode steps)\n", cpu_prompt, options.cpu_steps);
  }
  return 0;
}

}  // namespace
}  // namespace rlvr::sampler

int main(int argc, char** argv) { return rlvr::sampler::Main(argc, argv); }
