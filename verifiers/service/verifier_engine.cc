#include "verifiers/service/verifier_engine.h"

#include <chrono>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "rewards/reward_spec.h"
#include "rewards/reward_spec_proto.h"
#include "verifiers/math/math_verifier.h"
#include "verifiers/math/value.h"

namespace rlvr {
namespace {

constexpr size_t kMaxExtractedBytes = 4096;  // what a verdict echoes of the extracted answer

std::string Truncated(std::string s, size_t max_bytes) {
  if (s.size() <= max_bytes) return s;
  s.resize(max_bytes);
  // Do not cut a UTF-8 sequence in half.
  while (!s.empty() && (static_cast<unsigned char>(s.back()) & 0xC0) == 0x80) s.pop_back();
  if (!s.empty() && (static_cast<unsigned char>(s.back()) & 0x80)) s.pop_back();
  return s + "…";
}

v1::Outcome ToProto(math::Outcome outcome) {
  switch (outcome) {
    case math::Outcome::kCorrect: return v1::OUTCOME_CORRECT;
    case math::Outcome::kIncorrect: return v1::OUTCOME_INCORRECT;
    case math::Outcome::kNoAnswer: return v1::OUTCOME_NO_ANSWER;
    case math::Outcome::kInvalidGold: return v1::OUTCOME_INVALID_GOLD;
    case math::Outcome::kBudgetExceeded: return v1::OUTCOME_BUDGET_EXCEEDED;
    case math::Outcome::kError: return v1::OUTCOME_ERROR;
  }
  return v1::OUTCOME_ERROR;
}

math::MathVerifyOptions ToMathOptions(const v1::MathOptions& in) {
  math::MathVerifyOptions out;
  if (in.has_precision()) out.compare.precision = in.precision();
  if (in.percent() == v1::PERCENT_MODE_EXACT) out.compare.percent = math::PercentMode::kExact;
  if (in.has_strict()) out.compare.strict = in.strict();
  if (in.has_allow_set_relation_comp()) {
    out.compare.allow_set_relation_comp = in.allow_set_relation_comp();
  }
  if (in.has_last_number_fallback()) out.extract.last_number = in.last_number_fallback();
  return out;
}

// Fills response->rewards with one breakdown per verdict under request.reward_spec (already
// validated by ValidateShape). An invalid verdict gets valid=false and no components.
absl::Status AddRewards(const v1::VerifyRequest& request, v1::VerifyResponse* response) {
  ASSIGN_OR_RETURN(rewards::RewardSpec spec, rewards::RewardSpecFromProto(request.reward_spec()));
  ASSIGN_OR_RETURN(rewards::RewardFunction reward, rewards::RewardFunction::Create(std::move(spec)));
  for (int i = 0; i < response->verdicts_size(); ++i) {
    const v1::Verdict& verdict = response->verdicts(i);
    v1::RewardBreakdown* out = response->add_rewards();
    if (!verdict.valid()) continue;
    rewards::RewardInput input;
    input.score = verdict.score();
    input.response = request.responses(i);
    input.response_length = request.response_lengths().empty() ? 0 : request.response_lengths(i);
    absl::StatusOr<rewards::RewardBreakdown> breakdown = reward.Compute(input);
    if (!breakdown.ok()) {
      return absl::InternalError(
          absl::StrCat("reward of responses[", i, "]: ", breakdown.status().message()));
    }
    out->set_valid(true);
    out->set_total(breakdown->total);
    for (const rewards::RewardComponent& c : breakdown->components) {
      v1::RewardComponent* component = out->add_components();
      component->set_name(c.name);
      component->set_raw(c.raw);
      component->set_weight(c.weight);
      component->set_value(c.value);
    }
  }
  return absl::OkStatus();
}

}  // namespace

VerifierEngine::VerifierEngine(const VerifierEngineOptions& options, MetricsRegistry* metrics)
    : options_(options),
      queue_depth_(metrics->GetGauge("rlvr_verifier_queue_depth", "Groups waiting for a worker.")),
      in_flight_(metrics->GetGauge("rlvr_verifier_in_flight", "Groups being verified now.")),
      group_latency_(metrics->GetHistogram("rlvr_verifier_group_latency_seconds",
                                           "Time to verify one group, queue wait excluded.",
                                           ExponentialBuckets(1e-6, 4, 14))),
      response_latency_(metrics->GetHistogram("rlvr_verifier_response_latency_seconds",
                                              "Time to verify one response.",
                                              ExponentialBuckets(1e-6, 4, 14))),
      pool_(options.threads, options.max_queue, [] { math::ReleaseThreadCaches(); }) {
  for (int code = 0; code < kNumStatusCodes; ++code) {
    groups_by_code_[code] = &metrics->GetCounter(
        "rlvr_verifier_groups_total", "Groups finished, by status code.",
        {{"code", absl::StatusCodeToString(static_cast<absl::StatusCode>(code))}});
  }
  for (int outcome = 0; outcome < kNumOutcomes; ++outcome) {
    verdicts_by_outcome_[outcome] = &metrics->GetCounter(
        "rlvr_verifier_verdicts_total", "Verdicts, by outcome.",
        {{"outcome", v1::Outcome_Name(static_cast<v1::Outcome>(outcome))}});
  }
}

VerifierEngine::~VerifierEngine() = default;

absl::StatusOr<code::CodeVerifier*> VerifierEngine::CodeVerifierOrError() {
  std::lock_guard<std::mutex> lock(code_mu_);
  if (!code_tried_) {
    code_tried_ = true;
    if (!options_.enable_code) {
      code_status_ = absl::FailedPreconditionError(
          "problem.kind is CODE but this verifier serves math only (code disabled)");
    } else {
      absl::StatusOr<std::unique_ptr<code::CodeVerifier>> created =
          code::CodeVerifier::Create(options_.code);
      if (created.ok()) {
        code_ = std::move(*created);
      } else {
        code_status_ = absl::FailedPreconditionError(absl::StrCat(
            "problem.kind is CODE but the sandbox could not start here: ",
            created.status().message()));
      }
    }
  }
  if (code_ == nullptr) return code_status_;
  return code_.get();
}

absl::Status VerifierEngine::Validate(const v1::VerifyRequest& request) {
  if (absl::Status shape = ValidateShape(request, options_.limits); !shape.ok()) return shape;
  if (request.problem().kind() != v1::PROBLEM_KIND_CODE) return absl::OkStatus();
  absl::StatusOr<code::CodeVerifier*> verifier = CodeVerifierOrError();
  if (!verifier.ok()) return verifier.status();
  absl::Status problem = (*verifier)->Validate(request.problem().code());
  if (!problem.ok()) {
    return absl::Status(problem.code(), absl::StrCat("problem.code: ", problem.message()));
  }
  return absl::OkStatus();
}

absl::Status VerifierEngine::ValidateShape(const v1::VerifyRequest& request,
                                           const VerifierLimits& limits) {
  if (request.request_id().size() > limits.max_request_id_bytes) {
    return absl::InvalidArgumentError(absl::StrCat("request_id is ", request.request_id().size(),
                                                   " bytes; limit is ",
                                                   limits.max_request_id_bytes));
  }
  if (request.responses().empty()) {
    return absl::InvalidArgumentError("responses is empty: a group needs at least one response");
  }
  if (static_cast<size_t>(request.responses_size()) > limits.max_responses_per_group) {
    return absl::InvalidArgumentError(absl::StrCat("responses has ", request.responses_size(),
                                                   " entries; limit is ",
                                                   limits.max_responses_per_group));
  }
  for (int i = 0; i < request.responses_size(); ++i) {
    if (request.responses(i).size() > limits.max_response_bytes) {
      return absl::InvalidArgumentError(absl::StrCat("responses[", i, "] is ",
                                                     request.responses(i).size(),
                                                     " bytes; limit is ", limits.max_response_bytes));
    }
  }
  if (request.response_lengths_size() != 0 &&
      request.response_lengths_size() != request.responses_size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "response_lengths has ", request.response_lengths_size(), " entries for ",
        request.responses_size(), " responses; give one per response, or none"));
  }
  if (request.has_reward_spec()) {
    absl::StatusOr<rewards::RewardSpec> spec = rewards::RewardSpecFromProto(request.reward_spec());
    if (!spec.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("reward_spec: ", spec.status().message()));
    }
    if ((!spec->overlong.empty() || !spec->target_length.empty()) &&
        request.response_lengths().empty()) {
      return absl::InvalidArgumentError(
          "reward_spec has length terms; response_lengths must give each response's length in "
          "tokens");
    }
  }
  const v1::Problem& problem = request.problem();
  switch (problem.kind()) {
    case v1::PROBLEM_KIND_MATH: {
      const std::string& gold = problem.math().gold();
      if (gold.empty()) return absl::InvalidArgumentError("problem.math.gold is empty");
      if (gold.size() > limits.max_gold_bytes) {
        return absl::InvalidArgumentError(absl::StrCat("problem.math.gold is ", gold.size(),
                                                       " bytes; limit is ", limits.max_gold_bytes));
      }
      const v1::MathOptions& options = problem.math().options();
      if (options.has_precision() && (options.precision() < 0 || options.precision() > 50)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "problem.math.options.precision is ", options.precision(), "; must be 0..50"));
      }
      if (!v1::PercentMode_IsValid(options.percent())) {
        return absl::InvalidArgumentError(absl::StrCat("problem.math.options.percent is ",
                                                       options.percent(), "; unknown mode"));
      }
      return absl::OkStatus();
    }
    case v1::PROBLEM_KIND_CODE:
      return absl::OkStatus();  // the code verifier checks the rest (Validate)
    default:
      return absl::InvalidArgumentError(absl::StrCat(
          "problem.kind is ", v1::ProblemKind_Name(problem.kind()).empty()
                                  ? std::to_string(problem.kind())
                                  : v1::ProblemKind_Name(problem.kind()),
          "; expected PROBLEM_KIND_MATH or PROBLEM_KIND_CODE"));
  }
}

