// The verification engine behind every front end (gRPC, HTTP, the `rlvr verify` command): validates
// a group, runs it on a bounded pool, records metrics. Front ends only convert and deliver.
#ifndef RLVR_VERIFIERS_SERVICE_VERIFIER_ENGINE_H_
#define RLVR_VERIFIERS_SERVICE_VERIFIER_ENGINE_H_

#include <array>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/metrics.h"
#include "common/thread_pool.h"
#include "rlvr/v1/verifier.pb.h"
#include "verifiers/code/code_verifier.h"

namespace rlvr {

// Caps on what one request may carry. Exceeding one is INVALID_ARGUMENT naming the field and value.
struct VerifierLimits {
  size_t max_responses_per_group = 1024;
  size_t max_response_bytes = 16u << 20;  // one completion (long reasoning is normal)
  size_t max_gold_bytes = 1u << 20;
  size_t max_request_id_bytes = 256;
};

struct VerifierEngineOptions {
  size_t threads = 2;        // pool workers
  size_t max_queue = 1024;   // groups waiting; beyond this Submit answers RESOURCE_EXHAUSTED
  VerifierLimits limits;
  // Serve PROBLEM_KIND_CODE. The sandbox and code verifier are created on the first code request;
  // when that fails, code requests answer FAILED_PRECONDITION with the reason.
  bool enable_code = true;
  code::CodeVerifierOptions code;
};

class VerifierEngine {
 public:
  using Callback = std::function<void(absl::StatusOr<v1::VerifyResponse>)>;

  // `metrics` must outlive the engine.
  VerifierEngine(const VerifierEngineOptions& options, MetricsRegistry* metrics);
  ~VerifierEngine();  // finishes queued groups, then joins

  // Validates `request` now (INVALID_ARGUMENT / UNIMPLEMENTED for an unsupported kind), then queues
  // it. RESOURCE_EXHAUSTED when the queue is full. Only when this returns OK is `done` called, exactly
  // once, on a pool thread, with the verdicts (and, with a reward_spec, one reward breakdown per
  // verdict) or DEADLINE_EXCEEDED if `deadline` passed before the group finished. Thread-safe.
  absl::Status Submit(v1::VerifyRequest request, absl::Time deadline, Callback done);

  // Validates and verifies on the calling thread (no queue). Thread-safe.
  absl::StatusOr<v1::VerifyResponse> VerifyNow(const v1::VerifyRequest& request,
                                               absl::Time deadline);

  // INVALID_ARGUMENT naming the first bad field; FAILED_PRECONDITION when code problems cannot be
  // checked here (disabled, or the sandbox could not start — the message says why).
  absl::Status Validate(const v1::VerifyRequest& request);
  // The checks that need no verifier: sizes, counts, kind, math options, the reward spec (its
  // terms, and response_lengths when it has length terms).
  static absl::Status ValidateShape(const v1::VerifyRequest& request, const VerifierLimits& limits);

  size_t queue_depth() const { return pool_.queue_depth(); }
  const VerifierEngineOptions& options() const { return options_; }

 private:
  // The verdicts (VerifyGroup), then the rewards when the request has a reward_spec.
  absl::StatusOr<v1::VerifyResponse> Run(const v1::VerifyRequest& request, absl::Time deadline);
  absl::StatusOr<v1::VerifyResponse> VerifyGroup(const v1::VerifyRequest& request,
                                                 absl::Time deadline);
  // The code verifier, created on first use; or why there is none.
  absl::StatusOr<code::CodeVerifier*> CodeVerifierOrError();
  void RecordGroup(const absl::StatusOr<v1::VerifyResponse>& result, absl::Duration elapsed);

  const VerifierEngineOptions options_;
  Gauge& queue_depth_;
  Gauge& in_flight_;
  Histogram& group_latency_;
  Histogram& response_latency_;
  static constexpr int kNumStatusCodes = 17;
  static constexpr int kNumOutcomes = v1::Outcome_ARRAYSIZE;
  std::array<Counter*, kNumStatusCodes> groups_by_code_;
  std::array<Counter*, kNumOutcomes> verdicts_by_outcome_;
  std::mutex code_mu_;
  bool code_tried_ ABSL_GUARDED_BY(code_mu_) = false;
  absl::Status code_status_ ABSL_GUARDED_BY(code_mu_);
  std::unique_ptr<code::CodeVerifier> code_;  // set once under code_mu_, then read-only
  ThreadPool pool_;  // last: destroyed first, so queued work still sees the members above
};

}  // namespace rlvr

#endif  // RLVR_VERIFIERS_SERVICE_VERIFIER_ENGINE_H_
