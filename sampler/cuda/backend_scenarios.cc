#include "sampler/cuda/backend_scenarios.h"

#include <cmath>
#include <random>
#include <utility>

#include "gtest/gtest.h"
#include "model/reference.h"

namespace rlvr::sampler::cuda {
namespace {

constexpr int64_t kPageSize = 8;
constexpr int64_t kPages = 64;

struct Sequence {
  std::vector<int32_t> tokens;
  std::vector<int32_t> pages;
};

class Driver {
 public:
  Driver(Backend& backend, Tolerance tolerance, int64_t vocab)
      : backend_(backend), tolerance_(tolerance), vocab_(vocab) {}

  std::vector<int32_t> RandomTokens(int n) {
    std::uniform_int_distribution<int32_t> token(0, static_cast<int32_t>(vocab_ - 1));
    std::vector<int32_t> tokens(n);
    for (int32_t& t : tokens) t = token(rng_);
    return tokens;
  }
  int32_t NewPage() { return next_page_++; }

  // One Forward: each part appends its tokens to its sequence (one chunk per part); every chunk's
  // logits are checked against the reference over the whole sequence.
  void Step(const LoadedWeights& weights, const model::ModelWeights& reference,
            const std::vector<std::pair<Sequence*, std::vector<int32_t>>>& parts) {
    std::vector<SequenceChunk> chunks;
    for (const auto& [seq, tokens] : parts) {
      SequenceChunk chunk;
      chunk.start_pos = static_cast<int64_t>(seq->tokens.size());
      chunk.tokens = tokens;
      seq->tokens.insert(seq->tokens.end(), tokens.begin(), tokens.end());
      while (static_cast<int64_t>(seq->pages.size()) * kPageSize <
             static_cast<int64_t>(seq->tokens.size())) {
        seq->pages.push_back(NewPage());
      }
      chunk.pages = seq->pages;
      chunks.push_back(std::move(chunk));
    }
    std::vector<float> logits;
    const absl::Status status = backend_.Forward(weights, chunks, &logits);
    ASSERT_TRUE(status.ok()) << status;
    ASSERT_EQ(logits.size(), chunks.size() * vocab_);
    for (size_t i = 0; i < parts.size(); ++i) {
      SCOPED_TRACE(testing::Message() << "chunk " << i << " (sequence of "
                                      << parts[i].first->tokens.size() << " tokens)");
      const std::vector<float> want = ReferenceLastLogits(reference, parts[i].first->tokens);
      ExpectLogitsNear(logits.data() + i * vocab_, want.data(), vocab_, tolerance_);
    }
  }

 private:
  Backend& backend_;
  const Tolerance tolerance_;
  const int64_t vocab_;
  std::mt19937 rng_{7};
  int32_t next_page_ = 0;
};

}  // namespace

model::ModelWeights WithQkvBiases(model::ModelWeights weights, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 0.5f);
  auto random_tensor = [&](int64_t n) {
    model::Tensor t;
    t.shape = {n};
    t.data.resize(n);
    for (float& x : t.data) x = normal(rng);
    return t;
  };
  const model::ModelConfig& c = weights.config;
  weights.config.attention_bias = true;
  for (model::LayerWeights& layer : weights.layers) {
    layer.q_bias = random_tensor(c.num_heads * c.head_dim);
    layer.k_bias = random_tensor(c.num_kv_heads * c.head_dim);
    layer.v_bias = random_tensor(c.num_kv_heads * c.head_dim);
  }
  return weights;
}

model::ModelWeights Tied(model::ModelWeights weights) {
  weights.config.tie_word_embeddings = true;
  weights.lm_head = model::Tensor();
  return weights;
}

std::vector<float> ReferenceLastLogits(const model::ModelWeights& weights,
                                       const std::vector<int32_t>& tokens) {
  const std::vector<float> all = model::ReferenceForward(weights, tokens);
  const int64_t vocab = weights.config.vocab_size;
  return std::vector<float>(all.end() - vocab, all.end());
}

