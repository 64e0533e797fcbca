// Test support: drives a Backend the way the engine does — chunked prefill, mixed prefill and
// decode batches, a sequence forked from another's prompt with copy-on-write of the shared
// partial page, decode across page boundaries, a second weight version beside the first — and
// checks every returned logit row against model::ReferenceForward over the sequence so far with
// |got − ref| ≤ tol + |ref|·eps (GoogleTest expectations).
#ifndef RLVR_SAMPLER_CUDA_BACKEND_SCENARIOS_H_
#define RLVR_SAMPLER_CUDA_BACKEND_SCENARIOS_H_

#include <cstdint>
#include <vector>

#include "model/weights.h"
#include "sampler/backend.h"

namespace rlvr::sampler::cuda {

struct Tolerance {
  double tol = 1e-4;
  double eps = 1e-4;
};

// `backend` must be fresh (no AllocateKv yet). `second` is a second model of the same config.
void RunSharedPrefixScenario(Backend& backend, const model::ModelWeights& first,
                             const model::ModelWeights& second, Tolerance tolerance);

// One 300-token sequence, prefilled in two chunks and decoded 3 steps: long enough that attention
// over few rows is split across blocks on a GPU. `backend` must be fresh.
void RunLongContextScenario(Backend& backend, const model::ModelWeights& weights,
                            Tolerance tolerance);

// `weights` with attention_bias set and random q/k/v biases (Qwen2 style), deterministic in `seed`.
model::ModelWeights WithQkvBiases(model::ModelWeights weights, uint32_t seed);
// `weights` with tied embeddings: no lm_head; the output matrix is the embedding.
model::ModelWeights Tied(model::ModelWeights weights);

// Expects `got` (one row of logits) to match `want` within `tolerance`; names the first mismatches.
void ExpectLogitsNear(const float* got, const float* want, int64_t vocab, Tolerance tolerance);

// The reference's logits of the last position of `tokens`.
std::vector<float> ReferenceLastLogits(const model::ModelWeights& weights,
                                       const std::vector<int32_t>& tokens);

}  // namespace rlvr::sampler::cuda

#endif  // RLVR_SAMPLER_CUDA_BACKEND_SCENARIOS_H_
