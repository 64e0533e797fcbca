#include "verifiers/service/json_format.h"

#include <cctype>

#include "absl/strings/str_cat.h"
#include "verifiers/code/code_verifier.h"

namespace rlvr {
namespace {

std::string Shown(const nlohmann::json& value) {
  std::string text = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (text.size() > 80) text = text.substr(0, 77) + "...";
  return text;
}

absl::Status WrongType(std::string_view key, const char* expected, const nlohmann::json& value) {
  return absl::InvalidArgumentError(absl::StrCat("\"", std::string(key), "\" must be ", expected,
                                                 ", got ", Shown(value)));
}

absl::Status ParseOptions(const nlohmann::json& options, v1::MathOptions* out) {
  if (!options.is_object()) return WrongType("options", "an object", options);
  for (const auto& [key, value] : options.items()) {
    if (key == "precision") {
      if (!value.is_number_integer()) return WrongType("options.precision", "an integer", value);
      const int64_t precision = value.get<int64_t>();
      if (precision < 0 || precision > 50) {
        return absl::InvalidArgumentError(
            absl::StrCat("\"options.precision\" is ", precision, "; must be 0..50"));
      }
      out->set_precision(static_cast<int32_t>(precision));
    } else if (key == "percent") {
      if (value == "flexible") {
        out->set_percent(v1::PERCENT_MODE_FLEXIBLE);
      } else if (value == "exact") {
        out->set_percent(v1::PERCENT_MODE_EXACT);
      } else {
        return WrongType("options.percent", "\"flexible\" or \"exact\"", value);
      }
    } else if (key == "strict") {
      if (!value.is_boolean()) return WrongType("options.strict", "a boolean", value);
      out->set_strict(value.get<bool>());
    } else if (key == "allow_set_relation_comp") {
      if (!value.is_boolean()) return WrongType("options.allow_set_relation_comp", "a boolean", value);
      out->set_allow_set_relation_comp(value.get<bool>());
    } else if (key == "last_number_fallback") {
      if (!value.is_boolean()) return WrongType("options.last_number_fallback", "a boolean", value);
      out->set_last_number_fallback(value.get<bool>());
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown option \"", key,
          "\" (known: precision, percent, strict, allow_set_relation_comp, last_number_fallback)"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<v1::VerifyRequest> RequestFromJsonLine(const nlohmann::json& line) {
  if (!line.is_object()) return WrongType("line", "a JSON object", line);
  v1::VerifyRequest request;
  for (const auto& [key, value] : line.items()) {
    if (key == "id") {
      if (value.is_string()) {
        request.set_request_id(value.get<std::string>());
      } else if (value.is_number_integer()) {
        request.set_request_id(value.dump());
      } else {
        return WrongType("id", "a string or integer", value);
      }
    } else if (key == "kind") {
      if (value == "math") {
        request.mutable_problem()->set_kind(v1::PROBLEM_KIND_MATH);
      } else if (value == "code") {
        request.mutable_problem()->set_kind(v1::PROBLEM_KIND_CODE);
      } else {
        return WrongType("kind", "\"math\" or \"code\"", value);
      }
    } else if (key == "response") {
      if (!value.is_string()) return WrongType("response", "a string", value);
      request.add_responses(value.get<std::string>());
    } else if (key == "responses") {
      if (!value.is_array()) return WrongType("responses", "an array of strings", value);
      for (const auto& item : value) {
        if (!item.is_string()) return WrongType("responses[]", "a string", item);
        request.add_responses(item.get<std::string>());
      }
    } else if (key == "answer") {
      if (value.is_string()) {
        request.mutable_problem()->mutable_math()->set_gold(value.get<std::string>());
      } else if (value.is_number()) {
        request.mutable_problem()->mutable_math()->set_gold(value.dump());
      } else {
        return WrongType("answer", "a string or number", value);
      }
    } else if (key == "options") {
      absl::Status status = ParseOptions(value, request.mutable_problem()->mutable_math()->mutable_options());
      if (!status.ok()) return status;
    } else if (key == "prompt") {
      if (!value.is_string()) return WrongType("prompt", "a string", value);
      request.mutable_problem()->set_prompt(value.get<std::string>());
    } else {
      // Unknown keys are kept out of the check but not fatal: dataset rows carry metadata.
    }
  }
  if (!line.contains("kind")) {
    return absl::InvalidArgumentError("missing \"kind\" (\"math\" or \"code\")");
  }
  if (!line.contains("response") && !line.contains("responses")) {
    return absl::InvalidArgumentError("missing \"response\"");
  }
  if (request.problem().kind() == v1::PROBLEM_KIND_MATH && !line.contains("answer")) {
    return absl::InvalidArgumentError("missing \"answer\" (the gold answer)");
  }
  if (request.problem().kind() == v1::PROBLEM_KIND_CODE) {
    absl::StatusOr<v1::CodeProblem> problem = code::CodeProblemFromJson(line);
    if (!problem.ok()) return problem.status();
    *request.mutable_problem()->mutable_code() = std::move(*problem);
  }
  request.mutable_problem()->set_id(request.request_id());
  return request;
}

std::string OutcomeName(v1::Outcome outcome) {
  std::string name = v1::Outcome_Name(outcome);
  if (name.rfind("OUTCOME_", 0) == 0) name = name.substr(8);
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name.empty() ? "unspecified" : name;
}

nlohmann::json VerdictToJson(std::string_view id, const v1::Verdict& verdict, v1::ProblemKind kind) {
  nlohmann::json out = {{"id", std::string(id)},
                        {"outcome", OutcomeName(verdict.outcome())},
                        {"score", verdict.score()},
                        {"valid", verdict.valid()},
                        {"extracted", verdict.extracted()},
                        {"reason", verdict.reason()}};
  if (kind == v1::PROBLEM_KIND_CODE) {
    out["tests_passed"] = verdict.tests_passed();
    out["tests_total"] = verdict.tests_total();
    out["all_passed"] = verdict.valid() && verdict.tests_total() > 0 &&
                        verdict.tests_passed() == verdict.tests_total();
    nlohmann::json tests = nlohmann::json::array();
    for (const v1::TestVerdict& test : verdict.tests()) {
      nlohmann::json t = {{"status", test.status()}, {"wall_ms", test.wall_ms()}};
      if (!test.detail().empty()) t["detail"] = test.detail();
      if (!test.stderr_excerpt().empty()) t["stderr"] = test.stderr_excerpt();
      tests.push_back(std::move(t));
    }
    out["tests"] = std::move(tests);
  }
  return out;
}

nlohmann::json ErrorToJson(std::string_view id, const absl::Status& error, v1::ProblemKind kind,
                           uint32_t tests_total) {
  nlohmann::json out = {{"id", std::string(id)},
                        {"outcome", "error"},
                        {"score", 0.0},
                        {"valid", false},
                        {"extracted", ""},
                        {"reason", std::string(error.message())},
                        {"error_code", absl::StatusCodeToString(error.code())}};
  if (kind == v1::PROBLEM_KIND_CODE) {
    out["tests_passed"] = 0;
    out["tests_total"] = tests_total;
    out["all_passed"] = false;
    out["tests"] = nlohmann::json::array();
  }
  return out;
}

}  // namespace rlvr
