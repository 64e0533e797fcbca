#include "verifiers/service/verifier_http.h"

#include <cstdint>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "common/jsonl.h"
#include "nlohmann/json.hpp"
#include "rewards/reward_spec_proto.h"
#include "verifiers/code/code_verifier.h"
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

// What VerifySamples answers: one verdict per sample, and with a reward spec one reward each.
struct SampleResults {
  std::vector<v1::Verdict> verdicts;
  std::vector<v1::RewardBreakdown> rewards;  // empty without a reward spec
};

// Samples verified as groups of consecutive samples that share a label (a prompt's n samples), all
// submitted to the engine at once. Every label is parsed before anything is submitted. With
// `reward_spec` (may be null) every group carries it and its samples' `lengths` (empty, or one per
// sample). Returns the results, or the first error: INVALID_ARGUMENT naming the label that does not
// parse ("labels"[i] and the sample when `from_array`, else "label").
absl::StatusOr<SampleResults> VerifySamples(VerifierEngine* engine,
                                            const std::vector<std::string>& responses,
                                            const std::vector<std::string>& labels,
                                            bool from_array, const v1::RewardSpec* reward_spec,
                                            const std::vector<uint32_t>& lengths,
                                            absl::Time deadline) {
  struct Group {
    size_t first;
    size_t end;
    v1::Problem problem;
  };
  std::vector<Group> groups;
  for (size_t i = 0; i < responses.size();) {
    size_t end = i + 1;
    while (end < responses.size() && labels[end] == labels[i]) ++end;
    absl::StatusOr<v1::Problem> problem = ProblemFromLabel(labels[i]);
    if (!problem.ok()) {
      return absl::InvalidArgumentError(
          from_array ? absl::StrCat("sample ", i, ": \"labels\"[", i, "]: ", problem.status().message())
                     : absl::StrCat("\"label\": ", problem.status().message()));
    }
    groups.push_back({i, end, std::move(*problem)});
    i = end;
  }
  struct Pending {
    size_t first;
    std::future<absl::StatusOr<v1::VerifyResponse>> result;
  };
  std::vector<Pending> pending;
  for (Group& group : groups) {
    v1::VerifyRequest request;
    request.set_request_id(std::to_string(group.first));
    *request.mutable_problem() = std::move(group.problem);
    for (size_t j = group.first; j < group.end; ++j) {
      request.add_responses(responses[j]);
      if (!lengths.empty()) request.add_response_lengths(lengths[j]);
    }
    if (reward_spec != nullptr) *request.mutable_reward_spec() = *reward_spec;
    auto promise = std::make_shared<std::promise<absl::StatusOr<v1::VerifyResponse>>>();
    std::future<absl::StatusOr<v1::VerifyResponse>> future = promise->get_future();
    absl::Status submitted = engine->Submit(
        std::move(request), deadline,
        [promise](absl::StatusOr<v1::VerifyResponse> r) { promise->set_value(std::move(r)); });
    if (!submitted.ok()) {
      for (Pending& p : pending) p.result.wait();  // let accepted work finish
      return absl::Status(submitted.code(),
                          absl::StrCat("samples from ", group.first, ": ", submitted.message()));
    }
    pending.push_back({group.first, std::move(future)});
  }
  SampleResults results;
  results.verdicts.reserve(responses.size());
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
    for (v1::Verdict& v : *r->mutable_verdicts()) results.verdicts.push_back(std::move(v));
    for (v1::RewardBreakdown& b : *r->mutable_rewards()) results.rewards.push_back(std::move(b));
  }
  if (!first_error.ok()) return first_error;
  return results;
}

// The optional "reward_spec" of a trainer endpoint's body (a RewardSpec in protobuf JSON), else
// `fallback` (may be null). Null when neither. INVALID_ARGUMENT naming the field when it is bad.
absl::StatusOr<std::optional<v1::RewardSpec>> RewardSpecOf(const nlohmann::json& body,
                                                           const std::optional<v1::RewardSpec>& fallback) {
  auto it = body.find("reward_spec");
  if (it == body.end() || it->is_null()) return fallback;
  if (!it->is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"reward_spec\" must be an object (rlvr.v1.RewardSpec), got ", it->type_name()));
  }
  v1::RewardSpec spec;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  auto parsed = google::protobuf::util::JsonStringToMessage(DumpJson(*it), &spec, options);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"reward_spec\" is not a RewardSpec: ", parsed.message().as_string()));
  }
  if (absl::StatusOr<rewards::RewardSpec> valid = rewards::RewardSpecFromProto(spec); !valid.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("\"reward_spec\": ", valid.status().message()));
  }
  return spec;
}

