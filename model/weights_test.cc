#include "model/weights.h"

#include <stdlib.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "gtest/gtest.h"
#include "model/internal/temp_dir.h"
#include "model/fixtures.h"
#include "model/safetensors.h"

namespace rlvr::model {
namespace {

using internal::TempDir;

bool SameTensor(const Tensor& a, const Tensor& b) { return a.shape == b.shape && a.data == b.data; }

TEST(ExpectedTensorShapesTest, TinyConfigLayout) {
  ModelConfig c = TinyConfig();
  auto shapes = ExpectedTensorShapes(c);
  EXPECT_EQ(shapes.size(), 3u + 9u * 2u);
  EXPECT_EQ(shapes.at("model.embed_tokens.weight"), (std::vector<int64_t>{320, 64}));
  EXPECT_EQ(shapes.at("lm_head.weight"), (std::vector<int64_t>{320, 64}));
  EXPECT_EQ(shapes.at("model.norm.weight"), (std::vector<int64_t>{64}));
  EXPECT_EQ(shapes.at("model.layers.1.self_attn.q_proj.weight"), (std::vector<int64_t>{64, 64}));
  EXPECT_EQ(shapes.at("model.layers.1.self_attn.k_proj.weight"), (std::vector<int64_t>{32, 64}));
  EXPECT_EQ(shapes.at("model.layers.1.self_attn.v_proj.weight"), (std::vector<int64_t>{32, 64}));
  EXPECT_EQ(shapes.at("model.layers.1.self_attn.o_proj.weight"), (std::vector<int64_t>{64, 64}));
  EXPECT_EQ(shapes.at("model.layers.0.mlp.gate_proj.weight"), (std::vector<int64_t>{128, 64}));
  EXPECT_EQ(shapes.at("model.layers.0.mlp.up_proj.weight"), (std::vector<int64_t>{128, 64}));
  EXPECT_EQ(shapes.at("model.layers.0.mlp.down_proj.weight"), (std::vector<int64_t>{64, 128}));
  EXPECT_EQ(shapes.at("model.layers.0.input_layernorm.weight"), (std::vector<int64_t>{64}));
  EXPECT_EQ(shapes.at("model.layers.0.post_attention_layernorm.weight"),
            (std::vector<int64_t>{64}));
  EXPECT_FALSE(shapes.contains("model.layers.0.self_attn.q_proj.bias"));

  c.tie_word_embeddings = true;
  c.attention_bias = true;
  shapes = ExpectedTensorShapes(c);
  EXPECT_FALSE(shapes.contains("lm_head.weight"));
  EXPECT_EQ(shapes.at("model.layers.1.self_attn.q_proj.bias"), (std::vector<int64_t>{64}));
  EXPECT_EQ(shapes.at("model.layers.1.self_attn.k_proj.bias"), (std::vector<int64_t>{32}));
  EXPECT_EQ(shapes.at("model.layers.1.self_attn.v_proj.bias"), (std::vector<int64_t>{32}));
  EXPECT_EQ(shapes.size(), 2u + 12u * 2u);
}

TEST(WeightsFromTensorsTest, RoundTripsThroughTensors) {
  const ModelWeights w = RandomWeights(TinyConfig(), 1);
  ASSERT_EQ(w.layers.size(), 2u);
  auto tensors = WeightsToTensors(w);
  EXPECT_EQ(tensors.size(), ExpectedTensorShapes(w.config).size());
  absl::StatusOr<ModelWeights> back = WeightsFromTensors(w.config, tensors);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(SameTensor(back->embed, w.embed));
  EXPECT_TRUE(SameTensor(back->lm_head, w.lm_head));
  EXPECT_TRUE(SameTensor(back->final_norm, w.final_norm));
  for (size_t i = 0; i < w.layers.size(); ++i) {
    EXPECT_TRUE(SameTensor(back->layers[i].q_proj, w.layers[i].q_proj));
    EXPECT_TRUE(SameTensor(back->layers[i].k_proj, w.layers[i].k_proj));
    EXPECT_TRUE(SameTensor(back->layers[i].v_proj, w.layers[i].v_proj));
    EXPECT_TRUE(SameTensor(back->layers[i].o_proj, w.layers[i].o_proj));
    EXPECT_TRUE(SameTensor(back->layers[i].down_proj, w.layers[i].down_proj));
    EXPECT_TRUE(SameTensor(back->layers[i].post_norm, w.layers[i].post_norm));
  }
  // Roles land in the right slots (shapes differ between them).
  EXPECT_EQ(back->layers[0].k_proj.shape, (std::vector<int64_t>{32, 64}));
  EXPECT_EQ(back->layers[0].down_proj.shape, (std::vector<int64_t>{64, 128}));
  EXPECT_EQ(&back->output_matrix(), &back->lm_head);
}

TEST(WeightsFromTensorsTest, ReportsMissingTensor) {
  const ModelWeights w = RandomWeights(TinyConfig(), 1);
  auto tensors = WeightsToTensors(w);
  tensors.erase("model.layers.1.mlp.up_proj.weight");
  absl::StatusOr<ModelWeights> r = WeightsFromTensors(w.config, tensors);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("model.layers.1.mlp.up_proj.weight (shape [128, 64])"),
            absl::string_view::npos)
      << r.status();
}

TEST(WeightsFromTensorsTest, ReportsWrongShape) {
  const ModelWeights w = RandomWeights(TinyConfig(), 1);
  auto tensors = WeightsToTensors(w);
  Tensor& q = tensors["model.layers.0.self_attn.q_proj.weight"];
  q.shape = {32, 128};  // same element count, wrong shape
  absl::StatusOr<ModelWeights> r = WeightsFromTensors(w.config, tensors);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "model.layers.0.self_attn.q_proj.weight has shape [32, 128]; config implies [64, 64]");
  // Right shape, wrong number of values.
  tensors = WeightsToTensors(w);
  tensors["model.norm.weight"].data.pop_back();
  r = WeightsFromTensors(w.config, tensors);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("model.norm.weight has shape [64] but 63 values"),
            absl::string_view::npos)
      << r.status();
}

