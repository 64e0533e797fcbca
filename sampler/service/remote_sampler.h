// RemoteSampler: a Sampler that forwards generation to an external OpenAI-compatible engine
// (vLLM, SGLang, or another rlvr-sampler) over HTTP: one `POST {base}/v1/completions` per request,
// all n samples in that one call, on a bounded pool of worker threads (callbacks run there, never
// on the caller). Samples are delivered when the whole answer arrives, in index order.
//
// What is asked of the engine: model, prompt (text or token ids), n, temperature, top_p,
// max_tokens, stop, seed, and, when set, top_k, min_p, stop_token_ids (vLLM/SGLang extensions);
// always logprobs=0 with return_tokens_as_token_ids and return_token_ids (vLLM), so the generated
// token ids come back (from choices[].token_ids when the engine sends them, else from "token_id:N"
// tokens) along with each token's logprob. Token ids stay empty when the engine sends neither.
// SampleResult.logprobs is filled when the request asked for logprobs; sampling_logprobs stays
// empty (engines report one kind of logprob). finish_reason "stop" -> kStop, "length" -> kLength,
// anything else ("abort"...) -> kAborted.
//
// Weights live in the external engine, so UpdateWeights accepts only a version-only update (no
// tensors): the operator (or the orchestrator) updates the engine's weights through that engine's
// own API, then records the version it now serves here; samples carry it as policy_version.
// An update with tensors is UNIMPLEMENTED. A version not above the current one is INVALID_ARGUMENT.
//
// Errors name the URL and what went wrong: UNAVAILABLE for a refused or dropped connection,
// DEADLINE_EXCEEDED for a timeout, the HTTP status mapped to its code (400 INVALID_ARGUMENT,
// 404 NOT_FOUND, 429 RESOURCE_EXHAUSTED, 401/403 PERMISSION_DENIED, 501 UNIMPLEMENTED,
// 503 UNAVAILABLE, 504 DEADLINE_EXCEEDED, other 5xx INTERNAL) with the engine's own message, and
// INTERNAL for an answer that is not the expected JSON.
#ifndef RLVR_SAMPLER_SERVICE_REMOTE_SAMPLER_H_
#define RLVR_SAMPLER_SERVICE_REMOTE_SAMPLER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/thread_pool.h"
#include "sampler/sampler.h"

namespace rlvr::sampler {

struct RemoteSamplerOptions {
  // "http://host:port" or "https://host:port", optionally with a path prefix; a trailing "/v1" is
  // accepted (OpenAI SDK style) and not doubled.
  std::string base_url;
  // The model name sent to the engine; "" = the first model of its GET /v1/models.
  std::string model;
  std::string api_key;          // sent as "Authorization: Bearer ..." when set
  uint64_t policy_version = 0;  // the version the engine serves at start
  int32_t max_n = 64;           // limits checked before forwarding
  int32_t max_tokens = 4096;
  size_t threads = 16;       // concurrent HTTP calls to the engine
  size_t max_queued = 1024;  // requests waiting for a thread; beyond: RESOURCE_EXHAUSTED
  absl::Duration connect_timeout = absl::Seconds(5);
  absl::Duration request_timeout = absl::Minutes(10);  // one completion call, all n samples
};

class RemoteSampler final : public Sampler {
 public:
  // INVALID_ARGUMENT for a malformed URL or options. Asks the engine for its models once (to learn
  // the model name and context length); an engine that is not up yet is not an error: the model
  // is looked up again before the first request that needs it.
  static absl::StatusOr<std::unique_ptr<RemoteSampler>> Create(RemoteSamplerOptions options);
  // Cancels what is running and waits for every callback to have run.
  ~RemoteSampler() override;

  absl::StatusOr<uint64_t> Generate(GenerationRequest request,
                                    std::function<void(SampleResult)> on_sample,
                                    std::function<void(absl::Status)> on_done) override;
  // Aborts the request's HTTP call if it is running; on_done gets CANCELLED on a worker thread.
  void Cancel(uint64_t id) override;
  absl::Status UpdateWeights(WeightUpdate update) override;
  SamplerInfo Info() const override;

  // GET /v1/models now: refreshes the model name (when not fixed by the options) and context
  // length. Blocks for up to the connect and request timeouts.
  absl::Status RefreshModels();

  const std::string& completions_url() const { return completions_url_; }

 private:
  struct Request;
  class Http;
  explicit RemoteSampler(RemoteSamplerOptions options);
  void Run(const std::shared_ptr<Request>& request);
  absl::Status Call(Request& request, std::vector<SampleResult>* samples);

  const RemoteSamplerOptions options_;
  std::string scheme_host_port_;  // "http://host:port"
  std::string path_prefix_;       // "" or "/prefix" (no trailing "/v1")
  std::string completions_url_;   // for messages
  std::string models_url_;
  mutable std::mutex mu_;
  std::string model_ ABSL_GUARDED_BY(mu_);
  int64_t context_length_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t version_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  bool shutting_down_ ABSL_GUARDED_BY(mu_) = false;
  std::map<uint64_t, std::shared_ptr<Request>> requests_ ABSL_GUARDED_BY(mu_);  // queued or running
  std::unique_ptr<ThreadPool> pool_;  // last: joined first
};

}  // namespace rlvr::sampler

#endif  // RLVR_SAMPLER_SERVICE_REMOTE_SAMPLER_H_
