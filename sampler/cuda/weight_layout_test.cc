#include "sampler/cuda/weight_layout.h"

#include <algorithm>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "model/config.h"
#include "model/fixtures.h"
#include "sampler/cuda/backend_scenarios.h"

namespace rlvr::sampler::cuda {
namespace {

std::vector<float> InvFreq(const model::ModelConfig& c) {
  return std::vector<float>(c.head_dim / 2, 1.0f);
}

// The allocation a device would hold: every piece copied to its offset.
std::vector<float> Fill(const WeightLayout& layout) {
  std::vector<float> arena(layout.total_floats, -1.0f);
  for (const WeightLayout::Piece& p : layout.pieces)
    std::copy_n(p.data, p.floats, arena.begin() + p.offset);
  return arena;
}

TEST(WeightLayoutTest, FusesQkvAndGateUpAndAlignsRoles) {
  const model::ModelWeights w = model::RandomWeights(model::TinyConfig(), 1);
  const std::vector<float> inv_freq = InvFreq(w.config);
  auto layout = LayoutWeights(w, inv_freq);
  ASSERT_TRUE(layout.ok()) << layout.status();
  EXPECT_EQ(layout->pieces.size(), 4 + 9 * w.layers.size());
  const std::vector<float> arena = Fill(*layout);
  const ModelPointers p = PointersInto(*layout, arena.data());
  ASSERT_EQ(p.layers.size(), w.layers.size());
  EXPECT_NE(p.output, p.embed);
  EXPECT_EQ(p.layers[0].qkv_bias, nullptr);
  auto equal = [](const float* got, const model::Tensor& t) {
    return std::equal(t.data.begin(), t.data.end(), got);
  };
  EXPECT_TRUE(equal(p.embed, w.embed));
  EXPECT_TRUE(equal(p.output, w.lm_head));
  EXPECT_TRUE(equal(p.final_norm, w.final_norm));
  const int64_t q = w.layers[1].q_proj.numel(), k = w.layers[1].k_proj.numel();
  EXPECT_TRUE(equal(p.layers[1].qkv, w.layers[1].q_proj));
  EXPECT_TRUE(equal(p.layers[1].qkv + q, w.layers[1].k_proj));
  EXPECT_TRUE(equal(p.layers[1].qkv + q + k, w.layers[1].v_proj));
  EXPECT_TRUE(equal(p.layers[1].gate_up, w.layers[1].gate_proj));
  EXPECT_TRUE(equal(p.layers[1].gate_up + w.layers[1].gate_proj.numel(), w.layers[1].up_proj));
  EXPECT_TRUE(equal(p.layers[1].down, w.layers[1].down_proj));
  EXPECT_TRUE(equal(p.layers[1].o, w.layers[1].o_proj));
  for (const WeightLayout::Layer& l : layout->layers) {
    for (int64_t offset : {l.input_norm, l.qkv, l.o, l.post_norm, l.gate_up, l.down})
      EXPECT_EQ(offset % 64, 0);
  }
  EXPECT_EQ(layout->total_floats % 64, 0);
}

TEST(WeightLayoutTest, TiedEmbeddingStoredOnce) {
  const model::ModelWeights untied = model::RandomWeights(model::TinyConfig(), 1);
  const model::ModelWeights tied = Tied(untied);
  const std::vector<float> inv_freq = InvFreq(tied.config);
  auto a = LayoutWeights(untied, inv_freq);
  auto b = LayoutWeights(tied, inv_freq);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(b->output, b->embed);
  EXPECT_EQ(b->pieces.size(), a->pieces.size() - 1);
  EXPECT_LT(b->total_floats, a->total_floats);
}

TEST(WeightLayoutTest, QkvBiasesFollowEachOther) {
  const model::ModelWeights w = WithQkvBiases(model::RandomWeights(model::TinyConfig(), 1), 2);
  const std::vector<float> inv_freq = InvFreq(w.config);
  auto layout = LayoutWeights(w, inv_freq);
  ASSERT_TRUE(layout.ok()) << layout.status();
  const std::vector<float> arena = Fill(*layout);
  const ModelPointers p = PointersInto(*layout, arena.data());
  const model::LayerWeights& l = w.layers[0];
  ASSERT_NE(p.layers[0].qkv_bias, nullptr);
  EXPECT_TRUE(std::equal(l.q_bias.data.begin(), l.q_bias.data.end(), p.layers[0].qkv_bias));
  EXPECT_TRUE(std::equal(l.v_bias.data.begin(), l.v_bias.data.end(),
                         p.layers[0].qkv_bias + l.q_bias.numel() + l.k_bias.numel()));
}

absl::Status LayoutStatus(const model::ModelWeights& w) {
  return LayoutWeights(w, InvFreq(w.config)).status();
}

void ExpectInvalid(const absl::Status& status, const std::string& part) {
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_NE(status.message().find(part), absl::string_view::npos) << status;
}

TEST(WeightLayoutTest, RejectsWeightsThatDoNotFitTheConfig) {
  const model::ModelWeights good = model::RandomWeights(model::TinyConfig(), 1);
  {
    model::ModelWeights w = good;
    w.layers[1].q_proj.shape = {8, 64};
    ExpectInvalid(LayoutStatus(w), "layer 1 q_proj has shape [8, 64]");
  }
  {
    model::ModelWeights w = good;
    w.layers[0].down_proj.data.pop_back();
    ExpectInvalid(LayoutStatus(w), "layer 0 down_proj");
  }
  {
    model::ModelWeights w = good;
    w.layers.pop_back();
    ExpectInvalid(LayoutStatus(w), "the weights have 1 layers");
  }
  {
    model::ModelWeights w = WithQkvBiases(good, 3);
    w.config.attention_bias = false;
    ExpectInvalid(LayoutStatus(w), "has q/k/v biases but the config has no attention_bias");
  }
  {
    model::ModelWeights w = WithQkvBiases(good, 3);
    w.layers[1].k_bias = model::Tensor();
    ExpectInvalid(LayoutStatus(w), "layer 1 k_bias");
  }
  ExpectInvalid(LayoutWeights(good, std::vector<float>(3)).status(),
                "the RoPE table has 3 frequencies");
}

TEST(CheckConfigTest, RejectsWhatTheKernelsCannotRun) {
  const model::ModelConfig good = model::TinyConfig();
  EXPECT_TRUE(CheckConfig(good).ok());
  {
    model::ModelConfig c = good;
    c.head_dim = 6;
    ExpectInvalid(CheckConfig(c), "head_dim is 6");
  }
  {
    model::ModelConfig c = good;
    c.head_dim = 512;
    ExpectInvalid(CheckConfig(c), "up to 256");
  }
  {
    model::ModelConfig c = good;
    c.num_kv_heads = 3;
    ExpectInvalid(CheckConfig(c), "not a multiple of num_kv_heads 3");
  }
  {
    model::ModelConfig c = good;
    c.vocab_size = 0;
    ExpectInvalid(CheckConfig(c), "vocab_size is 0");
  }
}

}  // namespace
}  // namespace rlvr::sampler::cuda