TEST(WeightsFromTensorsTest, RejectsUnexpectedTensor) {
  const ModelWeights w = RandomWeights(TinyConfig(), 1);
  auto tensors = WeightsToTensors(w);
  tensors["model.layers.2.mlp.up_proj.weight"] = tensors["model.layers.1.mlp.up_proj.weight"];
  tensors["model.layers.0.self_attn.q_proj.bias"].shape = {64};
  tensors["model.layers.0.self_attn.q_proj.bias"].data.assign(64, 0.0f);
  absl::StatusOr<ModelWeights> r = WeightsFromTensors(w.config, tensors);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("model.layers.2.mlp.up_proj.weight"), absl::string_view::npos)
      << r.status();
  EXPECT_NE(r.status().message().find("model.layers.0.self_attn.q_proj.bias"),
            absl::string_view::npos)
      << r.status();
  EXPECT_NE(r.status().message().find("2 tensor(s)"), absl::string_view::npos) << r.status();
}

TEST(WeightsFromTensorsTest, IgnoresRotaryBuffers) {
  const ModelWeights w = RandomWeights(TinyConfig(), 1);
  auto tensors = WeightsToTensors(w);
  Tensor inv_freq;
  inv_freq.shape = {8};
  inv_freq.data.assign(8, 1.0f);
  tensors["model.layers.0.self_attn.rotary_emb.inv_freq"] = inv_freq;
  EXPECT_TRUE(WeightsFromTensors(w.config, tensors).ok());
}

