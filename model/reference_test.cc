#include "model/reference.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "model/fixtures.h"

namespace rlvr::model {
namespace {

constexpr double kEps = 1e-6;

// A one-layer model, hidden 4 = vocab 4, one head of 4, with every matrix zero, every norm
// weight one and lm_head the identity: logits are the normalized residual stream.
ModelWeights HandModel(bool attention_bias = false, int64_t intermediate = 2) {
  ModelConfig c;
  c.architecture = "LlamaForCausalLM";
  c.vocab_size = 4;
  c.hidden_size = 4;
  c.intermediate_size = intermediate;
  c.num_layers = 1;
  c.num_heads = 1;
  c.num_kv_heads = 1;
  c.head_dim = 4;
  c.max_position_embeddings = 64;
  c.rms_norm_eps = kEps;
  c.rope_theta = 10000;
  c.attention_bias = attention_bias;
  std::map<std::string, Tensor> tensors;
  for (const auto& [name, shape] : ExpectedTensorShapes(c)) {
    Tensor t;
    t.shape = shape;
    t.data.assign(t.numel(), name.find("norm") != std::string::npos ? 1.0f : 0.0f);
    tensors[name] = t;
  }
  absl::StatusOr<ModelWeights> w = WeightsFromTensors(c, std::move(tensors));
  EXPECT_TRUE(w.ok()) << w.status();
  return *std::move(w);
}

void SetIdentity(Tensor& t) {
  std::fill(t.data.begin(), t.data.end(), 0.0f);
  for (int64_t i = 0; i < t.shape[0] && i < t.shape[1]; ++i) t.data[i * t.shape[1] + i] = 1.0f;
}

void SetRow(Tensor& t, int64_t row, const std::vector<float>& values) {
  for (size_t i = 0; i < values.size(); ++i) t.data[row * t.shape[1] + i] = values[i];
}

std::vector<double> RmsNormalized(const std::vector<double>& x) {
  double ms = 0;
  for (double v : x) ms += v * v;
  ms /= x.size();
  std::vector<double> y;
  for (double v : x) y.push_back(v / std::sqrt(ms + kEps));
  return y;
}

void ExpectLogits(const std::vector<float>& logits, int64_t position,
                  const std::vector<double>& want) {
  for (size_t j = 0; j < want.size(); ++j) {
    EXPECT_NEAR(logits[position * want.size() + j], want[j], 1e-5)
        << "position " << position << " logit " << j;
  }
}

TEST(ReferenceForwardTest, ResidualOnlyGivesTheNormalizedEmbedding) {
  ModelWeights w = HandModel();
  SetIdentity(w.lm_head);
  w.final_norm.data = {1, 2, 3, 4};
  SetRow(w.embed, 0, {1, 1, 1, 1});    // rms 1
  SetRow(w.embed, 1, {2, -2, 2, -2});  // rms 2
  SetRow(w.embed, 2, {3, 0, 0, 4});    // rms 2.5
  SetRow(w.embed, 3, {0, 0, 0, 0});
  const std::vector<float> logits = ReferenceForward(w, {0, 1, 2, 3, 1});
  ASSERT_EQ(logits.size(), 5u * 4u);
  ExpectLogits(logits, 0,
               {1 / std::sqrt(1 + kEps), 2 / std::sqrt(1 + kEps), 3 / std::sqrt(1 + kEps),
                4 / std::sqrt(1 + kEps)});
  ExpectLogits(logits, 1, {1, -2, 3, -4});
  ExpectLogits(logits, 2, {3 / 2.5, 0, 0, 4 * 4 / 2.5});
  ExpectLogits(logits, 3, {0, 0, 0, 0});
  ExpectLogits(logits, 4, {1, -2, 3, -4});

  // The output matrix is applied as x · Wᵀ: row j of lm_head gives logit j.
  std::fill(w.lm_head.data.begin(), w.lm_head.data.end(), 0.0f);
  SetRow(w.lm_head, 2, {1, 1, 0, 0});
  const std::vector<float> one = ReferenceForward(w, {2});
  ExpectLogits(one, 0, {0, 0, 3 / 2.5, 0});
}

TEST(ReferenceForwardTest, AttentionWithRotateHalfRopeByHand) {
  // q = (a, 0, 0, 0) and k = (0, 0, a, 0) from the biases, a² = 2. In the rotate_half convention
  // element 0 pairs with element 2 at inv_freq[0] = 1, so at positions t and s
  //   q_t = a (cos t, 0, sin t, 0),  k_s = a (-sin s, 0, cos s, 0),  q_t · k_s = 2 sin(t - s),
  // and the score is 2 sin(t - s) / sqrt(4) = sin(t - s). (Pairing neighbours instead, or no
  // rotation, makes every score 0.) v is the normalized input, o_proj the identity.
  ModelWeights w = HandModel(/*attention_bias=*/true);
  const float a = std::sqrt(2.0f);
  LayerWeights& l = w.layers[0];
  l.q_bias.data = {a, 0, 0, 0};
  l.k_bias.data = {0, 0, a, 0};
  SetIdentity(l.v_proj);
  SetIdentity(l.o_proj);
  SetIdentity(w.lm_head);
  for (int j = 0; j < 4; ++j) w.embed.data[j * 4 + j] = 2.0f;  // token j = 2 e_j, rms 1

  const std::vector<float> logits = ReferenceForward(w, {0, 1, 2, 3});
  for (int t = 0; t < 4; ++t) {
    double total = 0;
    std::vector<double> p(t + 1);
    for (int s = 0; s <= t; ++s) total += p[s] = std::exp(std::sin(t - s));
    std::vector<double> x(4, 0.0);
    x[t] = 2;  // the residual
    for (int s = 0; s <= t; ++s)
      x[s] += p[s] / total * 2 / std::sqrt(1 + kEps);  // v_s = 2 e_s / rms
    ExpectLogits(logits, t, RmsNormalized(x));
  }
}

TEST(ReferenceForwardTest, SwiGluMlpByHand) {
  // gate = up = down = identity: the MLP adds silu(xn) * xn to the residual.
  ModelWeights w = HandModel(false, /*intermediate=*/4);
  LayerWeights& l = w.layers[0];
  SetIdentity(l.gate_proj);
  SetIdentity(l.up_proj);
  SetIdentity(l.down_proj);
  l.post_norm.data = {1, 0.5f, 2, 1};
  SetIdentity(w.lm_head);
  SetRow(w.embed, 1, {1, -1, 2, 0.5f});
  const std::vector<float> logits = ReferenceForward(w, {1});
  std::vector<double> x = {1, -1, 2, 0.5};
  std::vector<double> xn = RmsNormalized(x);
  const double norm_w[] = {1, 0.5, 2, 1};
  for (int i = 0; i < 4; ++i) {
    const double v = xn[i] * norm_w[i];
    x[i] += v / (1 + std::exp(-v)) * v;
  }
  ExpectLogits(logits, 0, RmsNormalized(x));
}

TEST(ReferenceForwardTest, IsCausal) {
  const ModelWeights w = RandomWeights(TinyConfig(), 11);
  const std::vector<int32_t> tokens = {5, 17, 300, 2, 2, 99, 0, 319, 64};
  const std::vector<float> full = ReferenceForward(w, tokens);
  ASSERT_EQ(full.size(), tokens.size() * 320);
  for (size_t n = 1; n < tokens.size(); ++n) {
    const std::vector<float> prefix =
        ReferenceForward(w, std::vector<int32_t>(tokens.begin(), tokens.begin() + n));
    ASSERT_EQ(prefix, std::vector<float>(full.begin(), full.begin() + n * 320)) << n;
  }
  // ...and later positions do depend on earlier tokens.
  std::vector<int32_t> changed = tokens;
  changed[0] = 6;
  const std::vector<float> other = ReferenceForward(w, changed);
  EXPECT_NE(std::vector<float>(other.end() - 320, other.end()),
            std::vector<float>(full.end() - 320, full.end()));
}

TEST(ReferenceForwardTest, RepeatedTokenGivesTheSameLogitsEverywhere) {
  // With identical tokens every value vector is identical, so attention returns it whatever the
  // weights and positions: every position's logits are position 0's.
  const ModelWeights w = RandomWeights(TinyConfig(), 12);
  const std::vector<float> logits = ReferenceForward(w, std::vector<int32_t>(6, 42));
  for (int t = 1; t < 6; ++t) {
    for (int j = 0; j < 320; ++j)
      ASSERT_NEAR(logits[t * 320 + j], logits[j], 1e-5) << t << " " << j;
  }
  // Logits are finite and not all alike.
  float lo = logits[0], hi = logits[0];
  for (float v : logits) {
    ASSERT_TRUE(std::isfinite(v));
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  EXPECT_GT(hi - lo, 0.5f);
}

TEST(ReferenceForwardTest, GroupedQueryAttentionEqualsDuplicatedKvHeads) {
  // 4 query heads sharing 2 kv heads == 4 kv heads where kv head h is a copy of shared head h / 2.
  const ModelWeights gqa = RandomWeights(TinyConfig(), 13);
  ASSERT_EQ(gqa.config.num_kv_heads, 2);
  ModelWeights mha = gqa;
  mha.config.num_kv_heads = 4;
  const int64_t hd = gqa.config.head_dim, hidden = gqa.config.hidden_size;
  for (size_t i = 0; i < gqa.layers.size(); ++i) {
    for (Tensor LayerWeights::*proj : {&LayerWeights::k_proj, &LayerWeights::v_proj}) {
      const Tensor& src = gqa.layers[i].*proj;
      Tensor& dst = mha.layers[i].*proj;
      dst.shape = {4 * hd, hidden};
      dst.data.resize(4 * hd * hidden);
      for (int64_t h = 0; h < 4; ++h) {
        std::copy(src.data.begin() + (h / 2) * hd * hidden,
                  src.data.begin() + (h / 2 + 1) * hd * hidden, dst.data.begin() + h * hd * hidden);
      }
    }
  }
  const std::vector<int32_t> tokens = {1, 2, 3, 250, 7, 7, 100};
  const std::vector<float> a = ReferenceForward(gqa, tokens);
  const std::vector<float> b = ReferenceForward(mha, tokens);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) ASSERT_NEAR(a[i], b[i], 1e-5) << i;

  // Pairing query heads with kv heads as h % 2 instead would differ: swap the two middle copies.
  ModelWeights wrong = mha;
  for (LayerWeights& l : wrong.layers) {
    for (Tensor* t : {&l.k_proj, &l.v_proj}) {
      std::swap_ranges(t->data.begin() + 1 * hd * hidden, t->data.begin() + 2 * hd * hidden,
                       t->data.begin() + 2 * hd * hidden);
    }
  }
  EXPECT_NE(ReferenceForward(wrong, tokens), a);
}

TEST(ReferenceForwardTest, TiedEqualsUntiedWithLmHeadEqualToEmbedding) {
  ModelConfig c = TinyConfig();
  c.tie_word_embeddings = true;
  const ModelWeights tied = RandomWeights(c, 14);
  ModelWeights untied = tied;
  untied.config.tie_word_embeddings = false;
  untied.lm_head = tied.embed;
  const std::vector<int32_t> tokens = {3, 1, 4, 1, 5, 9, 2, 6};
  EXPECT_EQ(ReferenceForward(tied, tokens), ReferenceForward(untied, tokens));
}

TEST(ReferenceForwardTest, ZeroBiasesChangeNothingAndOthersDo) {
  ModelConfig c = TinyConfig();
  const ModelWeights plain = RandomWeights(c, 15);
  ModelWeights biased = plain;
  biased.config.architecture = "Qwen2ForCausalLM";
  biased.config.attention_bias = true;
  for (LayerWeights& l : biased.layers) {
    l.q_bias.shape = {64};
    l.q_bias.data.assign(64, 0.0f);
    l.k_bias.shape = {32};
    l.k_bias.data.assign(32, 0.0f);
    l.v_bias.shape = {32};
    l.v_bias.data.assign(32, 0.0f);
  }
  const std::vector<int32_t> tokens = {10, 20, 30, 40};
  const std::vector<float> want = ReferenceForward(plain, tokens);
  EXPECT_EQ(ReferenceForward(biased, tokens), want);
  biased.layers[1].v_bias.data[3] = 0.5f;
  EXPECT_NE(ReferenceForward(biased, tokens), want);
  biased.layers[1].v_bias.data[3] = 0.0f;
  biased.layers[0].k_bias.data[0] = 0.5f;  // a k bias shifts scores differently per position
  EXPECT_NE(ReferenceForward(biased, tokens), want);
}

TEST(ReferenceForwardTest, EmptyInputGivesNoLogits) {
  const ModelWeights w = RandomWeights(TinyConfig(), 16);
  EXPECT_TRUE(ReferenceForward(w, {}).empty());
}

TEST(ReferenceForwardTest, RopeScalingChangesOnlyLaterPositions) {
  // Position 0 is unrotated under every scaling; later positions see the scaled frequencies.
  ModelWeights w = RandomWeights(TinyConfig(), 17);
  const std::vector<int32_t> tokens = {8, 9, 10};
  const std::vector<float> plain = ReferenceForward(w, tokens);
  w.config.rope_scaling.type = RopeScaling::Type::kLinear;
  w.config.rope_scaling.factor = 4;
  const std::vector<float> scaled = ReferenceForward(w, tokens);
  EXPECT_EQ(std::vector<float>(plain.begin(), plain.begin() + 320),
            std::vector<float>(scaled.begin(), scaled.begin() + 320));
  EXPECT_NE(std::vector<float>(plain.begin() + 320, plain.end()),
            std::vector<float>(scaled.begin() + 320, scaled.end()));
}

}  // namespace
}  // namespace rlvr::model
