// HTTP routes of the verifier, beside gRPC:
//   POST /v1/verify  body: VerifyRequest as protobuf JSON  ->  VerifyResponse as protobuf JSON.
//   POST /v1/openrlhf/reward  OpenRLHF's remote reward shape: {"query", "prompts", "labels"} ->
//        {"rewards", "scores", "extra_logs"}; consecutive samples with one label form a group. The
//        response is what follows the prompt in its query; a prompt missing from its query is a 400.
//        Optional "reward_spec" (rlvr.v1.RewardSpec as protobuf JSON; else the server's) and
//        "response_lengths" (tokens per sample, for its length terms): the rewards are the spec's
//        totals, and extra_logs add "rlvr_score" and one "rlvr_reward_<term>" list per term.
//   POST /v1/slime/reward  slime's remote reward shape: {"prompt", "response", "label"} -> reward.
// A label is the gold answer (math; a string or a number) or a code problem as a JSON object, given
// as an object or as its JSON text (see ProblemFromLabel). When a verdict is invalid (the verifier
// could not decide) the trainer endpoints answer 422 naming the samples, unless the query has
// ?on_invalid=zero — never a silent 0.
// Errors: 400 bad JSON / bad field / bad label (the message names it and the sample), 429 queue
// full, 501 unsupported kind, 504 deadline; the body is {"error": "...", "code": "INVALID_ARGUMENT"}.
#ifndef RLVR_VERIFIERS_SERVICE_VERIFIER_HTTP_H_
#define RLVR_VERIFIERS_SERVICE_VERIFIER_HTTP_H_

#include <optional>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/http_server.h"
#include "verifiers/service/verifier_engine.h"

namespace rlvr {

// The problem a trainer's label names. A label whose first non-blank characters are `{"` or `{}` is
// a code problem in the `rlvr verify` JSONL shape without "response" (code::CodeProblemFromJson):
//   {"language": "python", "tests": {"type": "stdio", "cases": [...]}, "limits": {"time_ms": 2000}}
// with "language" defaulting to python; a dataset row's own test columns (APPS "input_output", ...)
// work too. Anything else is a math gold answer, so a LaTeX set such as "{1, 2}" stays math.
// INVALID_ARGUMENT when a code label is not valid JSON or not a code problem (names the field).
absl::StatusOr<v1::Problem> ProblemFromLabel(std::string_view label);

// Registers the routes on `server` (before it starts). `engine` must outlive the server.
// `reward_spec`: the OpenRLHF endpoint's RewardSpec for requests that carry none (validated by the
// caller); unset, such requests are rewarded with the verdict's score.
void AddVerifierHttpRoutes(HttpServer* server, VerifierEngine* engine, absl::Duration deadline,
                           std::optional<v1::RewardSpec> reward_spec = std::nullopt);

// The HTTP status for an error status (400, 404, 429, 501, 503, 504, 500).
int HttpStatusFor(const absl::Status& status);

}  // namespace rlvr

#endif  // RLVR_VERIFIERS_SERVICE_VERIFIER_HTTP_H_
