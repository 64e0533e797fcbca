// Sampler figures on the CPU backend, each beside its yardstick in the same run:
//  1. decode tokens/s for a tiny and a ~100M-parameter random model at n = 1, 8, 16 (the yardstick:
//     n = 1, i.e. what batching the n samples of a prompt buys), for the batch-invariant kernel
//     and for OpenBLAS;
//  2. the tiny model's tokens/s against the naive reference forward without a KV cache;
//  3. KV pages at n = 16 with the prompt's pages shared against 16 independent requests.
// Usage: sampler_bench [--quick]
#include <chrono>
#include <cstdio>
#include <cstring>
#include <future>
#include <string>
#include <vector>

#include "model/fixtures.h"
#include "model/reference.h"
#include "model/tokenizer.h"
#include "sampler/cpu_backend.h"
#include "sampler/engine.h"

namespace rlvr::sampler {
namespace {

using Clock = std::chrono::steady_clock;

std::shared_ptr<const model::Tokenizer> Tok() {
  static auto tok = std::shared_ptr<const model::Tokenizer>(*model::Tokenizer::FromJson(model::TestTokenizerJson()));
  return tok;
}

std::unique_ptr<Engine> Make(const model::ModelConfig& config, const model::ModelWeights& weights, MatmulKernel kernel,
                             int64_t kv_pages) {
  EngineOptions o;
  o.kv_pages = kv_pages;
  o.page_size = 16;
  absl::StatusOr<std::unique_ptr<Engine>> e = Engine::Create(NewCpuBackend(0, kernel), weights, 1, Tok(), o);
  if (!e.ok()) {
    fprintf(stderr, "engine: %s\n", std::string(e.status().message()).c_str());
    exit(1);
  }
  (void)config;
  return std::move(*e);
}

// Runs `requests` concurrently; returns wall seconds.
double RunAll(Engine& e, const std::vector<GenerationRequest>& requests) {
  const auto t0 = Clock::now();
  std::vector<std::promise<void>> done(requests.size());
  for (size_t i = 0; i < requests.size(); ++i) {
    auto ok = e.Generate(requests[i], [](SampleResult) {}, [&done, i](absl::Status s) {
      if (!s.ok()) fprintf(stderr, "request failed: %s\n", std::string(s.message()).c_str());
      done[i].set_value();
    });
    if (!ok.ok()) {
      fprintf(stderr, "submit: %s\n", std::string(ok.status().message()).c_str());
      exit(1);
    }
  }
  for (auto& d : done) d.get_future().wait();
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

GenerationRequest Req(int prompt_len, int n, int max_tokens, uint64_t seed) {
  GenerationRequest r;
  for (int i = 0; i < prompt_len; ++i) r.prompt_token_ids.push_back(3 + (i * 7) % 200);
  r.n = n;
  r.sampling.max_tokens = max_tokens;
  r.sampling.temperature = 1.0f;
  r.sampling.seed = seed;
  return r;
}

// Decode tokens/s, prefill excluded: two runs that differ only in max_tokens; the rate is the
// extra tokens over the extra time.
void Throughput(const char* name, const model::ModelConfig& config, int prompt_len, int short_gen, int long_gen) {
  const model::ModelWeights weights = model::RandomWeights(config, 1);
  int64_t weight_bytes = 0;
  for (const auto& [n, t] : model::WeightsToTensors(weights)) weight_bytes += t.numel() * 4;
  for (MatmulKernel kernel : {MatmulKernel::kBatchInvariant, MatmulKernel::kBlas}) {
    const char* kname = kernel == MatmulKernel::kBlas ? "openblas" : "batch-invariant";
    std::unique_ptr<Engine> e = Make(config, weights, kernel, 4096);
    RunAll(*e, {Req(prompt_len, 1, 2, 0)});  // warm-up
    double base = 0;
    for (int n : {1, 8, 16}) {
      const double t_short = RunAll(*e, {Req(prompt_len, n, short_gen, 42)});
      const double t_long = RunAll(*e, {Req(prompt_len, n, long_gen, 42)});
      const double steps_per_s = (long_gen - short_gen) / (t_long - t_short);
      const double tps = n * steps_per_s;
      if (n == 1) base = tps;
      printf("%-5s %-16s n=%-3d decode %9.1f tokens/s (%5.2fx n=1)  %6.1f steps/s, weights read %.1f GB/s\n", name,
             kname, n, tps, tps / base, steps_per_s, steps_per_s * static_cast<double>(weight_bytes) / 1e9);
    }
  }
}

void NaiveYardstick(const model::ModelConfig& config, int prompt_len, int max_tokens) {
  const model::ModelWeights weights = model::RandomWeights(config, 1);
  std::unique_ptr<Engine> e = Make(config, weights, MatmulKernel::kBatchInvariant, 4096);
  GenerationRequest r = Req(prompt_len, 1, max_tokens, 0);
  r.sampling.temperature = 0;
  const double engine_s = RunAll(*e, {r});
  std::vector<int32_t> seq = r.prompt_token_ids;
  const auto t0 = Clock::now();
  for (int i = 0; i < max_tokens; ++i) {
    std::vector<float> logits = model::ReferenceForward(weights, seq);
    const float* last = logits.data() + (seq.size() - 1) * static_cast<size_t>(config.vocab_size);
    seq.push_back(static_cast<int32_t>(std::max_element(last, last + config.vocab_size) - last));
  }
  const double naive_s = std::chrono::duration<double>(Clock::now() - t0).count();
  printf("tiny   greedy n=1 gen=%d: engine %.1f tokens/s, naive reference forward (no KV cache) %.1f tokens/s: %.1fx\n",
         max_tokens, max_tokens / engine_s, max_tokens / naive_s, naive_s / engine_s);
}

// Peak KV pages for one prompt's 16 samples: forked from the shared prompt pages, against 16
// independent requests of the same prompt. Page counts do not depend on the model; bytes do.
void KvMemory(const model::ModelConfig& config, int prompt_len, int max_tokens) {
  const model::ModelWeights weights = model::RandomWeights(config, 1);
  int64_t shared_peak, separate_peak, page_bytes;
  {
    std::unique_ptr<Engine> e = Make(config, weights, MatmulKernel::kBatchInvariant, 8192);
    RunAll(*e, {Req(prompt_len, 16, max_tokens, 5)});
    shared_peak = e->Stats().kv_pages_peak;
    page_bytes = e->Stats().kv_page_bytes;
  }
  {
    std::unique_ptr<Engine> e = Make(config, weights, MatmulKernel::kBatchInvariant, 8192);
    std::vector<GenerationRequest> reqs;
    for (int i = 0; i < 16; ++i) reqs.push_back(Req(prompt_len, 1, max_tokens, 5 + static_cast<uint64_t>(i)));
    RunAll(*e, reqs);
    separate_peak = e->Stats().kv_pages_peak;
  }
  printf("KV at n=16 (prompt %d, gen %d, 16-position pages of %.1f KiB): shared prefix %lld pages = %.2f MiB, "
         "independent %lld pages = %.2f MiB: %.2fx less\n",
         prompt_len, max_tokens, page_bytes / 1024.0, static_cast<long long>(shared_peak),
         shared_peak * page_bytes / 1048576.0, static_cast<long long>(separate_peak),
         separate_peak * page_bytes / 1048576.0, static_cast<double>(separate_peak) / shared_peak);
  const model::ModelConfig m = model::Config100M();
  const double page_100m = 2.0 * m.num_layers * 16 * m.num_kv_heads * m.head_dim * 4;
  printf("  the same pages for the 100M model (%.0f KiB each): %.1f MiB shared, %.1f MiB independent\n", page_100m / 1024,
         shared_peak * page_100m / 1048576.0, separate_peak * page_100m / 1048576.0);
}

}  // namespace
}  // namespace rlvr::sampler

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  using namespace rlvr;
  const model::ModelConfig tiny = model::TinyConfig(sampler::Tok()->vocab_size());
  printf("threads: hardware concurrency; decode at temperature 1, one prompt of n samples\n");
  sampler::Throughput("tiny", tiny, 32, 16, quick ? 64 : 256);
  sampler::NaiveYardstick(tiny, 64, quick ? 16 : 64);
  const model::ModelConfig m100 = model::Config100M();
  int64_t params = 0;
  for (const auto& [name, shape] : model::ExpectedTensorShapes(m100)) {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    params += n;
  }
  printf("100M model: %lld parameters\n", static_cast<long long>(params));
  sampler::Throughput("100M", m100, 8, 2, quick ? 6 : 18);
  sampler::KvMemory(tiny, 512, 64);
  return 0;
}
