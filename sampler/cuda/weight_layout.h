// WeightLayout: where each of a model's tensors goes in one device allocation (256-byte aligned
// pieces; q/k/v and gate/up placed back to back so that they form the fused matrices of
// forward.h), checked against the config first.
#ifndef RLVR_SAMPLER_CUDA_WEIGHT_LAYOUT_H_
#define RLVR_SAMPLER_CUDA_WEIGHT_LAYOUT_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "model/weights.h"
#include "sampler/cuda/forward.h"

namespace rlvr::sampler::cuda {

struct WeightLayout {
  // Copy `floats` floats from host `data` to float offset `offset` of the allocation.
  struct Piece {
    const float* data = nullptr;
    int64_t floats = 0;
    int64_t offset = 0;
  };
  // Float offsets of each role; qkv_bias is -1 without attention_bias.
  struct Layer {
    int64_t input_norm = 0, qkv = 0, qkv_bias = -1, o = 0, post_norm = 0, gate_up = 0, down = 0;
  };
  int64_t total_floats = 0;
  std::vector<Piece> pieces;
  int64_t embed = 0, final_norm = 0, output = 0, inv_freq = 0;
  std::vector<Layer> layers;
};

// Lays out `weights` (and the RoPE table `inv_freq`) for weights.config. INVALID_ARGUMENT when the
// config is one the backend cannot run (CheckConfig), a tensor's shape or size differs from what
// the config implies, biases are present without attention_bias or missing with it, or inv_freq
// does not hold head_dim / 2 values. The pieces point into `weights` and `inv_freq`, which must
// outlive the layout's use. A tied model (empty lm_head) stores the embedding once.
absl::StatusOr<WeightLayout> LayoutWeights(const model::ModelWeights& weights,
                                           const std::vector<float>& inv_freq);

// The roles' pointers in an allocation at `base` filled per `layout`.
ModelPointers PointersInto(const WeightLayout& layout, const float* base);

}  // namespace rlvr::sampler::cuda

#endif  // RLVR_SAMPLER_CUDA_WEIGHT_LAYOUT_H_
