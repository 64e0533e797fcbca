#include "verifiers/service/verifier_http.h"

#include <future>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "common/jsonl.h"
#include "nlohmann/json.hpp"
#include "verifiers/service/json_format.h"

namespace rlvr {
namespace {

HttpResponse ErrorResponse(const absl::Status& status) {
  nlohmann::json body = {{"error", std::string(status.message())},
                         {"code", absl::StatusCodeToString(status.code())}};
  return HttpResponse{HttpStatusFor(status), "application/json",
                      body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)};
}

// Submits to the engine (so HTTP shares the queue and its backpressure) and waits for the result.
absl::StatusOr<v1::VerifyResponse> SubmitAndWait(VerifierEngine* engine,
                                                 v1::VerifyRequest request, absl::Time deadline) {
  auto promise = std::make_shared<std::promise<absl::StatusOr<v1::VerifyResponse>>>();
  std::future<absl::StatusOr<v1::VerifyResponse>> future = promise->get_future();
  absl::Status submitted = engine->Submit(
      std::move(request), deadline,
      [promise](absl::StatusOr<v1::VerifyResponse> result) { promise->set_value(std::move(result)); });
  if (!submitted.ok()) return submitted;
  return future.get();
}

HttpResponse JsonResponse(const nlohmann::json& body) {
  return HttpResponse{200, "application/json",
                      body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)};
}

// A problem from a trainer's label: the gold answer of a math problem. A label that is a JSON
// object (code tests) names a code problem.
v1::Problem ProblemFromLabel(const std::string& label) {
  v1::Problem problem;
  const size_t first = label.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && label[first] == '{') {
    problem.set_kind(v1::PROBLEM_KIND_CODE);
  } else {
    problem.set_kind(v1::PROBLEM_KIND_MATH);
    problem.mutable_math()->set_gold(label);
  }
  return problem;
}

// Samples verified as groups of consecutive samples that share a label (a prompt's n samples), all
// submitted to the engine at once. Returns one verdict per sample, or the first error.
absl::StatusOr<std::vector<v1::Verdict>> VerifySamples(VerifierEngine* engine,
                                                       const std::vector<std::string>& responses,
                                                       const std::vector<std::string>& labels,
                                                       absl::Time deadline) {
  struct Pending {
    size_t first;
    std::future<absl::StatusOr<v1::VerifyResponse>> result;
  };
  std::vector<Pending> pending;
  for (size_t i = 0; i < responses.size();) {
    size_t end = i + 1;
    while (end < responses.size() && labels[end] == labels[i]) ++end;
    v1::VerifyRequest request;
    request.set_request_id(std::to_string(i));
    *request.mutable_problem() = ProblemFromLabel(labels[i]);
    for (size_t j = i; j < end; ++j) request.add_responses(responses[j]);
    auto promise = std::make_shared<std::promise<absl::StatusOr<v1::VerifyResponse>>>();
    pending.push_back({i, promise->get_future()});
    absl::Status submitted = engine->Submit(
        std::move(request), deadline,
        [promise](absl::StatusOr<v1::VerifyResponse> r) { promise->set_value(std::move(r)); });
    if (!submitted.ok()) {
      for (Pending& p : pending) {
        if (p.result.valid() && p.first != i) p.result.wait();  // let accepted work finish
      }
      return absl::Status(submitted.code(),
                          absl::StrCat("samples from ", i, ": ", submitted.message()));
    }
    i = end;
  }
  std::vector<v1::Verdict> verdicts;
  verdicts.reserve(responses.size());
  absl::Status first_error;
  for (Pending& p : pending) {
    absl::StatusOr<v1::VerifyResponse> r = p.result.get();
    if (!r.ok()) {
      if (first_error.ok()) {
        first_error = absl::Status(r.status().code(),
                                   absl::StrCat("samples from ", p.first, ": ", r.status().message()));
      }
      continue;
    }
    for (v1::Verdict& v : *r->mutable_verdicts()) verdicts.push_back(std::move(v));
  }
  if (!first_error.ok()) return first_error;
  return verdicts;
}

