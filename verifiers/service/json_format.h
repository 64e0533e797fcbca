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
// (a typo must not silently change what is checked). Kind "code" lines carry "language" (default
// python), "tests", "limits" and "extract" (or a dataset row's own columns) instead of "answer":
// see code::CodeProblemFromJson, strict about the keys inside those objects.
absl::StatusOr<v1::VerifyRequest> RequestFromJsonLine(const nlohmann::json& line);

// "correct", "incorrect", "no_answer", "no_code", "invalid_gold", "budget_exceeded", "error".
std::string OutcomeName(v1::Outcome outcome);

// {"id", "outcome", "score", "valid", "extracted", "reason"}. For kind CODE, whatever the outcome
// (no_code and invalid_gold included), also "tests_passed", "tests_total" (the problem's tests),
// "all_passed" (true only when valid and every test passed) and "tests" (per-test status,
// wall_ms, detail, stderr excerpt; empty when nothing ran).
nlohmann::json VerdictToJson(std::string_view id, const v1::Verdict& verdict, v1::ProblemKind kind);

// The result line for an input line that could not be verified at all: outcome "error",
// valid=false, reason = the error. `id` may be empty when the line had none. For kind CODE the
// code fields are there too: tests_passed 0, `tests_total` (0 when the problem did not parse),
// all_passed false, tests [].
nlohmann::json ErrorToJson(std::string_view id, const absl::Status& error,
                           v1::ProblemKind kind = v1::PROBLEM_KIND_UNSPECIFIED, uint32_t tests_total = 0);

}  // namespace rlvr

#endif  // RLVR_VERIFIERS_SERVICE_JSON_FORMAT_H_
