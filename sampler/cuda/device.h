// Device: the memory and the math that PagedBackend (paged_backend.h) runs the model on. The CUDA
// device (cuda_device.cc) enqueues kernels.h launchers and cuBLAS on one stream; the host device
// (host_device.h) runs the CPU references on host memory, so the whole backend — weight layout,
// batch metadata, paged K/V, the forward recipe — is tested on machines without a GPU.
#ifndef RLVR_SAMPLER_CUDA_DEVICE_H_
#define RLVR_SAMPLER_CUDA_DEVICE_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "sampler/cuda/batch_plan.h"
#include "sampler/cuda/kernels_reference.h"
#include "sampler/cuda/paged_kv.h"

namespace rlvr::sampler::cuda {

// One BLAS sgemm (column-major, alpha 1): c = op(a) · op(b) + beta · c, op(a) m x k, op(b) k x n.
struct GemmCall {
  Transpose trans_a = Transpose::kNo;
  Transpose trans_b = Transpose::kNo;
  int m = 0, n = 0, k = 0;
  const float* a = nullptr;
  int lda = 0;
  const float* b = nullptr;
  int ldb = 0;
  float beta = 0.0f;
  float* c = nullptr;
  int ldc = 0;
};

// Pointers are the device's memory. Math calls run in order, each after the ones before it; a
// call's error may surface at a later call (asynchronous devices). Thread-compatible: the backend
// serializes Forward, and Load's Allocate/Upload may run beside it (see PagedBackend).
class Device {
 public:
  virtual ~Device() = default;
  virtual std::string name() const = 0;
  // Multiprocessors, for ChooseAttentionSplit.
  virtual int multiprocessors() const = 0;
  // Makes this device current for the calling thread; public backend calls start with it.
  virtual absl::Status Bind() = 0;

  // 256-byte aligned; RESOURCE_EXHAUSTED when out of memory.
  virtual absl::StatusOr<void*> Allocate(int64_t bytes) = 0;
  virtual void Free(void* ptr) = 0;
  // Host to device, after the work enqueued before; complete on return.
  virtual absl::Status Upload(void* dst, const void* src, int64_t bytes) = 0;
  // Device to host, after the work enqueued before; complete on return.
  virtual absl::Status Download(void* dst, const void* src, int64_t bytes) = 0;
  // Device to device and memset, ordered with the math.
  virtual absl::Status Copy(void* dst, const void* src, int64_t bytes) = 0;
  virtual absl::Status Zero(void* dst, int64_t bytes) = 0;

  // The kernels (kernels.h has their contracts) and matmuls.
  virtual absl::Status GatherRows(float* out, const float* table, const int32_t* indices, int n,
                                  int dim) = 0;
  virtual absl::Status RmsNorm(float* out, const float* x, const float* weight, int rows, int dim,
                               float eps) = 0;
  virtual absl::Status AddBias(float* x, const float* bias, int rows, int dim) = 0;
  virtual absl::Status Rope(float* x, int64_t row_stride, const float* inv_freq,
                            const int32_t* positions, int rows, int num_heads, int head_dim) = 0;
  virtual absl::Status StoreKv(float* cache, KvGeometry kv, int layer, const float* k,
                               const float* v, int64_t row_stride, BatchRows batch) = 0;
  // `partials`: AttentionPartialFloats(rows, heads, head_dim, split.num_splits) floats when more
  // than one split.
  virtual absl::Status PagedAttention(const PagedAttentionArgs& args, AttentionSplit split,
                                      float* partials) = 0;
  virtual absl::Status SwiGlu(float* out, const float* gate_up, int rows, int inter) = 0;
  virtual absl::Status Gemm(const GemmCall& call) = 0;
};

}  // namespace rlvr::sampler::cuda

#endif  // RLVR_SAMPLER_CUDA_DEVICE_H_
