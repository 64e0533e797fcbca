#include "model/config.h"

#include <cmath>
#include <fstream>
#include <numbers>
#include <optional>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"

namespace rlvr::model {
namespace {

using Json = nlohmann::json;

constexpr char kLlama[] = "LlamaForCausalLM";
constexpr char kQwen2[] = "Qwen2ForCausalLM";
constexpr char kMistral[] = "MistralForCausalLM";

// Upper bounds that keep every size product far from int64 overflow; real models are well inside.
constexpr int64_t kMaxVocab = int64_t{1} << 22;
constexpr int64_t kMaxWidth = int64_t{1} << 20;  // hidden, intermediate, heads * head_dim
constexpr int64_t kMaxLayers = 4096;
constexpr int64_t kMaxPositions = int64_t{1} << 30;

// Hugging Face's constructor defaults for the fields config.json may leave out.
struct ArchDefaults {
  int64_t vocab_size, hidden_size, intermediate_size, num_layers, num_heads;
  int64_t num_kv_heads;  // 0: num_heads
  int64_t max_position_embeddings;
  int64_t bos, eos;  // -1: none
  int64_t sliding_window;
};

ArchDefaults DefaultsFor(const std::string& arch) {
  if (arch == kQwen2) return {151936, 4096, 22016, 32, 32, 32, 32768, -1, -1, 4096};
  if (arch == kMistral) return {32000, 4096, 14336, 32, 32, 8, 4096 * 32, 1, 2, 4096};
  return {32000, 4096, 11008, 32, 32, 0, 2048, 1, 2, 0};
}

std::string Show(const Json& value) {
  std::string s = value.dump();
  if (s.size() > 60) s = s.substr(0, 57) + "...";
  return s;
}

bool Present(const Json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && !it->is_null();
}

// The integer at `key`; nullopt when absent or null. Integral floats (12.0) are accepted.
absl::StatusOr<std::optional<int64_t>> OptInt(const Json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::optional<int64_t>();
  if (it->is_number_integer() && !it->is_number_unsigned()) {
    return std::optional<int64_t>(it->get<int64_t>());
  }
  if (it->is_number_unsigned() && it->get<uint64_t>() <= uint64_t{INT64_MAX}) {
    return std::optional<int64_t>(static_cast<int64_t>(it->get<uint64_t>()));
  }
  if (it->is_number_float()) {
    const double d = it->get<double>();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9e15) {
      return std::optional<int64_t>(static_cast<int64_t>(d));
    }
  }
  return absl::InvalidArgumentError(absl::StrCat(key, " is ", Show(*it), "; expected an integer"));
}

absl::StatusOr<int64_t> IntOr(const Json& obj, const char* key, int64_t fallback) {
  ASSIGN_OR_RETURN(std::optional<int64_t> v, OptInt(obj, key));
  return v.value_or(fallback);
}

absl::StatusOr<double> DoubleOr(const Json& obj, const char* key, double fallback) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return fallback;
  if (!it->is_number()) {
    return absl::InvalidArgumentError(absl::StrCat(key, " is ", Show(*it), "; expected a number"));
  }
  return it->get<double>();
}

absl::StatusOr<bool> BoolOr(const Json& obj, const char* key, bool fallback) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return fallback;
  if (!it->is_boolean()) {
    return absl::InvalidArgumentError(
        absl::StrCat(key, " is ", Show(*it), "; expected true or false"));
  }
  return it->get<bool>();
}

absl::StatusOr<std::string> StringOr(const Json& obj, const char* key, std::string fallback) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return fallback;
  if (!it->is_string()) {
    return absl::InvalidArgumentError(absl::StrCat(key, " is ", Show(*it), "; expected a string"));
  }
  return it->get<std::string>();
}

absl::StatusOr<std::string> ParseArchitecture(const Json& root) {
  auto it = root.find("architectures");
  if (it != root.end() && !it->is_null()) {
    if (!it->is_array() || it->empty() || !(*it)[0].is_string()) {
      return absl::InvalidArgumentError(
          absl::StrCat("architectures is ", Show(*it), "; expected a list of class names"));
    }
    return (*it)[0].get<std::string>();
  }
  ASSIGN_OR_RETURN(std::string model_type, StringOr(root, "model_type", ""));
  if (model_type == "llama") return std::string(kLlama);
  if (model_type == "qwen2") return std::string(kQwen2);
  if (model_type == "mistral") return std::string(kMistral);
  if (model_type.empty()) {
    return absl::InvalidArgumentError("config has neither \"architectures\" nor \"model_type\"");
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "model_type \"", model_type, "\" is not supported; expected llama, qwen2 or mistral"));
}

