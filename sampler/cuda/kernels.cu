// CUDA kernels of the sampler backend, then their launchers. Each kernel's CPU reference, with the
// same arguments, is in kernels_reference.cc; cuda_kernels_test.cc checks one against the other.
//
// Attention is the one kernel with a mechanism worth explaining. A block serves one (row, query
// head, split of positions). Its 4 warps take 32-position tiles of the split in turn; in a tile
// each lane scores one position (a dot product over head_dim read with float4 loads, so 32 rows are
// in flight per warp), the warp updates its online-softmax state (running max m, running sum l),
// then the lanes switch to owning head_dim elements and accumulate the tile's V rows weighted by
// their probabilities. The warps' states are merged in shared memory at the end. With one split the
// block writes the normalized output; with several (short batches over long contexts, so that
// enough blocks run) each block writes (m, l, acc) to scratch and a second kernel merges them.
#include <cuda_runtime.h>

#include <cstdint>

#include "sampler/cuda/kernels.h"

namespace rlvr::sampler::cuda {
namespace {

constexpr int kWarpSize = 32;
constexpr unsigned kFullMask = 0xffffffffu;
constexpr int kMaxPerLane = kMaxHeadDim / kWarpSize;
constexpr int kRowThreads = 256;     // one block per row: norms, gathers, K/V stores
constexpr int kVocabThreads = 1024;  // one block per row over the vocabulary
constexpr int kFlatThreads = 256;    // grid-stride elementwise kernels
constexpr int kMaxFlatBlocks = 4096;

// ------------------------------------------------------------------------------------------------
// Kernels
// ------------------------------------------------------------------------------------------------

__device__ float WarpSum(float v) {
  for (int offset = kWarpSize / 2; offset > 0; offset /= 2)
    v += __shfl_xor_sync(kFullMask, v, offset);
  return v;
}

__device__ float WarpMax(float v) {
  for (int offset = kWarpSize / 2; offset > 0; offset /= 2) {
    v = fmaxf(v, __shfl_xor_sync(kFullMask, v, offset));
  }
  return v;
}

// Sum (kMax: maximum) over the block; every thread gets the result. blockDim.x is a multiple of 32.
template <bool kMax>
__device__ float BlockReduce(float v) {
  __shared__ float partial[kWarpSize];
  const int lane = threadIdx.x % kWarpSize;
  const int warp = threadIdx.x / kWarpSize;
  const int warps = blockDim.x / kWarpSize;
  v = kMax ? WarpMax(v) : WarpSum(v);
  __syncthreads();  // the previous call's readers are done with `partial`
  if (lane == 0) partial[warp] = v;
  __syncthreads();
  v = lane < warps ? partial[lane] : (kMax ? -INFINITY : 0.0f);
  return kMax ? WarpMax(v) : WarpSum(v);
}

__global__ void GatherRowsKernel(float* out, const float* table, const int32_t* indices, int dim) {
  const int64_t row = blockIdx.x;
  const float* src = table + int64_t{indices[row]} * dim;
  float* dst = out + row * dim;
  for (int c = threadIdx.x; c < dim; c += blockDim.x) dst[c] = src[c];
}

__global__ void RmsNormKernel(float* out, const float* x, const float* weight, int dim, float eps) {
  const int64_t row = blockIdx.x;
  const float* xr = x + row * dim;
  float* outr = out + row * dim;
  float sum_sq = 0.0f;
  for (int c = threadIdx.x; c < dim; c += blockDim.x) sum_sq += xr[c] * xr[c];
  sum_sq = BlockReduce<false>(sum_sq);
  const float inv_rms = rsqrtf(sum_sq / dim + eps);
  for (int c = threadIdx.x; c < dim; c += blockDim.x) outr[c] = xr[c] * inv_rms * weight[c];
}

__global__ void AddBiasKernel(float* x, const float* bias, int64_t n, int dim) {
  for (int64_t i = int64_t{blockIdx.x} * blockDim.x + threadIdx.x; i < n;
       i += int64_t{gridDim.x} * blockDim.x) {
    x[i] += bias[i % dim];
  }
}

__global__ void RopeKernel(float* x, int64_t row_stride, const float* inv_freq,
                           const int32_t* positions, int num_heads, int head_dim) {
  const int64_t row = blockIdx.x;
  const int half = head_dim / 2;
  const double pos = positions[row];
  float* xr = x + row * row_stride;
  for (int idx = threadIdx.x; idx < num_heads * half; idx += blockDim.x) {
    const int i = idx % half;
    float* head = xr + (idx / half) * head_dim;
    double sin_d, cos_d;
    sincos(pos * inv_freq[i], &sin_d, &cos_d);
    const float s = static_cast<float>(sin_d), c = static_cast<float>(cos_d);
    const float x1 = head[i], x2 = head[i + half];
    head[i] = x1 * c - x2 * s;
    head[i + half] = x2 * c + x1 * s;
  }
}

__global__ void StoreKvKernel(float* cache, KvGeometry kv, int layer, const float* k,
                              const float* v, int64_t row_stride, BatchRows batch) {
  const int64_t row = blockIdx.x;
  const int pos = batch.positions[row];
  const int page = batch.page_table[batch.row_tables[row] + pos / kv.page_size];
  float* k_dst = cache + kv.Offset(page, layer, 0, pos % kv.page_size, 0);
  float* v_dst = cache + kv.Offset(page, layer, 1, pos % kv.page_size, 0);
  const float* k_src = k + row * row_stride;
  const float* v_src = v + row * row_stride;
  for (int i = threadIdx.x; i < kv.RowElements(); i += blockDim.x) {
    k_dst[i] = k_src[i];
    v_dst[i] = v_src[i];
  }
}

__global__ void PagedAttentionKernel(PagedAttentionArgs a, int split_size, float* partials) {
  const int row = blockIdx.x, head = blockIdx.y, split = blockIdx.z;
  const int lane = threadIdx.x % kWarpSize, warp = threadIdx.x / kWarpSize;
  const int head_dim = a.kv.head_dim;
  const int kv_head = head / (a.num_heads / a.kv.num_kv_heads);
  const int begin = split * split_size;
  const int end = min(a.batch.positions[row] + 1, begin + split_size);
  const int32_t* table = a.batch.page_table + a.batch.row_tables[row];
  const int64_t v_shift = a.kv.BlockElements();  // a layer's V block follows its K block

  __shared__ __align__(16) float q[kMaxHeadDim];
  __shared__ float warp_max[kAttentionWarps];
  __shared__ float warp_sum[kAttentionWarps];
  __shared__ float warp_acc[kAttentionWarps][kMaxHeadDim];

  const float* q_src = a.q + int64_t{row} * a.q_stride + int64_t{head} * head_dim;
  for (int d = threadIdx.x; d < head_dim; d += blockDim.x) q[d] = q_src[d] * a.scale;
  __syncthreads();

  float m = -INFINITY;  // running max of the warp's scores
  float l = 0.0f;       // running sum of exp(score - m)
  float acc[kMaxPerLane] = {};
  for (int tile = begin + warp * kWarpSize; tile < end; tile += kAttentionWarps * kWarpSize) {
    const int j = tile + lane;
    const bool valid = j < end;
    float score = -INFINITY;
    long long k_offset = 0;
    if (valid) {
      k_offset = a.kv.Offset(table[j / a.kv.page_size], a.layer, 0, j % a.kv.page_size, kv_head);
      const float4* k4 = reinterpret_cast<const float4*>(a.cache + k_offset);
      const float4* q4 = reinterpret_cast<const float4*>(q);
      float dot = 0.0f;
      for (int i = 0; i < head_dim / 4; ++i) {
        const float4 kk = k4[i], qq = q4[i];
        dot += kk.x * qq.x + kk.y * qq.y + kk.z * qq.z + kk.w * qq.w;
      }
      score = dot;
    }
    const float m_new = fmaxf(m, WarpMax(score));  // finite: the tile's first position is valid
    const float correction = expf(m - m_new);
    const float p = valid ? expf(score - m_new) : 0.0f;
    l = l * correction + WarpSum(p);
#pragma unroll
    for (int i = 0; i < kMaxPerLane; ++i) acc[i] *= correction;
    const int count = min(kWarpSize, end - tile);
#pragma unroll 4
    for (int t = 0; t < count; ++t) {
      const float p_t = __shfl_sync(kFullMask, p, t);
      const float* v_row = a.cache + __shfl_sync(kFullMask, k_offset, t) + v_shift;
#pragma unroll
      for (int i = 0; i < kMaxPerLane; ++i) {
        const int d = lane + i * kWarpSize;
        if (d < head_dim) acc[i] += p_t * v_row[d];
      }
    }
    m = m_new;
  }

  if (lane == 0) {
    warp_max[warp] = m;
    warp_sum[warp] = l;
  }
#pragma unroll
  for (int i = 0; i < kMaxPerLane; ++i) {
    const int d = lane + i * kWarpSize;
    if (d < head_dim) warp_acc[warp][d] = acc[i];
  }
  __syncthreads();
  float block_max = -INFINITY;
#pragma unroll
  for (int w = 0; w < kAttentionWarps; ++w) block_max = fmaxf(block_max, warp_max[w]);
  float weight[kAttentionWarps];
  float sum = 0.0f;
#pragma unroll
  for (int w = 0; w < kAttentionWarps; ++w) {
    weight[w] = warp_max[w] == -INFINITY ? 0.0f : expf(warp_max[w] - block_max);
    sum += warp_sum[w] * weight[w];
  }
  if (gridDim.z == 1) {
    float* out = a.out + int64_t{row} * a.out_stride + int64_t{head} * head_dim;
    for (int d = threadIdx.x; d < head_dim; d += blockDim.x) {
      float o = 0.0f;
#pragma unroll
      for (int w = 0; w < kAttentionWarps; ++w) o += warp_acc[w][d] * weight[w];
      out[d] = o / sum;
    }
    return;
  }
  float* part =
      partials + ((int64_t{row} * a.num_heads + head) * gridDim.z + split) * (head_dim + 2);
  if (threadIdx.x == 0) {
    part[0] = block_max;
    part[1] = sum;
  }
  for (int d = threadIdx.x; d < head_dim; d += blockDim.x) {
    float o = 0.0f;
#pragma unroll
    for (int w = 0; w < kAttentionWarps; ++w) o += warp_acc[w][d] * weight[w];
    part[2 + d] = o;
  }
}

// Merges the splits' (max, sum, acc) states of one (row, head).
__global__ void CombineAttentionKernel(PagedAttentionArgs a, int num_splits,
                                       const float* partials) {
  const int row = blockIdx.x, head = blockIdx.y;
  const int head_dim = a.kv.head_dim;
  const int64_t stride = head_dim + 2;
  const float* part = partials + (int64_t{row} * a.num_heads + head) * num_splits * stride;
  float max_all = -INFINITY;
  for (int s = 0; s < num_splits; ++s) max_all = fmaxf(max_all, part[s * stride]);
  float* out = a.out + int64_t{row} * a.out_stride + int64_t{head} * head_dim;
  for (int d = threadIdx.x; d < head_dim; d += blockDim.x) {
    float num = 0.0f, den = 0.0f;
    for (int s = 0; s < num_splits; ++s) {
      const float m = part[s * stride];
      if (m == -INFINITY) continue;  // a split past this row's length
      const float w = expf(m - max_all);
      den += part[s * stride + 1] * w;
      num += part[s * stride + 2 + d] * w;
    }
    out[d] = num / den;
  }
}

__global__ void SwiGluKernel(float* out, const float* gate_up, int64_t n, int inter) {
  for (int64_t idx = int64_t{blockIdx.x} * blockDim.x + threadIdx.x; idx < n;
       idx += int64_t{gridDim.x} * blockDim.x) {
    const int64_t row = idx / inter, i = idx % inter;
    const float gate = gate_up[row * 2 * inter + i];
    const float up = gate_up[row * 2 * inter + inter + i];
    out[idx] = gate / (1.0f + expf(-gate)) * up;
  }
}

__global__ void LogSoftmaxKernel(float* out, const float* logits, int vocab) {
  const int64_t row = blockIdx.x;
  const float* x = logits + row * vocab;
  float* y = out + row * vocab;
  float max_v = -INFINITY;
  for (int i = threadIdx.x; i < vocab; i += blockDim.x) max_v = fmaxf(max_v, x[i]);
  max_v = BlockReduce<true>(max_v);
  float sum = 0.0f;
  for (int i = threadIdx.x; i < vocab; i += blockDim.x) sum += expf(x[i] - max_v);
  sum = BlockReduce<false>(sum);
  const float log_z = max_v + logf(sum);
  for (int i = threadIdx.x; i < vocab; i += blockDim.x) y[i] = x[i] - log_z;
}

// (value, index) is better than (best_v, best_i): larger, or equal with a lower index. NaN never
// is.
__device__ bool Better(float value, int index, float best_v, int best_i) {
  return value > best_v || (value == best_v && index < best_i);
}

__global__ void ArgmaxKernel(int32_t* out, const float* logits, int vocab) {
  constexpr int kNone = 0x7fffffff;
  const int64_t row = blockIdx.x;
  const float* x = logits + row * vocab;
  float best_v = -INFINITY;
  int best_i = kNone;
  for (int i = threadIdx.x; i < vocab; i += blockDim.x) {
    if (Better(x[i], i, best_v, best_i)) {
      best_v = x[i];
      best_i = i;
    }
  }
  for (int offset = kWarpSize / 2; offset > 0; offset /= 2) {
    const float other_v = __shfl_xor_sync(kFullMask, best_v, offset);
    const int other_i = __shfl_xor_sync(kFullMask, best_i, offset);
    if (Better(other_v, other_i, best_v, best_i)) {
      best_v = other_v;
      best_i = other_i;
    }
  }
  __shared__ float warp_v[kWarpSize];
  __shared__ int warp_i[kWarpSize];
  const int lane = threadIdx.x % kWarpSize, warp = threadIdx.x / kWarpSize;
  if (lane == 0) {
    warp_v[warp] = best_v;
    warp_i[warp] = best_i;
  }
  __syncthreads();
  if (threadIdx.x != 0) return;
  for (int w = 1; w < static_cast<int>(blockDim.x / kWarpSize); ++w) {
    if (Better(warp_v[w], warp_i[w], best_v, best_i)) {
      best_v = warp_v[w];
      best_i = warp_i[w];
    }
  }
  out[row] = best_i == kNone ? 0 : best_i;  // a row of NaN: 0
}

int FlatBlocks(int64_t n) {
  const int64_t blocks = (n + kFlatThreads - 1) / kFlatThreads;
  return static_cast<int>(blocks < kMaxFlatBlocks ? blocks : kMaxFlatBlocks);
}

}  // namespace

// ------------------------------------------------------------------------------------------------
// Launchers
// ------------------------------------------------------------------------------------------------

cudaError_t CheckKernelImage() {
  cudaFuncAttributes attributes;
  return cudaFuncGetAttributes(&attributes, PagedAttentionKernel);
}

cudaError_t LaunchGatherRows(float* out, const float* table, const int32_t* indices, int n, int dim,
                             cudaStream_t stream) {
  if (n == 0) return cudaSuccess;
  GatherRowsKernel<<<n, kRowThreads, 0, stream>>>(out, table, indices, dim);
  return cudaGetLastError();
}

cudaError_t LaunchRmsNorm(float* out, const float* x, const float* weight, int rows, int dim,
                          float eps, cudaStream_t stream) {
  if (rows == 0) return cudaSuccess;
  RmsNormKernel<<<rows, kRowThreads, 0, stream>>>(out, x, weight, dim, eps);
  return cudaGetLastError();
}

cudaError_t LaunchAddBias(float* x, const float* bias, int rows, int dim, cudaStream_t stream) {
  const int64_t n = int64_t{rows} * dim;
  if (n == 0) return cudaSuccess;
  AddBiasKernel<<<FlatBlocks(n), kFlatThreads, 0, stream>>>(x, bias, n, dim);
  return cudaGetLastError();
}

cudaError_t LaunchRope(float* x, int64_t row_stride, const float* inv_freq,
                       const int32_t* positions, int rows, int num_heads, int head_dim,
                       cudaStream_t stream) {
  if (head_dim % 2 != 0) return cudaErrorInvalidValue;
  if (rows == 0) return cudaSuccess;
  RopeKernel<<<rows, kRowThreads, 0, stream>>>(x, row_stride, inv_freq, positions, num_heads,
                                               head_dim);
  return cudaGetLastError();
}

cudaError_t LaunchStoreKv(float* cache, KvGeometry kv, int layer, const float* k, const float* v,
                          int64_t row_stride, BatchRows batch, cudaStream_t stream) {
  if (batch.rows == 0) return cudaSuccess;
  StoreKvKernel<<<batch.rows, kRowThreads, 0, stream>>>(cache, kv, layer, k, v, row_stride, batch);
  return cudaGetLastError();
}

cudaError_t LaunchPagedAttention(const PagedAttentionArgs& args, int num_splits, int split_size,
                                 float* partials, cudaStream_t stream) {
  const int head_dim = args.kv.head_dim;
  if (head_dim <= 0 || head_dim > kMaxHeadDim || head_dim % 4 != 0 || args.kv.num_kv_heads <= 0 ||
      args.num_heads % args.kv.num_kv_heads != 0 || num_splits < 1 ||
      split_size % kMinAttentionSplit != 0 || (num_splits > 1 && partials == nullptr)) {
    return cudaErrorInvalidValue;
  }
  if (args.batch.rows == 0) return cudaSuccess;
  const dim3 grid(args.batch.rows, args.num_heads, num_splits);
  PagedAttentionKernel<<<grid, kAttentionWarps * kWarpSize, 0, stream>>>(args, split_size,
                                                                         partials);
  if (const cudaError_t err = cudaGetLastError(); err != cudaSuccess || num_splits == 1) return err;
  const int threads = (head_dim + kWarpSize - 1) / kWarpSize * kWarpSize;
  CombineAttentionKernel<<<dim3(args.batch.rows, args.num_heads), threads, 0, stream>>>(
      args, num_splits, partials);
  return cudaGetLastError();
}

cudaError_t LaunchSwiGlu(float* out, const float* gate_up, int rows, int inter,
                         cudaStream_t stream) {
  const int64_t n = int64_t{rows} * inter;
  if (n == 0) return cudaSuccess;
  SwiGluKernel<<<FlatBlocks(n), kFlatThreads, 0, stream>>>(out, gate_up, n, inter);
  return cudaGetLastError();
}

cudaError_t LaunchLogSoftmax(float* out, const float* logits, int rows, int vocab,
                             cudaStream_t stream) {
  if (rows == 0) return cudaSuccess;
  LogSoftmaxKernel<<<rows, kVocabThreads, 0, stream>>>(out, logits, vocab);
  return cudaGetLastError();
}

cudaError_t LaunchArgmax(int32_t* out, const float* logits, int rows, int vocab,
                         cudaStream_t stream) {
  if (rows == 0) return cudaSuccess;
  ArgmaxKernel<<<rows, kVocabThreads, 0, stream>>>(out, logits, vocab);
  return cudaGetLastError();
}

}  // namespace rlvr::sampler::cuda
