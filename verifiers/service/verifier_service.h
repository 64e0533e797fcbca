// rlvr.v1.Verifier over gRPC (callback API). Converts and delivers only; the engine does the work on
// its bounded pool, and reactions never block.
#ifndef RLVR_VERIFIERS_SERVICE_VERIFIER_SERVICE_H_
#define RLVR_VERIFIERS_SERVICE_VERIFIER_SERVICE_H_

#include <cstddef>

#include "common/metrics.h"
#include "rlvr/v1/verifier.grpc.pb.h"
#include "verifiers/service/verifier_engine.h"

namespace rlvr {

struct VerifierServiceOptions {
  // Requests one VerifyStream may have queued or running at once; the stream stops reading until
  // one finishes (flow control instead of buffering).
  size_t max_stream_in_flight = 64;
  // Used when the client sets no deadline.
  absl::Duration default_deadline = absl::Seconds(60);
};

class VerifierService final : public v1::Verifier::CallbackService {
 public:
  // `engine` and `metrics` must outlive the service.
  VerifierService(VerifierEngine* engine, MetricsRegistry* metrics,
                  const VerifierServiceOptions& options = {});

  grpc::ServerUnaryReactor* Verify(grpc::CallbackServerContext* context,
                                   const v1::VerifyRequest* request,
                                   v1::VerifyResponse* response) override;
  grpc::ServerBidiReactor<v1::VerifyRequest, v1::VerifyResponse>* VerifyStream(
      grpc::CallbackServerContext* context) override;

 private:
  class StreamReactor;
  absl::Time DeadlineOf(const grpc::CallbackServerContext* context) const;

  VerifierEngine* const engine_;
  const VerifierServiceOptions options_;
  Counter& unary_requests_;
  Counter& stream_requests_;
  Counter& rejected_;
};

}  // namespace rlvr

#endif  // RLVR_VERIFIERS_SERVICE_VERIFIER_SERVICE_H_
