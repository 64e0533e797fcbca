#include "sampler/cuda/paged_backend.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "model/config.h"
#include "sampler/cuda/batch_plan.h"
#include "sampler/cuda/forward.h"
#include "sampler/cuda/weight_layout.h"

namespace rlvr::sampler::cuda {
namespace {

// One weight version in one device allocation.
class PagedWeights final : public LoadedWeights {
 public:
  PagedWeights(model::ModelConfig config, uint64_t version, std::shared_ptr<Device> device,
               void* memory, ModelPointers pointers)
      : LoadedWeights(std::move(config), version),
        device_(std::move(device)),
        memory_(memory),
        pointers_(std::move(pointers)) {}
  ~PagedWeights() override {
    device_->Bind().IgnoreError();
    device_->Free(memory_);
  }
  PagedWeights(const PagedWeights&) = delete;
  PagedWeights& operator=(const PagedWeights&) = delete;

  const Device* device() const { return device_.get(); }
  const ModelPointers& pointers() const { return pointers_; }

 private:
  std::shared_ptr<Device> device_;
  void* memory_;
  ModelPointers pointers_;
};

// Whether weights of `config` fit a cache laid out as `kv`; INVALID_ARGUMENT says how they differ.
absl::Status CheckFitsCache(const model::ModelConfig& config, const KvGeometry& kv) {
  if (config.num_layers != kv.num_layers || config.num_kv_heads != kv.num_kv_heads ||
      config.head_dim != kv.head_dim) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the weights have ", config.num_layers, " layers and ", config.num_kv_heads,
        " kv heads of dim ", config.head_dim, "; the KV cache was allocated for ", kv.num_layers,
        " layers and ", kv.num_kv_heads, " kv heads of dim ", kv.head_dim));
  }
  return absl::OkStatus();
}

class PagedBackend final : public Backend {
 public:
  explicit PagedBackend(std::shared_ptr<Device> device) : device_(std::move(device)) {}
  ~PagedBackend() override {
    device_->Bind().IgnoreError();
    if (cache_ != nullptr) device_->Free(cache_);
    if (activations_ != nullptr) device_->Free(activations_);
    if (ints_ != nullptr) device_->Free(ints_);
  }
  PagedBackend(const PagedBackend&) = delete;
  PagedBackend& operator=(const PagedBackend&) = delete;

  std::string name() const override { return device_->name(); }

  absl::StatusOr<std::shared_ptr<const LoadedWeights>> Load(const model::ModelWeights& weights,
                                                            uint64_t version) override {
    RETURN_IF_ERROR(device_->Bind());
    if (cache_ != nullptr) RETURN_IF_ERROR(CheckFitsCache(weights.config, kv_));
    RETURN_IF_ERROR(CheckConfig(weights.config));
    const std::vector<float> inv_freq = model::RopeInverseFrequencies(weights.config);
    ASSIGN_OR_RETURN(const WeightLayout layout, LayoutWeights(weights, inv_freq));
    ASSIGN_OR_RETURN(void* memory, device_->Allocate(layout.total_floats * int64_t{sizeof(float)}));
    for (const WeightLayout::Piece& piece : layout.pieces) {
      const absl::Status status =
          device_->Upload(static_cast<float*>(memory) + piece.offset, piece.data,
                          piece.floats * int64_t{sizeof(float)});
      if (!status.ok()) {
        device_->Free(memory);
        return status;
      }
    }
    ModelPointers pointers = PointersInto(layout, static_cast<const float*>(memory));
    return std::make_shared<PagedWeights>(weights.config, version, device_, memory,
                                          std::move(pointers));
  }

  absl::Status AllocateKv(const model::ModelConfig& config, int64_t num_pages,
                          int64_t page_size) override {
    RETURN_IF_ERROR(device_->Bind());
    if (cache_ != nullptr) return absl::FailedPreconditionError("AllocateKv was already called");
    RETURN_IF_ERROR(CheckConfig(config));
    constexpr int64_t kMaxInt32 = std::numeric_limits<int32_t>::max();
    if (num_pages <= 0 || num_pages > kMaxInt32 || page_size <= 0 || page_size > kMaxInt32) {
      return absl::InvalidArgumentError(absl::StrCat("KV cache of ", num_pages, " pages of ",
                                                     page_size,
                                                     " positions; both must be in [1, 2^31)"));
    }
    const KvGeometry kv = KvGeometryFor(config, static_cast<int>(page_size));
    const int64_t page_bytes = kv.PageElements() * int64_t{sizeof(float)};
    if (num_pages > std::numeric_limits<int64_t>::max() / page_bytes) {
      return absl::InvalidArgumentError(
          absl::StrCat(num_pages, " pages of ", page_bytes, " bytes overflow"));
    }
    ASSIGN_OR_RETURN(void* cache, device_->Allocate(num_pages * page_bytes));
    if (absl::Status status = device_->Zero(cache, num_pages * page_bytes); !status.ok()) {
      device_->Free(cache);
      return status;
    }
    cache_ = static_cast<float*>(cache);
    kv_ = kv;
    num_pages_ = num_pages;
    return absl::OkStatus();
  }

