#include "verifiers/service/verifier_engine.h"

#include <atomic>
#include <future>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "verifiers/math/value.h"

namespace rlvr {
namespace {

v1::VerifyRequest MathGroup(const std::string& gold, std::vector<std::string> responses,
                            const std::string& id = "r") {
  v1::VerifyRequest request;
  request.set_request_id(id);
  request.mutable_problem()->set_kind(v1::PROBLEM_KIND_MATH);
  request.mutable_problem()->mutable_math()->set_gold(gold);
  for (auto& r : responses) request.add_responses(std::move(r));
  return request;
}

absl::Time Soon() { return absl::Now() + absl::Seconds(30); }

TEST(VerifierEngineTest, VerifiesAGroupInOrder) {
  MetricsRegistry metrics;
  VerifierEngine engine({}, &metrics);
  auto result = engine.VerifyNow(
      MathGroup("\\frac{1}{2}", {"The answer is \\boxed{0.5}.", "\\boxed{1/3}", "I give up."}),
      Soon());
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->request_id(), "r");
  ASSERT_EQ(result->verdicts_size(), 3);
  EXPECT_EQ(result->verdicts(0).outcome(), v1::OUTCOME_CORRECT);
  EXPECT_EQ(result->verdicts(0).score(), 1.0);
  EXPECT_TRUE(result->verdicts(0).valid());
  EXPECT_EQ(result->verdicts(1).outcome(), v1::OUTCOME_INCORRECT);
  EXPECT_EQ(result->verdicts(1).score(), 0.0);
  EXPECT_TRUE(result->verdicts(1).valid());
  EXPECT_EQ(result->verdicts(2).outcome(), v1::OUTCOME_NO_ANSWER);
  EXPECT_TRUE(result->verdicts(2).valid());
  const std::string text = metrics.ExpositionText();
  EXPECT_NE(text.find("rlvr_verifier_verdicts_total{outcome=\"OUTCOME_CORRECT\"} 1"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("rlvr_verifier_groups_total{code=\"OK\"} 1"), std::string::npos);
}

TEST(VerifierEngineTest, UnparseableGoldIsInvalidNotZero) {
  MetricsRegistry metrics;
  VerifierEngine engine({}, &metrics);
  auto result = engine.VerifyNow(MathGroup("\\frac{", {"\\boxed{1}"}), Soon());
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->verdicts(0).outcome(), v1::OUTCOME_INVALID_GOLD);
  EXPECT_FALSE(result->verdicts(0).valid());
  EXPECT_FALSE(result->verdicts(0).reason().empty());
}

// A format term (weight 0.5) and DAPO's overlong penalty (weight unset: 1).
v1::RewardSpec ThinkAndOverlongSpec() {
  v1::RewardSpec spec;
  v1::FormatTerm* think = spec.add_format();
  think->set_name("think");
  think->set_pattern("(?s)<think>.*</think>.*");
  think->set_weight(0.5);
  spec.mutable_length()->set_max_tokens(100);
  spec.mutable_length()->set_buffer_tokens(20);
  return spec;
}

TEST(VerifierEngineTest, RewardSpecGivesEveryVerdictItsComponents) {
  MetricsRegistry metrics;
  VerifierEngine engine({}, &metrics);
  v1::VerifyRequest request =
      MathGroup("4", {"<think>2+2</think> \\boxed{4}", "\\boxed{4}", "<think>hm</think> \\boxed{5}"});
  *request.mutable_reward_spec() = ThinkAndOverlongSpec();
  for (uint32_t length : {10u, 90u, 200u}) request.add_response_lengths(length);
  auto result = engine.VerifyNow(request, Soon());
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->rewards_size(), 3);
  // correctness 1, think 0.5, overlong 0 | 1, 0, (100-20-90)/20 = -0.5 | 0, 0.5, -1 (beyond max).
  const double totals[] = {1.5, 0.5, -0.5};
  const double think[] = {0.5, 0.0, 0.5};
  const double overlong[] = {0.0, -0.5, -1.0};
  for (int i = 0; i < 3; ++i) {
    const v1::RewardBreakdown& reward = result->rewards(i);
    EXPECT_TRUE(reward.valid()) << i;
    EXPECT_DOUBLE_EQ(reward.total(), totals[i]) << i;
    ASSERT_EQ(reward.components_size(), 3) << i;
    EXPECT_EQ(reward.components(0).name(), "correctness");
    EXPECT_EQ(reward.components(0).value(), result->verdicts(i).score()) << i;
    EXPECT_EQ(reward.components(1).name(), "think");
    EXPECT_EQ(reward.components(1).weight(), 0.5);
    EXPECT_DOUBLE_EQ(reward.components(1).value(), think[i]) << i;
    EXPECT_EQ(reward.components(2).name(), "overlong");
    EXPECT_EQ(reward.components(2).weight(), 1.0);  // unset on the wire
    EXPECT_DOUBLE_EQ(reward.components(2).value(), overlong[i]) << i;
  }

