#include "rewards/reward_spec.h"

#include <cmath>
#include <limits>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace rlvr::rewards {
namespace {

using ::testing::HasSubstr;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

TEST(OverlongPenaltyTest, MatchesDapoPiecewiseFormula) {
  // Lmax = 100, Lc = 20, so the soft zone is (80, 100].
  EXPECT_DOUBLE_EQ(OverlongPenalty(0, 100, 20), 0.0);
  EXPECT_DOUBLE_EQ(OverlongPenalty(80, 100, 20), 0.0);    // L = Lmax − Lc: still 0
  EXPECT_DOUBLE_EQ(OverlongPenalty(81, 100, 20), -0.05);  // (80 − 81)/20
  EXPECT_DOUBLE_EQ(OverlongPenalty(90, 100, 20), -0.5);   // (80 − 90)/20
  EXPECT_DOUBLE_EQ(OverlongPenalty(100, 100, 20), -1.0);  // (80 − 100)/20
  EXPECT_DOUBLE_EQ(OverlongPenalty(101, 100, 20), -1.0);  // beyond Lmax
}

TEST(OverlongPenaltyTest, ZeroBufferIsAHardCutoff) {
  EXPECT_DOUBLE_EQ(OverlongPenalty(100, 100, 0), 0.0);
  EXPECT_DOUBLE_EQ(OverlongPenalty(101, 100, 0), -1.0);
}

TEST(OverlongPenaltyTest, BufferEqualToMaxPenalizesFromTheStart) {
  // Lmax = Lc = 10: (0 − 5)/10 = −0.5.
  EXPECT_DOUBLE_EQ(OverlongPenalty(0, 10, 10), 0.0);
  EXPECT_DOUBLE_EQ(OverlongPenalty(5, 10, 10), -0.5);
}

TEST(TargetLengthPenaltyTest, HandComputed) {
  // target 100, scale = target: −|L − 100|/100, floored at −1.
  EXPECT_DOUBLE_EQ(TargetLengthPenalty(100, 100, 0, false), 0.0);
  EXPECT_DOUBLE_EQ(TargetLengthPenalty(75, 100, 0, false), -0.25);
  EXPECT_DOUBLE_EQ(TargetLengthPenalty(150, 100, 0, false), -0.5);
  EXPECT_DOUBLE_EQ(TargetLengthPenalty(400, 100, 0, false), -1.0);
  // Scale 50: −|130 − 100|/50 = −0.6.
  EXPECT_DOUBLE_EQ(TargetLengthPenalty(130, 100, 50, false), -0.6);
  // only_longer: shorter is free.
  EXPECT_DOUBLE_EQ(TargetLengthPenalty(10, 100, 0, true), 0.0);
  EXPECT_DOUBLE_EQ(TargetLengthPenalty(120, 100, 0, true), -0.2);
}

RewardSpec FullSpec() {
  RewardSpec spec;
  spec.correctness.weight = 1.0;
  spec.format.push_back(ThinkAnswerFormat("think_format", 0.5));
  spec.overlong.push_back(OverlongTerm{"overlong", 100, 20, 1.0});
  spec.target_length.push_back(TargetLengthTerm{"target_length", 50, 0, true, 0.1});
  return spec;
}

TEST(RewardFunctionTest, ComponentsAndTotal) {
  auto fn = RewardFunction::Create(FullSpec());
  ASSERT_TRUE(fn.ok()) << fn.status();
  // score 0.75 (partial credit), well formatted, 90 tokens:
  //   correctness 1.0 · 0.75 = 0.75
  //   think_format 0.5 · 1 = 0.5
  //   target_length 0.1 · −min(1, 40/50) = −0.08
  //   overlong 1.0 · (80 − 90)/20 = −0.5
  //   total 0.75 + 0.5 − 0.08 − 0.5 = 0.67
  auto r = fn->Compute({true, 0.75, "<think>2+2 is 4</think> 4", 90});
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->components.size(), 4u);
  EXPECT_EQ(r->components[0].name, "correctness");
  EXPECT_DOUBLE_EQ(r->components[0].value, 0.75);
  EXPECT_EQ(r->components[1].name, "think_format");
  EXPECT_DOUBLE_EQ(r->components[1].raw, 1.0);
  EXPECT_DOUBLE_EQ(r->components[1].value, 0.5);
  EXPECT_EQ(r->components[2].name, "target_length");
  EXPECT_DOUBLE_EQ(r->components[2].raw, -0.8);
  EXPECT_DOUBLE_EQ(r->components[2].value, -0.08);
  EXPECT_EQ(r->components[3].name, "overlong");
  EXPECT_DOUBLE_EQ(r->components[3].value, -0.5);
  EXPECT_NEAR(r->total, 0.67, 1e-12);
}