absl::StatusOr<std::vector<std::string>> StringArray(const nlohmann::json& body, const char* key,
                                                     bool required) {
  std::vector<std::string> out;
  if (!body.contains(key)) {
    if (required) return absl::InvalidArgumentError(absl::StrCat("missing \"", key, "\""));
    return out;
  }
  const nlohmann::json& value = body[key];
  if (!value.is_array()) {
    return absl::InvalidArgumentError(absl::StrCat("\"", key, "\" must be an array of strings"));
  }
  for (size_t i = 0; i < value.size(); ++i) {
    if (!value[i].is_string()) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", key, "\"[", i, "] must be a string, got ", value[i].type_name()));
    }
    out.push_back(value[i].get<std::string>());
  }
  return out;
}

// How to answer when some verdicts are invalid (the verifier could not decide): "error" (the
// default) fails the request with 422 so the trainer retries or stops — never a silent 0; "zero"
// scores them 0 and reports them in extra_logs.
absl::StatusOr<bool> InvalidAsZero(const HttpRequest& http) {
  auto it = http.params.find("on_invalid");
  if (it == http.params.end() || it->second == "error") return false;
  if (it->second == "zero") return true;
  return absl::InvalidArgumentError(
      absl::StrCat("on_invalid is \"", it->second, "\"; expected \"error\" or \"zero\""));
}

HttpResponse InvalidVerdicts(const std::vector<v1::Verdict>& verdicts) {
  nlohmann::json invalid = nlohmann::json::array();
  std::string first_reason;
  for (size_t i = 0; i < verdicts.size(); ++i) {
    if (verdicts[i].valid()) continue;
    invalid.push_back(i);
    if (first_reason.empty()) {
      first_reason = absl::StrCat(OutcomeName(verdicts[i].outcome()), ": ", verdicts[i].reason());
    }
  }
  nlohmann::json body = {
      {"error", absl::StrCat(invalid.size(), " of ", verdicts.size(),
                             " samples could not be verified (first: sample ", invalid[0].get<size_t>(),
                             ", ", first_reason,
                             "); pass ?on_invalid=zero to score them 0 instead")},
      {"code", "INVALID_VERDICT"},
      {"invalid", invalid}};
  return HttpResponse{422, "application/json",
                      body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)};
}

}  // namespace

int HttpStatusFor(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk: return 200;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kOutOfRange: return 400;
    case absl::StatusCode::kNotFound: return 404;
    case absl::StatusCode::kResourceExhausted: return 429;
    case absl::StatusCode::kUnimplemented: return 501;
    case absl::StatusCode::kUnavailable: return 503;
    case absl::StatusCode::kDeadlineExceeded: return 504;
    default: return 500;
  }
}

