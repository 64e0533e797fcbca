// HTTP routes of the verifier, beside gRPC:
//   POST /v1/verify  body: VerifyRequest as protobuf JSON  ->  VerifyResponse as protobuf JSON.
//   POST /v1/openrlhf/reward  OpenRLHF's remote reward shape: {"query", "prompts", "labels"} ->
//        {"rewards", "scores", "extra_logs"}; consecutive samples with one label form a group.
//   POST /v1/slime/reward  slime's remote reward shape: {"prompt", "response", "label"} -> reward.
// A label is the gold answer (math) or the tests as a JSON object (code). When a verdict is invalid
// (the verifier could not decide) the trainer endpoints answer 422 naming the samples, unless the
// query has ?on_invalid=zero — never a silent 0.
// Errors: 400 bad JSON / bad field (the message names it), 429 queue full, 501 unsupported kind,
// 504 deadline; the body is {"error": "...", "code": "INVALID_ARGUMENT"}.
#ifndef RLVR_VERIFIERS_SERVICE_VERIFIER_HTTP_H_
#define RLVR_VERIFIERS_SERVICE_VERIFIER_HTTP_H_

#include "absl/time/time.h"
#include "common/http_server.h"
#include "verifiers/service/verifier_engine.h"

namespace rlvr {

// Registers the routes on `server` (before it starts). `engine` must outlive the server.
void AddVerifierHttpRoutes(HttpServer* server, VerifierEngine* engine, absl::Duration deadline);

// The HTTP status for an error status (400, 404, 429, 501, 503, 504, 500).
int HttpStatusFor(const absl::Status& status);

}  // namespace rlvr

#endif  // RLVR_VERIFIERS_SERVICE_VERIFIER_HTTP_H_