TEST(RewardFunctionTest, ComputeRewardOneShotAgrees) {
  auto r = ComputeReward(FullSpec(), {true, 1.0, "no tags", 10});
  ASSERT_TRUE(r.ok()) << r.status();
  // 1.0 + 0.5·0 + 0 + 0 = 1.0
  EXPECT_DOUBLE_EQ(r->total, 1.0);
  EXPECT_DOUBLE_EQ(r->components[1].raw, 0.0);
}

TEST(ThinkAnswerFormatTest, AcceptsAndRejects) {
  RewardSpec spec;
  spec.format.push_back(ThinkAnswerFormat("fmt", 1.0));
  auto fn = RewardFunction::Create(spec);
  ASSERT_TRUE(fn.ok()) << fn.status();
  auto fmt = [&](std::string_view text) {
    auto r = fn->Compute({true, 0.0, text, 0});
    EXPECT_TRUE(r.ok());
    return r->components[1].raw;
  };
  EXPECT_EQ(fmt("<think>a</think>b"), 1.0);
  EXPECT_EQ(fmt("  <think>\nline1\nline2\n</think>\n\nThe answer is 4.\n"), 1.0);
  EXPECT_EQ(fmt("<think>a</think>"), 0.0);          // no answer
  EXPECT_EQ(fmt("<think>a</think>   \n"), 0.0);     // whitespace is not an answer
  EXPECT_EQ(fmt("answer first <think>a</think>b"), 0.0);
  EXPECT_EQ(fmt("<think>never closed"), 0.0);
  EXPECT_EQ(fmt(""), 0.0);
}

TEST(ThinkAnswerFormatTest, AnswerTagsAndCustomTagsAreLiteral) {
  RewardSpec spec;
  spec.format.push_back(ThinkAnswerFormat("fmt", 1.0, "[[r]]", "[[/r]]", "<answer>", "</answer>"));
  auto fn = RewardFunction::Create(spec);
  ASSERT_TRUE(fn.ok()) << fn.status();
  auto fmt = [&](std::string_view text) { return fn->Compute({true, 0, text, 0})->components[1].raw; };
  EXPECT_EQ(fmt("[[r]]why[[/r]] <answer>42</answer>"), 1.0);
  EXPECT_EQ(fmt("[[r]]why[[/r]] <answer> </answer>"), 0.0);
  EXPECT_EQ(fmt("[[r]]why[[/r]] 42"), 0.0);
  EXPECT_EQ(fmt("[r]why[/r] <answer>42</answer>"), 0.0);  // brackets are not a character class
}

TEST(FormatTermTest, PartialAnchorAndCustomValues) {
  RewardSpec spec;
  spec.format.push_back(
      FormatTerm{"boxed", R"(\\boxed\{[^}]+\})", FormatTerm::Anchor::kPartial, 2.0, 1.0, -0.5});
  auto fn = RewardFunction::Create(spec);
  ASSERT_TRUE(fn.ok()) << fn.status();
  // match: 2.0 · 1.0 = 2.0; miss: 2.0 · −0.5 = −1.0
  EXPECT_DOUBLE_EQ(fn->Compute({true, 0, "so \\boxed{7}.", 0})->components[1].value, 2.0);
  EXPECT_DOUBLE_EQ(fn->Compute({true, 0, "so 7.", 0})->components[1].value, -1.0);
}

TEST(ValidateRewardSpecTest, DefaultSpecIsValid) {
  EXPECT_TRUE(ValidateRewardSpec(RewardSpec{}).ok());
}

void ExpectInvalid(const RewardSpec& spec, std::string_view fragment) {
  absl::Status s = ValidateRewardSpec(spec);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr(std::string(fragment)));
  EXPECT_EQ(RewardFunction::Create(spec).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ValidateRewardSpecTest, RejectsBadPatternsNamingThem) {
  RewardSpec spec;
  spec.format.push_back(FormatTerm{"broken", "(unclosed", FormatTerm::Anchor::kFull});
  ExpectInvalid(spec, "format term 'broken': pattern '(unclosed' is invalid");

  spec.format[0].pattern = "";
  ExpectInvalid(spec, "'broken': pattern is empty");

  spec.format[0].pattern = std::string(kMaxPatternBytes + 1, 'a');
  ExpectInvalid(spec, "pattern is 4097 bytes; limit is 4096");

  // Nested counted repetitions beyond RE2's limit.
  spec.format[0].pattern = "((((a{100}){100}){100}){100})";
  ExpectInvalid(spec, "invalid repetition size");

  // Short text, huge program: over the kMaxPatternProgramBytes memory budget.
  spec.format[0].pattern = R"([\pL\pN]{1000})";
  ExpectInvalid(spec, "pattern too large");

  // A long invalid pattern is quoted only in part.
  spec.format[0].pattern = std::string(200, 'a') + "(";
  ExpectInvalid(spec, std::string(80, 'a') + "...' is invalid");
}