TEST(WeightsFromTensorsTest, TiedEmbeddings) {
  ModelConfig c = TinyConfig();
  c.tie_word_embeddings = true;
  const ModelWeights w = RandomWeights(c, 2);
  EXPECT_TRUE(w.lm_head.data.empty());
  EXPECT_EQ(&w.output_matrix(), &w.embed);
  auto tensors = WeightsToTensors(w);
  EXPECT_FALSE(tensors.contains("lm_head.weight"));

  // A saved copy of the tied head is accepted and dropped.
  Tensor head = tensors["model.embed_tokens.weight"];
  for (float& v : head.data) v += 1.0f;
  tensors["lm_head.weight"] = head;
  absl::StatusOr<ModelWeights> r = WeightsFromTensors(c, tensors);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->lm_head.data.empty());
  EXPECT_TRUE(SameTensor(r->output_matrix(), w.embed));

  // ... but not with a shape the config contradicts.
  tensors["lm_head.weight"].shape = {64, 320};
  r = WeightsFromTensors(c, tensors);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "lm_head.weight has shape [64, 320]; config implies [320, 64]");

  // Untied needs lm_head.
  c.tie_word_embeddings = false;
  tensors.erase("lm_head.weight");
  r = WeightsFromTensors(c, tensors);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("lm_head.weight"), absl::string_view::npos) << r.status();
}

TEST(WeightsFromTensorsTest, Qwen2BiasesAreRequired) {
  ModelConfig c = TinyConfig();
  c.architecture = "Qwen2ForCausalLM";
  c.attention_bias = true;
  const ModelWeights w = RandomWeights(c, 3);
  EXPECT_EQ(w.layers[1].q_bias.shape, (std::vector<int64_t>{64}));
  EXPECT_EQ(w.layers[1].k_bias.shape, (std::vector<int64_t>{32}));
  EXPECT_EQ(w.layers[1].v_bias.shape, (std::vector<int64_t>{32}));
  auto tensors = WeightsToTensors(w);
  tensors.erase("model.layers.1.self_attn.v_proj.bias");
  absl::StatusOr<ModelWeights> r = WeightsFromTensors(c, tensors);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("model.layers.1.self_attn.v_proj.bias"),
            absl::string_view::npos)
      << r.status();
}

