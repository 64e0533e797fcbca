#include "model/config.h"

#include <stdlib.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "model/internal/temp_dir.h"
#include "model/fixtures.h"

namespace rlvr::model {
namespace {

// Written after the published config.json files of these models.
constexpr char kLlama3_8B[] = R"({
  "architectures": ["LlamaForCausalLM"],
  "attention_bias": false,
  "attention_dropout": 0.0,
  "bos_token_id": 128000,
  "eos_token_id": 128001,
  "hidden_act": "silu",
  "hidden_size": 4096,
  "initializer_range": 0.02,
  "intermediate_size": 14336,
  "max_position_embeddings": 8192,
  "model_type": "llama",
  "num_attention_heads": 32,
  "num_hidden_layers": 32,
  "num_key_value_heads": 8,
  "pretraining_tp": 1,
  "rms_norm_eps": 1e-05,
  "rope_scaling": null,
  "rope_theta": 500000.0,
  "tie_word_embeddings": false,
  "torch_dtype": "bfloat16",
  "transformers_version": "4.40.0.dev0",
  "use_cache": true,
  "vocab_size": 128256
})";

constexpr char kLlama31_8BInstruct[] = R"({
  "architectures": ["LlamaForCausalLM"],
  "attention_bias": false,
  "bos_token_id": 128000,
  "eos_token_id": [128001, 128008, 128009],
  "hidden_act": "silu",
  "hidden_size": 4096,
  "intermediate_size": 14336,
  "max_position_embeddings": 131072,
  "mlp_bias": false,
  "model_type": "llama",
  "num_attention_heads": 32,
  "num_hidden_layers": 32,
  "num_key_value_heads": 8,
  "rms_norm_eps": 1e-05,
  "rope_scaling": {
    "factor": 8.0,
    "low_freq_factor": 1.0,
    "high_freq_factor": 4.0,
    "original_max_position_embeddings": 8192,
    "rope_type": "llama3"
  },
  "rope_theta": 500000.0,
  "tie_word_embeddings": false,
  "torch_dtype": "bfloat16",
  "vocab_size": 128256
})";

constexpr char kQwen25_05B[] = R"({
  "architectures": ["Qwen2ForCausalLM"],
  "attention_dropout": 0.0,
  "bos_token_id": 151643,
  "eos_token_id": 151643,
  "hidden_act": "silu",
  "hidden_size": 896,
  "initializer_range": 0.02,
  "intermediate_size": 4864,
  "max_position_embeddings": 32768,
  "max_window_layers": 24,
  "model_type": "qwen2",
  "num_attention_heads": 14,
  "num_hidden_layers": 24,
  "num_key_value_heads": 2,
  "rms_norm_eps": 1e-06,
  "rope_theta": 1000000.0,
  "sliding_window": 32768,
  "tie_word_embeddings": true,
  "torch_dtype": "bfloat16",
  "transformers_version": "4.40.1",
  "use_cache": true,
  "use_sliding_window": false,
  "vocab_size": 151936
})";

constexpr char kMistral7B[] = R"({
  "architectures": ["MistralForCausalLM"],
  "bos_token_id": 1,
  "eos_token_id": 2,
  "hidden_act": "silu",
  "hidden_size": 4096,
  "initializer_range": 0.02,
  "intermediate_size": 14336,
  "max_position_embeddings": 32768,
  "model_type": "mistral",
  "num_attention_heads": 32,
  "num_hidden_layers": 32,
  "num_key_value_heads": 8,
  "rms_norm_eps": 1e-05,
  "rope_theta": 10000.0,
  "sliding_window": 4096,
  "tie_word_embeddings": false,
  "torch_dtype": "bfloat16",
  "transformers_version": "4.34.0.dev0",
  "use_cache": true,
  "vocab_size": 32000
})";

