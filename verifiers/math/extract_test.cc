#include "verifiers/math/extract.h"

#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace rlvr::math {
namespace {

std::vector<Candidate> All(std::string_view text, const ExtractOptions& options = {}) {
  absl::StatusOr<std::vector<Candidate>> c = ExtractCandidates(text, options);
  EXPECT_TRUE(c.ok()) << c.status();
  return c.ok() ? *c : std::vector<Candidate>{};
}

std::string First(std::string_view text, const ExtractOptions& options = {}) {
  std::vector<Candidate> c = All(text, options);
  return c.empty() ? "<none>" : c.front().text;
}

ExtractRule FirstRule(std::string_view text) {
  std::vector<Candidate> c = All(text);
  EXPECT_FALSE(c.empty()) << text;
  return c.empty() ? ExtractRule::kLastNumber : c.front().rule;
}

struct Case {
  const char* text;
  const char* want;
};

class FirstCandidate : public testing::TestWithParam<Case> {};

TEST_P(FirstCandidate, Matches) {
  EXPECT_EQ(First(GetParam().text), GetParam().want) << "input: " << GetParam().text;
}

INSTANTIATE_TEST_SUITE_P(
    Boxed, FirstCandidate,
    testing::Values(Case{"so x = \\boxed{5}.", "5"}, Case{"\\boxed{\\frac{1}{2}}", "\\frac{1}{2}"},
                    Case{"\\boxed{\\{1, 2\\}}", "\\{1, 2\\}"},
                    Case{"a \\boxed{1} then later \\boxed{2}.", "2"},
                    Case{"\\boxed 5", "5"}, Case{"the answer is \\boxed 42.", "42"},
                    Case{"\\fbox{7}", "7"}, Case{"$\\boxed{x^{2}+1}$", "x^{2}+1"},
                    Case{"\\boxed{k = 45} \\quad \\text{and} \\quad \\boxed{n = 2}", "k = 45, n = 2"},
                    Case{"\\boxed{1}\\boxed{2}", "1, 2"},
                    Case{"\\boxed{1} and \\boxed{2} and \\boxed{3}", "1, 2, 3"},
                    Case{"\\boxed{1} no no no no no \\boxed{2}", "2"},
                    Case{"\\boxed{1}\n\nNext part: 2 \\boxed{3}", "3"},
                    Case{"\\boxed{\\boxed{9}}", "\\boxed{9}"},
                    Case{"\\boxed{a\\}b}", "a\\}b"}, Case{"\\boxed{14{,}916}", "14916"},
                    Case{"\\boxed{1,000}", "1000"}, Case{"\\boxed{-2,1}", "-2,1"},
                    Case{"\\boxed{28}\\%", "28%"}, Case{"x=\\boxed{3} \\text{ cm}", "3"},
                    Case{"\\\\boxed{004}", "004"},
                    Case{"\\boxed{unclosed and $7$", "7"},
                    Case{"\\boxedfoo{3} $4$", "4"}));

INSTANTIATE_TEST_SUITE_P(
    Anchors, FirstCandidate,
    testing::Values(
        Case{"The final answer is $28 \\%$. I hope it is correct.", "28 \\%"},
        Case{"blah \\boxed{255} Final Answer: The final answer is $10,455$. I hope it is correct.",
             "10455"},
        Case{"Final Answer: The final answer is 16386.16.", "16386.16"},
        Case{"Final Answer: The largest $n$ is 34.", "34"},
        Case{"Final Answer: Jane started growing Sphere 3 hours ago. I hope it is correct.", "3"},
        Case{"The final answer is \\((-6, 10)\\). I hope it is correct.", "(-6, 10)"},
        Case{"**Final answer:** 12", "12"}, Case{"final answer: $x^2$", "x^2"},
        Case{"<answer>42</answer>", "42"}, Case{"<think>2+2</think><answer> $4$ </answer>", "4"},
        Case{"<answer>The result is $\\frac{3}{4}$ of the pie</answer>", "\\frac{3}{4}"},
        Case{"<answer>5", "5"}, Case{"Answer: 17", "17"}, Case{"answer: x = 2", "x = 2"},
        Case{"The answer is 9.", "9"}, Case{"The answer is $\\frac{1}{3}$.", "\\frac{1}{3}"},
        Case{"Answer \\[ 9 \\]", "9"}, Case{"Answer $$ 9 $$", "9"},
        Case{"Answer \\( (9+1) \\)", "(9+1)"},
        Case{"To answer this we compute $x = 3$, so it is $5$.", "5"},
        Case{"Natalia sold 48/2 = 24 clips.\n#### 72", "72"}, Case{"#### 1,234", "1234"},
        Case{"The answer is (B).", "B"}, Case{"Hence the answer is B because it fits.", "B"},
        Case{"Looking at the options ... (C)", "C"}, Case{"The correct option is D", "D"}));

INSTANTIATE_TEST_SUITE_P(
    Unanchored, FirstCandidate,
    testing::Values(Case{"$9$", "9"}, Case{"So we get $x = 5$.", "x = 5"},
                    Case{"$$\\frac{1}{2}$$", "\\frac{1}{2}"}, Case{"\\(  7 \\)", "7"},
                    Case{"We get \\[ \\sqrt{2} \\] at last", "\\sqrt{2}"},
                    Case{"cost \\$5 and $x$", "x"}, Case{"$1$ and $2$ and $3$", "1, 2, 3"},
                    Case{"$21,16$ or $11$", "21,16, 11"}, Case{"$a$, $b$", "b"},
                    Case{"$28$ %", "28%"}, Case{"increases by 100%.", "100%"},
                    Case{"The number $x$ equals 12 in total", "12"},
                    Case{"the number is not 10 which is 1,000.99\u20ac", "1000.99"},
                    Case{"Soucis : 2,74 $ a..", "2.74"}, Case{"AZYUK2A", "<none>"},
                    Case{"x_2 is small", "<none>"}, Case{"7,425,000", "7425000"},
                    Case{"1 000", "1000"}, Case{"1000,99", "1000.99"}, Case{".4", ".4"},
                    Case{"-5", "-5"}, Case{"\\frac{10}{9}", "\\frac{10}{9}"},
                    Case{"P(A) = 2/3. Done", "2/3"}, Case{"", "<none>"},
                    Case{"no numbers here at all", "<none>"},
                    Case{"Answer $ \n 9 \n $", "9"}));

TEST(Extract, OrderOfRulesIsDocumentedOrder) {
  EXPECT_EQ(FirstRule("The final answer is $3$. I hope it is correct. \\boxed{4}"),
            ExtractRule::kFinalAnswerHope);
  EXPECT_EQ(FirstRule("<answer>3</answer> \\boxed{4}"), ExtractRule::kBoxed);
  EXPECT_EQ(FirstRule("final answer: 3. Answer: 4"), ExtractRule::kFinalAnswer);
  EXPECT_EQ(FirstRule("Answer: 3\n#### 4"), ExtractRule::kAnswerPrefix);
  EXPECT_EQ(FirstRule("#### 4\n $5$"), ExtractRule::kGsm8k);
  EXPECT_EQ(FirstRule("x \\in [0,1)"), ExtractRule::kWholeText);
  EXPECT_EQ(FirstRule("we get $3$ apples"), ExtractRule::kLatexEnv);
  EXPECT_EQ(FirstRule("we get 3 apples"), ExtractRule::kLastNumber);
}

// Minerva's "I hope it is correct" closes a response: said more than 4 KiB before the end, it is
// not the answer, and the later box is.
TEST(Extract, HopeSentenceCountsOnlyNearTheEnd) {
  const std::string hope = "The final answer is $3$. I hope it is correct. ";
  EXPECT_EQ(FirstRule(hope + std::string(4000, ' ') + "\\boxed{4}"), ExtractRule::kFinalAnswerHope);
  EXPECT_EQ(First(hope + std::string(4000, ' ') + "\\boxed{4}"), "3");
  EXPECT_EQ(FirstRule(hope + std::string(5000, ' ') + "\\boxed{4}"), ExtractRule::kBoxed);
  EXPECT_EQ(First(hope + std::string(5000, ' ') + "\\boxed{4}"), "4");
}

TEST(Extract, FallbackCandidatesFollow) {
  std::vector<Candidate> c = All("first \\boxed{1} then step 2 \\boxed{x+} gives $7$ and 8.");
  ASSERT_GE(c.size(), 3u);
  EXPECT_EQ(c[0].text, "x+");
  EXPECT_EQ(c[1].text, "1");
  EXPECT_EQ(c[0].rule, ExtractRule::kBoxed);
  bool has_env = false;
  for (const Candidate& k : c) has_env |= k.rule == ExtractRule::kLatexEnv && k.text == "7";
  EXPECT_TRUE(has_env);
}

TEST(Extract, CandidatesAreUniqueAndBounded) {
  std::string text;
  for (int i = 0; i < 100; ++i) text += "\\boxed{" + std::to_string(i) + "} then $" +
                                        std::to_string(i + 1000) + "$ words words.\n\n";
  ExtractOptions options;
  options.max_candidates = 5;
  std::vector<Candidate> c = All(text, options);
  EXPECT_EQ(c.size(), 5u);
  for (size_t i = 0; i < c.size(); ++i) {
    for (size_t j = i + 1; j < c.size(); ++j) EXPECT_NE(c[i].text, c[j].text);
  }
  EXPECT_EQ(c[0].text, "99");
}

TEST(Extract, RulesCanBeSwitchedOff) {
  ExtractOptions options;
  options.boxed = false;
  EXPECT_EQ(First("$3$ and then \\boxed{4}", options), "4");  // the env around nothing: last number
  options.last_number = false;
  EXPECT_EQ(First("we get 3 apples", options), "<none>");
  options = ExtractOptions{};
  options.latex_env = false;
  options.last_number = false;
  EXPECT_EQ(First("we get $3$ apples", options), "<none>");
  options = ExtractOptions{};
  options.final_answer = false;
  EXPECT_EQ(First("The final answer is $3$. I hope it is correct. \\boxed{4}", options), "4");
}

TEST(Extract, StopAtFirstRuleGivesAPrefixOfTheFullList) {
  const std::string text = "We get $2$ first, then \\boxed{x+} and finally 7.";
  ExtractOptions first;
  first.stop_at_first_rule = true;
  const std::vector<Candidate> some = All(text, first);
  const std::vector<Candidate> all = All(text);
  ASSERT_EQ(some.size(), 1u);
  EXPECT_EQ(some[0].rule, ExtractRule::kBoxed);
  ASSERT_GT(all.size(), some.size());
  for (size_t i = 0; i < some.size(); ++i) EXPECT_EQ(some[i].text, all[i].text);
}

// The verifier extracts the first candidate alone first (a near-only box search), then the first
// rule's candidates, then everything: each list must be a prefix of the next, whatever the text.
TEST(Extract, FirstCandidateAloneIsThePrefixOfEveryWiderStage) {
  const std::string far(5000, 'x');  // beyond kNearBoxBytes (4096)
  const std::string big = "\\boxed{" + std::string(4500, '1') + " + \\boxed{2}}";
  std::vector<std::string> texts = {
      "\\boxed{1}, \\boxed{2} and \\boxed{3}",
      "\\boxed{1}" + far + "\\boxed{2}",
      "\\boxed{1}, " + far + "\\fbox{2}",
      "\\fbox{1} and \\boxed{2}",
      "\\boxed{\\boxed{7}}",
      "\\boxed{a + \\fbox{7} + b} done",
      big,
      "say " + big + ", \\boxed{3}",
      "\\boxed{x+} then \\boxed{",
      "\\boxed 5 and \\fbox 6",
      "\\boxed{1}\\boxed{2}\\boxed{3}\\boxed{4}\\boxed{5}",
      "The final answer is $3$. I hope it is correct. \\boxed{4}",
      "we get $3$ apples and 5 oranges, $7$",
  };
  // Every alignment of the last box against the 32-byte scan blocks, with \boxed and \fbox.
  for (int pad = 0; pad < 40; ++pad) {
    texts.push_back(std::string(static_cast<size_t>(pad), ' ') + "\\fbox{9}" + std::string(70, 'y') +
                    "\\boxed{8}" + std::string(static_cast<size_t>(pad % 7), '.'));
    texts.push_back("\\boxed{1}" + std::string(static_cast<size_t>(pad), 'z') + "\\fbox{2}");
  }
  for (const std::string& text : texts) {
    ExtractOptions one, rule;
    one.stop_at_first_rule = rule.stop_at_first_rule = true;
    one.max_candidates = 1;
    const std::vector<Candidate> a = All(text, one), b = All(text, rule), c = All(text);
    ASSERT_LE(a.size(), 1u) << text.substr(0, 80);
    ASSERT_LE(a.size(), b.size()) << text.substr(0, 80);
    ASSERT_LE(b.size(), c.size()) << text.substr(0, 80);
    for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].text, b[i].text) << text.substr(0, 80);
    for (size_t i = 0; i < b.size(); ++i) EXPECT_EQ(b[i].text, c[i].text) << text.substr(0, 80);
  }
  // What the rules say about these texts.
  EXPECT_EQ(First("\\boxed{1}, \\boxed{2} and \\boxed{3}"), "1, 2, 3");
  EXPECT_EQ(First("\\boxed{1}" + far + "\\boxed{2}"), "2");
  EXPECT_EQ(First("\\fbox{1} and \\boxed{2}"), "1, 2");
  EXPECT_EQ(First("\\boxed{a + \\fbox{7} + b} done"), "a + \\fbox{7} + b");
  EXPECT_EQ(First("\\boxed{1}" + std::string(13, 'z') + "\\fbox{2}"), "2");
  // An enclosing box counts when it starts within 4 KB of the box it encloses.
  EXPECT_EQ(First("\\boxed{" + std::string(100, '1') + " + \\boxed{2}}"),
            std::string(100, '1') + " + \\boxed{2}");
  EXPECT_EQ(First(big), "2");
}