// rope_scaling (or transformers 5's rope_parameters, which also carries rope_theta).
absl::Status ParseRopeScaling(const Json& scaling, RopeScaling* out) {
  if (!scaling.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat("rope_scaling is ", Show(scaling), "; expected an object or null"));
  }
  std::string type;
  for (const char* key : {"rope_type", "type"}) {
    if (Present(scaling, key)) {
      ASSIGN_OR_RETURN(type, StringOr(scaling, key, ""));
      break;
    }
  }
  *out = RopeScaling();
  if (type.empty() || type == "default") return absl::OkStatus();
  auto require = [&](const char* key) -> absl::StatusOr<double> {
    if (!Present(scaling, key)) {
      return absl::InvalidArgumentError(
          absl::StrCat("rope_scaling of type ", type, " lacks \"", key, "\""));
    }
    return DoubleOr(scaling, key, 0);
  };
  if (type == "linear") {
    out->type = RopeScaling::Type::kLinear;
    ASSIGN_OR_RETURN(out->factor, require("factor"));
    return absl::OkStatus();
  }
  if (type == "llama3") {
    out->type = RopeScaling::Type::kLlama3;
    ASSIGN_OR_RETURN(out->factor, require("factor"));
    ASSIGN_OR_RETURN(out->low_freq_factor, require("low_freq_factor"));
    ASSIGN_OR_RETURN(out->high_freq_factor, require("high_freq_factor"));
    if (!Present(scaling, "original_max_position_embeddings")) {
      return absl::InvalidArgumentError(
          "rope_scaling of type llama3 lacks \"original_max_position_embeddings\"");
    }
    ASSIGN_OR_RETURN(out->original_max_position,
                     IntOr(scaling, "original_max_position_embeddings", 0));
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "rope_scaling type \"", type, "\" is not supported; expected default, linear or llama3"));
}

absl::StatusOr<std::vector<int64_t>> ParseEos(const Json& root, int64_t fallback) {
  auto it = root.find("eos_token_id");
  if (it == root.end()) {
    if (fallback < 0) return std::vector<int64_t>();
    return std::vector<int64_t>{fallback};
  }
  if (it->is_null()) return std::vector<int64_t>();
  if (it->is_array()) {
    std::vector<int64_t> ids;
    for (const Json& e : *it) {
      if (!e.is_number_integer()) {
        return absl::InvalidArgumentError(
            absl::StrCat("eos_token_id is ", Show(*it), "; expected an integer or a list of them"));
      }
      ids.push_back(e.get<int64_t>());
    }
    return ids;
  }
  ASSIGN_OR_RETURN(std::optional<int64_t> id, OptInt(root, "eos_token_id"));
  return std::vector<int64_t>{*id};
}