void ExpectSameConfig(const ModelConfig& a, const ModelConfig& b) {
  EXPECT_EQ(a.architecture, b.architecture);
  EXPECT_EQ(a.vocab_size, b.vocab_size);
  EXPECT_EQ(a.hidden_size, b.hidden_size);
  EXPECT_EQ(a.intermediate_size, b.intermediate_size);
  EXPECT_EQ(a.num_layers, b.num_layers);
  EXPECT_EQ(a.num_heads, b.num_heads);
  EXPECT_EQ(a.num_kv_heads, b.num_kv_heads);
  EXPECT_EQ(a.head_dim, b.head_dim);
  EXPECT_EQ(a.max_position_embeddings, b.max_position_embeddings);
  EXPECT_EQ(a.rms_norm_eps, b.rms_norm_eps);
  EXPECT_EQ(a.rope_theta, b.rope_theta);
  EXPECT_EQ(a.rope_scaling.type, b.rope_scaling.type);
  EXPECT_EQ(a.rope_scaling.factor, b.rope_scaling.factor);
  EXPECT_EQ(a.rope_scaling.low_freq_factor, b.rope_scaling.low_freq_factor);
  EXPECT_EQ(a.rope_scaling.high_freq_factor, b.rope_scaling.high_freq_factor);
  EXPECT_EQ(a.rope_scaling.original_max_position, b.rope_scaling.original_max_position);
  EXPECT_EQ(a.tie_word_embeddings, b.tie_word_embeddings);
  EXPECT_EQ(a.attention_bias, b.attention_bias);
  EXPECT_EQ(a.bos_token_id, b.bos_token_id);
  EXPECT_EQ(a.eos_token_ids, b.eos_token_ids);
  EXPECT_EQ(a.torch_dtype, b.torch_dtype);
  EXPECT_EQ(a.sliding_window, b.sliding_window);
}

void ExpectRoundTrips(const ModelConfig& c) {
  const std::string json = ModelConfigToJson(c);
  absl::StatusOr<ModelConfig> back = ParseModelConfig(json);
  ASSERT_TRUE(back.ok()) << back.status() << "\n" << json;
  ExpectSameConfig(*back, c);
}

TEST(ParseModelConfigTest, Llama3_8B) {
  absl::StatusOr<ModelConfig> c = ParseModelConfig(kLlama3_8B);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->architecture, "LlamaForCausalLM");
  EXPECT_EQ(c->vocab_size, 128256);
  EXPECT_EQ(c->hidden_size, 4096);
  EXPECT_EQ(c->intermediate_size, 14336);
  EXPECT_EQ(c->num_layers, 32);
  EXPECT_EQ(c->num_heads, 32);
  EXPECT_EQ(c->num_kv_heads, 8);
  EXPECT_EQ(c->head_dim, 128);
  EXPECT_EQ(c->max_position_embeddings, 8192);
  EXPECT_EQ(c->rms_norm_eps, 1e-5);
  EXPECT_EQ(c->rope_theta, 500000.0);
  EXPECT_EQ(c->rope_scaling.type, RopeScaling::Type::kNone);
  EXPECT_FALSE(c->tie_word_embeddings);
  EXPECT_FALSE(c->attention_bias);
  EXPECT_EQ(c->bos_token_id, 128000);
  EXPECT_EQ(c->eos_token_ids, std::vector<int64_t>{128001});
  EXPECT_EQ(c->torch_dtype, "bfloat16");
  EXPECT_EQ(c->sliding_window, 0);
  ExpectRoundTrips(*c);
}

TEST(ParseModelConfigTest, Llama31WithLlama3RopeScaling) {
  absl::StatusOr<ModelConfig> c = ParseModelConfig(kLlama31_8BInstruct);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->rope_scaling.type, RopeScaling::Type::kLlama3);
  EXPECT_EQ(c->rope_scaling.factor, 8.0);
  EXPECT_EQ(c->rope_scaling.low_freq_factor, 1.0);
  EXPECT_EQ(c->rope_scaling.high_freq_factor, 4.0);
  EXPECT_EQ(c->rope_scaling.original_max_position, 8192);
  EXPECT_EQ(c->max_position_embeddings, 131072);
  EXPECT_EQ(c->eos_token_ids, (std::vector<int64_t>{128001, 128008, 128009}));
  ExpectRoundTrips(*c);

  // The older spelling "type" works too.
  std::string old = kLlama31_8BInstruct;
  old.replace(old.find("\"rope_type\""), 11, "\"type\"");
  c = ParseModelConfig(old);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->rope_scaling.type, RopeScaling::Type::kLlama3);
}