  int64_t PageBytes() const override {
    return cache_ == nullptr ? 0 : kv_.PageElements() * int64_t{sizeof(float)};
  }

  absl::Status Forward(const LoadedWeights& weights, const std::vector<SequenceChunk>& chunks,
                       std::vector<float>* logits) override {
    if (!deferred_.ok()) return std::exchange(deferred_, absl::OkStatus());
    RETURN_IF_ERROR(device_->Bind());
    if (cache_ == nullptr) return absl::FailedPreconditionError("Forward before AllocateKv");
    const auto* paged = dynamic_cast<const PagedWeights*>(&weights);
    if (paged == nullptr || paged->device() != device_.get()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "weights version ", weights.version(), " were not loaded by this ", name(), " backend"));
    }
    const model::ModelConfig& config = weights.config();
    RETURN_IF_ERROR(CheckFitsCache(config, kv_));
    ASSIGN_OR_RETURN(const BatchPlan plan,
                     BuildBatchPlan(chunks, config.vocab_size, kv_.page_size, num_pages_));
    logits->clear();
    if (plan.rows == 0) return absl::OkStatus();

    ForwardBatch batch;
    batch.chunks = plan.chunks;
    batch.split = ChooseAttentionSplit(int64_t{plan.rows} * config.num_heads, plan.max_len,
                                       device_->multiprocessors());
    RETURN_IF_ERROR(
        Reserve(ActivationFloats(config, plan.rows, plan.chunks, batch.split.num_splits),
                static_cast<int64_t>(plan.ints.size())));
    RETURN_IF_ERROR(device_->Upload(ints_, plan.ints.data(),
                                    static_cast<int64_t>(plan.ints.size() * sizeof(int32_t))));
    batch.tokens = ints_;
    batch.rows = RowsOf(plan, ints_);
    batch.last_rows = ints_ + plan.last_rows_at;
    const Activations act =
        CarveActivations(activations_, config, plan.rows, plan.chunks, batch.split.num_splits);
    RETURN_IF_ERROR(RunForward(*device_, config, paged->pointers(), batch, cache_, kv_, act));
    logits->resize(static_cast<size_t>(plan.chunks * config.vocab_size));
    return device_->Download(logits->data(), act.logits,
                             static_cast<int64_t>(logits->size() * sizeof(float)));
  }

  void CopyPage(int32_t from, int32_t to) override {
    if (const absl::Status status = CopyPageOrError(from, to); !status.ok() && deferred_.ok())
      deferred_ = status;
  }

 private:
  absl::Status CopyPageOrError(int32_t from, int32_t to) {
    RETURN_IF_ERROR(device_->Bind());
    if (cache_ == nullptr) return absl::FailedPreconditionError("CopyPage before AllocateKv");
    if (from < 0 || from >= num_pages_ || to < 0 || to >= num_pages_) {
      return absl::InvalidArgumentError(
          absl::StrCat("CopyPage(", from, ", ", to, "): the cache has ", num_pages_, " pages"));
    }
    if (from == to) return absl::OkStatus();
    return device_->Copy(cache_ + to * kv_.PageElements(), cache_ + from * kv_.PageElements(),
                         kv_.PageElements() * int64_t{sizeof(float)});
  }

  // Grows the scratch to hold `floats` activations and `ints` metadata, with a quarter to spare.
  absl::Status Reserve(int64_t floats, int64_t ints) {
    if (floats > activations_floats_) {
      if (activations_ != nullptr) device_->Free(activations_);
      activations_ = nullptr;
      activations_floats_ = 0;
      const int64_t grown = floats + floats / 4;
      ASSIGN_OR_RETURN(void* memory, device_->Allocate(grown * int64_t{sizeof(float)}));
      activations_ = static_cast<float*>(memory);
      activations_floats_ = grown;
    }
    if (ints > ints_capacity_) {
      if (ints_ != nullptr) device_->Free(ints_);
      ints_ = nullptr;
      ints_capacity_ = 0;
      const int64_t grown = ints + ints / 4;
      ASSIGN_OR_RETURN(void* memory, device_->Allocate(grown * int64_t{sizeof(int32_t)}));
      ints_ = static_cast<int32_t*>(memory);
      ints_capacity_ = grown;
    }
    return absl::OkStatus();
  }

  const std::shared_ptr<Device> device_;
  // The KV cache (AllocateKv).
  float* cache_ = nullptr;
  KvGeometry kv_;
  int64_t num_pages_ = 0;
  // Forward scratch.
  float* activations_ = nullptr;
  int64_t activations_floats_ = 0;
  int32_t* ints_ = nullptr;
  int64_t ints_capacity_ = 0;
  absl::Status deferred_;  // a failed CopyPage, for the next Forward
};

}  // namespace

std::unique_ptr<Backend> NewPagedBackend(std::shared_ptr<Device> device) {
  return std::make_unique<PagedBackend>(std::move(device));
}

}  // namespace rlvr::sampler::cuda
