// CPU references of the CUDA backend's kernels (kernels.h): the same arguments minus the stream,
// host pointers, straight loops with double accumulation. They define what each kernel computes;
// the GPU tests compare against them and forward.h runs the whole forward pass on them.
#ifndef RLVR_SAMPLER_CUDA_KERNELS_REFERENCE_H_
#define RLVR_SAMPLER_CUDA_KERNELS_REFERENCE_H_

#include <cstdint>

#include "sampler/cuda/paged_kv.h"

namespace rlvr::sampler::cuda {

void GatherRowsReference(float* out, const float* table, const int32_t* indices, int n, int dim);
void RmsNormReference(float* out, const float* x, const float* weight, int rows, int dim,
                      float eps);
void AddBiasReference(float* x, const float* bias, int rows, int dim);
void RopeReference(float* x, int64_t row_stride, const float* inv_freq, const int32_t* positions,
                   int rows, int num_heads, int head_dim);
void StoreKvReference(float* cache, KvGeometry kv, int layer, const float* k, const float* v,
                      int64_t row_stride, BatchRows batch);
// Exact softmax over all of each row's positions (the GPU's splits do not change the result).
void PagedAttentionReference(const PagedAttentionArgs& args);
void SwiGluReference(float* out, const float* gate_up, int rows, int inter);
void LogSoftmaxReference(float* out, const float* logits, int rows, int vocab);
void ArgmaxReference(int32_t* out, const float* logits, int rows, int vocab);

// BLAS sgemm semantics (column-major, as cuBLAS): C = alpha * op(A) * op(B) + beta * C with op(A)
// m x k, op(B) k x n, C m x n. The reference of the cublasSgemm calls the backend makes.
enum class Transpose { kNo, kYes };
void SgemmReference(Transpose trans_a, Transpose trans_b, int m, int n, int k, float alpha,
                    const float* a, int lda, const float* b, int ldb, float beta, float* c,
                    int ldc);

}  // namespace rlvr::sampler::cuda

#endif  // RLVR_SAMPLER_CUDA_KERNELS_REFERENCE_H_