TEST(ParseModelConfigTest, Qwen25_05B) {
  absl::StatusOr<ModelConfig> c = ParseModelConfig(kQwen25_05B);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->architecture, "Qwen2ForCausalLM");
  EXPECT_EQ(c->vocab_size, 151936);
  EXPECT_EQ(c->hidden_size, 896);
  EXPECT_EQ(c->num_heads, 14);
  EXPECT_EQ(c->num_kv_heads, 2);
  EXPECT_EQ(c->head_dim, 64);
  EXPECT_EQ(c->num_layers, 24);
  EXPECT_EQ(c->rms_norm_eps, 1e-6);
  EXPECT_EQ(c->rope_theta, 1e6);
  EXPECT_TRUE(c->tie_word_embeddings);
  EXPECT_TRUE(c->attention_bias);  // Qwen2 always has q/k/v biases
  EXPECT_EQ(c->bos_token_id, 151643);
  EXPECT_EQ(c->eos_token_ids, std::vector<int64_t>{151643});
  EXPECT_EQ(c->sliding_window, 0);  // use_sliding_window is false
  ExpectRoundTrips(*c);
}

TEST(ParseModelConfigTest, Mistral7B) {
  absl::StatusOr<ModelConfig> c = ParseModelConfig(kMistral7B);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->architecture, "MistralForCausalLM");
  EXPECT_EQ(c->num_kv_heads, 8);
  EXPECT_EQ(c->head_dim, 128);
  EXPECT_EQ(c->max_position_embeddings, 32768);
  EXPECT_EQ(c->sliding_window, 4096);
  EXPECT_FALSE(c->attention_bias);
  EXPECT_EQ(c->bos_token_id, 1);
  EXPECT_EQ(c->eos_token_ids, std::vector<int64_t>{2});
  ExpectRoundTrips(*c);
}

TEST(ParseModelConfigTest, HuggingFaceDefaults) {
  absl::StatusOr<ModelConfig> llama =
      ParseModelConfig(R"({"architectures": ["LlamaForCausalLM"]})");
  ASSERT_TRUE(llama.ok()) << llama.status();
  EXPECT_EQ(llama->vocab_size, 32000);
  EXPECT_EQ(llama->hidden_size, 4096);
  EXPECT_EQ(llama->intermediate_size, 11008);
  EXPECT_EQ(llama->num_layers, 32);
  EXPECT_EQ(llama->num_heads, 32);
  EXPECT_EQ(llama->num_kv_heads, 32);
  EXPECT_EQ(llama->head_dim, 128);
  EXPECT_EQ(llama->max_position_embeddings, 2048);
  EXPECT_EQ(llama->rms_norm_eps, 1e-6);
  EXPECT_EQ(llama->rope_theta, 10000.0);
  EXPECT_EQ(llama->bos_token_id, 1);
  EXPECT_EQ(llama->eos_token_ids, std::vector<int64_t>{2});

  absl::StatusOr<ModelConfig> mistral = ParseModelConfig(R"({"model_type": "mistral"})");
  ASSERT_TRUE(mistral.ok()) << mistral.status();
  EXPECT_EQ(mistral->architecture, "MistralForCausalLM");
  EXPECT_EQ(mistral->num_kv_heads, 8);
  EXPECT_EQ(mistral->intermediate_size, 14336);
  EXPECT_EQ(mistral->max_position_embeddings, 131072);
  EXPECT_EQ(mistral->sliding_window, 4096);

  absl::StatusOr<ModelConfig> qwen = ParseModelConfig(R"({"model_type": "qwen2"})");
  ASSERT_TRUE(qwen.ok()) << qwen.status();
  EXPECT_EQ(qwen->vocab_size, 151936);
  EXPECT_EQ(qwen->bos_token_id, -1);
  EXPECT_TRUE(qwen->eos_token_ids.empty());
  EXPECT_TRUE(qwen->attention_bias);

  // null num_key_value_heads means one per attention head; null ids mean none.
  absl::StatusOr<ModelConfig> nulls = ParseModelConfig(
      R"({"model_type": "mistral", "num_key_value_heads": null, "bos_token_id": null,
          "eos_token_id": null, "sliding_window": null, "head_dim": null})");
  ASSERT_TRUE(nulls.ok()) << nulls.status();
  EXPECT_EQ(nulls->num_kv_heads, 32);
  EXPECT_EQ(nulls->bos_token_id, -1);
  EXPECT_TRUE(nulls->eos_token_ids.empty());
  EXPECT_EQ(nulls->sliding_window, 0);
  ExpectRoundTrips(*nulls);
}