absl::StatusOr<ModelConfig> ParseObject(const Json& root) {
  if (!root.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat("config is ", Show(root), "; expected an object"));
  }
  ModelConfig c;
  ASSIGN_OR_RETURN(c.architecture, ParseArchitecture(root));
  if (c.architecture != kLlama && c.architecture != kQwen2 && c.architecture != kMistral) {
    return absl::InvalidArgumentError(absl::StrCat("architecture \"", c.architecture,
                                                   "\" is not supported; expected ", kLlama, ", ",
                                                   kQwen2, " or ", kMistral));
  }
  const ArchDefaults d = DefaultsFor(c.architecture);
  ASSIGN_OR_RETURN(c.vocab_size, IntOr(root, "vocab_size", d.vocab_size));
  ASSIGN_OR_RETURN(c.hidden_size, IntOr(root, "hidden_size", d.hidden_size));
  ASSIGN_OR_RETURN(c.intermediate_size, IntOr(root, "intermediate_size", d.intermediate_size));
  ASSIGN_OR_RETURN(c.num_layers, IntOr(root, "num_hidden_layers", d.num_layers));
  ASSIGN_OR_RETURN(c.num_heads, IntOr(root, "num_attention_heads", d.num_heads));
  // A null num_key_value_heads means "as many as attention heads" in every one of these classes.
  int64_t kv_default = d.num_kv_heads == 0 ? c.num_heads : d.num_kv_heads;
  if (root.contains("num_key_value_heads")) kv_default = c.num_heads;
  ASSIGN_OR_RETURN(c.num_kv_heads, IntOr(root, "num_key_value_heads", kv_default));
  ASSIGN_OR_RETURN(std::optional<int64_t> head_dim, OptInt(root, "head_dim"));
  if (head_dim.has_value()) {
    c.head_dim = *head_dim;
  } else {
    if (c.num_heads > 0 && c.hidden_size % c.num_heads != 0) {
      return absl::InvalidArgumentError(absl::StrCat("num_attention_heads is ", c.num_heads,
                                                     " but hidden_size ", c.hidden_size,
                                                     " is not a multiple of it"));
    }
    c.head_dim = c.num_heads > 0 ? c.hidden_size / c.num_heads : 0;
  }
  ASSIGN_OR_RETURN(c.max_position_embeddings,
                   IntOr(root, "max_position_embeddings", d.max_position_embeddings));
  ASSIGN_OR_RETURN(c.rms_norm_eps, DoubleOr(root, "rms_norm_eps", 1e-6));
  ASSIGN_OR_RETURN(c.rope_theta, DoubleOr(root, "rope_theta", 10000.0));
  if (Present(root, "rope_scaling")) {
    RETURN_IF_ERROR(ParseRopeScaling(root["rope_scaling"], &c.rope_scaling));
  } else if (Present(root, "rope_parameters")) {
    const Json& params = root["rope_parameters"];
    RETURN_IF_ERROR(ParseRopeScaling(params, &c.rope_scaling));
    ASSIGN_OR_RETURN(c.rope_theta, DoubleOr(params, "rope_theta", c.rope_theta));
  }
  ASSIGN_OR_RETURN(c.tie_word_embeddings, BoolOr(root, "tie_word_embeddings", false));
  if (c.architecture == kQwen2) {
    c.attention_bias = true;  // Qwen2Attention always has q/k/v biases
  } else if (c.architecture == kLlama) {
    ASSIGN_OR_RETURN(c.attention_bias, BoolOr(root, "attention_bias", false));
  }  // MistralAttention never has biases, whatever the file says.
  ASSIGN_OR_RETURN(c.bos_token_id,
                   IntOr(root, "bos_token_id", root.contains("bos_token_id") ? -1 : d.bos));
  ASSIGN_OR_RETURN(c.eos_token_ids, ParseEos(root, d.eos));
  ASSIGN_OR_RETURN(c.torch_dtype, StringOr(root, "torch_dtype", ""));
  if (c.torch_dtype.empty()) {
    ASSIGN_OR_RETURN(c.torch_dtype, StringOr(root, "dtype", ""));
  }

  if (c.architecture == kMistral) {
    ASSIGN_OR_RETURN(
        c.sliding_window,
        IntOr(root, "sliding_window", root.contains("sliding_window") ? 0 : d.sliding_window));
  } else if (c.architecture == kQwen2) {
    ASSIGN_OR_RETURN(bool use, BoolOr(root, "use_sliding_window", false));
    if (use) {
      ASSIGN_OR_RETURN(c.sliding_window, IntOr(root, "sliding_window", d.sliding_window));
    }
  }

  // Features these classes do not have (or we do not implement) are errors, not silent changes.
  ASSIGN_OR_RETURN(std::string act, StringOr(root, "hidden_act", "silu"));
  if (act != "silu") {
    return absl::InvalidArgumentError(
        absl::StrCat("hidden_act is \"", act, "\"; only silu (SwiGLU) is supported"));
  }
  ASSIGN_OR_RETURN(bool mlp_bias, BoolOr(root, "mlp_bias", false));
  if (mlp_bias) return absl::InvalidArgumentError("mlp_bias is true; MLP biases are not supported");

  RETURN_IF_ERROR(ValidateModelConfig(c));
  return c;
}

