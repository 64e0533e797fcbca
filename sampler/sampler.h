// Sampler: what the Sampler service (and the orchestrator, in process) needs of a rollout worker.
// Implemented by the local engine (CPU / CUDA backends) and by the remote client, which fronts an
// external OpenAI-compatible engine (vLLM, SGLang).
#ifndef RLVR_SAMPLER_SAMPLER_H_
#define RLVR_SAMPLER_SAMPLER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "model/tensor.h"

namespace rlvr::sampler {

struct SamplingOptions {
  float temperature = 1.0f;           // 0: greedy
  float top_p = 1.0f;                 // (0, 1]; 1: off
  int32_t top_k = 0;                  // 0: off
  float min_p = 0.0f;                 // [0, 1); 0: off
  int32_t max_tokens = 16;            // >= 1, <= the sampler's limit
  std::vector<std::string> stop;      // stop strings; the text ends before the first match
  std::vector<int32_t> stop_token_ids;  // besides the model's EOS tokens
  std::optional<uint64_t> seed;       // same seed, same samples (per sample: seed + index)
  bool logprobs = false;              // fill SampleResult::logprobs (and sampling_logprobs)
};

struct GenerationRequest {
  std::string prompt;                 // tokenized by the sampler, unless prompt_token_ids is set
  std::vector<int32_t> prompt_token_ids;
  int32_t n = 1;                      // samples of this prompt, >= 1, <= the sampler's max_n
  SamplingOptions sampling;
  std::string model;                  // "" or the served model's name
};

enum class FinishReason { kStop, kLength, kAborted };

struct SampleResult {
  uint32_t index = 0;                 // 0..n-1
  std::vector<int32_t> token_ids;     // generated tokens (a matched stop token included)
  std::string text;                   // decoded, cut before a matched stop string
  // log p(token) under the policy, i.e. softmax(logits) at temperature 1, for each sampled token.
  std::vector<float> logprobs;
  // log p(token) under the distribution actually sampled from (temperature, top-k/p, min-p
  // applied); empty when that is the policy itself (temperature 1, no truncation).
  std::vector<float> sampling_logprobs;
  FinishReason finish_reason = FinishReason::kLength;
  uint64_t policy_version = 0;        // weights version that produced every token of it
  uint32_t prompt_tokens = 0;
};

struct SamplerInfo {
  std::string model;
  uint64_t policy_version = 0;
  std::string backend;                // "cpu", "cuda", "remote"
  int32_t max_n = 0;
  int32_t max_tokens = 0;
  int64_t context_length = 0;
};

// A set of new weights: tensors by Hugging Face name (a subset replaces just those tensors).
struct WeightUpdate {
  uint64_t version = 0;               // must exceed the current version
  std::map<std::string, model::Tensor> tensors;
};

class Sampler {
 public:
  virtual ~Sampler() = default;

  // Validates `request` (INVALID_ARGUMENT naming the field and value, NOT_FOUND for an unknown
  // model, RESOURCE_EXHAUSTED when the queue is full) and starts it. `on_sample` is called once
  // per sample as it finishes, then `on_done` once: OK after the n-th sample, or the error that
  // ended the request (CANCELLED after Cancel). Callbacks run on sampler threads and must not
  // block. Returns the request's id.
  virtual absl::StatusOr<uint64_t> Generate(GenerationRequest request,
                                            std::function<void(SampleResult)> on_sample,
                                            std::function<void(absl::Status)> on_done) = 0;
  // Stops a request; its unfinished samples are dropped and on_done gets CANCELLED. No-op for an
  // unknown or finished id.
  virtual void Cancel(uint64_t id) = 0;
  // Installs new weights between decode steps; returns when they serve. INVALID_ARGUMENT names a
  // tensor of unknown name or wrong shape, or a version not above the current one.
  virtual absl::Status UpdateWeights(WeightUpdate update) = 0;
  virtual SamplerInfo Info() const = 0;
};

}  // namespace rlvr::sampler

#endif  // RLVR_SAMPLER_SAMPLER_H_