TEST(ParseModelConfigTest, AttentionBiasFollowsTheArchitecture) {
  auto parse = [](const std::string& arch, bool bias) {
    return ParseModelConfig(absl::StrCat(R"({"architectures": [")", arch,
                                         R"("], "attention_bias": )", bias ? "true" : "false",
                                         "}"));
  };
  EXPECT_TRUE(parse("LlamaForCausalLM", true)->attention_bias);
  EXPECT_FALSE(parse("LlamaForCausalLM", false)->attention_bias);
  EXPECT_TRUE(parse("Qwen2ForCausalLM", false)->attention_bias);
  EXPECT_FALSE(parse("MistralForCausalLM", true)->attention_bias);
}

TEST(ParseModelConfigTest, ExplicitHeadDim) {
  // Some models have heads * head_dim != hidden_size.
  absl::StatusOr<ModelConfig> c = ParseModelConfig(
      R"({"architectures": ["LlamaForCausalLM"], "hidden_size": 100, "num_attention_heads": 12,
          "num_key_value_heads": 4, "head_dim": 8})");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->head_dim, 8);
  ExpectRoundTrips(*c);
}

TEST(ParseModelConfigTest, IntegralFloatsAreIntegers) {
  absl::StatusOr<ModelConfig> c = ParseModelConfig(
      R"({"architectures": ["LlamaForCausalLM"], "hidden_size": 512.0, "rope_theta": 500000})");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->hidden_size, 512);
  EXPECT_EQ(c->rope_theta, 500000.0);
}

struct BadConfig {
  const char* json;
  const char* message;  // a substring of the error
};

