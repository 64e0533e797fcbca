// The CUDA backend's paged KV cache layout and the arguments of attention over it. Plain C++ (no
// CUDA or Abseil headers) so that nvcc, the host code and the CPU references share one definition.
//
// Layout, outermost first: [page][layer][K, V][slot][kv_head][head_dim]. A page is one contiguous
// block holding every layer's K and V of `page_size` positions, so copy-on-write of a page is one
// memcpy, and within a page the positions of one layer's K (or V) are contiguous rows.
#ifndef RLVR_SAMPLER_CUDA_PAGED_KV_H_
#define RLVR_SAMPLER_CUDA_PAGED_KV_H_

#include <cstdint>

#if defined(__CUDACC__)
#define RLVR_HOST_DEVICE __host__ __device__
#else
#define RLVR_HOST_DEVICE
#endif

namespace rlvr::sampler::cuda {

// Limits of the attention kernel: a lane holds head_dim / 32 elements of a head (checked when the
// cache is allocated), vector loads need head_dim % 4 == 0.
inline constexpr int kMaxHeadDim = 256;
inline constexpr int kAttentionWarps = 4;
// Positions one attention block covers at least: one 32-position tile per warp.
inline constexpr int kMinAttentionSplit = 32 * kAttentionWarps;

struct KvGeometry {
  int num_layers = 0;
  int page_size = 0;
  int num_kv_heads = 0;
  int head_dim = 0;

  // Floats of one position's K (or V) in one layer.
  RLVR_HOST_DEVICE int64_t RowElements() const { return int64_t{num_kv_heads} * head_dim; }
  // Floats of one layer's K (or V) in one page.
  RLVR_HOST_DEVICE int64_t BlockElements() const { return page_size * RowElements(); }
  // Floats of one page (every layer's K and V).
  RLVR_HOST_DEVICE int64_t PageElements() const {
    return int64_t{num_layers} * 2 * BlockElements();
  }
  // Offset of element [page][layer][kv][slot][head][0]; kv is 0 for K, 1 for V.
  RLVR_HOST_DEVICE int64_t Offset(int64_t page, int layer, int kv, int slot, int head) const {
    return page * PageElements() + (int64_t{layer} * 2 + kv) * BlockElements() +
           slot * RowElements() + int64_t{head} * head_dim;
  }
};

// Row-indexed batch metadata: row r of the batch is a token at position positions[r] of a sequence
// whose block table starts at page_table[row_tables[r]] (position p lives in page
// page_table[row_tables[r] + p / page_size], slot p % page_size).
struct BatchRows {
  const int32_t* positions = nullptr;
  const int32_t* row_tables = nullptr;
  const int32_t* page_table = nullptr;
  int rows = 0;
};

// Causal attention of each row's query heads over positions [0, positions[r]] of its sequence,
// read from the cache (the rows' own K/V must already be stored). Grouped-query: query head h reads
// kv head h / (num_heads / num_kv_heads). Query head h of row r is q[r * q_stride + h * head_dim
// ..], its output out[r * out_stride + h * head_dim ..]. Scores are scaled by `scale`
// (1/sqrt(head_dim)).
struct PagedAttentionArgs {
  float* out = nullptr;
  int64_t out_stride = 0;
  const float* q = nullptr;
  int64_t q_stride = 0;
  const float* cache = nullptr;
  KvGeometry kv;
  int layer = 0;
  BatchRows batch;
  int num_heads = 0;
  float scale = 1.0f;
};

// Floats of attention scratch for `num_splits` > 1: per row, head and split, the running max, the
// running sum and head_dim accumulators.
inline int64_t AttentionPartialFloats(int rows, int num_heads, int head_dim, int num_splits) {
  return int64_t{rows} * num_heads * num_splits * (head_dim + 2);
}

}  // namespace rlvr::sampler::cuda

#endif  // RLVR_SAMPLER_CUDA_PAGED_KV_H_