absl::Status Positive(const char* name, int64_t value, int64_t limit) {
  if (value <= 0)
    return absl::InvalidArgumentError(absl::StrCat(name, " is ", value, "; must be positive"));
  if (value > limit) {
    return absl::InvalidArgumentError(absl::StrCat(name, " is ", value, "; the limit is ", limit));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateModelConfig(const ModelConfig& c) {
  if (!c.architecture.empty() && c.architecture != kLlama && c.architecture != kQwen2 &&
      c.architecture != kMistral) {
    return absl::InvalidArgumentError(
        absl::StrCat("architecture \"", c.architecture, "\" is not supported"));
  }
  RETURN_IF_ERROR(Positive("vocab_size", c.vocab_size, kMaxVocab));
  RETURN_IF_ERROR(Positive("hidden_size", c.hidden_size, kMaxWidth));
  RETURN_IF_ERROR(Positive("intermediate_size", c.intermediate_size, kMaxWidth));
  RETURN_IF_ERROR(Positive("num_hidden_layers", c.num_layers, kMaxLayers));
  RETURN_IF_ERROR(Positive("num_attention_heads", c.num_heads, kMaxWidth));
  RETURN_IF_ERROR(Positive("num_key_value_heads", c.num_kv_heads, kMaxWidth));
  RETURN_IF_ERROR(Positive("head_dim", c.head_dim, kMaxWidth));
  RETURN_IF_ERROR(Positive("max_position_embeddings", c.max_position_embeddings, kMaxPositions));
  if (c.num_heads * c.head_dim > kMaxWidth) {
    return absl::InvalidArgumentError(absl::StrCat("num_attention_heads ", c.num_heads,
                                                   " x head_dim ", c.head_dim,
                                                   " exceeds the limit ", kMaxWidth));
  }
  if (c.num_heads % c.num_kv_heads != 0) {
    return absl::InvalidArgumentError(absl::StrCat("num_key_value_heads is ", c.num_kv_heads,
                                                   " but num_attention_heads ", c.num_heads,
                                                   " is not a multiple of it"));
  }
  if (c.head_dim % 2 != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("head_dim is ", c.head_dim, "; rotary embeddings need an even head_dim"));
  }
  if (!(c.rms_norm_eps > 0) || !std::isfinite(c.rms_norm_eps)) {
    return absl::InvalidArgumentError(
        absl::StrCat("rms_norm_eps is ", c.rms_norm_eps, "; must be positive"));
  }
  if (!(c.rope_theta > 1) || !std::isfinite(c.rope_theta)) {
    return absl::InvalidArgumentError(
        absl::StrCat("rope_theta is ", c.rope_theta, "; must be above 1"));
  }
  const RopeScaling& s = c.rope_scaling;
  if (s.type != RopeScaling::Type::kNone && (!(s.factor > 0) || !std::isfinite(s.factor))) {
    return absl::InvalidArgumentError(
        absl::StrCat("rope_scaling factor is ", s.factor, "; must be positive"));
  }
  if (s.type == RopeScaling::Type::kLlama3) {
    if (!(s.low_freq_factor > 0) || !(s.high_freq_factor > s.low_freq_factor) ||
        !std::isfinite(s.high_freq_factor)) {
      return absl::InvalidArgumentError(
          absl::StrCat("rope_scaling low_freq_factor ", s.low_freq_factor, " and high_freq_factor ",
                       s.high_freq_factor, " must satisfy 0 < low < high"));
    }
    RETURN_IF_ERROR(Positive("rope_scaling original_max_position_embeddings",
                             s.original_max_position, kMaxPositions));
  }
  if (c.bos_token_id < -1 || c.bos_token_id >= c.vocab_size) {
    return absl::InvalidArgumentError(absl::StrCat(
        "bos_token_id ", c.bos_token_id, " is outside the vocabulary [0, ", c.vocab_size, ")"));
  }
  for (int64_t id : c.eos_token_ids) {
    if (id < 0 || id >= c.vocab_size) {
      return absl::InvalidArgumentError(
          absl::StrCat("eos_token_id ", id, " is outside the vocabulary [0, ", c.vocab_size, ")"));
    }
  }
  if (c.sliding_window < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("sliding_window is ", c.sliding_window, "; must be >= 0"));
  }
  return absl::OkStatus();
}

absl::StatusOr<ModelConfig> ParseModelConfig(std::string_view json) {
  Json root;
  try {
    root = Json::parse(json.begin(), json.end());
  } catch (const Json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("config is not valid JSON: ", e.what()));
  }
  try {
    return ParseObject(root);
  } catch (const Json::exception& e) {  // not expected: every access above checks its type
    return absl::InvalidArgumentError(absl::StrCat("config: ", e.what()));
  }
}

absl::StatusOr<ModelConfig> LoadModelConfig(const std::string& dir) {
  const std::string path = dir + "/config.json";
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return absl::DataLossError(absl::StrCat("cannot read ", path));
  absl::StatusOr<ModelConfig> config = ParseModelConfig(buffer.str());
  if (!config.ok()) {
    return absl::Status(config.status().code(),
                        absl::StrCat(path, ": ", std::string(config.status().message())));
  }
  return config;
}

