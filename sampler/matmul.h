// Matrix products of the CPU backend: y = x · wᵀ with x [m, k] and w [n, k] row-major (the
// Hugging Face Linear layout).
//
// The default kernel is batch-invariant: every y element is one dot product whose summation
// order depends only on k, so a sequence's logits are bit-identical whether it runs alone or
// batched with others, on any thread split. That is what makes "same seed, same samples" hold
// under continuous batching. BLAS (OpenBLAS sgemm) is faster for long prefills but picks its
// blocking by m, so results vary in the last bits with the batch; it is an option.
#ifndef RLVR_SAMPLER_MATMUL_H_
#define RLVR_SAMPLER_MATMUL_H_

#include <cstdint>

#include "sampler/parallel_for.h"

namespace rlvr::sampler {

enum class MatmulKernel { kBatchInvariant, kBlas };

// y[m, n] = sum_k x[i, k] * w[j, k]. `y` must not alias x or w.
void MatmulTransposed(MatmulKernel kernel, const float* x, int64_t m, const float* w, int64_t n, int64_t k,
                      float* y, WorkerGroup& workers);

}  // namespace rlvr::sampler

#endif  // RLVR_SAMPLER_MATMUL_H_