  // Without a spec there are no rewards; an invalid verdict gets an empty, invalid breakdown.
  auto plain = engine.VerifyNow(MathGroup("4", {"\\boxed{4}"}), Soon());
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->rewards_size(), 0);
  v1::VerifyRequest broken = MathGroup("\\frac{", {"<think>x</think> \\boxed{1}"});
  broken.mutable_reward_spec()->add_format()->CopyFrom(ThinkAndOverlongSpec().format(0));
  auto masked = engine.VerifyNow(broken, Soon());
  ASSERT_TRUE(masked.ok()) << masked.status();
  ASSERT_EQ(masked->rewards_size(), 1);
  EXPECT_FALSE(masked->rewards(0).valid());
  EXPECT_EQ(masked->rewards(0).components_size(), 0);
}

TEST(VerifierEngineTest, BadRewardSpecsAreRefusedNamingTheTerm) {
  MetricsRegistry metrics;
  VerifierEngine engine({}, &metrics);
  v1::VerifyRequest request = MathGroup("4", {"\\boxed{4}", "4"});
  *request.mutable_reward_spec() = ThinkAndOverlongSpec();
  absl::Status status = engine.Validate(request);  // length terms, no lengths
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("response_lengths must give"), std::string::npos) << status;

  request.add_response_lengths(3);
  status = engine.Validate(request);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("response_lengths has 1 entries for 2 responses"), std::string::npos)
      << status;

  request.add_response_lengths(4);
  request.mutable_reward_spec()->mutable_format(0)->set_pattern("(unclosed");
  status = engine.Validate(request);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("reward_spec: "), std::string::npos) << status;
  EXPECT_NE(status.message().find("think"), std::string::npos) << status;
}

TEST(VerifierEngineTest, ValidationNamesTheFieldAndValue) {
  VerifierLimits limits;
  limits.max_responses_per_group = 3;
  limits.max_response_bytes = 10;
  struct Case {
    v1::VerifyRequest request;
    absl::StatusCode code;
    std::string message;
  };
  std::vector<Case> cases;
  cases.push_back({MathGroup("1", {}), absl::StatusCode::kInvalidArgument, "responses is empty"});
  cases.push_back({MathGroup("1", {"1", "2", "3", "4"}), absl::StatusCode::kInvalidArgument,
                   "responses has 4 entries; limit is 3"});
  cases.push_back({MathGroup("1", {"1", std::string(11, 'x')}), absl::StatusCode::kInvalidArgument,
                   "responses[1] is 11 bytes; limit is 10"});
  cases.push_back({MathGroup("", {"1"}), absl::StatusCode::kInvalidArgument,
                   "problem.math.gold is empty"});
  v1::VerifyRequest precision = MathGroup("1", {"1"});
  precision.mutable_problem()->mutable_math()->mutable_options()->set_precision(51);
  cases.push_back({precision, absl::StatusCode::kInvalidArgument,
                   "problem.math.options.precision is 51; must be 0..50"});
  v1::VerifyRequest unspecified = MathGroup("1", {"1"});
  unspecified.mutable_problem()->set_kind(v1::PROBLEM_KIND_UNSPECIFIED);
  cases.push_back({unspecified, absl::StatusCode::kInvalidArgument,
                   "problem.kind is PROBLEM_KIND_UNSPECIFIED"});
  v1::VerifyRequest unknown = MathGroup("1", {"1"});
  unknown.mutable_problem()->set_kind(static_cast<v1::ProblemKind>(42));
  cases.push_back({unknown, absl::StatusCode::kInvalidArgument, "problem.kind is 42"});
  v1::VerifyRequest long_id = MathGroup("1", {"1"}, std::string(300, 'i'));
  cases.push_back({long_id, absl::StatusCode::kInvalidArgument, "request_id is 300 bytes"});
  for (const Case& c : cases) {
    absl::Status status = VerifierEngine::ValidateShape(c.request, limits);
    EXPECT_EQ(status.code(), c.code) << status;
    EXPECT_NE(status.message().find(c.message), std::string::npos) << status.message();
  }
}

v1::VerifyRequest PythonStdioGroup(std::vector<std::string> responses) {
  v1::VerifyRequest request;
  request.set_request_id("code");
  v1::Problem* problem = request.mutable_problem();
  problem->set_kind(v1::PROBLEM_KIND_CODE);
  problem->mutable_code()->set_language("python");
  v1::CodeTests* tests = problem->mutable_code()->mutable_tests();
  tests->set_type("stdio");
  for (int i = 1; i <= 3; ++i) {
    v1::CodeTestCase* c = tests->add_cases();
    c->set_input(std::to_string(i) + "\n");
    c->set_output(std::to_string(2 * i) + "\n");
  }
  for (auto& r : responses) request.add_responses(std::move(r));
  return request;
}