TEST(ValidateRewardSpecTest, RejectsBadOverlong) {
  RewardSpec spec;
  spec.overlong.push_back(OverlongTerm{"ol", 100, -1, 1.0});
  ExpectInvalid(spec, "buffer is -1");
  spec.overlong[0].buffer = 101;
  ExpectInvalid(spec, "buffer 101 exceeds max_length 100");
  spec.overlong[0] = OverlongTerm{"ol", 0, 0, 1.0};
  ExpectInvalid(spec, "max_length is 0");
}

TEST(ValidateRewardSpecTest, RejectsBadTargetLength) {
  RewardSpec spec;
  spec.target_length.push_back(TargetLengthTerm{"tl", 0});
  ExpectInvalid(spec, "target is 0");
  spec.target_length[0] = TargetLengthTerm{"tl", 10, -3};
  ExpectInvalid(spec, "scale is -3");
}

TEST(ValidateRewardSpecTest, RejectsNonFiniteWeightsAndValues) {
  RewardSpec spec;
  spec.correctness.weight = kNaN;
  ExpectInvalid(spec, "'correctness': weight is nan");

  spec = RewardSpec{};
  spec.format.push_back(ThinkAnswerFormat("fmt", std::numeric_limits<double>::infinity()));
  ExpectInvalid(spec, "'fmt': weight is inf");

  spec.format[0].weight = 1.0;
  spec.format[0].miss_value = kNaN;
  ExpectInvalid(spec, "'fmt': miss_value is nan");

  spec = RewardSpec{};
  spec.overlong.push_back(OverlongTerm{"ol", 10, 1, kNaN});
  ExpectInvalid(spec, "'ol': weight is nan");
}

TEST(ValidateRewardSpecTest, RejectsDuplicateAndEmptyNames) {
  RewardSpec spec;
  spec.format.push_back(ThinkAnswerFormat("correctness", 1.0));
  ExpectInvalid(spec, "'correctness' is used twice");
  spec.format[0].name = "";
  ExpectInvalid(spec, "format term has an empty name");
}

TEST(ValidateRewardSpecTest, RejectsTooManyTerms) {
  RewardSpec spec;
  for (size_t i = 0; i <= kMaxFormatTerms; ++i) {
    spec.format.push_back(ThinkAnswerFormat(absl::StrCat("f", i), 1.0));
  }
  ExpectInvalid(spec, "33 format terms; limit is 32");
}

TEST(RewardFunctionTest, RejectsBadInputs) {
  auto fn = RewardFunction::Create(FullSpec());
  ASSERT_TRUE(fn.ok());
  auto code = [&](RewardInput in) { return fn->Compute(in).status().code(); };
  EXPECT_EQ(code({false, 1.0, "x", 1}), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(code({true, kNaN, "x", 1}), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(code({true, std::numeric_limits<double>::infinity(), "x", 1}),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(code({true, 1.5, "x", 1}), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(code({true, -0.1, "x", 1}), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(code({true, 1.0, "x", -1}), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(fn->Compute({false, 1.0, "x", 1}).status().message()),
              HasSubstr("masked"));
}

TEST(RewardFunctionTest, OverflowingTotalIsAnError) {
  RewardSpec spec;
  spec.correctness.weight = 1e308;
  spec.format.push_back(ThinkAnswerFormat("fmt", 1e308));
  auto fn = RewardFunction::Create(spec);
  ASSERT_TRUE(fn.ok());
  EXPECT_EQ(fn->Compute({true, 1.0, "<think>a</think>b", 0}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(RewardFunctionTest, MovedFunctionStillWorks) {
  auto fn = RewardFunction::Create(FullSpec());
  ASSERT_TRUE(fn.ok());
  RewardFunction moved = std::move(*fn);
  auto r = moved.Compute({true, 1.0, "<think>a</think>b", 0});
  ASSERT_TRUE(r.ok());
  EXPECT_DOUBLE_EQ(r->total, 1.5);  // 1.0 + 0.5 + 0 + 0
}

}  // namespace
}  // namespace rlvr::rewards