absl::StatusOr<v1::VerifyResponse> VerifierEngine::Run(const v1::VerifyRequest& request,
                                                        absl::Time deadline) {
  ASSIGN_OR_RETURN(v1::VerifyResponse response, VerifyGroup(request, deadline));
  if (request.has_reward_spec()) RETURN_IF_ERROR(AddRewards(request, &response));
  return response;
}

absl::StatusOr<v1::VerifyResponse> VerifierEngine::VerifyGroup(const v1::VerifyRequest& request,
                                                                absl::Time deadline) {
  v1::VerifyResponse response;
  response.set_request_id(request.request_id());
  if (request.problem().kind() == v1::PROBLEM_KIND_CODE) {
    ASSIGN_OR_RETURN(code::CodeVerifier * verifier, CodeVerifierOrError());
    for (int i = 0; i < request.responses_size(); ++i) {
      if (absl::Now() > deadline) {
        return absl::DeadlineExceededError(absl::StrCat("deadline passed after ", i, " of ",
                                                        request.responses_size(), " responses"));
      }
      const auto start = std::chrono::steady_clock::now();
      v1::Verdict verdict = verifier->Verify(request.responses(i), request.problem().code());
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      response_latency_.Observe(seconds);
      verdict.set_extracted(Truncated(std::move(*verdict.mutable_extracted()), kMaxExtractedBytes));
      verdict.set_latency_us(seconds * 1e6);
      *response.add_verdicts() = std::move(verdict);
    }
    return response;
  }
  const v1::MathProblem& problem = request.problem().math();
  const math::MathVerifyOptions options = ToMathOptions(problem.options());
  const math::PreparedGold gold = math::PrepareGold(problem.gold(), options);  // once per group
  for (int i = 0; i < request.responses_size(); ++i) {
    if (absl::Now() > deadline) {
      return absl::DeadlineExceededError(absl::StrCat("deadline passed after ", i, " of ",
                                                      request.responses_size(), " responses"));
    }
    const auto start = std::chrono::steady_clock::now();
    math::MathVerdict verdict = math::VerifyMath(request.responses(i), gold, options);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    response_latency_.Observe(seconds);
    v1::Verdict* out = response.add_verdicts();
    out->set_outcome(ToProto(verdict.outcome));
    out->set_score(verdict.score);
    out->set_valid(verdict.valid);
    out->set_extracted(Truncated(std::move(verdict.extracted), kMaxExtractedBytes));
    out->set_reason(std::move(verdict.reason));
    out->set_latency_us(seconds * 1e6);
  }
  return response;
}

