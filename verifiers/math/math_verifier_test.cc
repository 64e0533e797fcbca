#include "verifiers/math/math_verifier.h"

#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gtest/gtest.h"
#include "verifiers/math/value.h"

namespace rlvr::math {
namespace {

MathVerdict V(std::string_view response, std::string_view gold,
              const MathVerifyOptions& options = {}) {
  return VerifyMath(response, gold, options);
}

std::string Show(const MathVerdict& v) {
  return std::string(OutcomeName(v.outcome)) + " extracted=\"" + v.extracted + "\" reason=\"" +
         v.reason + "\"";
}

// Sanitizers slow everything down several times; the bounds stay loose there.
#if defined(__SANITIZE_ADDRESS__)
constexpr double kSlack = 5.0;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr double kSlack = 5.0;
#else
constexpr double kSlack = 1.0;
#endif
#else
constexpr double kSlack = 1.0;
#endif

double Seconds(const std::function<void()>& f) {
  const auto start = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// ---------------------------------------------------------------------------------------------------
// Labelled end-to-end cases: every answer form inside every extraction form, with an equivalent and
// a non-equivalent response.

struct AnswerForm {
  const char* gold;
  const char* same;       // equivalent to gold, written differently
  const char* different;  // not equivalent
};

constexpr AnswerForm kForms[] = {
    {"5", "5", "6"},
    {"-3", "-3", "3"},
    {"\\frac{1}{2}", "0.5", "\\frac{1}{3}"},
    {"\\frac{3}{4}", "\\dfrac{3}{4}", "\\frac{4}{3}"},
    {"-\\frac{7}{2}", "-3.5", "3.5"},
    {"\\sqrt{2}", "\\sqrt 2", "2"},
    {"2\\sqrt{3}", "\\sqrt{12}", "3\\sqrt{2}"},
    {"\\frac{\\pi}{4}", "\\frac{\\pi}{4}", "\\frac{\\pi}{2}"},
    {"(1, 2)", "(1,2)", "(2, 1)"},
    {"[0, 1)", "[0,1)", "(0, 1]"},
    {"x^2+1", "1+x^2", "x^2-1"},
    {"2x+3", "3+2x", "2x-3"},
    {"\\{1, 2\\}", "\\{2, 1\\}", "\\{1, 3\\}"},
    {"1000", "1,000", "100"},
    {"12.5", "12.50", "12.6"},
    {"81", "3^4", "4^3"},
    {"\\frac{\\sqrt{3}}{2}", "\\frac{1}{2}\\sqrt{3}", "\\frac{\\sqrt{2}}{2}"},
    {"0", "0", "1"},
};

// "@" stands for the answer.
constexpr const char* kWrappers[] = {
    "\\boxed{@}",
    "So the answer is $\\boxed{@}$.",
    "We simplify step by step and obtain the value. The final answer is $@$. I hope it is correct.",
    "<think>Let me compute 2+2=4 first.</think><answer>$@$</answer>",
    "Putting everything together.\nFinal Answer: $@$",
    "Answer: $@$",
    "Working: 3 * 4 = 12 and 12 - 2 = 10.\n#### @",
    "Therefore, we get $@$.",
    "\\[ @ \\]",
    "We compute step by step: $1+1=2$. Thus \\(@\\).",
    "\\fbox{@}",
    "First try: \\boxed{7}. Hmm, wait, I made an error in step 3. The correct value is \\boxed{@}",
    "$$@$$",
};

struct E2ECase {
  std::string response;
  std::string gold;
  bool correct;
};

std::vector<E2ECase> AllE2ECases() {
  std::vector<E2ECase> cases;
  for (const AnswerForm& f : kForms) {
    for (const char* w : kWrappers) {
      cases.push_back({absl::StrReplaceAll(w, {{"@", f.same}}), f.gold, true});
      cases.push_back({absl::StrReplaceAll(w, {{"@", f.different}}), f.gold, false});
    }
    // Gold written as "$...$" or as a solution with a box is extracted too.
    cases.push_back({absl::StrCat("\\boxed{", f.same, "}"), absl::StrCat("$", f.gold, "$"), true});
    cases.push_back({absl::StrCat("\\boxed{", f.same, "}"),
                     absl::StrCat("We solve it: so the result is $\\boxed{", f.gold, "}$."), true});
    cases.push_back({absl::StrCat("\\boxed{", f.different, "}"), absl::StrCat("$", f.gold, "$"),
                     false});
  }
  return cases;
}

TEST(MathVerifierE2E, LabelledCases) {
  const std::vector<E2ECase> cases = AllE2ECases();
  int failures = 0;
  for (const E2ECase& c : cases) {
    const MathVerdict v = V(c.response, c.gold);
    const Outcome want = c.correct ? Outcome::kCorrect : Outcome::kIncorrect;
    if (v.outcome != want) {
      ++failures;
      ADD_FAILURE() << "gold=\"" << c.gold << "\" response=\"" << c.response << "\" want "
                    << OutcomeName(want) << ", got " << Show(v);
    }
    EXPECT_TRUE(v.valid) << Show(v);
    EXPECT_EQ(v.score, c.correct && v.outcome == Outcome::kCorrect ? 1.0 : 0.0);
  }
  std::printf("%zu end-to-end cases, %d failures\n", cases.size(), failures);
  EXPECT_GE(cases.size(), 400u);
}

struct Pair {
  const char* response;
  const char* gold;
  Outcome want;
};

class VerifierPairs : public testing::TestWithParam<Pair> {};

TEST_P(VerifierPairs, Outcome) {
  const MathVerdict v = V(GetParam().response, GetParam().gold);
  EXPECT_EQ(v.outcome, GetParam().want)
      << "response=\"" << GetParam().response << "\" gold=\"" << GetParam().gold << "\" got "
      << Show(v);
}

INSTANTIATE_TEST_SUITE_P(
    Extraction, VerifierPairs,
    testing::Values(
        Pair{"\\boxed{k = 45} \\quad \\text{and} \\quad \\boxed{n = 2}", "k = 45, n = 2",
             Outcome::kCorrect},
        Pair{"The answer is \\boxed{2} and \\boxed{3}", "\\{2, 3\\}", Outcome::kCorrect},
        Pair{"blah \\boxed{255} Final Answer: The final answer is $10,455$. I hope it is correct.",
             "10455", Outcome::kCorrect},
        Pair{"Final Answer: The largest $n$ is 34.", "34", Outcome::kCorrect},
        Pair{"the number is not 10 which is 1,000.99", "1000.99", Outcome::kCorrect},
        Pair{"7,425,000", "7425000", Outcome::kCorrect},
        Pair{"Natalia sold 24 clips.\n#### 72", "72", Outcome::kCorrect},
        Pair{"Natalia sold 24 clips.\n#### 72", "#### 72", Outcome::kCorrect},
        Pair{"<answer>42</answer>", "42", Outcome::kCorrect},
        Pair{"The answer is (B).", "B", Outcome::kCorrect},
        Pair{"Hence the answer is B because it fits.", "B", Outcome::kCorrect},
        Pair{"Hence the answer is C because it fits.", "B", Outcome::kIncorrect},
        Pair{"increases by 100%.", "100\\%", Outcome::kCorrect},
        Pair{"$x = 3$", "3", Outcome::kCorrect},
        Pair{"I could not solve this problem.", "3", Outcome::kNoAnswer},
        Pair{"", "3", Outcome::kNoAnswer},
        Pair{"AZYUK2A", "2", Outcome::kNoAnswer},
        // Scientific notation whose exponent is too long to hold: a value, never an error.
        Pair{"77777777E777777777777774", "3", Outcome::kIncorrect},
        Pair{"\\boxed{-7E777777777777774}", "3", Outcome::kIncorrect},
        Pair{"\\boxed{7e777777777777777777777777}", "7e777777777777777777777777", Outcome::kCorrect},
        // A one-character macro argument leaves a bare exponent: LaTeX's reading, never an error.
        Pair{"\\dot0e0", "j", Outcome::kIncorrect},
        Pair{"\\boxed{\\frac1e2}", "\\frac{2}{e}", Outcome::kCorrect}));

TEST(MathVerifier, OutcomeNames) {
  EXPECT_EQ(OutcomeName(Outcome::kCorrect), "correct");
  EXPECT_EQ(OutcomeName(Outcome::kIncorrect), "incorrect");
  EXPECT_EQ(OutcomeName(Outcome::kNoAnswer), "no_answer");
  EXPECT_EQ(OutcomeName(Outcome::kInvalidGold), "invalid_gold");
  EXPECT_EQ(OutcomeName(Outcome::kBudgetExceeded), "budget_exceeded");
  EXPECT_EQ(OutcomeName(Outcome::kError), "error");
}

TEST(MathVerifier, ScoresAndValidity) {
  MathVerdict v = V("\\boxed{4}", "4");
  EXPECT_EQ(v.outcome, Outcome::kCorrect) << Show(v);
  EXPECT_EQ(v.score, 1.0);
  EXPECT_TRUE(v.valid);
  EXPECT_EQ(v.extracted, "4");
  EXPECT_FALSE(v.reason.empty());

  v = V("\\boxed{5}", "4");
  EXPECT_EQ(v.outcome, Outcome::kIncorrect) << Show(v);
  EXPECT_EQ(v.score, 0.0);
  EXPECT_TRUE(v.valid);

  v = V("nothing here", "4");
  EXPECT_EQ(v.outcome, Outcome::kNoAnswer) << Show(v);
  EXPECT_EQ(v.score, 0.0);
  EXPECT_TRUE(v.valid);
}

TEST(MathVerifier, InvalidGoldIsNotAZero) {
  for (const char* gold : {"", "   ", "\\frac{", "$$", "no answer in this gold text at all"}) {
    const MathVerdict v = V("\\boxed{4}", gold);
    EXPECT_EQ(v.outcome, Outcome::kInvalidGold) << "gold=\"" << gold << "\" " << Show(v);
    EXPECT_FALSE(v.valid);
    EXPECT_FALSE(v.reason.empty());
  }
}

TEST(MathVerifier, FallsBackToTheNextCandidateWhenOneDoesNotParse) {
  // The last box does not parse; the one before it does.
  const MathVerdict v = V("first step 1 \\boxed{7}, then step 2 \\boxed{)(}", "7");
  EXPECT_EQ(v.outcome, Outcome::kCorrect) << Show(v);
}

TEST(MathVerifier, ExtractsFurtherWhenTheFirstCandidatesDoNotParse) {
  // The verifier first tries the first rule's candidates (the boxes); here they are all junk.
  const MathVerdict v =
      V("see step 1 \\boxed{)(} and step 2 \\boxed{((} and step 3 \\boxed{)} so $5$", "5");
  EXPECT_EQ(v.outcome, Outcome::kCorrect) << Show(v);
}

TEST(MathVerifier, PreparedGoldIsReusable) {
  MathVerifyOptions options;
  const PreparedGold gold = PrepareGold("$\\frac{1}{2}$", options);
  ASSERT_TRUE(gold.parsed.has_value()) << gold.failure.reason;
  EXPECT_EQ(VerifyMath("\\boxed{0.5}", gold, options).outcome, Outcome::kCorrect);
  EXPECT_EQ(VerifyMath("\\boxed{2/4}", gold, options).outcome, Outcome::kCorrect);
  EXPECT_EQ(VerifyMath("\\boxed{1/3}", gold, options).outcome, Outcome::kIncorrect);
  const PreparedGold bad = PrepareGold("", options);
  EXPECT_FALSE(bad.parsed.has_value());
  EXPECT_EQ(VerifyMath("\\boxed{1}", bad, options).outcome, Outcome::kInvalidGold);
}

// A response whose answer is written exactly as the gold reuses the gold's parse, but only under
// the budget the gold was parsed with: a tighter budget still parses (and refuses) the answer
// itself.
TEST(MathVerifier, AnswerWrittenAsTheGoldReusesItsParseUnderTheSameBudget) {
  MathVerifyOptions options;
  const std::string gold_text = "$(x+1)^{2} + \\sin(x) - \\frac{3}{4}$";
  const PreparedGold gold = PrepareGold(gold_text, options);
  ASSERT_TRUE(gold.parsed.has_value()) << gold.failure.reason;
  const MathVerdict same = VerifyMath("So the answer is " + gold_text + ".", gold, options);
  EXPECT_EQ(same.outcome, Outcome::kCorrect) << same.reason;
  EXPECT_NE(same.reason.find("identical"), std::string::npos) << same.reason;
  // The same verdict as parsing both sides from scratch.
  const MathVerdict fresh = VerifyMath("So the answer is " + gold_text + ".", gold_text, options);
  EXPECT_EQ(fresh.outcome, same.outcome);
  EXPECT_EQ(fresh.reason, same.reason);
  MathVerifyOptions tight = options;
  tight.compare.budget.max_nodes = 5;
  const MathVerdict refused = VerifyMath("So the answer is " + gold_text + ".", gold, tight);
  EXPECT_EQ(refused.outcome, Outcome::kBudgetExceeded) << refused.reason;
}

TEST(MathVerifier, OptionsReachTheComparison) {
  MathVerifyOptions options;
  options.compare.precision = 2;
  EXPECT_EQ(V("\\boxed{0.33}", "\\frac{1}{3}", options).outcome, Outcome::kCorrect);
  options.compare.precision = 6;
  EXPECT_EQ(V("\\boxed{0.33}", "\\frac{1}{3}", options).outcome, Outcome::kIncorrect);
  options.extract.last_number = false;
  EXPECT_EQ(V("we get 3 apples", "3", options).outcome, Outcome::kNoAnswer);
}

TEST(MathVerifier, BadInputGetsAVerdict) {
  std::string binary;
  for (int i = 0; i < 10000; ++i) binary += static_cast<char>((i * 7919) % 256);
  for (const std::string& r :
       {binary, std::string("\\boxed{\0}", 9), std::string("\xff\xfe\\boxed{\xc3\x28}"),
        std::string("\\boxed{") + std::string(100000, '{'), std::string(100000, '$'),
        std::string("$") + std::string(70000, 'x') + "$"}) {
    const MathVerdict v = V(r, "4");
    EXPECT_NE(v.outcome, Outcome::kCorrect) << Show(v);
    EXPECT_NE(v.outcome, Outcome::kError) << Show(v);
  }
}

TEST(MathVerifier, OversizedResponseIsBudgetExceeded) {
  MathVerifyOptions options;
  options.extract.max_input_bytes = 1000;
  const MathVerdict v = V(std::string(2000, 'x') + "\\boxed{4}", "4", options);
  EXPECT_EQ(v.outcome, Outcome::kBudgetExceeded) << Show(v);
  EXPECT_FALSE(v.valid);
  EXPECT_NE(v.reason.find("limit is 1000"), std::string::npos) << v.reason;
}

TEST(MathVerifier, PeriodicFunctionOfAHugeNumberIsBudgetExceededNotMinutes) {
  // Exact argument reduction of sec(11111111!) took MPFR minutes; now a budget verdict at once.
  for (const auto& [response, gold] :
       {std::pair<std::string, std::string>{"\\boxed{\\sec(11111111!)}", "1"},
        {"\\boxed{1}", "\\sin(10^{400})"},
        {"\\boxed{e^{i \\cdot 10^{400}}}", "1"}}) {
    const MathVerdict v = V(response, gold);
    EXPECT_EQ(v.outcome, Outcome::kBudgetExceeded) << response << " vs " << gold << ": " << Show(v);
    EXPECT_NE(v.reason.find("too large to reduce"), std::string::npos) << v.reason;
  }
  // Below the cap the value is computed: sin(2^100) is not 1.
  EXPECT_EQ(V("\\boxed{\\sin(2^{100})}", "1").outcome, Outcome::kIncorrect);
}

// ---------------------------------------------------------------------------------------------------
// Pathological inputs: each gets a verdict quickly.

TEST(MathVerifierSlow, PowerTowerFinishesWithinBudget) {
  MathVerdict v;
  const double s = Seconds([&] {
    v = V("\\boxed{\\dfrac{5^{(5^{(5^{(5^5)})}-4)}-5}{16}}", "5");
  });
  EXPECT_LT(s, 2.0 * kSlack);
  EXPECT_NE(v.outcome, Outcome::kCorrect) << Show(v);
  EXPECT_NE(v.outcome, Outcome::kError) << Show(v);
  // Against itself: equal, or honestly out of budget; never a crash or a hang.
  const double s2 = Seconds([&] {
    v = V("\\boxed{\\dfrac{5^{(5^{(5^{(5^5)})}-4)}-5}{16}}",
          "\\dfrac{5^{(5^{(5^{(5^5)})}-4)}-5}{16}");
  });
  EXPECT_LT(s2, 2.0 * kSlack);
  EXPECT_TRUE(v.outcome == Outcome::kCorrect || v.outcome == Outcome::kBudgetExceeded) << Show(v);
}

TEST(MathVerifierSlow, DeepNestingFinishesWithinBudget) {
  // 100,000 levels: too big for one answer group; whatever is extracted gets a verdict in time.
  const std::string deep = std::string(100000, '(') + "1" + std::string(100000, ')');
  for (const std::string& r : {"\\boxed{" + deep + "}", "$" + deep + "$", deep}) {
    MathVerdict v;
    const double s = Seconds([&] { v = V(r, "1"); });
    EXPECT_LT(s, 2.0 * kSlack);
    EXPECT_NE(v.outcome, Outcome::kError) << Show(v);
  }
  // 1,000 levels fit in a box and go to the parser, whose depth limit stops them.
  const std::string nested = std::string(1000, '(') + "1" + std::string(1000, ')');
  for (const std::string& r : {"\\boxed{" + nested + "}", "$" + nested + "$"}) {
    MathVerdict v;
    const double s = Seconds([&] { v = V(r, "1"); });
    EXPECT_LT(s, 2.0 * kSlack);
    EXPECT_EQ(v.outcome, Outcome::kBudgetExceeded) << Show(v);
    EXPECT_FALSE(v.valid);
  }
  MathVerdict v;
  const double s = Seconds([&] { v = V("\\boxed{1}", deep); });
  EXPECT_LT(s, 2.0 * kSlack);
  EXPECT_FALSE(v.valid) << Show(v);
}

TEST(MathVerifierSlow, TenMegabyteCompletion) {
  std::string text;
  text.reserve(10 << 20);
  while (text.size() < (10u << 20)) {
    text += "Let me reconsider: 12 + 7 = 19, and $x^2 = 4$ gives x = 2. ";
  }
  text += "So the answer is \\boxed{42}.";
  MathVerdict v;
  const double s = Seconds([&] { v = V(text, "42"); });
  EXPECT_LT(s, 2.0 * kSlack);
  EXPECT_EQ(v.outcome, Outcome::kCorrect) << Show(v);
  std::printf("10 MB completion: %.3f s\n", s);
}

// ---------------------------------------------------------------------------------------------------
// Concurrency: the same verdicts from many threads as from one.

TEST(MathVerifier, ConcurrentCallsAgree) {
  const std::vector<E2ECase> cases = AllE2ECases();
  std::vector<Outcome> want;
  for (const E2ECase& c : cases) want.push_back(V(c.response, c.gold).outcome);
  MathVerifyOptions options;
  const PreparedGold shared_gold = PrepareGold("\\frac{1}{2}", options);
  std::vector<int> mismatches(8, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 3; ++round) {
        for (size_t i = t; i < cases.size(); i += 3) {
          if (V(cases[i].response, cases[i].gold).outcome != want[i]) ++mismatches[t];
          if (VerifyMath("\\boxed{0.5}", shared_gold, options).outcome != Outcome::kCorrect) {
            ++mismatches[t];
          }
        }
      }
      // MPFR keeps per-thread caches; a thread that compared answers frees them before it exits.
      ReleaseThreadCaches();
    });
  }
  for (std::thread& th : threads) th.join();
  for (int t = 0; t < 8; ++t) EXPECT_EQ(mismatches[t], 0) << "thread " << t;
}

