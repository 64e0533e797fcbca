// The naive reference forward pass: straight loops in double precision, no cache, no BLAS.
// Slow and obviously right; the optimized backends are tested against it.
#ifndef RLVR_MODEL_REFERENCE_H_
#define RLVR_MODEL_REFERENCE_H_

#include <cstdint>
#include <vector>

#include "model/weights.h"

namespace rlvr::model {

// Logits for every position of `tokens` (causal), row-major [tokens.size(), vocab]: embedding;
// per layer RMSNorm, q/k/v (+ bias), RoPE in Hugging Face's rotate_half layout (element i pairs
// with i + head_dim/2) at RopeInverseFrequencies, causal grouped-query attention (query head h
// reads kv head h / (heads / kv_heads)) scaled by 1/sqrt(head_dim), o_proj, residual; RMSNorm,
// down(silu(gate x) * up x), residual; final RMSNorm; x · output_matrix()ᵀ. Sliding windows are
// not applied. Token ids must be in [0, vocab): the caller checks; an id outside aborts.
std::vector<float> ReferenceForward(const ModelWeights& weights,
                                    const std::vector<int32_t>& tokens);

}  // namespace rlvr::model

#endif  // RLVR_MODEL_REFERENCE_H_
