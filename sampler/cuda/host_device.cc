#include "sampler/cuda/host_device.h"

#include <cstdlib>
#include <cstring>
#include <new>

#include "absl/strings/str_cat.h"

namespace rlvr::sampler::cuda {
namespace {

class HostDevice final : public Device {
 public:
  std::string name() const override { return "host"; }
  int multiprocessors() const override { return 1; }
  absl::Status Bind() override { return absl::OkStatus(); }

  absl::StatusOr<void*> Allocate(int64_t bytes) override {
    void* ptr = ::operator new (static_cast<size_t>(bytes), std::align_val_t{256}, std::nothrow);
    if (ptr == nullptr)
      return absl::ResourceExhaustedError(absl::StrCat("cannot allocate ", bytes, " bytes"));
    return ptr;
  }
  void Free(void* ptr) override { ::operator delete (ptr, std::align_val_t{256}); }
  absl::Status Upload(void* dst, const void* src, int64_t bytes) override {
    return Copy(dst, src, bytes);
  }
  absl::Status Download(void* dst, const void* src, int64_t bytes) override {
    return Copy(dst, src, bytes);
  }
  absl::Status Copy(void* dst, const void* src, int64_t bytes) override {
    if (bytes > 0) std::memmove(dst, src, static_cast<size_t>(bytes));
    return absl::OkStatus();
  }
  absl::Status Zero(void* dst, int64_t bytes) override {
    if (bytes > 0) std::memset(dst, 0, static_cast<size_t>(bytes));
    return absl::OkStatus();
  }

  absl::Status GatherRows(float* out, const float* table, const int32_t* indices, int n,
                          int dim) override {
    GatherRowsReference(out, table, indices, n, dim);
    return absl::OkStatus();
  }
  absl::Status RmsNorm(float* out, const float* x, const float* weight, int rows, int dim,
                       float eps) override {
    RmsNormReference(out, x, weight, rows, dim, eps);
    return absl::OkStatus();
  }
  absl::Status AddBias(float* x, const float* bias, int rows, int dim) override {
    AddBiasReference(x, bias, rows, dim);
    return absl::OkStatus();
  }
  absl::Status Rope(float* x, int64_t row_stride, const float* inv_freq, const int32_t* positions,
                    int rows, int num_heads, int head_dim) override {
    RopeReference(x, row_stride, inv_freq, positions, rows, num_heads, head_dim);
    return absl::OkStatus();
  }
  absl::Status StoreKv(float* cache, KvGeometry kv, int layer, const float* k, const float* v,
                       int64_t row_stride, BatchRows batch) override {
    StoreKvReference(cache, kv, layer, k, v, row_stride, batch);
    return absl::OkStatus();
  }
  absl::Status PagedAttention(const PagedAttentionArgs& args, AttentionSplit, float*) override {
    PagedAttentionReference(args);
    return absl::OkStatus();
  }
  absl::Status SwiGlu(float* out, const float* gate_up, int rows, int inter) override {
    SwiGluReference(out, gate_up, rows, inter);
    return absl::OkStatus();
  }
  absl::Status Gemm(const GemmCall& g) override {
    SgemmReference(g.trans_a, g.trans_b, g.m, g.n, g.k, 1.0f, g.a, g.lda, g.b, g.ldb, g.beta, g.c,
                   g.ldc);
    return absl::OkStatus();
  }
};

}  // namespace

std::unique_ptr<Device> NewHostDevice() { return std::make_unique<HostDevice>(); }

}  // namespace rlvr::sampler::cuda