// With one candidate wanted, the unanchored rule looks only for the last environment run and the
// last number; it must pick what the full search puts first, and step aside when that candidate is
// rejected (empty once cleaned up, or already found by an earlier rule).
TEST(Extract, UnanchoredFirstCandidateIsTheFullSearchsFirst) {
  const std::vector<std::string> texts = {
      "we get $3$ apples and 5 oranges",   // the number ends later
      "5 oranges, and $3$",                // the environment ends later
      "$12$",                              // the number is inside the environment
      "$x = 2$ or $x = 3$ so 4",           // a joined run, then a number
      "$x = 2$ or $x = 3$",                // a joined run
      "costs $\\$$ 7 and 5 apples $\\$$",  // an environment cleaned up to nothing
      "$28$ %",                            // a percent after the environment
      "it is 40\\% of $y$",                // a percent number before an environment
      "x_2 y^3 a7 $\\$$",                  // numbers glued to names only
      "no numbers here at all",
      "1,000 and $2{,}000$ then 3 000",
      "$$\\frac{1}{2}$$ is 0.5",
  };
  for (const std::string& text : texts) {
    for (int wanted : {1, 2}) {
      ExtractOptions some;
      some.max_candidates = wanted;
      ExtractOptions every;
      const std::vector<Candidate> a = All(text, some), c = All(text, every);
      ASSERT_LE(a.size(), c.size()) << text;
      for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].text, c[i].text) << text;
      EXPECT_EQ(a.size(), std::min<size_t>(c.size(), static_cast<size_t>(wanted))) << text;
    }
  }
  EXPECT_EQ(First("we get $3$ apples and 5 oranges"), "5");
  EXPECT_EQ(First("5 oranges, and $3$"), "3");
  EXPECT_EQ(First("costs $\\$$ 7 and 5 apples $\\$$"), "5");
}