std::string ModelConfigToJson(const ModelConfig& c) {
  nlohmann::ordered_json j;
  const std::string arch = c.architecture.empty() ? std::string(kLlama) : c.architecture;
  j["architectures"] = {arch};
  j["model_type"] = arch == kQwen2 ? "qwen2" : arch == kMistral ? "mistral" : "llama";
  j["vocab_size"] = c.vocab_size;
  j["hidden_size"] = c.hidden_size;
  j["intermediate_size"] = c.intermediate_size;
  j["num_hidden_layers"] = c.num_layers;
  j["num_attention_heads"] = c.num_heads;
  j["num_key_value_heads"] = c.num_kv_heads;
  j["head_dim"] = c.head_dim;
  j["max_position_embeddings"] = c.max_position_embeddings;
  j["rms_norm_eps"] = c.rms_norm_eps;
  j["rope_theta"] = c.rope_theta;
  switch (c.rope_scaling.type) {
    case RopeScaling::Type::kNone:
      j["rope_scaling"] = nullptr;
      break;
    case RopeScaling::Type::kLinear:
      j["rope_scaling"] = {{"rope_type", "linear"}, {"factor", c.rope_scaling.factor}};
      break;
    case RopeScaling::Type::kLlama3:
      j["rope_scaling"] = {
          {"rope_type", "llama3"},
          {"factor", c.rope_scaling.factor},
          {"low_freq_factor", c.rope_scaling.low_freq_factor},
          {"high_freq_factor", c.rope_scaling.high_freq_factor},
          {"original_max_position_embeddings", c.rope_scaling.original_max_position}};
      break;
  }
  j["tie_word_embeddings"] = c.tie_word_embeddings;
  j["attention_bias"] = c.attention_bias;
  j["hidden_act"] = "silu";
  if (c.bos_token_id >= 0) {
    j["bos_token_id"] = c.bos_token_id;
  } else {
    j["bos_token_id"] = nullptr;
  }
  if (c.eos_token_ids.empty()) {
    j["eos_token_id"] = nullptr;
  } else if (c.eos_token_ids.size() == 1) {
    j["eos_token_id"] = c.eos_token_ids[0];
  } else {
    j["eos_token_id"] = c.eos_token_ids;
  }
  if (arch == kMistral) {
    j["sliding_window"] = c.sliding_window > 0 ? Json(c.sliding_window) : Json(nullptr);
  } else if (arch == kQwen2) {
    j["use_sliding_window"] = c.sliding_window > 0;
    if (c.sliding_window > 0) j["sliding_window"] = c.sliding_window;
  }
  if (!c.torch_dtype.empty()) j["torch_dtype"] = c.torch_dtype;
  return j.dump(2) + "\n";
}

std::vector<float> RopeInverseFrequencies(const ModelConfig& config) {
  // Computed in double and rounded once; Hugging Face computes the same formulas in f32, so its
  // values may differ from these in the last bit.
  const int64_t half = config.head_dim / 2;
  std::vector<float> inv_freq(half > 0 ? half : 0);
  const RopeScaling& s = config.rope_scaling;
  for (int64_t i = 0; i < half; ++i) {
    double f = 1.0 / std::pow(config.rope_theta, static_cast<double>(2 * i) / config.head_dim);
    if (s.type == RopeScaling::Type::kLinear) {
      f /= s.factor;
    } else if (s.type == RopeScaling::Type::kLlama3) {
      // Long wavelengths are slowed by `factor`, short ones kept, the band between interpolated.
      const double old_context = static_cast<double>(s.original_max_position);
      const double low_freq_wavelen = old_context / s.low_freq_factor;
      const double high_freq_wavelen = old_context / s.high_freq_factor;
      const double wavelen = 2 * std::numbers::pi / f;
      if (wavelen > low_freq_wavelen) {
        f /= s.factor;
      } else if (wavelen >= high_freq_wavelen) {
        const double smooth =
            (old_context / wavelen - s.low_freq_factor) / (s.high_freq_factor - s.low_freq_factor);
        f = (1 - smooth) * f / s.factor + smooth * f;
      }
    }
    inv_freq[i] = static_cast<float>(f);
  }
  return inv_freq;
}

}  // namespace rlvr::model
