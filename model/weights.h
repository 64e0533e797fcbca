// ModelWeights: a Llama-family model's tensors by role, checked against its config.
// Hugging Face names: model.embed_tokens.weight, model.layers.{i}.input_layernorm.weight,
// model.layers.{i}.self_attn.{q,k,v,o}_proj.weight (+ q/k/v .bias when attention_bias),
// model.layers.{i}.post_attention_layernorm.weight,
// model.layers.{i}.mlp.{gate,up,down}_proj.weight, model.norm.weight, lm_head.weight (absent when
// tie_word_embeddings). Linear weights are [out_features, in_features], row-major: y = x · Wᵀ.
#ifndef RLVR_MODEL_WEIGHTS_H_
#define RLVR_MODEL_WEIGHTS_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "model/config.h"
#include "model/tensor.h"

namespace rlvr::model {

struct LayerWeights {
  Tensor input_norm;              // [hidden]
  Tensor q_proj, k_proj, v_proj;  // [heads*head_dim, hidden], [kv_heads*head_dim, hidden] x2
  Tensor q_bias, k_bias, v_bias;  // empty unless attention_bias
  Tensor o_proj;                  // [hidden, heads*head_dim]
  Tensor post_norm;               // [hidden]
  Tensor gate_proj, up_proj;      // [intermediate, hidden]
  Tensor down_proj;               // [hidden, intermediate]
};

struct ModelWeights {
  ModelConfig config;
  Tensor embed;  // [vocab, hidden]
  std::vector<LayerWeights> layers;
  Tensor final_norm;  // [hidden]
  Tensor lm_head;     // [vocab, hidden]; empty when tied (use embed)

  const Tensor& output_matrix() const { return lm_head.data.empty() ? embed : lm_head; }
};

// Every tensor name the config implies, with its shape.
std::map<std::string, std::vector<int64_t>> ExpectedTensorShapes(const ModelConfig& config);

// Moves `tensors` into roles. INVALID_ARGUMENT names a missing tensor, an unexpected one, a
// wrong shape ("model.layers.0.self_attn.q_proj.weight has shape [8, 16]; config implies
// [16, 16]"), or an invalid config (ValidateModelConfig). With tie_word_embeddings, an
// lm_head.weight in `tensors` is accepted (its shape checked) and dropped, as Hugging Face re-ties
// it to the embedding. *.self_attn.rotary_emb.inv_freq buffers of old exports are ignored.
absl::StatusOr<ModelWeights> WeightsFromTensors(const ModelConfig& config,
                                                std::map<std::string, Tensor> tensors);

// Loads config.json plus the safetensors checkpoint of `dir`.
absl::StatusOr<ModelWeights> LoadModel(const std::string& dir);

// The inverse of WeightsFromTensors (Hugging Face names). lm_head.weight is included exactly
// when `lm_head` is not empty.
std::map<std::string, Tensor> WeightsToTensors(const ModelWeights& weights);

}  // namespace rlvr::model

#endif  // RLVR_MODEL_WEIGHTS_H_
