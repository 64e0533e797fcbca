#include "sampler/cuda/cuda_device.h"

#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "sampler/backend.h"
#include "sampler/cuda/kernels.h"
#include "sampler/cuda/paged_backend.h"

namespace rlvr::sampler {
namespace cuda {
namespace {

absl::Status CudaStatus(cudaError_t err, const char* what) {
  if (err == cudaSuccess) return absl::OkStatus();
  const std::string message =
      absl::StrCat(what, ": ", cudaGetErrorName(err), " (", cudaGetErrorString(err), ")");
  return err == cudaErrorMemoryAllocation ? absl::ResourceExhaustedError(message)
                                          : absl::InternalError(message);
}

absl::Status CublasStatus(cublasStatus_t status, const char* what) {
  if (status == CUBLAS_STATUS_SUCCESS) return absl::OkStatus();
  const std::string message = absl::StrCat(what, ": ", cublasGetStatusName(status), " (",
                                           cublasGetStatusString(status), ")");
  return status == CUBLAS_STATUS_ALLOC_FAILED ? absl::ResourceExhaustedError(message)
                                              : absl::InternalError(message);
}

cublasOperation_t Op(Transpose t) { return t == Transpose::kYes ? CUBLAS_OP_T : CUBLAS_OP_N; }

class CudaDevice final : public Device {
 public:
  CudaDevice(int device, int multiprocessors, cudaStream_t stream, cublasHandle_t blas)
      : device_(device), multiprocessors_(multiprocessors), stream_(stream), blas_(blas) {}
  ~CudaDevice() override {
    cudaSetDevice(device_);
    cublasDestroy(blas_);
    cudaStreamDestroy(stream_);
  }
  CudaDevice(const CudaDevice&) = delete;
  CudaDevice& operator=(const CudaDevice&) = delete;

  std::string name() const override { return "cuda"; }
  int multiprocessors() const override { return multiprocessors_; }
  absl::Status Bind() override { return CudaStatus(cudaSetDevice(device_), "cudaSetDevice"); }

  absl::StatusOr<void*> Allocate(int64_t bytes) override {
    void* ptr = nullptr;
    const cudaError_t err = cudaMalloc(&ptr, static_cast<size_t>(bytes));
    if (err != cudaSuccess) {
      cudaGetLastError();  // not sticky: clear it so that the next launch check does not report it
      return CudaStatus(err, absl::StrCat("cudaMalloc of ", bytes, " bytes").c_str());
    }
    return ptr;
  }
  void Free(void* ptr) override { cudaFree(ptr); }
  absl::Status Upload(void* dst, const void* src, int64_t bytes) override {
    RETURN_IF_ERROR(CudaStatus(
        cudaMemcpyAsync(dst, src, static_cast<size_t>(bytes), cudaMemcpyHostToDevice, stream_),
        "cudaMemcpyAsync to the device"));
    return CudaStatus(cudaStreamSynchronize(stream_), "upload");
  }
  absl::Status Download(void* dst, const void* src, int64_t bytes) override {
    RETURN_IF_ERROR(CudaStatus(
        cudaMemcpyAsync(dst, src, static_cast<size_t>(bytes), cudaMemcpyDeviceToHost, stream_),
        "cudaMemcpyAsync to the host"));
    return CudaStatus(cudaStreamSynchronize(stream_), "download");
  }
  absl::Status Copy(void* dst, const void* src, int64_t bytes) override {
    return CudaStatus(
        cudaMemcpyAsync(dst, src, static_cast<size_t>(bytes), cudaMemcpyDeviceToDevice, stream_),
        "cudaMemcpyAsync on the device");
  }
  absl::Status Zero(void* dst, int64_t bytes) override {
    return CudaStatus(cudaMemsetAsync(dst, 0, static_cast<size_t>(bytes), stream_),
                      "cudaMemsetAsync");
  }