// The optional "response_lengths" of a body: one non-negative integer (tokens) per sample.
absl::StatusOr<std::vector<uint32_t>> ResponseLengths(const nlohmann::json& body, size_t samples) {
  std::vector<uint32_t> lengths;
  auto it = body.find("response_lengths");
  if (it == body.end() || it->is_null()) return lengths;
  if (!it->is_array() || it->size() != samples) {
    return absl::InvalidArgumentError(absl::StrCat(
        "\"response_lengths\" must be an array of ", samples, " token counts, one per sample"));
  }
  for (size_t i = 0; i < it->size(); ++i) {
    const nlohmann::json& n = (*it)[i];
    if (!n.is_number_unsigned() || n.get<uint64_t>() > UINT32_MAX) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"response_lengths\"[", i, "] is ", n.dump(), "; expected a token count"));
    }
    lengths.push_back(static_cast<uint32_t>(n.get<uint64_t>()));
  }
  return lengths;
}

// A label as text: a string as is, a number as its decimal text, an object (code tests) as compact
// JSON. INVALID_ARGUMENT naming `where` for anything else.
absl::StatusOr<std::string> LabelText(const nlohmann::json& value, const std::string& where) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number() || value.is_object()) return DumpJson(value);
  return absl::InvalidArgumentError(absl::StrCat(
      where, " must be a string, number or object (code tests), got ", value.type_name()));
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

absl::StatusOr<v1::Problem> ProblemFromLabel(std::string_view label) {
  v1::Problem problem;
  const size_t first = label.find_first_not_of(" \t\r\n");
  const size_t second =
      first == std::string_view::npos ? first : label.find_first_not_of(" \t\r\n", first + 1);
  const bool json_object = first != std::string_view::npos && label[first] == '{' &&
                           second != std::string_view::npos &&
                           (label[second] == '"' || label[second] == '}');
  if (!json_object) {
    problem.set_kind(v1::PROBLEM_KIND_MATH);
    problem.mutable_math()->set_gold(std::string(label));
    return problem;
  }
  absl::StatusOr<nlohmann::json> json = ParseJson(label);
  if (!json.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("code label is not valid JSON: ", json.status().message()));
  }
  absl::StatusOr<v1::CodeProblem> code = code::CodeProblemFromJson(*json);
  if (!code.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("code label: ", code.status().message()));
  }
  problem.set_kind(v1::PROBLEM_KIND_CODE);
  *problem.mutable_code() = std::move(*code);
  return problem;
}

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