// The anchor rules skip their searches when a text cannot hold the anchor (no "w" for the
// "answer" anchors, no capital A-J for a choice); texts that do hold them still match, in any case.
TEST(Extract, AnchorsAreFoundInEitherCase) {
  EXPECT_EQ(First("The ANSWER IS 12"), "12");
  EXPECT_EQ(First("final Answer: 7"), "7");
  EXPECT_EQ(First("<ANSWER>9</ANSWER>"), "9");
  EXPECT_EQ(First("the answer is (C)"), "C");
  EXPECT_EQ(First("so the option is D"), "D");
  EXPECT_EQ(First("So it is (J)"), "J");
  for (const Candidate& c : All("the option is d")) EXPECT_NE(c.rule, ExtractRule::kChoice);
  for (const Candidate& c : All("we saw $x$")) EXPECT_NE(c.rule, ExtractRule::kAnswerPrefix);
}

TEST(Extract, SpansPointIntoTheInput) {
  const std::string text = "We have \\boxed{12} here";
  std::vector<Candidate> c = All(text);
  ASSERT_FALSE(c.empty());
  EXPECT_EQ(text.substr(c[0].begin, c[0].end - c[0].begin), "\\boxed{12}");
}

TEST(Extract, TooLongIsResourceExhausted) {
  ExtractOptions options;
  options.max_input_bytes = 10;
  absl::StatusOr<std::vector<Candidate>> c = ExtractCandidates("\\boxed{12345678}", options);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(c.status().message().find("limit is 10"), std::string_view::npos);
}