void VerifierEngine::RecordGroup(const absl::StatusOr<v1::VerifyResponse>& result,
                                 absl::Duration elapsed) {
  group_latency_.Observe(absl::ToDoubleSeconds(elapsed));
  const int code = static_cast<int>(result.status().code());
  if (code >= 0 && code < kNumStatusCodes) groups_by_code_[code]->Increment();
  if (!result.ok()) return;
  for (const v1::Verdict& verdict : result->verdicts()) {
    const int outcome = verdict.outcome();
    if (outcome >= 0 && outcome < kNumOutcomes) verdicts_by_outcome_[outcome]->Increment();
  }
}

absl::StatusOr<v1::VerifyResponse> VerifierEngine::VerifyNow(const v1::VerifyRequest& request,
                                                             absl::Time deadline) {
  if (absl::Status valid = Validate(request); !valid.ok()) return valid;
  in_flight_.Add(1);
  const absl::Time start = absl::Now();
  absl::StatusOr<v1::VerifyResponse> result = Run(request, deadline);
  RecordGroup(result, absl::Now() - start);
  in_flight_.Add(-1);
  return result;
}

absl::Status VerifierEngine::Submit(v1::VerifyRequest request, absl::Time deadline,
                                    Callback done) {
  if (absl::Status valid = Validate(request); !valid.ok()) return valid;
  auto shared = std::make_shared<v1::VerifyRequest>(std::move(request));
  queue_depth_.Add(1);
  absl::Status queued = pool_.TrySubmit([this, shared, deadline, done = std::move(done)] {
    queue_depth_.Add(-1);
    in_flight_.Add(1);
    const absl::Time start = absl::Now();
    absl::StatusOr<v1::VerifyResponse> result =
        start > deadline ? absl::DeadlineExceededError("deadline passed while queued")
                         : Run(*shared, deadline);
    RecordGroup(result, absl::Now() - start);
    in_flight_.Add(-1);
    done(std::move(result));
  });
  if (!queued.ok()) queue_depth_.Add(-1);
  return queued;
}

}  // namespace rlvr