void AddVerifierHttpRoutes(HttpServer* server, VerifierEngine* engine, absl::Duration deadline,
                           std::optional<v1::RewardSpec> reward_spec) {
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
  // prompt in the query; the whole query when "prompts" is absent or the prompt is "". A prompt that
  // is not in its query is a 400 (verifying the prompt too could score the gold answer it quotes).
  server->Handle("POST", "/v1/openrlhf/reward", [engine, deadline, reward_spec](const HttpRequest& http) {
    absl::StatusOr<bool> zero = InvalidAsZero(http);
    if (!zero.ok()) return ErrorResponse(zero.status());
    absl::StatusOr<nlohmann::json> body = ParseJson(http.body);
    if (!body.ok() || !body->is_object()) {
      return ErrorResponse(absl::InvalidArgumentError(
          body.ok() ? "body must be a JSON object" : std::string(body.status().message())));
    }
    auto queries = StringArray(*body, "query", true);
    auto prompts = StringArray(*body, "prompts", false);
    for (const auto* part : {&queries, &prompts}) {
      if (!part->ok()) return ErrorResponse(part->status());
    }
    if (!body->contains("labels")) return ErrorResponse(absl::InvalidArgumentError("missing \"labels\""));
    const nlohmann::json& label_values = (*body)["labels"];
    if (!label_values.is_array()) {
      return ErrorResponse(absl::InvalidArgumentError("\"labels\" must be an array"));
    }
    std::vector<std::string> labels;
    for (size_t i = 0; i < label_values.size(); ++i) {
      absl::StatusOr<std::string> text = LabelText(label_values[i], absl::StrCat("\"labels\"[", i, "]"));
      if (!text.ok()) return ErrorResponse(text.status());
      labels.push_back(std::move(*text));
    }
    if (labels.size() != queries->size() || (!prompts->empty() && prompts->size() != queries->size())) {
      return ErrorResponse(absl::InvalidArgumentError(absl::StrCat(
          "\"query\" has ", queries->size(), " entries, \"prompts\" ", prompts->size(),
          ", \"labels\" ", labels.size(), "; they must match")));
    }
    if (queries->empty()) return ErrorResponse(absl::InvalidArgumentError("\"query\" is empty"));
    std::vector<std::string> responses = std::move(*queries);
    // OpenRLHF decodes queries with special tokens kept, so left padding may precede the prompt:
    // the response is whatever follows the prompt's first occurrence.
    for (size_t i = 0; i < prompts->size(); ++i) {
      const std::string& prompt = (*prompts)[i];
      if (prompt.empty()) continue;
      const size_t at = responses[i].find(prompt);
      if (at == std::string::npos) {
        return ErrorResponse(absl::InvalidArgumentError(absl::StrCat(
            "sample ", i, ": \"query\"[", i, "] does not contain \"prompts\"[", i,
            "], so the response cannot be told from the prompt; send each prompt exactly as its "
            "query holds it, or \"\" to verify the whole query")));
      }
      responses[i].erase(0, at + prompt.size());
    }
    absl::StatusOr<std::optional<v1::RewardSpec>> spec = RewardSpecOf(*body, reward_spec);
    if (!spec.ok()) return ErrorResponse(spec.status());
    absl::StatusOr<std::vector<uint32_t>> lengths = ResponseLengths(*body, responses.size());
    if (!lengths.ok()) return ErrorResponse(lengths.status());
    absl::StatusOr<SampleResults> results =
        VerifySamples(engine, responses, labels, /*from_array=*/true,
                      spec->has_value() ? &**spec : nullptr, *lengths, absl::Now() + deadline);
    if (!results.ok()) return ErrorResponse(results.status());
    const std::vector<v1::Verdict>& verdicts = results->verdicts;
    const size_t n = verdicts.size();
    nlohmann::json rewards = nlohmann::json::array(), correct = nlohmann::json::array(),
                   valid = nlohmann::json::array(), no_answer = nlohmann::json::array(),
                   score = nlohmann::json::array();
    bool any_invalid = false;
    for (const v1::Verdict& v : verdicts) {
      any_invalid |= !v.valid();
      score.push_back(v.valid() ? v.score() : 0.0);
      correct.push_back(v.outcome() == v1::OUTCOME_CORRECT ? 1.0 : 0.0);
      valid.push_back(v.valid() ? 1.0 : 0.0);
      no_answer.push_back(v.outcome() == v1::OUTCOME_NO_ANSWER ? 1.0 : 0.0);
    }
    if (any_invalid && !*zero) return InvalidVerdicts(verdicts);
    nlohmann::json extra_logs = {
        {"rlvr_correct", correct}, {"rlvr_valid", valid}, {"rlvr_no_answer", no_answer}};
    if (results->rewards.empty()) {
      rewards = score;
    } else {
      // The reward is the spec's total; every component is logged beside the verifier's score.
      extra_logs["rlvr_score"] = score;
      for (size_t i = 0; i < n; ++i) {
        const v1::RewardBreakdown& reward = results->rewards[i];
        rewards.push_back(reward.valid() ? reward.total() : 0.0);
        for (const v1::RewardComponent& c : reward.components()) {
          nlohmann::json& column = extra_logs[absl::StrCat("rlvr_reward_", c.name())];
          if (column.is_null()) column = std::vector<double>(n, 0.0);
          column[i] = c.value();
        }
      }
    }
    return JsonResponse({{"rewards", rewards}, {"scores", rewards}, {"extra_logs", extra_logs}});
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
    // slime datasets carry numeric labels (their decimal text) and object labels (code tests) too.
    absl::StatusOr<std::string> label = LabelText(
        body->contains("label") ? (*body)["label"] : nlohmann::json(), "\"label\"");
    if (!label.ok()) return ErrorResponse(label.status());
    absl::StatusOr<SampleResults> results =
        VerifySamples(engine, {(*body)["response"].get<std::string>()}, {*label}, /*from_array=*/false,
                      /*reward_spec=*/nullptr, /*lengths=*/{}, absl::Now() + deadline);
    if (!results.ok()) return ErrorResponse(results.status());
    const v1::Verdict& verdict = results->verdicts.front();
    if (!verdict.valid() && !*zero) return InvalidVerdicts(results->verdicts);
    return JsonResponse(verdict.valid() ? verdict.score() : 0.0);
  });
}

}  // namespace rlvr
