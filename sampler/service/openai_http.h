// The sampler's OpenAI-compatible HTTP API, beside gRPC:
//
//   POST /v1/completions  the legacy completions API (what vLLM and SGLang serve):
//     model        "" / absent = the served model; another name: 404
//     prompt       a string, a list of strings, a list of token ids, or a list of such lists;
//                  each prompt gets n choices, choice index = prompt * n + sample
//     n (1), temperature (1), top_p (1), max_tokens (16), stop (string or list), seed
//     top_k (0 or -1: off), min_p (0), stop_token_ids: vLLM's extensions
//     logprobs     an integer k >= 0 (or true): the sampled token's logprob under the policy per
//                  token, as {tokens, token_logprobs, top_logprobs: null, text_offset}; top
//                  alternatives are not computed, whatever k is. text_offset is the byte offset of
//                  each token in `text` (null when the sampler cannot name tokens).
//     return_tokens_as_token_ids (vLLM): logprobs.tokens as "token_id:N".
//     stream: true, echo: true, suffix, best_of != n, penalties, logit_bias: 400 "not supported".
//   Answer: {id, object: "text_completion", created, model, choices: [{index, text, logprobs,
//   finish_reason: "stop" | "length" | "abort", token_ids, policy_version, sampling_logprobs
//   (with logprobs, when sampling differed from the policy)}], usage: {prompt_tokens,
//   completion_tokens, total_tokens}}. token_ids, policy_version and sampling_logprobs are rlvr's
//   extensions.
//   GET /v1/models  {object: "list", data: [{id, object: "model", created, owned_by: "rlvr",
//   root, max_model_len, policy_version}]}.
//
// Errors have OpenAI's shape {"error": {"message", "type", "param", "code"}}: 400 bad request,
// 404 unknown model, 429 queue full, 501 unimplemented, 503 unavailable or shutting down, 504 past
// the request timeout, 500 otherwise; `code` is the status code's name ("INVALID_ARGUMENT"...).
#ifndef RLVR_SAMPLER_SERVICE_OPENAI_HTTP_H_
#define RLVR_SAMPLER_SERVICE_OPENAI_HTTP_H_

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/http_server.h"
#include "common/metrics.h"
#include "sampler/sampler.h"

namespace rlvr::sampler {

struct OpenAiOptions {
  // A completion still running after this is cancelled and answered 504.
  absl::Duration request_timeout = absl::Minutes(10);
  // Prompts in one request, at most.
  int32_t max_prompts = 256;
  // The bytes of a token, for logprobs.tokens and text_offset; empty: tokens are named
  // "token_id:N" and text_offset is null.
  std::function<std::string(int32_t)> token_text;
};

// The HTTP status for an error status.
int OpenAiHttpStatus(const absl::Status& status);

class OpenAiEndpoint {
 public:
  // `sampler` and `metrics` must outlive the endpoint.
  OpenAiEndpoint(Sampler* sampler, MetricsRegistry* metrics, OpenAiOptions options);
  ~OpenAiEndpoint();  // cancels what is still running (Drain(now))

  // Registers POST /v1/completions and GET /v1/models on `server` (before it starts). The endpoint
  // must outlive the server.
  void AddRoutes(HttpServer* server);

  // For shutdown: new completions get 503 from now on; waits until `deadline` for the running ones,
  // then cancels them (they answer 503). Thread-safe.
  void Drain(absl::Time deadline);

  HttpResponse Completions(const HttpRequest& request);
  HttpResponse Models(const HttpRequest& request);

 private:
  struct Call;
  void Untrack(const std::shared_ptr<Call>& call);

  Sampler* const sampler_;
  const OpenAiOptions options_;
  const int64_t created_;     // unix seconds at start, for /v1/models
  const uint64_t id_prefix_;  // random per process, for completion ids
  Counter& requests_;
  Counter& errors_;
  Counter& samples_;
  Counter& completion_tokens_;
  std::mutex mu_;
  std::condition_variable idle_;
  bool draining_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 0;
  std::set<std::shared_ptr<Call>> calls_ ABSL_GUARDED_BY(mu_);
};

}  // namespace rlvr::sampler

#endif  // RLVR_SAMPLER_SERVICE_OPENAI_HTTP_H_