TEST(VerifierEngineTest, CodeProblemsRunInTheSandbox) {
  MetricsRegistry metrics;
  VerifierEngine engine({}, &metrics);
  auto result = engine.VerifyNow(
      PythonStdioGroup({"```python\nprint(int(input()) * 2)\n```",
                        "```python\nn = int(input())\nprint(4 if n == 2 else n * 2 + 1)\n```",
                        "no program here"}),
      Soon());
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->verdicts_size(), 3);
  EXPECT_EQ(result->verdicts(0).outcome(), v1::OUTCOME_CORRECT) << result->verdicts(0).reason();
  EXPECT_EQ(result->verdicts(0).tests_passed(), 3u);
  EXPECT_EQ(result->verdicts(1).outcome(), v1::OUTCOME_INCORRECT);
  EXPECT_NEAR(result->verdicts(1).score(), 1.0 / 3, 1e-9);
  EXPECT_EQ(result->verdicts(2).outcome(), v1::OUTCOME_NO_CODE);
  EXPECT_TRUE(result->verdicts(2).valid());

  v1::VerifyRequest bad = PythonStdioGroup({"x"});
  bad.mutable_problem()->mutable_code()->set_language("cobol");
  absl::Status invalid = engine.Validate(bad);
  EXPECT_EQ(invalid.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(invalid.message().find("problem.code"), std::string::npos) << invalid.message();
  EXPECT_NE(invalid.message().find("cobol"), std::string::npos) << invalid.message();
}

TEST(VerifierEngineTest, CodeDisabledIsFailedPrecondition) {
  MetricsRegistry metrics;
  VerifierEngineOptions options;
  options.enable_code = false;
  VerifierEngine engine(options, &metrics);
  auto result = engine.VerifyNow(PythonStdioGroup({"x"}), Soon());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(result.status().message().find("code disabled"), std::string::npos);
}

TEST(VerifierEngineTest, SubmitRejectsInvalidWithoutCallingBack) {
  MetricsRegistry metrics;
  VerifierEngine engine({}, &metrics);
  bool called = false;
  absl::Status status =
      engine.Submit(MathGroup("1", {}), Soon(), [&](absl::StatusOr<v1::VerifyResponse>) {
        called = true;
      });
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(called);
}

TEST(VerifierEngineTest, PassedDeadlineIsDeadlineExceeded) {
  MetricsRegistry metrics;
  VerifierEngine engine({}, &metrics);
  std::promise<absl::StatusOr<v1::VerifyResponse>> done;
  ASSERT_TRUE(engine
                  .Submit(MathGroup("1", {"\\boxed{1}"}), absl::Now() - absl::Seconds(1),
                          [&](absl::StatusOr<v1::VerifyResponse> r) { done.set_value(std::move(r)); })
                  .ok());
  auto result = done.get_future().get();
  EXPECT_EQ(result.status().code(), absl::StatusCode::kDeadlineExceeded);
}

TEST(VerifierEngineTest, FullQueueIsResourceExhaustedAndNothingIsLost) {
  MetricsRegistry metrics;
  VerifierEngineOptions options;
  options.threads = 1;
  options.max_queue = 1;
  VerifierEngine engine(options, &metrics);
  // A slow group (long completions without an answer) keeps the single worker busy.
  std::vector<std::string> slow(24, std::string(2 << 20, 'a'));
  v1::VerifyRequest first = MathGroup("1", slow, "slow");
  std::vector<v1::VerifyRequest> quick;
  for (int i = 0; i < 8; ++i) quick.push_back(MathGroup("1", {"\\boxed{1}"}, std::to_string(i)));

  std::atomic<int> completed{0};
  auto count = [&](absl::StatusOr<v1::VerifyResponse> r) {
    EXPECT_TRUE(r.ok()) << r.status();
    completed++;
  };
  int accepted = 0, rejected = 0;
  ASSERT_TRUE(engine.Submit(std::move(first), Soon(), count).ok());
  ++accepted;
  for (auto& q : quick) {
    absl::Status s = engine.Submit(std::move(q), Soon(), count);
    if (s.ok()) {
      ++accepted;
    } else {
      EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
      EXPECT_NE(s.message().find("queue is full"), std::string::npos);
      ++rejected;
    }
  }
  EXPECT_GE(rejected, 1);
  for (int i = 0; i < 3000 && completed.load() < accepted; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(completed.load(), accepted);  // every accepted group finished
}

TEST(VerifierEngineTest, ConcurrentSubmittersGetTheirOwnResults) {
  MetricsRegistry metrics;
  VerifierEngineOptions options;
  options.threads = 4;
  options.max_queue = 10000;
  VerifierEngine engine(options, &metrics);
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        const int n = t * 1000 + i;
        auto r = engine.VerifyNow(MathGroup(std::to_string(n),
                                            {"\\boxed{" + std::to_string(n) + "}",
                                             "\\boxed{" + std::to_string(n + 1) + "}"},
                                            std::to_string(n)),
                                  Soon());
        if (!r.ok() || r->request_id() != std::to_string(n) ||
            r->verdicts(0).outcome() != v1::OUTCOME_CORRECT ||
            r->verdicts(1).outcome() != v1::OUTCOME_INCORRECT) {
          wrong++;
        }
      }
      math::ReleaseThreadCaches();  // MPFR keeps per-thread caches
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
}  // namespace rlvr