TEST(ParseModelConfigTest, BadConfigsNameTheFieldAndValue) {
  const BadConfig cases[] = {
      {"", "not valid JSON"},
      {"{\"architectures\": [\"LlamaForCausalLM\"]", "not valid JSON"},
      {"[1, 2]", "config is [1,2]; expected an object"},
      {"{}", "neither \"architectures\" nor \"model_type\""},
      {R"({"architectures": ["GPT2LMHeadModel"]})",
       "architecture \"GPT2LMHeadModel\" is not supported"},
      {R"({"architectures": "LlamaForCausalLM"})",
       "architectures is \"LlamaForCausalLM\"; expected a list"},
      {R"({"model_type": "gemma"})", "model_type \"gemma\" is not supported"},
      {R"({"model_type": "llama", "hidden_size": 100, "num_attention_heads": 12})",
       "num_attention_heads is 12 but hidden_size 100 is not a multiple of it"},
      {R"({"model_type": "llama", "num_key_value_heads": 5})",
       "num_key_value_heads is 5 but num_attention_heads 32 is not a multiple of it"},
      {R"({"model_type": "llama", "hidden_size": "4096"})",
       "hidden_size is \"4096\"; expected an integer"},
      {R"({"model_type": "llama", "num_hidden_layers": 2.5})",
       "num_hidden_layers is 2.5; expected an integer"},
      {R"({"model_type": "llama", "vocab_size": 18446744073709551615})",
       "vocab_size is 18446744073709551615; expected an integer"},
      {R"({"model_type": "llama", "vocab_size": 0})", "vocab_size is 0; must be positive"},
      {R"({"model_type": "llama", "intermediate_size": -4})",
       "intermediate_size is -4; must be positive"},
      {R"({"model_type": "llama", "num_hidden_layers": 0})",
       "num_hidden_layers is 0; must be positive"},
      {R"({"model_type": "llama", "num_attention_heads": 0})",
       "num_attention_heads is 0; must be positive"},
      {R"({"model_type": "llama", "hidden_size": 1e30})",
       "hidden_size is 1e+30; expected an integer"},
      {R"({"model_type": "llama", "hidden_size": 8388608, "num_attention_heads": 1})",
       "hidden_size is 8388608; the limit is"},
      {R"({"model_type": "llama", "head_dim": 15, "hidden_size": 60, "num_attention_heads": 4,
           "num_key_value_heads": 4})",
       "head_dim is 15; rotary embeddings need an even head_dim"},
      {R"({"model_type": "llama", "rms_norm_eps": -1})", "rms_norm_eps is -1; must be positive"},
      {R"({"model_type": "llama", "rms_norm_eps": "small"})",
       "rms_norm_eps is \"small\"; expected a number"},
      {R"({"model_type": "llama", "rope_theta": 0})", "rope_theta is 0; must be above 1"},
      {R"({"model_type": "llama", "tie_word_embeddings": "yes"})",
       "tie_word_embeddings is \"yes\"; expected true or false"},
      {R"({"model_type": "llama", "rope_scaling": {"rope_type": "yarn", "factor": 4}})",
       "rope_scaling type \"yarn\" is not supported"},
      {R"({"model_type": "llama", "rope_scaling": {"type": "dynamic", "factor": 2}})",
       "rope_scaling type \"dynamic\" is not supported"},
      {R"({"model_type": "llama", "rope_scaling": {"rope_type": "linear"}})",
       "rope_scaling of type linear lacks \"factor\""},
      {R"({"model_type": "llama", "rope_scaling": {"rope_type": "linear", "factor": -2}})",
       "rope_scaling factor is -2; must be positive"},
      {R"({"model_type": "llama", "rope_scaling": {"rope_type": "llama3", "factor": 8, "high_freq_factor": 4,
           "original_max_position_embeddings": 8192}})",
       "rope_scaling of type llama3 lacks \"low_freq_factor\""},
      {R"({"model_type": "llama", "rope_scaling": {"rope_type": "llama3", "factor": 8, "low_freq_factor": 4,
           "high_freq_factor": 1, "original_max_position_embeddings": 8192}})",
       "low_freq_factor 4 and high_freq_factor 1 must satisfy 0 < low < high"},
      {R"({"model_type": "llama", "rope_scaling": 8})",
       "rope_scaling is 8; expected an object or null"},
      {R"({"model_type": "llama", "hidden_act": "gelu"})", "hidden_act is \"gelu\"; only silu"},
      {R"({"model_type": "llama", "mlp_bias": true})", "mlp_bias is true"},
      {R"({"model_type": "llama", "eos_token_id": 32000})",
       "eos_token_id 32000 is outside the vocabulary [0, 32000)"},
      {R"({"model_type": "llama", "eos_token_id": [2, "x"]})",
       "eos_token_id is [2,\"x\"]; expected an integer"},
      {R"({"model_type": "llama", "bos_token_id": -5})",
       "bos_token_id -5 is outside the vocabulary"},
      {R"({"model_type": "mistral", "sliding_window": -1})", "sliding_window is -1; must be >= 0"},
  };
  for (const BadConfig& bad : cases) {
    absl::StatusOr<ModelConfig> c = ParseModelConfig(bad.json);
    ASSERT_FALSE(c.ok()) << bad.json;
    EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument) << bad.json;
    EXPECT_NE(c.status().message().find(bad.message), absl::string_view::npos)
        << bad.json << "\n  got: " << c.status().message() << "\n  want: " << bad.message;
  }
}

TEST(LoadModelConfigTest, ReadsTheDirectoryAndNamesThePath) {
  internal::TempDir tmp;
  const std::string dir = tmp.path();
  absl::StatusOr<ModelConfig> c = LoadModelConfig(dir);
  EXPECT_EQ(c.status().code(), absl::StatusCode::kNotFound);
  std::ofstream(dir + "/config.json") << kMistral7B;
  c = LoadModelConfig(dir);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->sliding_window, 4096);
  std::ofstream(dir + "/config.json") << R"({"model_type": "llama", "vocab_size": -1})";
  c = LoadModelConfig(dir);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find(dir + "/config.json: vocab_size is -1"),
            absl::string_view::npos)
      << c.status();
}

