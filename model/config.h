// ModelConfig: the Llama-family hyperparameters, read from a Hugging Face `config.json`
// (LlamaForCausalLM, Qwen2ForCausalLM, MistralForCausalLM).
#ifndef RLVR_MODEL_CONFIG_H_
#define RLVR_MODEL_CONFIG_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace rlvr::model {

// RoPE frequency scaling ("rope_scaling" in config.json).
struct RopeScaling {
  enum class Type { kNone, kLinear, kLlama3 };
  Type type = Type::kNone;
  double factor = 1.0;                   // linear and llama3
  double low_freq_factor = 1.0;          // llama3
  double high_freq_factor = 4.0;         // llama3
  int64_t original_max_position = 8192;  // llama3: original_max_position_embeddings
};

struct ModelConfig {
  // "LlamaForCausalLM", "Qwen2ForCausalLM" or "MistralForCausalLM" (first of "architectures",
  // else from "model_type"); empty is treated as LlamaForCausalLM.
  std::string architecture;
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;
  int64_t num_layers = 0;    // num_hidden_layers
  int64_t num_heads = 0;     // num_attention_heads
  int64_t num_kv_heads = 0;  // num_key_value_heads (defaults to num_heads)
  int64_t head_dim = 0;      // head_dim (defaults to hidden_size / num_heads)
  int64_t max_position_embeddings = 0;
  double rms_norm_eps = 1e-6;
  double rope_theta = 10000.0;
  RopeScaling rope_scaling;
  bool tie_word_embeddings = false;
  bool attention_bias = false;         // q/k/v projections carry a bias (Qwen2: always true)
  int64_t bos_token_id = -1;           // -1: none
  std::vector<int64_t> eos_token_ids;  // "eos_token_id" (an int or a list)
  std::string torch_dtype;             // informational ("bfloat16", "float32", ...)
  // Sliding-window attention span (Mistral "sliding_window"; Qwen2 only when
  // "use_sliding_window"); 0: none. Not implemented by the forward passes, which attend to the
  // whole causal context: they match Hugging Face only for contexts of at most this many tokens,
  // so a backend must cap its context here.
  int64_t sliding_window = 0;
};

// Parses config.json text. INVALID_ARGUMENT names the missing or bad field and its value
// (e.g. "num_attention_heads is 12 but hidden_size 100 is not a multiple of it"). Fields that are
// absent take Hugging Face's defaults for the architecture. Unsupported features are rejected
// rather than ignored: other architectures, hidden_act other than silu, mlp_bias, rope_scaling
// types other than default, linear and llama3.
absl::StatusOr<ModelConfig> ParseModelConfig(std::string_view json);
// The checks ParseModelConfig applies, for configs built in code: positive sizes,
// num_attention_heads divides hidden_size (when head_dim is not set), num_key_value_heads divides
// num_attention_heads, an even head_dim, token ids inside the vocabulary, supported architecture
// and scaling. INVALID_ARGUMENT names the field and value.
absl::Status ValidateModelConfig(const ModelConfig& config);
// Reads `dir`/config.json.
absl::StatusOr<ModelConfig> LoadModelConfig(const std::string& dir);
// config.json text for `config` (round-trips through ParseModelConfig).
std::string ModelConfigToJson(const ModelConfig& config);

// RoPE inverse frequencies, head_dim / 2 of them, with the config's theta and scaling applied.
std::vector<float> RopeInverseFrequencies(const ModelConfig& config);

}  // namespace rlvr::model

#endif  // RLVR_MODEL_CONFIG_H_
