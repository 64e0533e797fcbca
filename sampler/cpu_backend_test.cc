#include "sampler/cpu_backend.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "model/fixtures.h"
#include "model/reference.h"
#include "sampler/matmul.h"

namespace rlvr::sampler {
namespace {

// Every page id in a shuffled order, so that block tables are not contiguous.
std::vector<int32_t> ShuffledPages(int64_t n, uint32_t seed) {
  std::vector<int32_t> pages(static_cast<size_t>(n));
  std::iota(pages.begin(), pages.end(), 0);
  std::shuffle(pages.begin(), pages.end(), std::mt19937(seed));
  return pages;
}

std::vector<int32_t> Tokens(int64_t n, int64_t vocab, uint32_t seed) {
  std::mt19937 g(seed);
  std::vector<int32_t> t(static_cast<size_t>(n));
  for (int32_t& v : t) v = static_cast<int32_t>(g() % static_cast<uint32_t>(vocab));
  return t;
}

void ExpectClose(const float* got, const float* want, int64_t n, double tol) {
  for (int64_t i = 0; i < n; ++i) {
    ASSERT_NEAR(got[i], want[i], tol + std::fabs(want[i]) * 1e-4) << "index " << i;
  }
}

struct Fixture {
  model::ModelWeights weights;
  std::unique_ptr<Backend> backend;
  std::shared_ptr<const LoadedWeights> loaded;
};

Fixture Make(const model::ModelConfig& config, MatmulKernel kernel, int threads = 2, int64_t page_size = 4) {
  Fixture f;
  f.weights = model::RandomWeights(config, 11);
  f.backend = NewCpuBackend(threads, kernel);
  EXPECT_TRUE(f.backend->AllocateKv(config, 64, page_size).ok());
  absl::StatusOr<std::shared_ptr<const LoadedWeights>> loaded = f.backend->Load(f.weights, 1);
  EXPECT_TRUE(loaded.ok()) << loaded.status();
  f.loaded = *loaded;
  return f;
}

TEST(MatmulTest, BatchInvariantKernelMatchesNaiveAndIgnoresBatchShape) {
  WorkerGroup workers(3);
  std::mt19937 g(1);
  std::normal_distribution<float> d;
  for (int64_t k : {1, 7, 8, 67, 256}) {
    const int64_t n = 37, m = 9;
    std::vector<float> x(static_cast<size_t>(m * k)), w(static_cast<size_t>(n * k));
    for (float& v : x) v = d(g);
    for (float& v : w) v = d(g);
    std::vector<float> y(static_cast<size_t>(m * n)), blas(y.size());
    MatmulTransposed(MatmulKernel::kBatchInvariant, x.data(), m, w.data(), n, k, y.data(), workers);
    MatmulTransposed(MatmulKernel::kBlas, x.data(), m, w.data(), n, k, blas.data(), workers);
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < n; ++j) {
        double want = 0;
        for (int64_t p = 0; p < k; ++p) want += static_cast<double>(x[i * k + p]) * w[j * k + p];
        ASSERT_NEAR(y[i * n + j], want, 1e-4 * (1 + std::sqrt(static_cast<double>(k))));
        ASSERT_NEAR(blas[i * n + j], want, 1e-4 * (1 + std::sqrt(static_cast<double>(k))));
      }
      // Row i alone, with one worker: bit-identical.
      WorkerGroup one(1);
      std::vector<float> alone(static_cast<size_t>(n));
      MatmulTransposed(MatmulKernel::kBatchInvariant, x.data() + i * k, 1, w.data(), n, k, alone.data(), one);
      ASSERT_EQ(0, std::memcmp(alone.data(), y.data() + i * n, sizeof(float) * static_cast<size_t>(n))) << "k=" << k;
    }
  }
}

// Prefill of a whole prompt, then decode steps, against the naive reference at every position.
void CheckAgainstReference(const model::ModelConfig& config, MatmulKernel kernel) {
  Fixture f = Make(config, kernel);
  const std::vector<int32_t> tokens = Tokens(13, config.vocab_size, 5);
  const std::vector<float> ref = model::ReferenceForward(f.weights, tokens);
  const int64_t vocab = config.vocab_size;
  SequenceChunk ch;
  ch.pages = ShuffledPages(64, 3);
  ch.pages.resize(4);
  ch.tokens.assign(tokens.begin(), tokens.begin() + 9);
  std::vector<float> logits;
  ASSERT_TRUE(f.backend->Forward(*f.loaded, {ch}, &logits).ok());
  ASSERT_EQ(logits.size(), static_cast<size_t>(vocab));
  ExpectClose(logits.data(), ref.data() + 8 * vocab, vocab, 2e-4);
  for (int64_t p = 9; p < 13; ++p) {
    ch.tokens = {tokens[static_cast<size_t>(p)]};
    ch.start_pos = p;
    ASSERT_TRUE(f.backend->Forward(*f.loaded, {ch}, &logits).ok());
    ExpectClose(logits.data(), ref.data() + p * vocab, vocab, 2e-4);
  }
}

