// Engine: the local Sampler. Continuous batching over a paged KV cache: a request's prompt is
// prefilled once and its n samples fork the prompt's pages (reference-counted, copy-on-write on
// the partly filled last page); every step batches one decode token of every running sample with
// the prompt chunks of newly admitted requests. One scheduler thread drives the backend.
#ifndef RLVR_SAMPLER_ENGINE_H_
#define RLVR_SAMPLER_ENGINE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "model/tokenizer.h"
#include "model/weights.h"
#include "sampler/backend.h"
#include "sampler/sampler.h"

namespace rlvr::sampler {

struct EngineOptions {
  std::string model_name = "rlvr-tiny";
  int32_t max_n = 64;                 // largest n accepted
  int32_t max_tokens = 4096;          // largest max_tokens accepted
  int64_t kv_pages = 4096;            // KV cache pages
  int64_t page_size = 16;             // positions per page
  int32_t max_running = 64;           // samples decoding at once (batch rows)
  int32_t max_queued = 1024;          // requests waiting; beyond: RESOURCE_EXHAUSTED
  int64_t prefill_chunk = 512;        // prompt tokens per step, at most
  bool restart_on_update = false;     // weight update: false = in-flight samples finish on the
                                      // old version; true = they restart on the new one
};

// Counters for /metrics and benchmarks.
struct EngineStats {
  uint64_t generated_tokens = 0;
  uint64_t prompt_tokens = 0;
  uint64_t steps = 0;
  uint64_t batch_rows = 0;            // sum over steps of the rows decoded
  int64_t kv_pages_used = 0;
  int64_t kv_pages_peak = 0;
  int64_t kv_pages_total = 0;
  int64_t kv_page_bytes = 0;
  int64_t running = 0;
  int64_t queued = 0;
  uint64_t policy_version = 0;
};

class Engine : public Sampler {
 public:
  // Loads `weights` into `backend` as `version` and starts the scheduler thread.
  static absl::StatusOr<std::unique_ptr<Engine>> Create(std::unique_ptr<Backend> backend,
                                                        model::ModelWeights weights, uint64_t version,
                                                        std::shared_ptr<const model::Tokenizer> tokenizer,
                                                        EngineOptions options);
  virtual EngineStats Stats() const = 0;
  virtual const model::Tokenizer& tokenizer() const = 0;
};

}  // namespace rlvr::sampler

#endif  // RLVR_SAMPLER_ENGINE_H_
