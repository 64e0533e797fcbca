// The CPU backend: the reference engine backend, used by tests and the embedded default.
#ifndef RLVR_SAMPLER_CPU_BACKEND_H_
#define RLVR_SAMPLER_CPU_BACKEND_H_

#include <memory>

#include "sampler/backend.h"
#include "sampler/matmul.h"

namespace rlvr::sampler {

// `threads` participants in every parallel step (0: hardware concurrency). `kernel` picks the
// matrix product (see matmul.h: batch-invariant by default, or OpenBLAS).
std::unique_ptr<Backend> NewCpuBackend(int threads, MatmulKernel kernel);

}  // namespace rlvr::sampler

#endif  // RLVR_SAMPLER_CPU_BACKEND_H_