void AddVerifierHttpRoutes(HttpServer* server, VerifierEngine* engine, absl::Duration deadline) {
  server->Handle("POST", "/v1/verify", [engine, deadline](const HttpRequest& http) {
    v1::VerifyRequest request;
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = false;
    auto parsed = google::protobuf::util::JsonStringToMessage(http.body, &request, options);
    if (!parsed.ok()) {
      return ErrorResponse(absl::InvalidArgumentError(
          absl::StrCat("body is not a VerifyRequest in JSON: ", parsed.message().as_string())));
    }
    absl::StatusOr<v1::VerifyResponse> result =
        SubmitAndWait(engine, std::move(request), absl::Now() + deadline);
    if (!result.ok()) return ErrorResponse(result.status());
    std::string body;
    google::protobuf::util::JsonPrintOptions print;
    print.preserve_proto_field_names = true;
    print.always_print_primitive_fields = true;
    auto printed = google::protobuf::util::MessageToJsonString(*result, &body, print);
    if (!printed.ok()) {
      return ErrorResponse(absl::InternalError(printed.message().as_string()));
    }
    return HttpResponse{200, "application/json", std::move(body)};
  });

  // OpenRLHF's remote reward shape: {"query": [prompt+response...], "prompts": [...], "labels": [...]}
  // -> {"rewards": [...], "scores": [...], "extra_logs": {...}}. The response is what follows the
  // prompt in the query (the whole query when there are no prompts or the prompt is not in it).
  server->Handle("POST", "/v1/openrlhf/reward", [engine, deadline](const HttpRequest& http) {
    absl::StatusOr<bool> zero = InvalidAsZero(http);
    if (!zero.ok()) return ErrorResponse(zero.status());
    absl::StatusOr<nlohmann::json> body = ParseJson(http.body);
    if (!body.ok() || !body->is_object()) {
      return ErrorResponse(absl::InvalidArgumentError(
          body.ok() ? "body must be a JSON object" : std::string(body.status().message())));
    }
    auto queries = StringArray(*body, "query", true);
    auto prompts = StringArray(*body, "prompts", false);
    auto labels = StringArray(*body, "labels", true);
    for (const auto* part : {&queries, &prompts, &labels}) {
      if (!part->ok()) return ErrorResponse(part->status());
    }
    if (labels->size() != queries->size() || (!prompts->empty() && prompts->size() != queries->size())) {
      return ErrorResponse(absl::InvalidArgumentError(absl::StrCat(
          "\"query\" has ", queries->size(), " entries, \"prompts\" ", prompts->size(),
          ", \"labels\" ", labels->size(), "; they must match")));
    }
    if (queries->empty()) return ErrorResponse(absl::InvalidArgumentError("\"query\" is empty"));
    std::vector<std::string> responses = std::move(*queries);
    // OpenRLHF decodes queries with special tokens kept, so left padding may precede the prompt:
    // the response is whatever follows the prompt's first occurrence.
    for (size_t i = 0; i < prompts->size(); ++i) {
      const std::string& prompt = (*prompts)[i];
      if (prompt.empty()) continue;
      const size_t at = responses[i].find(prompt);
      if (at != std::string::npos) responses[i].erase(0, at + prompt.size());
    }
    absl::StatusOr<std::vector<v1::Verdict>> verdicts =
        VerifySamples(engine, responses, *labels, absl::Now() + deadline);
    if (!verdicts.ok()) return ErrorResponse(verdicts.status());
    nlohmann::json rewards = nlohmann::json::array(), correct = nlohmann::json::array(),
                   valid = nlohmann::json::array(), no_answer = nlohmann::json::array();
    bool any_invalid = false;
    for (const v1::Verdict& v : *verdicts) {
      any_invalid |= !v.valid();
      rewards.push_back(v.valid() ? v.score() : 0.0);
      correct.push_back(v.outcome() == v1::OUTCOME_CORRECT ? 1.0 : 0.0);
      valid.push_back(v.valid() ? 1.0 : 0.0);
      no_answer.push_back(v.outcome() == v1::OUTCOME_NO_ANSWER ? 1.0 : 0.0);
    }
    if (any_invalid && !*zero) return InvalidVerdicts(*verdicts);
    return JsonResponse({{"rewards", rewards},
                         {"scores", rewards},
                         {"extra_logs", {{"rlvr_correct", correct},
                                         {"rlvr_valid", valid},
                                         {"rlvr_no_answer", no_answer}}}});
  });

  // slime's remote reward shape: {"prompt": ..., "response": ..., "label": ...} -> the reward.
  server->Handle("POST", "/v1/slime/reward", [engine, deadline](const HttpRequest& http) {
    absl::StatusOr<bool> zero = InvalidAsZero(http);
    if (!zero.ok()) return ErrorResponse(zero.status());
    absl::StatusOr<nlohmann::json> body = ParseJson(http.body);
    if (!body.ok() || !body->is_object()) {
      return ErrorResponse(absl::InvalidArgumentError(
          body.ok() ? "body must be a JSON object" : std::string(body.status().message())));
    }
    if (!body->contains("response") || !(*body)["response"].is_string()) {
      return ErrorResponse(absl::InvalidArgumentError("\"response\" must be a string"));
    }
    // slime datasets carry numeric labels too: a number is its decimal text.
    const nlohmann::json& label = body->contains("label") ? (*body)["label"] : nlohmann::json();
    if (!label.is_string() && !label.is_number()) {
      return ErrorResponse(absl::InvalidArgumentError(
          absl::StrCat("\"label\" must be a string or number, got ", label.type_name())));
    }
    absl::StatusOr<std::vector<v1::Verdict>> verdicts =
        VerifySamples(engine, {(*body)["response"].get<std::string>()},
                      {label.is_string() ? label.get<std::string>() : label.dump()},
                      absl::Now() + deadline);
    if (!verdicts.ok()) return ErrorResponse(verdicts.status());
    const v1::Verdict& verdict = verdicts->front();
    if (!verdict.valid() && !*zero) return InvalidVerdicts(*verdicts);
    return JsonResponse(verdict.valid() ? verdict.score() : 0.0);
  });
}

}  // namespace rlvr
