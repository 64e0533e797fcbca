// A client of rlvr.v1.Verifier: deadlines on every call, streaming for throughput.
#ifndef RLVR_VERIFIERS_SERVICE_VERIFY_CLIENT_H_
#define RLVR_VERIFIERS_SERVICE_VERIFY_CLIENT_H_

#include <grpcpp/channel.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "rlvr/v1/verifier.grpc.pb.h"

namespace rlvr {

class VerifierClient {
 public:
  // Connects lazily to `target` ("host:port").
  explicit VerifierClient(const std::string& target, int max_message_bytes = 64 << 20);
  explicit VerifierClient(std::shared_ptr<grpc::Channel> channel);

  // One group. The call's deadline is now + `timeout`. Returns the server's status as is.
  absl::StatusOr<v1::VerifyResponse> Verify(const v1::VerifyRequest& request,
                                            absl::Duration timeout);

  // Many groups over one VerifyStream. `requests[i].request_id` must be unique; the result has one
  // response per request in the order of `requests` (a per-request failure is a response with
  // error_code set). The stream's deadline is now + `timeout`. Thread-compatible.
  absl::StatusOr<std::vector<v1::VerifyResponse>> VerifyMany(
      const std::vector<v1::VerifyRequest>& requests, absl::Duration timeout);

 private:
  std::unique_ptr<v1::Verifier::Stub> stub_;
};

}  // namespace rlvr

#endif  // RLVR_VERIFIERS_SERVICE_VERIFY_CLIENT_H_