TEST(WeightsFromTensorsTest, RejectsInvalidConfig) {
  ModelConfig c = TinyConfig();
  c.num_kv_heads = 3;
  absl::StatusOr<ModelWeights> r = WeightsFromTensors(c, {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("num_key_value_heads is 3"), absl::string_view::npos)
      << r.status();
}

TEST(RandomWeightsTest, DeterministicInSeed) {
  const ModelWeights a = RandomWeights(TinyConfig(), 42);
  const ModelWeights b = RandomWeights(TinyConfig(), 42);
  const ModelWeights c = RandomWeights(TinyConfig(), 43);
  EXPECT_TRUE(SameTensor(a.embed, b.embed));
  EXPECT_TRUE(SameTensor(a.layers[1].gate_proj, b.layers[1].gate_proj));
  EXPECT_FALSE(SameTensor(a.embed, c.embed));
  // Different tensors of one model are not copies of each other.
  EXPECT_NE(a.layers[0].q_proj.data, a.layers[1].q_proj.data);
  EXPECT_NE(a.layers[0].input_norm.data, a.layers[0].post_norm.data);
}

TEST(RandomWeightsTest, Distributions) {
  const ModelWeights w = RandomWeights(TinyConfig(), 5);
  for (float v : w.final_norm.data) {
    EXPECT_GE(v, 0.9f);
    EXPECT_LE(v, 1.1f);
  }
  // up_proj: [128, 64], std 1/8.
  const std::vector<float>& up = w.layers[0].up_proj.data;
  double sum = 0, sum_sq = 0;
  for (float v : up) {
    sum += v;
    sum_sq += static_cast<double>(v) * v;
  }
  const double mean = sum / up.size();
  const double stddev = std::sqrt(sum_sq / up.size() - mean * mean);
  EXPECT_NEAR(mean, 0.0, 0.01);
  EXPECT_NEAR(stddev, 0.125, 0.005);
}

TEST(FixturesTest, ConfigsAreValid) {
  EXPECT_TRUE(ValidateModelConfig(TinyConfig()).ok());
  EXPECT_TRUE(ValidateModelConfig(TinyConfig(1000)).ok());
  EXPECT_TRUE(ValidateModelConfig(Config100M()).ok());
  EXPECT_EQ(TinyConfig().bos_token_id, 318);
  EXPECT_EQ(TinyConfig().eos_token_ids, std::vector<int64_t>{319});
}

TEST(FixturesTest, Config100MParameterCount) {
  int64_t total = 0;
  for (const auto& [name, shape] : ExpectedTensorShapes(Config100M())) {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    total += n;
  }
  EXPECT_EQ(total, 100'092'672);
}

TEST(FixturesTest, Random100MIsComplete) {
  const auto start = std::chrono::steady_clock::now();
  const ModelWeights w = RandomWeights(Config100M(), 9);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("RandomWeights(Config100M()): %.2f s\n", seconds);
  EXPECT_EQ(w.layers.size(), 12u);
  EXPECT_TRUE(w.lm_head.data.empty());  // tied
  EXPECT_EQ(w.output_matrix().numel(), 32000 * 768);
}

TEST(LoadModelTest, WriteModelDirRoundTripsInEveryDType) {
  const ModelWeights w = RandomWeights(TinyConfig(), 7);
  for (DType dtype : {DType::kF32, DType::kF16, DType::kBF16}) {
    for (int shards : {1, 3}) {
      TempDir tmp;
      const std::string dir = tmp.path() + "/nested/model";  // created by WriteModelDir
      ASSERT_TRUE(WriteModelDir(dir, w, dtype, shards).ok());
      absl::StatusOr<ModelWeights> back = LoadModel(dir);
      ASSERT_TRUE(back.ok()) << back.status();
      EXPECT_EQ(back->config.hidden_size, 64);
      EXPECT_EQ(back->config.num_kv_heads, 2);
      EXPECT_EQ(back->config.eos_token_ids, w.config.eos_token_ids);
      const auto want = WeightsToTensors(w);
      const auto got = WeightsToTensors(*back);
      ASSERT_EQ(got.size(), want.size());
      for (const auto& [name, t] : want) {
        const Tensor& g = got.at(name);
        ASSERT_EQ(g.shape, t.shape) << name;
        for (size_t i = 0; i < t.data.size(); ++i) {
          float expect = t.data[i];
          if (dtype == DType::kF16) expect = HalfToFloat(FloatToHalf(expect));
          if (dtype == DType::kBF16) expect = BFloat16ToFloat(FloatToBFloat16(expect));
          ASSERT_EQ(g.data[i], expect) << name << "[" << i << "] " << DTypeName(dtype);
        }
      }
    }
  }
}

TEST(LoadModelTest, Errors) {
  TempDir tmp;
  absl::StatusOr<ModelWeights> r = LoadModel(tmp.path());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("config.json"), absl::string_view::npos) << r.status();

  // A checkpoint that does not match its config.json.
  const ModelWeights w = RandomWeights(TinyConfig(), 7);
  ASSERT_TRUE(WriteModelDir(tmp.path(), w, DType::kF32, 1).ok());
  ModelConfig other = TinyConfig();
  other.intermediate_size = 96;
  std::ofstream(tmp.path() + "/config.json") << ModelConfigToJson(other);
  r = LoadModel(tmp.path());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(
      r.status().message().find("down_proj.weight has shape [64, 128]; config implies [64, 96]"),
      absl::string_view::npos)
      << r.status();
  EXPECT_NE(r.status().message().find(tmp.path()), absl::string_view::npos) << r.status();

  std::filesystem::remove(tmp.path() + "/model.safetensors");
  r = LoadModel(tmp.path());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace rlvr::model