void ExpectLogitsNear(const float* got, const float* want, int64_t vocab, Tolerance tolerance) {
  int64_t bad = 0;
  double worst = 0.0;
  testing::Message first;
  for (int64_t i = 0; i < vocab; ++i) {
    const double err = std::abs(double{got[i]} - want[i]);
    if (!(err <= tolerance.tol + std::abs(double{want[i]}) * tolerance.eps)) {
      if (bad < 5) first << " [" << i << "] got " << got[i] << " want " << want[i] << ";";
      ++bad;
    }
    if (!(err <= worst)) worst = err;
  }
  EXPECT_EQ(bad, 0) << bad << " of " << vocab << " logits off (tol " << tolerance.tol << ", eps "
                    << tolerance.eps << ", worst " << worst << "):" << first;
}

void RunSharedPrefixScenario(Backend& backend, const model::ModelWeights& first,
                             const model::ModelWeights& second, Tolerance tolerance) {
  const model::ModelConfig& config = first.config;
  ASSERT_TRUE(backend.AllocateKv(config, kPages, kPageSize).ok());
  EXPECT_EQ(backend.PageBytes(), config.num_layers * 2 * kPageSize * config.num_kv_heads *
                                     config.head_dim * int64_t{sizeof(float)});
  auto v1 = backend.Load(first, 1);
  ASSERT_TRUE(v1.ok()) << v1.status();
  const LoadedWeights& w1 = **v1;
  EXPECT_EQ(w1.version(), 1u);
  Driver driver(backend, tolerance, config.vocab_size);

  std::vector<float> logits(3, 1.0f);
  ASSERT_TRUE(backend.Forward(w1, {}, &logits).ok());
  EXPECT_TRUE(logits.empty());

  Sequence a, b;
  {
    SCOPED_TRACE("prefill A, first chunk");
    driver.Step(w1, first, {{&a, driver.RandomTokens(10)}});
  }
  {
    SCOPED_TRACE("A's second prompt chunk beside B's whole prompt");
    driver.Step(w1, first, {{&a, driver.RandomTokens(3)}, {&b, driver.RandomTokens(5)}});
  }
  // C forks A's 13-token prompt: it shares page 0 (positions 0..7) and copies the partly filled
  // page 1 (positions 8..12) before writing position 13 into the copy.
  ASSERT_EQ(a.pages.size(), 2u);
  Sequence c;
  c.tokens = a.tokens;
  c.pages = {a.pages[0], driver.NewPage()};
  backend.CopyPage(a.pages[1], c.pages[1]);
  for (int step = 0; step < 6; ++step) {  // A and C cross into a third page at position 16
    SCOPED_TRACE(testing::Message() << "decode step " << step << " of A, B and C");
    driver.Step(
        w1, first,
        {{&a, driver.RandomTokens(1)}, {&b, driver.RandomTokens(1)}, {&c, driver.RandomTokens(1)}});
  }

  auto v2 = backend.Load(second, 2);
  ASSERT_TRUE(v2.ok()) << v2.status();
  Sequence d;
  {
    SCOPED_TRACE("prefill D on version 2");
    driver.Step(**v2, second, {{&d, driver.RandomTokens(9)}});
  }
  {
    SCOPED_TRACE("version 1 still serves A");
    driver.Step(w1, first, {{&a, driver.RandomTokens(1)}});
  }
  {
    SCOPED_TRACE("decode D on version 2");
    driver.Step(**v2, second, {{&d, driver.RandomTokens(1)}});
  }
}

}  // namespace rlvr::sampler::cuda

namespace rlvr::sampler::cuda {

void RunLongContextScenario(Backend& backend, const model::ModelWeights& weights,
                            Tolerance tolerance) {
  ASSERT_TRUE(backend.AllocateKv(weights.config, kPages, kPageSize).ok());
  auto loaded = backend.Load(weights, 1);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  Driver driver(backend, tolerance, weights.config.vocab_size);
  Sequence s;
  {
    SCOPED_TRACE("prefill 256 tokens");
    driver.Step(**loaded, weights, {{&s, driver.RandomTokens(256)}});
  }
  {
    SCOPED_TRACE("prefill 44 more");
    driver.Step(**loaded, weights, {{&s, driver.RandomTokens(44)}});
  }
  for (int step = 0; step < 3; ++step) {
    SCOPED_TRACE(testing::Message() << "decode step " << step);
    driver.Step(**loaded, weights, {{&s, driver.RandomTokens(1)}});
  }
}

}  // namespace rlvr::sampler::cuda
