// Launchers of the CUDA backend's kernels (defined in kernels.cu). Every pointer is device memory,
// every matrix row-major fp32; each launcher enqueues its kernel on `stream` and returns the launch
// status (cudaGetLastError), so a bad configuration surfaces at the call, not at the next sync.
// kernels_reference.h holds the CPU reference of each, with the same arguments minus the stream.
// Plain C++ with POD arguments: no Abseil or GoogleTest behind nvcc.
#ifndef RLVR_SAMPLER_CUDA_KERNELS_H_
#define RLVR_SAMPLER_CUDA_KERNELS_H_

#include <cuda_runtime_api.h>

#include <cstdint>

#include "sampler/cuda/paged_kv.h"

namespace rlvr::sampler::cuda {

// cudaSuccess when the current device can run these kernels; cudaErrorNoKernelImageForDevice (or
// another error) when they were not built for its architecture.
cudaError_t CheckKernelImage();

// out[i, :] = table[indices[i], :] for i < n; rows of `dim` floats (embedding lookup, and picking
// each chunk's last row).
cudaError_t LaunchGatherRows(float* out, const float* table, const int32_t* indices, int n, int dim,
                             cudaStream_t stream);

// out[r, :] = x[r, :] / sqrt(mean(x[r, :]²) + eps) * weight (out may alias x).
cudaError_t LaunchRmsNorm(float* out, const float* x, const float* weight, int rows, int dim,
                          float eps, cudaStream_t stream);

// x[r, c] += bias[c] for c < dim.
cudaError_t LaunchAddBias(float* x, const float* bias, int rows, int dim, cudaStream_t stream);

// Rotates, in place, heads [0, num_heads) of each row (head h of row r at x + r * row_stride +
// h * head_dim) by position positions[r], rotate_half convention: element i pairs with
// i + head_dim / 2 at angle positions[r] * inv_freq[i].
cudaError_t LaunchRope(float* x, int64_t row_stride, const float* inv_freq,
                       const int32_t* positions, int rows, int num_heads, int head_dim,
                       cudaStream_t stream);

// Writes row r's K (k + r * row_stride, num_kv_heads * head_dim floats) and V (likewise) into
// `layer` of the cache at the row's position.
cudaError_t LaunchStoreKv(float* cache, KvGeometry kv, int layer, const float* k, const float* v,
                          int64_t row_stride, BatchRows batch, cudaStream_t stream);

// Paged attention (see PagedAttentionArgs). The positions [0, max_len) are cut into `num_splits`
// ranges of `split_size` (a multiple of kMinAttentionSplit, num_splits * split_size >= the longest
// row's length) run by separate blocks; with more than one split, `partials` (device scratch of
// AttentionPartialFloats floats) holds each split's running softmax state until a second kernel
// combines them. num_splits == 1 needs no scratch (partials may be null).
cudaError_t LaunchPagedAttention(const PagedAttentionArgs& args, int num_splits, int split_size,
                                 float* partials, cudaStream_t stream);

// out[r, i] = silu(gate_up[r, i]) * gate_up[r, inter + i] for i < inter.
cudaError_t LaunchSwiGlu(float* out, const float* gate_up, int rows, int inter,
                         cudaStream_t stream);

// Sampling support. out[r, :] = log_softmax(logits[r, :]) (out may alias logits).
cudaError_t LaunchLogSoftmax(float* out, const float* logits, int rows, int vocab,
                             cudaStream_t stream);
// out[r] = the index of the largest of logits[r, :] (the lowest such index on ties).
cudaError_t LaunchArgmax(int32_t* out, const float* logits, int rows, int vocab,
                         cudaStream_t stream);

}  // namespace rlvr::sampler::cuda

#endif  // RLVR_SAMPLER_CUDA_KERNELS_H_