TEST(ModelConfigToJsonTest, FixturesRoundTrip) {
  ExpectRoundTrips(TinyConfig());
  ExpectRoundTrips(Config100M());
  ModelConfig c = TinyConfig();
  c.architecture = "Qwen2ForCausalLM";
  c.attention_bias = true;
  c.sliding_window = 128;
  c.rope_scaling.type = RopeScaling::Type::kLinear;
  c.rope_scaling.factor = 2.5;
  c.rms_norm_eps = 1.0 / 3.0;  // needs all 17 digits
  c.eos_token_ids = {1, 2, 3};
  ExpectRoundTrips(c);
  c.architecture = "";  // treated as Llama
  c.attention_bias = false;
  c.sliding_window = 0;
  absl::StatusOr<ModelConfig> back = ParseModelConfig(ModelConfigToJson(c));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->architecture, "LlamaForCausalLM");
}

TEST(RopeInverseFrequenciesTest, Default) {
  ModelConfig c = TinyConfig();
  c.head_dim = 4;
  c.rope_theta = 10000;
  EXPECT_EQ(RopeInverseFrequencies(c), (std::vector<float>{1.0f, 0.01f}));

  absl::StatusOr<ModelConfig> llama = ParseModelConfig(kLlama3_8B);
  ASSERT_TRUE(llama.ok());
  const std::vector<float> f = RopeInverseFrequencies(*llama);
  ASSERT_EQ(f.size(), 64u);
  for (int i = 0; i < 64; ++i) {
    // theta^(-2i/d) = exp(-(2i/d) ln theta)
    const double want = std::exp(-(2.0 * i / 128) * std::log(500000.0));
    EXPECT_NEAR(f[i], want, want * 1e-6) << i;
  }
}

TEST(RopeInverseFrequenciesTest, LinearDividesByTheFactor) {
  ModelConfig c = TinyConfig();
  const std::vector<float> plain = RopeInverseFrequencies(c);
  c.rope_scaling.type = RopeScaling::Type::kLinear;
  c.rope_scaling.factor = 4;
  const std::vector<float> scaled = RopeInverseFrequencies(c);
  ASSERT_EQ(scaled.size(), 8u);
  for (size_t i = 0; i < plain.size(); ++i) EXPECT_FLOAT_EQ(scaled[i], plain[i] / 4) << i;
}

TEST(RopeInverseFrequenciesTest, Llama3) {
  absl::StatusOr<ModelConfig> c = ParseModelConfig(kLlama31_8BInstruct);
  ASSERT_TRUE(c.ok());
  ModelConfig plain_config = *c;
  plain_config.rope_scaling = RopeScaling();
  const std::vector<float> plain = RopeInverseFrequencies(plain_config);
  const std::vector<float> scaled = RopeInverseFrequencies(*c);
  ASSERT_EQ(scaled.size(), 64u);
  // Wavelengths below 8192/4 = 2048 positions are kept, above 8192/1 divided by 8, between
  // interpolated: wavelength 2*pi*500000^(i/64) crosses 2048 between i = 28 and 29 and 8192
  // between i = 34 and 35.
  for (int i = 0; i <= 28; ++i) EXPECT_EQ(scaled[i], plain[i]) << i;
  for (int i = 35; i < 64; ++i) EXPECT_FLOAT_EQ(scaled[i], plain[i] / 8) << i;
  for (int i = 29; i <= 34; ++i) {
    EXPECT_LT(scaled[i], plain[i]) << i;
    EXPECT_GT(scaled[i], plain[i] / 8) << i;
  }
  EXPECT_EQ(scaled[0], 1.0f);
  // By hand for i = 30: f = 500000^(-60/128) = 0.0021311, wavelength 2*pi/f = 2948.3,
  // smooth = (8192/2948.3 - 1) / 3 = 0.59285, scaled = f * ((1 - smooth)/8 + smooth) = f * 0.64374.
  EXPECT_NEAR(scaled[30] / plain[30], 0.64374, 1e-4);
  for (int i = 1; i < 64; ++i) EXPECT_LT(scaled[i], scaled[i - 1]) << i;  // still decreasing
}

}  // namespace
}  // namespace rlvr::model
