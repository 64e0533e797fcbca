// The forward pass of a Llama-family model over a batch of sequence chunks and the paged KV cache,
// as a recipe of Device calls (the same recipe runs the CUDA kernels and their CPU references).
// Per layer: RMSNorm → fused QKV matmul (+ bias) → RoPE on q and k → K/V into the pages →
// attention over the pages → o_proj accumulated into the residual stream → RMSNorm → fused
// gate/up matmul → SwiGLU → down_proj accumulated into the residual stream. Then each chunk's last
// row → final RMSNorm → output matrix. The residual adds are the matmuls' beta = 1.
#ifndef RLVR_SAMPLER_CUDA_FORWARD_H_
#define RLVR_SAMPLER_CUDA_FORWARD_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "model/config.h"
#include "sampler/cuda/batch_plan.h"
#include "sampler/cuda/device.h"
#include "sampler/cuda/paged_kv.h"

namespace rlvr::sampler::cuda {

// A model's weights in device memory. Linear weights are [out, in] row-major; the fused ones stack
// their parts' rows: qkv = [q; k; v] ((heads + 2 kv_heads) * head_dim rows), gate_up = [gate; up].
struct LayerPointers {
  const float* input_norm = nullptr;
  const float* qkv = nullptr;
  const float* qkv_bias = nullptr;  // null unless attention_bias
  const float* o = nullptr;
  const float* post_norm = nullptr;
  const float* gate_up = nullptr;
  const float* down = nullptr;
};
struct ModelPointers {
  const float* embed = nullptr;
  std::vector<LayerPointers> layers;
  const float* final_norm = nullptr;
  const float* output = nullptr;    // the embedding when tied
  const float* inv_freq = nullptr;  // head_dim / 2 RoPE inverse frequencies
};

// Scratch of one forward; `logits` ([chunks, vocab]) is the result.
struct Activations {
  float* x = nullptr;         // residual stream [rows, hidden]
  float* normed = nullptr;    // [rows, hidden]
  float* qkv = nullptr;       // [rows, (heads + 2 kv_heads) * head_dim]
  float* attn = nullptr;      // [rows, heads * head_dim]
  float* gate_up = nullptr;   // [rows, 2 * intermediate]
  float* act = nullptr;       // [rows, intermediate]
  float* last = nullptr;      // [chunks, hidden]
  float* logits = nullptr;    // [chunks, vocab]
  float* partials = nullptr;  // attention splits' state; null with one split
};
// Floats of scratch for `rows` tokens in `chunks` chunks with `num_splits` attention splits, and
// its layout from `base` (every buffer 256-byte aligned when base is).
int64_t ActivationFloats(const model::ModelConfig& config, int rows, int chunks, int num_splits);
Activations CarveActivations(float* base, const model::ModelConfig& config, int rows, int chunks,
                             int num_splits);

// The batch's metadata in device memory (BatchPlan::ints uploaded) and the attention split.
struct ForwardBatch {
  const int32_t* tokens = nullptr;
  BatchRows rows;
  const int32_t* last_rows = nullptr;
  int chunks = 0;
  AttentionSplit split;
};

// INVALID_ARGUMENT when the backend cannot run `config` (a non-positive size, heads not a multiple
// of kv heads, head_dim odd, not a multiple of 4 or above kMaxHeadDim, sizes beyond int32).
absl::Status CheckConfig(const model::ModelConfig& config);
KvGeometry KvGeometryFor(const model::ModelConfig& config, int page_size);

// y[rows, out] = x[rows, in] · w[out, in]ᵀ (+ y when accumulate), all row-major. Read column-major,
// the memory of y, x and w holds yᵀ, xᵀ and wᵀ, and yᵀ = w · xᵀ = (wᵀ)ᵀ · xᵀ: the GEMM c = aᵀ · b
// with a = w (lda = in), b = x (ldb = in), c = y (ldc = out), m = out, n = rows, k = in.
GemmCall LinearGemm(float* y, const float* x, const float* w, int rows, int out_features,
                    int in_features, bool accumulate);

// Runs the batch, writing its K/V into `cache` and its last rows' logits into act.logits.
absl::Status RunForward(Device& device, const model::ModelConfig& config,
                        const ModelPointers& weights, const ForwardBatch& batch, float* cache,
                        const KvGeometry& kv, const Activations& act);

}  // namespace rlvr::sampler::cuda

#endif  // RLVR_SAMPLER_CUDA_FORWARD_H_