TEST(Extract, Prose) {
  EXPECT_TRUE(LooksLikeProse("Jane started growing Sphere 3 hours ago"));
  EXPECT_FALSE(LooksLikeProse("x \\in [0, 1)"));
  EXPECT_FALSE(LooksLikeProse("\\sin x + \\cos x"));
  EXPECT_FALSE(LooksLikeProse("125 miles"));
  EXPECT_FALSE(LooksLikeProse("6 \\text{ and } 8"));
}

TEST(Extract, BinaryAndOddBytesDoNotCrash) {
  std::string text;
  for (int i = 0; i < 4096; ++i) text += static_cast<char>((i * 131) % 256);
  text += "\\boxed{";
  text += std::string(1, '\0');
  text += "}$\\(\\[";
  All(text);
  All("\\boxed");
  All("\\boxed{");
  All("$");
  All("$$");
  All("\\");
  All("\\(");
  All("\\)");
  All("####");
  All("<answer>");
  All("final answer is");
  All("I hope it is correct");
  All("answer:");
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

// Hostile long inputs: every rule must stay linear.
TEST(ExtractSlow, LongInputsStayFast) {
  const size_t n = 10 << 20;
  std::vector<std::pair<std::string, std::string>> inputs;
  {
    std::string t;
    t.reserve(n + 32);
    while (t.size() < n) t += "Let me think about this step by step, 12 + 7 = 19. ";
    t += "\\boxed{42}";
    inputs.emplace_back("prose+boxed", std::move(t));
  }
  inputs.emplace_back("open boxes", std::string());
  while (inputs.back().second.size() < n) inputs.back().second += "\\boxed{";
  inputs.emplace_back("dollars", std::string(n, '$'));
  inputs.emplace_back("brackets", std::string());
  while (inputs.back().second.size() < n) inputs.back().second += "\\]";
  inputs.emplace_back("digits", std::string(n, '7'));
  inputs.emplace_back("digit groups", std::string());
  while (inputs.back().second.size() < n) inputs.back().second += "1,000 ";
  inputs.emplace_back("answers", std::string());
  while (inputs.back().second.size() < n) inputs.back().second += "answer final answer is ";
  inputs.emplace_back("braces", std::string(n / 2, '{') + std::string(n / 2, '}'));
  inputs.emplace_back("one line", std::string(n, 'a') + "$1$");
  for (const auto& [name, text] : inputs) {
    double s = Seconds([&] { All(text); });
    EXPECT_LT(s, 2.0 * kSlack) << name;
    std::printf("%-14s %zu bytes: %.3f s\n", name.c_str(), text.size(), s);
  }
}

}  // namespace
}  // namespace rlvr::math
