// Backend: where the model's forward pass runs (CPU reference, CUDA). The engine owns scheduling,
// the page table and sampling; a backend owns weight storage, KV page storage and the math.
#ifndef RLVR_SAMPLER_BACKEND_H_
#define RLVR_SAMPLER_BACKEND_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "model/config.h"
#include "model/weights.h"

namespace rlvr::sampler {

// One version of the weights as the backend stores them (host memory, device memory...).
// Immutable once loaded; shared by every sequence that runs on it.
class LoadedWeights {
 public:
  virtual ~LoadedWeights() = default;
  const model::ModelConfig& config() const { return config_; }
  uint64_t version() const { return version_; }

 protected:
  LoadedWeights(model::ModelConfig config, uint64_t version)
      : config_(std::move(config)), version_(version) {}

 private:
  model::ModelConfig config_;
  uint64_t version_;
};

// One sequence's share of a forward step: `tokens` at positions [start_pos, start_pos + size).
// K/V of positions [0, start_pos) are already in the cache; the step writes those of `tokens`.
// `pages` is the sequence's block table: position p lives in page pages[p / page_size], slot
// p % page_size, and covers every position through start_pos + tokens.size() - 1.
struct SequenceChunk {
  std::vector<int32_t> tokens;
  int64_t start_pos = 0;
  std::vector<int32_t> pages;
};

class Backend {
 public:
  virtual ~Backend() = default;
  // "cpu", "cuda".
  virtual std::string name() const = 0;

  // Copies `weights` into backend storage as `version`. INVALID_ARGUMENT if they do not fit the
  // config the KV cache was allocated for; RESOURCE_EXHAUSTED if out of (device) memory.
  virtual absl::StatusOr<std::shared_ptr<const LoadedWeights>> Load(const model::ModelWeights& weights,
                                                                    uint64_t version) = 0;

  // Allocates the KV cache for `config`: `num_pages` pages of `page_size` positions, each
  // holding K and V of every layer. Called once, before Forward.
  virtual absl::Status AllocateKv(const model::ModelConfig& config, int64_t num_pages,
                                  int64_t page_size) = 0;
  // Bytes of KV storage per page.
  virtual int64_t PageBytes() const = 0;

  // Runs `chunks` through the model (one batch; a chunk may be a whole prompt or one decode
  // token), writes their K/V into their pages, and sets `logits` to the last position's logits of
  // each chunk: row-major [chunks.size(), vocab]. Not thread-safe: one Forward at a time.
  virtual absl::Status Forward(const LoadedWeights& weights, const std::vector<SequenceChunk>& chunks,
                               std::vector<float>* logits) = 0;

  // Copies every layer's K/V of page `from` into page `to` (copy-on-write of a shared page).
  virtual void CopyPage(int32_t from, int32_t to) = 0;
};

// The CPU backend: OpenBLAS matmuls, attention over the paged cache, `threads` worker threads
// (0: hardware concurrency).
std::unique_ptr<Backend> NewCpuBackend(int threads);

// The CUDA backend (cuBLAS + own kernels), or UNAVAILABLE when rlvr was built without CUDA or no
// device is visible.
absl::StatusOr<std::unique_ptr<Backend>> NewCudaBackend(int device);

}  // namespace rlvr::sampler

#endif  // RLVR_SAMPLER_BACKEND_H_
