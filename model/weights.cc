#include "model/weights.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "model/safetensors.h"

namespace rlvr::model {
namespace {

constexpr char kEmbed[] = "model.embed_tokens.weight";
constexpr char kFinalNorm[] = "model.norm.weight";
constexpr char kLmHead[] = "lm_head.weight";

std::string LayerPrefix(int64_t i) { return absl::StrCat("model.layers.", i, "."); }

std::string ShapeString(const std::vector<int64_t>& shape) {
  Tensor t;
  t.shape = shape;
  return t.ShapeString();
}

// Pointers to every tensor slot of `w` (ModelWeights, const or not) by Hugging Face name, in the
// layout the config implies.
template <typename W>
auto Slots(const ModelConfig& c, W* w) {
  std::map<std::string, decltype(&w->embed)> slots;
  slots[kEmbed] = &w->embed;
  slots[kFinalNorm] = &w->final_norm;
  if (!c.tie_word_embeddings) slots[kLmHead] = &w->lm_head;
  for (int64_t i = 0; i < c.num_layers && i < static_cast<int64_t>(w->layers.size()); ++i) {
    auto& l = w->layers[i];
    const std::string p = LayerPrefix(i);
    slots[p + "input_layernorm.weight"] = &l.input_norm;
    slots[p + "self_attn.q_proj.weight"] = &l.q_proj;
    slots[p + "self_attn.k_proj.weight"] = &l.k_proj;
    slots[p + "self_attn.v_proj.weight"] = &l.v_proj;
    if (c.attention_bias) {
      slots[p + "self_attn.q_proj.bias"] = &l.q_bias;
      slots[p + "self_attn.k_proj.bias"] = &l.k_bias;
      slots[p + "self_attn.v_proj.bias"] = &l.v_bias;
    }
    slots[p + "self_attn.o_proj.weight"] = &l.o_proj;
    slots[p + "post_attention_layernorm.weight"] = &l.post_norm;
    slots[p + "mlp.gate_proj.weight"] = &l.gate_proj;
    slots[p + "mlp.up_proj.weight"] = &l.up_proj;
    slots[p + "mlp.down_proj.weight"] = &l.down_proj;
  }
  return slots;
}

// Tensors that checkpoints may carry but the model does not use: old Llama exports saved the RoPE
// buffer, which is recomputed from the config.
bool Ignorable(const std::string& name) {
  return absl::EndsWith(name, ".self_attn.rotary_emb.inv_freq");
}

}  // namespace

std::map<std::string, std::vector<int64_t>> ExpectedTensorShapes(const ModelConfig& c) {
  const int64_t q_out = c.num_heads * c.head_dim;
  const int64_t kv_out = c.num_kv_heads * c.head_dim;
  std::map<std::string, std::vector<int64_t>> shapes;
  shapes[kEmbed] = {c.vocab_size, c.hidden_size};
  shapes[kFinalNorm] = {c.hidden_size};
  if (!c.tie_word_embeddings) shapes[kLmHead] = {c.vocab_size, c.hidden_size};
  for (int64_t i = 0; i < c.num_layers; ++i) {
    const std::string p = LayerPrefix(i);
    shapes[p + "input_layernorm.weight"] = {c.hidden_size};
    shapes[p + "self_attn.q_proj.weight"] = {q_out, c.hidden_size};
    shapes[p + "self_attn.k_proj.weight"] = {kv_out, c.hidden_size};
    shapes[p + "self_attn.v_proj.weight"] = {kv_out, c.hidden_size};
    if (c.attention_bias) {
      shapes[p + "self_attn.q_proj.bias"] = {q_out};
      shapes[p + "self_attn.k_proj.bias"] = {kv_out};
      shapes[p + "self_attn.v_proj.bias"] = {kv_out};
    }
    shapes[p + "self_attn.o_proj.weight"] = {c.hidden_size, q_out};
    shapes[p + "post_attention_layernorm.weight"] = {c.hidden_size};
    shapes[p + "mlp.gate_proj.weight"] = {c.intermediate_size, c.hidden_size};
    shapes[p + "mlp.up_proj.weight"] = {c.intermediate_size, c.hidden_size};
    shapes[p + "mlp.down_proj.weight"] = {c.hidden_size, c.intermediate_size};
  }
  return shapes;
}

absl::StatusOr<ModelWeights> WeightsFromTensors(const ModelConfig& config,
                                                std::map<std::string, Tensor> tensors) {
  RETURN_IF_ERROR(ValidateModelConfig(config));
  const std::map<std::string, std::vector<int64_t>> expected = ExpectedTensorShapes(config);
  // A tied model's lm_head.weight, when a checkpoint saves it anyway, is the embedding by
  // definition (Hugging Face re-ties it after loading): its shape is checked, its values dropped.
  if (config.tie_word_embeddings) {
    auto it = tensors.find(kLmHead);
    if (it != tensors.end()) {
      const std::vector<int64_t> shape = {config.vocab_size, config.hidden_size};
      if (it->second.shape != shape) {
        return absl::InvalidArgumentError(absl::StrCat(kLmHead, " has shape ",
                                                       it->second.ShapeString(),
                                                       "; config implies ", ShapeString(shape)));
      }
      tensors.erase(it);
    }
  }
  std::vector<std::string> unexpected;
  for (const auto& [name, tensor] : tensors) {
    if (!expected.contains(name) && !Ignorable(name)) unexpected.push_back(name);
  }
  if (!unexpected.empty()) {
    std::string list;
    for (size_t i = 0; i < unexpected.size() && i < 5; ++i)
      absl::StrAppend(&list, i ? ", " : "", unexpected[i]);
    if (unexpected.size() > 5) absl::StrAppend(&list, ", ...");
    return absl::InvalidArgumentError(
        absl::StrCat(unexpected.size(), " tensor(s) the config does not imply: ", list));
  }
  ModelWeights w;
  w.config = config;
  w.layers.resize(config.num_layers);
  const std::map<std::string, Tensor*> slots = Slots(config, &w);
  size_t missing = 0;
  std::string first_missing;
  for (const auto& [name, shape] : expected) {
    auto it = tensors.find(name);
    if (it == tensors.end()) {
      if (missing++ == 0) first_missing = absl::StrCat(name, " (shape ", ShapeString(shape), ")");
      continue;
    }
    Tensor& t = it->second;
    if (t.shape != shape) {
      return absl::InvalidArgumentError(absl::StrCat(name, " has shape ", t.ShapeString(),
                                                     "; config implies ", ShapeString(shape)));
    }
    if (static_cast<int64_t>(t.data.size()) != t.numel()) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, " has shape ", t.ShapeString(), " but ", t.data.size(), " values"));
    }
    *slots.at(name) = std::move(t);
  }
  if (missing > 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "checkpoint lacks ", missing, " tensor(s) the config implies, e.g. ", first_missing));
  }
  return w;
}

absl::StatusOr<ModelWeights> LoadModel(const std::string& dir) {
  ASSIGN_OR_RETURN(ModelConfig config, LoadModelConfig(dir));
  ASSIGN_OR_RETURN(auto tensors, ReadCheckpointTensors(dir));
  absl::StatusOr<ModelWeights> weights = WeightsFromTensors(config, std::move(tensors));
  if (!weights.ok()) {
    return absl::Status(weights.status().code(),
                        absl::StrCat(dir, ": ", std::string(weights.status().message())));
  }
  return weights;
}

std::map<std::string, Tensor> WeightsToTensors(const ModelWeights& weights) {
  std::map<std::string, Tensor> tensors;
  for (const auto& [name, slot] : Slots(weights.config, &weights)) tensors[name] = *slot;
  if (weights.config.tie_word_embeddings) tensors.erase(kLmHead);
  if (!weights.lm_head.data.empty()) tensors[kLmHead] = weights.lm_head;
  return tensors;
}

}  // namespace rlvr::model
