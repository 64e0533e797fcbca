// JSON shapes of the verifier: the `rlvr verify` JSONL line format and verdict results. The HTTP
// `POST /v1/verify` body is the protobuf JSON mapping of VerifyRequest (see verifier_http.h).
#ifndef RLVR_VERIFIERS_SERVICE_JSON_FORMAT_H_
#define RLVR_VERIFIERS_SERVICE_JSON_FORMAT_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "rlvr/v1/verifier.pb.h"

namespace rlvr {

// One `rlvr verify` input line:
//   {"id": "...", "kind": "math", "response": "...", "answer": "...", "options": {...}}
// `responses` (an array) may replace `response` to verify a group. `options` keys: precision (int),
// percent ("flexible" | "exact"), strict (bool), allow_set_relation_comp (bool),
// last_number_fallback (bool). INVALID_ARGUMENT names the bad key and value; unknown keys are errors
// (a typo must not silently change what is checked). Kind "code" lines carry "language", "tests" and
// "limits" (or a dataset row's own columns) instead of "answer": see code::CodeProblemFromJson.
absl::StatusOr<v1::VerifyRequest> RequestFromJsonLine(const nlohmann::json& line);

// "correct", "incorrect", "no_answer", "no_code", "invalid_gold", "budget_exceeded", "error".
std::string OutcomeName(v1::Outcome outcome);

// {"id", "outcome", "score", "valid", "extracted", "reason"}; code verdicts add "tests_passed",
// "tests_total" and "tests" (per-test status, wall_ms, detail, stderr excerpt).
nlohmann::json VerdictToJson(std::string_view id, const v1::Verdict& verdict);

// The result line for an input line that could not be verified at all: outcome "error",
// valid=false, reason = the error. `id` may be empty when the line had none.
nlohmann::json ErrorToJson(std::string_view id, const absl::Status& error);

}  // namespace rlvr

#endif  // RLVR_VERIFIERS_SERVICE_JSON_FORMAT_H_