TEST(CpuBackendTest, MatchesReferenceLlamaGqa) { CheckAgainstReference(model::TinyConfig(), MatmulKernel::kBatchInvariant); }
TEST(CpuBackendTest, MatchesReferenceWithBlas) { CheckAgainstReference(model::TinyConfig(), MatmulKernel::kBlas); }

TEST(CpuBackendTest, MatchesReferenceQwenStyleBiasTiedAndScaledRope) {
  model::ModelConfig c = model::TinyConfig();
  c.architecture = "Qwen2ForCausalLM";
  c.attention_bias = true;
  c.tie_word_embeddings = true;
  c.num_kv_heads = 1;
  c.rope_theta = 1e6;
  CheckAgainstReference(c, MatmulKernel::kBatchInvariant);
  c = model::TinyConfig();
  c.rope_scaling.type = model::RopeScaling::Type::kLlama3;
  c.rope_scaling.factor = 8;
  c.rope_scaling.original_max_position = 64;
  c.num_kv_heads = c.num_heads;
  CheckAgainstReference(c, MatmulKernel::kBatchInvariant);
}

// A sequence's logits are bit-identical alone and inside a batch with other sequences.
TEST(CpuBackendTest, BatchInvariant) {
  const model::ModelConfig config = model::TinyConfig();
  Fixture alone = Make(config, MatmulKernel::kBatchInvariant, 1);
  Fixture batched = Make(config, MatmulKernel::kBatchInvariant, 2);
  const std::vector<int32_t> prompt = Tokens(10, config.vocab_size, 8);
  std::vector<int32_t> pages = ShuffledPages(64, 4);
  SequenceChunk a;
  a.tokens = prompt;
  a.pages = {pages[0], pages[1], pages[2]};
  std::vector<float> la;
  ASSERT_TRUE(alone.backend->Forward(*alone.loaded, {a}, &la).ok());
  std::vector<SequenceChunk> batch;
  for (int i = 0; i < 5; ++i) {
    SequenceChunk o;
    o.tokens = Tokens(3 + i, config.vocab_size, 20 + static_cast<uint32_t>(i));
    o.pages = {pages[static_cast<size_t>(10 + 2 * i)], pages[static_cast<size_t>(11 + 2 * i)]};
    batch.push_back(o);
    if (i == 2) batch.push_back(a);
  }
  std::vector<float> lb;
  ASSERT_TRUE(batched.backend->Forward(*batched.loaded, batch, &lb).ok());
  const int64_t vocab = config.vocab_size;
  ASSERT_EQ(0, std::memcmp(la.data(), lb.data() + 3 * vocab, sizeof(float) * static_cast<size_t>(vocab)));
}

TEST(CpuBackendTest, CopyPageCarriesKvAndBadChunksAreRejected) {
  const model::ModelConfig config = model::TinyConfig();
  Fixture f = Make(config, MatmulKernel::kBatchInvariant);
  const std::vector<int32_t> prompt = Tokens(6, config.vocab_size, 2);
  SequenceChunk a;
  a.tokens = prompt;
  a.pages = {5, 9};
  std::vector<float> la, lb;
  ASSERT_TRUE(f.backend->Forward(*f.loaded, {a}, &la).ok());
  f.backend->CopyPage(9, 17);  // positions 4, 5 now also in page 17
  SequenceChunk next{{prompt[0]}, 6, {5, 9}}, copy{{prompt[0]}, 6, {5, 17}};
  ASSERT_TRUE(f.backend->Forward(*f.loaded, {next}, &la).ok());
  ASSERT_TRUE(f.backend->Forward(*f.loaded, {copy}, &lb).ok());
  EXPECT_EQ(la, lb);
  std::vector<float> out;
  EXPECT_EQ(f.backend->Forward(*f.loaded, {SequenceChunk{{1, 2, 3, 4, 5}, 0, {1}}}, &out).code(),
            absl::StatusCode::kInvalidArgument);  // 5 positions, one page of 4
  absl::Status bad = f.backend->Forward(*f.loaded, {SequenceChunk{{static_cast<int32_t>(config.vocab_size)}, 0, {1}}}, &out);
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.message().find("outside the vocabulary"), absl::string_view::npos) << bad;
}

}  // namespace
}  // namespace rlvr::sampler