  absl::Status GatherRows(float* out, const float* table, const int32_t* indices, int n,
                          int dim) override {
    return CudaStatus(LaunchGatherRows(out, table, indices, n, dim, stream_), "GatherRows");
  }
  absl::Status RmsNorm(float* out, const float* x, const float* weight, int rows, int dim,
                       float eps) override {
    return CudaStatus(LaunchRmsNorm(out, x, weight, rows, dim, eps, stream_), "RmsNorm");
  }
  absl::Status AddBias(float* x, const float* bias, int rows, int dim) override {
    return CudaStatus(LaunchAddBias(x, bias, rows, dim, stream_), "AddBias");
  }
  absl::Status Rope(float* x, int64_t row_stride, const float* inv_freq, const int32_t* positions,
                    int rows, int num_heads, int head_dim) override {
    return CudaStatus(
        LaunchRope(x, row_stride, inv_freq, positions, rows, num_heads, head_dim, stream_), "Rope");
  }
  absl::Status StoreKv(float* cache, KvGeometry kv, int layer, const float* k, const float* v,
                       int64_t row_stride, BatchRows batch) override {
    return CudaStatus(LaunchStoreKv(cache, kv, layer, k, v, row_stride, batch, stream_), "StoreKv");
  }
  absl::Status PagedAttention(const PagedAttentionArgs& args, AttentionSplit split,
                              float* partials) override {
    return CudaStatus(
        LaunchPagedAttention(args, split.num_splits, split.split_size, partials, stream_),
        "PagedAttention");
  }
  absl::Status SwiGlu(float* out, const float* gate_up, int rows, int inter) override {
    return CudaStatus(LaunchSwiGlu(out, gate_up, rows, inter, stream_), "SwiGlu");
  }
  absl::Status Gemm(const GemmCall& g) override {
    const float alpha = 1.0f;
    return CublasStatus(cublasSgemm(blas_, Op(g.trans_a), Op(g.trans_b), g.m, g.n, g.k, &alpha, g.a,
                                    g.lda, g.b, g.ldb, &g.beta, g.c, g.ldc),
                        "cublasSgemm");
  }

 private:
  const int device_;
  const int multiprocessors_;
  cudaStream_t stream_;
  cublasHandle_t blas_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Device>> NewCudaDevice(int device) {
  int count = 0;
  if (const cudaError_t err = cudaGetDeviceCount(&count); err != cudaSuccess) {
    cudaGetLastError();
    return absl::UnavailableError(
        absl::StrCat("no CUDA device: cudaGetDeviceCount: ", cudaGetErrorName(err), " (",
                     cudaGetErrorString(err), ")"));
  }
  if (count == 0) return absl::UnavailableError("no CUDA device: cudaGetDeviceCount found 0");
  if (device < 0 || device >= count) {
    return absl::InvalidArgumentError(
        absl::StrCat("CUDA device ", device, "; ", count, " are visible"));
  }
  RETURN_IF_ERROR(CudaStatus(cudaSetDevice(device), "cudaSetDevice"));
  if (const cudaError_t err = CheckKernelImage(); err != cudaSuccess) {
    cudaGetLastError();
    int major = 0, minor = 0;
    cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device);
    cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, device);
    return absl::UnavailableError(
        absl::StrCat("CUDA device ", device, " (compute capability ", major, ".", minor,
                     ") cannot run rlvr's kernels: ", cudaGetErrorString(err),
                     "; see CUDA_ARCHITECTURES in sampler/cuda/CMakeLists.txt"));
  }
  int multiprocessors = 0;
  RETURN_IF_ERROR(
      CudaStatus(cudaDeviceGetAttribute(&multiprocessors, cudaDevAttrMultiProcessorCount, device),
                 "cudaDeviceGetAttribute"));
  cudaStream_t stream = nullptr;
  RETURN_IF_ERROR(
      CudaStatus(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking), "cudaStreamCreate"));
  cublasHandle_t blas = nullptr;
  if (const cublasStatus_t status = cublasCreate(&blas); status != CUBLAS_STATUS_SUCCESS) {
    cudaStreamDestroy(stream);
    return CublasStatus(status, "cublasCreate");
  }
  if (const cublasStatus_t status = cublasSetStream(blas, stream);
      status != CUBLAS_STATUS_SUCCESS) {
    cublasDestroy(blas);
    cudaStreamDestroy(stream);
    return CublasStatus(status, "cublasSetStream");
  }
  // Plain fp32 (no TF32 tensor-op rounding): the logits are compared with the fp64 reference.
  if (const cublasStatus_t status = cublasSetMathMode(blas, CUBLAS_DEFAULT_MATH);
      status != CUBLAS_STATUS_SUCCESS) {
    cublasDestroy(blas);
    cudaStreamDestroy(stream);
    return CublasStatus(status, "cublasSetMathMode");
  }
  return std::make_unique<CudaDevice>(device, multiprocessors, stream, blas);
}

}  // namespace cuda

absl::StatusOr<std::unique_ptr<Backend>> NewCudaBackend(int device) {
  ASSIGN_OR_RETURN(std::unique_ptr<cuda::Device> cuda_device, cuda::NewCudaDevice(device));
  return cuda::NewPagedBackend(std::shared_ptr<cuda::Device>(std::move(cuda_device)));
}

}  // namespace rlvr::sampler