// A bare gold matrix is math, not prose: "begin" / "pmatrix" are environment names.
TEST(MathVerifierTest, BareMatrixGold) {
  const char* gold = "\\begin{bmatrix}1&2\\\\3&4\\end{bmatrix}";
  EXPECT_EQ(V("so $\\boxed{\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}}$", gold).outcome,
            Outcome::kCorrect)
      << Show(V("so $\\boxed{\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}}$", gold));
  EXPECT_EQ(V("$\\boxed{\\begin{pmatrix} 1 & 2 \\\\ 4 & 3 \\end{pmatrix}}$", gold).outcome,
            Outcome::kIncorrect);
  EXPECT_TRUE(LooksLikeProse("the matrix is invertible"));
  EXPECT_FALSE(LooksLikeProse("\\begin{pmatrix}1\\\\2\\end{pmatrix}"));
}

// A broken bare gold is invalid (valid=false), never quietly read as its last number.
TEST(MathVerifierTest, BrokenBareGoldIsInvalid) {
  for (const char* gold : {"1+", "\\sqrt{", "\\frac{1}{", "2^"}) {
    const MathVerdict v = V("\\boxed{1}", gold);
    EXPECT_EQ(v.outcome, Outcome::kInvalidGold) << gold << ": " << Show(v);
    EXPECT_FALSE(v.valid) << gold;
  }
}

}  // namespace
}  // namespace rlvr::math
