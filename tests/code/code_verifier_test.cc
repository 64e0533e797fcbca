// The code verifier end to end, with real sandboxed runs: languages, test kinds, verdicts,
// limits, scoring, caching and validation.
#include "tests/code/test_util.h"

namespace rlvr::code {
namespace {

using testing::Assert;
using testing::Call;
using testing::Describe;
using testing::Fence;
using testing::SharedVerifier;
using testing::Stdio;

constexpr const char* kSumPy = "a, b = map(int, input().split())\nprint(a + b)";
constexpr const char* kSumCpp = "#include <iostream>\nint main(){long a,b;std::cin>>a>>b;std::cout<<a+b<<\"\\n\";}";

v1::CodeProblem SumProblem(const std::string& lang) {
  return Stdio(lang, {{"1 2\n", "3\n"}, {"10 20\n", "30"}, {"-5 5\n", "0\n"}});
}

TEST(CodeVerifierTest, PythonStdioCorrectAndPartial) {
  v1::Verdict v = SharedVerifier().Verify(Fence("python", kSumPy), SumProblem("python"));
  EXPECT_EQ(v.outcome(), v1::OUTCOME_CORRECT) << Describe(v);
  EXPECT_TRUE(v.valid());
  EXPECT_EQ(v.score(), 1.0);
  EXPECT_EQ(v.tests_passed(), 3u);
  EXPECT_EQ(v.tests_total(), 3u);
  ASSERT_EQ(v.tests_size(), 3);
  EXPECT_EQ(v.tests(0).status(), "passed");

  v = SharedVerifier().Verify(Fence("python", "a, b = map(int, input().split())\nprint(a - b if a < 0 else a + b)"),
                              SumProblem("python"));
  EXPECT_EQ(v.outcome(), v1::OUTCOME_INCORRECT) << Describe(v);
  EXPECT_TRUE(v.valid());
  EXPECT_NEAR(v.score(), 2.0 / 3, 1e-9);
  EXPECT_EQ(v.tests(2).status(), "wrong_answer");
  EXPECT_EQ(v.tests(2).detail(), "token 1: expected \"0\", got \"-10\"");
}

TEST(CodeVerifierTest, CppStdioCompilesOnceAcrossTestsAndSamples) {
  const int64_t misses = SharedVerifier().compile_cache_misses();
  v1::Verdict v = SharedVerifier().Verify(Fence("cpp", kSumCpp), SumProblem("cpp"));
  EXPECT_EQ(v.outcome(), v1::OUTCOME_CORRECT) << Describe(v);
  v = SharedVerifier().Verify(Fence("c++", kSumCpp), SumProblem("cpp"));  // an identical sample
  EXPECT_EQ(v.outcome(), v1::OUTCOME_CORRECT) << Describe(v);
  EXPECT_EQ(SharedVerifier().compile_cache_misses(), misses + 1);
}

TEST(CodeVerifierTest, PerTestVerdicts) {
  // Case by case: passes, wrong answer, runtime error, time limit, memory limit, output limit.
  const char* prog = R"(
k = int(input())
if k == 0: print(0)
elif k == 1: print(2)
elif k == 2: raise ValueError("boom")
elif k == 3:
    while True: pass
elif k == 4:
    x = bytearray(400 << 20); print(len(x))
elif k == 5:
    import sys
    while True: sys.stdout.write("y" * 65536)
)";
  v1::CodeProblem p = Stdio("python", {{"0\n", "0"}, {"1\n", "1"}, {"2\n", ""}, {"3\n", ""}, {"4\n", ""}, {"5\n", ""}});
  p.mutable_limits()->set_time_ms(1000);
  p.mutable_limits()->set_memory_mb(128);
  v1::Verdict v = SharedVerifier().Verify(Fence("python", prog), p);
  ASSERT_EQ(v.tests_size(), 6) << Describe(v);
  EXPECT_TRUE(v.valid());
  EXPECT_EQ(v.tests(0).status(), "passed");
  EXPECT_EQ(v.tests(1).status(), "wrong_answer");
  EXPECT_EQ(v.tests(1).detail(), "token 1: expected \"1\", got \"2\"");
  EXPECT_EQ(v.tests(2).status(), "runtime_error");
  EXPECT_NE(v.tests(2).stderr_excerpt().find("ValueError: boom"), std::string::npos);
  EXPECT_EQ(v.tests(3).status(), "time_limit");
  EXPECT_EQ(v.tests(4).status(), "memory_limit");
  EXPECT_EQ(v.tests(5).status(), "output_limit");
  EXPECT_NEAR(v.score(), 1.0 / 6, 1e-9);
}

TEST(CodeVerifierTest, CompileErrorScoresZeroButIsValid) {
  v1::Verdict v = SharedVerifier().Verify(Fence("cpp", "int main() { return x; }"), SumProblem("cpp"));
  EXPECT_EQ(v.outcome(), v1::OUTCOME_INCORRECT) << Describe(v);
  EXPECT_TRUE(v.valid());
  EXPECT_EQ(v.score(), 0);
  ASSERT_EQ(v.tests_size(), 3);
  EXPECT_EQ(v.tests(0).status(), "compile_error");
  EXPECT_NE(v.tests(0).stderr_excerpt().find("was not declared"), std::string::npos) << Describe(v);
}

TEST(CodeVerifierTest, NoCodeIsValidZero) {
  v1::Verdict v = SharedVerifier().Verify("I think the answer is 3.", SumProblem("python"));
  EXPECT_EQ(v.outcome(), v1::OUTCOME_NO_CODE);
  EXPECT_TRUE(v.valid());
  EXPECT_EQ(v.score(), 0);
  // A block in another language is not this language's code.
  v = SharedVerifier().Verify(Fence("cpp", kSumCpp), SumProblem("python"));
  EXPECT_EQ(v.outcome(), v1::OUTCOME_NO_CODE);
}

TEST(CodeVerifierTest, FloatToleranceAndCompareModes) {
  v1::CodeProblem p = Stdio("python", {{"", "0.333333\n"}});
  const std::string prog = Fence("python", "print(1/3)");
  EXPECT_EQ(SharedVerifier().Verify(prog, p).outcome(), v1::OUTCOME_INCORRECT);
  p.mutable_tests()->set_float_tolerance(1e-6);
  EXPECT_EQ(SharedVerifier().Verify(prog, p).outcome(), v1::OUTCOME_CORRECT);
  v1::CodeProblem yes = Stdio("python", {{"", "YES"}});
  EXPECT_EQ(SharedVerifier().Verify(Fence("python", "print('yes')"), yes).outcome(), v1::OUTCOME_INCORRECT);
  yes.mutable_tests()->set_compare("case_insensitive");
  EXPECT_EQ(SharedVerifier().Verify(Fence("python", "print('yes')"), yes).outcome(), v1::OUTCOME_CORRECT);
}

TEST(CodeVerifierTest, PerCaseLimits) {
  v1::CodeProblem p = Stdio("python", {{"", "1"}, {"", "1"}});
  p.mutable_limits()->set_time_ms(300);
  p.mutable_tests()->mutable_cases(1)->mutable_limits()->set_time_ms(3000);
  // ~0.6 s of CPU: over the problem's limit, within case 1's.
  v1::Verdict v = SharedVerifier().Verify(Fence("python", "s = 0\nfor i in range(6_000_000): s += i\nprint(1)"), p);
  ASSERT_EQ(v.tests_size(), 2) << Describe(v);
  EXPECT_EQ(v.tests(0).status(), "time_limit") << Describe(v);
  EXPECT_EQ(v.tests(1).status(), "passed") << Describe(v);
}

TEST(CodeVerifierTest, EarlyStopSkipsTheRest) {
  v1::CodeProblem p = Stdio("python", {});
  for (int i = 0; i < 12; ++i) {
    v1::CodeTestCase* c = p.mutable_tests()->add_cases();
    c->set_input("");
    c->set_output(i == 0 ? "0" : "1");
  }
  p.mutable_tests()->set_early_stop(true);
  v1::Verdict v = SharedVerifier().Verify(Fence("python", "print(1)"), p);
  EXPECT_EQ(v.tests_total(), 12u);
  EXPECT_EQ(v.tests(0).status(), "wrong_answer");
  int skipped = 0;
  for (const auto& t : v.tests()) skipped += t.status() == "skipped";
  EXPECT_GT(skipped, 0) << Describe(v);
  EXPECT_LT(v.score(), 1.0);
}

TEST(CodeVerifierTest, CallTests) {
  v1::CodeProblem p = Call("add", {{"[1, 2]", "3"}, {"[[1], [2]]", "[1, 2]"}, {"[\"a\", \"b\"]", "\"ab\""}});
  v1::Verdict v = SharedVerifier().Verify(Fence("python", "def add(a, b):\n    return a + b"), p);
  EXPECT_EQ(v.outcome(), v1::OUTCOME_CORRECT) << Describe(v);
  // Tuples compare as lists; dicts by value.
  v1::CodeProblem q = Call("f", {{"[]", "[[1, 2], {\"k\": [3]}]"}});
  v = SharedVerifier().Verify(Fence("python", "def f():\n    return ((1, 2), {'k': [3]})"), q);
  EXPECT_EQ(v.outcome(), v1::OUTCOME_CORRECT) << Describe(v);
  // LeetCode style.
  v = SharedVerifier().Verify(
      Fence("python", "class Solution:\n    def add(self, a, b):\n        return a + b"), p);
  EXPECT_EQ(v.outcome(), v1::OUTCOME_CORRECT) << Describe(v);
  // Wrong name: a runtime error, not a crash.
  v = SharedVerifier().Verify(Fence("python", "def plus(a, b):\n    return a + b"), p);
  EXPECT_EQ(v.score(), 0) << Describe(v);
  EXPECT_EQ(v.tests(0).status(), "runtime_error");
  // Syntax errors are compile errors.
  v = SharedVerifier().Verify(Fence("python", "def add(a, b)\n    return a + b"), p);
  EXPECT_EQ(v.tests(0).status(), "compile_error") << Describe(v);
  // APPS: a one-element expected list matches its element.
  v1::CodeProblem apps = Call("add", {{"[1, 2]", "[3]"}});
  EXPECT_EQ(SharedVerifier().Verify(Fence("python", "def add(a, b):\n    return a + b"), apps).score(), 0);
  apps.mutable_tests()->set_unwrap_expected_list(true);
  EXPECT_EQ(SharedVerifier().Verify(Fence("python", "def add(a, b):\n    return a + b"), apps).score(), 1);
}

TEST(CodeVerifierTest, AssertTests) {
  v1::CodeProblem p = Assert("def check(candidate):\n    assert candidate(2) == 4\n    assert candidate(3) == 9\n",
                             "square");
  EXPECT_EQ(SharedVerifier().Verify(Fence("python", "def square(x):\n    return x * x"), p).outcome(),
            v1::OUTCOME_CORRECT);
  v1::Verdict v = SharedVerifier().Verify(Fence("python", "def square(x):\n    return x + x"), p);
  EXPECT_EQ(v.outcome(), v1::OUTCOME_INCORRECT) << Describe(v);
  EXPECT_EQ(v.tests(0).status(), "runtime_error");
  EXPECT_NE(v.tests(0).stderr_excerpt().find("AssertionError"), std::string::npos);
  // Plain asserts (MBPP) without check().
  v1::CodeProblem mbpp = Assert("assert square(5) == 25\n", "");
  EXPECT_EQ(SharedVerifier().Verify(Fence("python", "def square(x):\n    return x * x"), mbpp).outcome(),
            v1::OUTCOME_CORRECT);
}

TEST(CodeVerifierTest, BrokenTestsAreInvalidGold) {
  v1::CodeProblem p = Assert("def check(candidate:\n    assert True\n", "f");
  v1::Verdict v = SharedVerifier().Verify(Fence("python", "def f():\n    return 1"), p);
  EXPECT_EQ(v.outcome(), v1::OUTCOME_INVALID_GOLD) << Describe(v);
  EXPECT_FALSE(v.valid());
  v1::CodeProblem bad = Stdio("cobol", {{"", ""}});
  v = SharedVerifier().Verify(Fence("python", "print()"), bad);
  EXPECT_EQ(v.outcome(), v1::OUTCOME_INVALID_GOLD);
  EXPECT_FALSE(v.valid());
}

TEST(CodeVerifierTest, ValidateNamesFieldAndValue) {
  struct Case {
    v1::CodeProblem problem;
    std::string needle;
  };
  std::vector<Case> cases;
  cases.push_back({Stdio("cobol", {{"", ""}}), "language is \"cobol\""});
  {
    v1::CodeProblem p = Stdio("python", {{"", ""}});
    p.mutable_tests()->set_type("fuzz");
    cases.push_back({p, "tests.type is \"fuzz\""});
  }
  cases.push_back({Stdio("python", {}), "tests.cases is empty"});
  cases.push_back({Call("", {{"[]", "1"}}), "tests.fn_name is missing"});
  cases.push_back({Call("f", {{"{\"a\": 1}", "1"}}), "tests.cases[0].args_json is not a JSON array"});
  cases.push_back({Call("f", {{"[1]", "1"}, {"[1", "1"}}), "tests.cases[1].args_json"});
  cases.push_back({Call("f", {{"[1]", "nope"}}), "tests.cases[0].expected_json is not JSON"});
  cases.push_back({Assert("", "f"), "tests.code is empty"});
  {
    v1::CodeProblem p = Assert("assert True", "f");
    p.set_language("cpp");
    cases.push_back({p, "tests.type assert is not supported for language cpp"});
  }
  {
    v1::CodeProblem p = Stdio("python", {{"", ""}});
    p.mutable_limits()->set_time_ms(999999);
    cases.push_back({p, "limits.time_ms is 999999"});
  }
  {
    v1::CodeProblem p = Stdio("python", {{"", ""}});
    p.mutable_tests()->set_compare("fuzzy");
    cases.push_back({p, "tests.compare is \"fuzzy\""});
  }
  {
    v1::CodeProblem p = Stdio("python", {{"", ""}});
    p.mutable_tests()->set_float_tolerance(-1);
    cases.push_back({p, "tests.float_tolerance is -1"});
  }
  for (const Case& c : cases) {
    absl::Status s = SharedVerifier().Validate(c.problem);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.needle;
    EXPECT_NE(s.message().find(c.needle), std::string::npos) << s.message() << " / wanted " << c.needle;
  }
  EXPECT_TRUE(SharedVerifier().Validate(SumProblem("cpp")).ok());
}

TEST(CodeVerifierTest, JsonLineEndToEnd) {
  auto p = CodeProblemFromJson(nlohmann::json::parse(R"({"id": "x", "kind": "code", "language": "python",
      "tests": {"type": "call", "fn_name": "inc", "cases": [{"args": [1], "expected": 2}, {"args": [5], "expected": 6}]},
      "limits": {"time_ms": 2000, "memory_mb": 256}})"));
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_TRUE(SharedVerifier().Validate(*p).ok());
  v1::Verdict v = SharedVerifier().Verify(Fence("python", "def inc(x):\n    return x + 1"), *p);
  EXPECT_EQ(v.outcome(), v1::OUTCOME_CORRECT) << Describe(v);
  EXPECT_EQ(v.tests_total(), 2u);
}

TEST(CodeVerifierTest, EveryVerdictCountsTheTests) {
  // no_code and invalid_gold verdicts still say how many tests the problem has.
  v1::Verdict v = SharedVerifier().Verify("no program here", SumProblem("python"));
  EXPECT_EQ(v.outcome(), v1::OUTCOME_NO_CODE);
  EXPECT_EQ(v.tests_passed(), 0u);
  EXPECT_EQ(v.tests_total(), 3u);
  v1::CodeProblem bad = SumProblem("python");
  bad.mutable_tests()->set_compare("fuzzy");
  v = SharedVerifier().Verify(Fence("python", kSumPy), bad);
  EXPECT_EQ(v.outcome(), v1::OUTCOME_INVALID_GOLD);
  EXPECT_EQ(v.tests_total(), 3u);
  v = SharedVerifier().Verify("nothing", Assert("assert f() == 1", "f"));
  EXPECT_EQ(v.tests_total(), 1u);
}

TEST(CodeVerifierTest, AllPassedScoringIsBinary) {
  v1::CodeProblem p = SumProblem("python");
  p.mutable_tests()->set_scoring("all_passed");
  const std::string partial = Fence("python", "a, b = map(int, input().split())\nprint(a - b if a < 0 else a + b)");
  v1::Verdict v = SharedVerifier().Verify(partial, p);
  EXPECT_EQ(v.outcome(), v1::OUTCOME_INCORRECT) << Describe(v);
  EXPECT_EQ(v.score(), 0.0);
  EXPECT_EQ(v.tests_passed(), 2u);  // the per-test counts are unchanged
  v = SharedVerifier().Verify(Fence("python", kSumPy), p);
  EXPECT_EQ(v.score(), 1.0) << Describe(v);
  p.mutable_tests()->set_scoring("fraction");
  EXPECT_NEAR(SharedVerifier().Verify(partial, p).score(), 2.0 / 3, 1e-9);
  p.mutable_tests()->set_scoring("binary");
  EXPECT_NE(SharedVerifier().Validate(p).message().find("tests.scoring is \"binary\""), std::string::npos);
}

TEST(CodeVerifierTest, PythonSyntaxErrorIsACompileError) {
  for (const char* prog : {"a, b = map(int, input().split()\nprint(a + b)",  // unclosed paren
                           "if True:\nprint(1)",                             // IndentationError
                           "if True:\n\tx = 1\n        print(x)"}) {         // TabError
    v1::Verdict v = SharedVerifier().Verify(Fence("python", prog), SumProblem("python"));
    EXPECT_TRUE(v.valid()) << Describe(v);
    EXPECT_EQ(v.score(), 0);
    ASSERT_EQ(v.tests_size(), 3) << Describe(v);
    for (const v1::TestVerdict& t : v.tests()) EXPECT_EQ(t.status(), "compile_error") << prog << "\n" << Describe(v);
    EXPECT_NE(v.tests(0).stderr_excerpt().find("Error"), std::string::npos) << Describe(v);
  }
  // A SyntaxError raised while the program runs (eval of bad text) is the program's runtime error.
  v1::Verdict v = SharedVerifier().Verify(Fence("python", "eval('1 +')"), SumProblem("python"));
  ASSERT_EQ(v.tests_size(), 3) << Describe(v);
  EXPECT_EQ(v.tests(0).status(), "runtime_error") << Describe(v);
}

// "Print two positive integers that sum to n": many valid outputs, judged by a checker.
constexpr const char* kCppChecker = R"(#include <cstdio>
#include <fstream>
#include <string>
int main(int argc, char** argv) {
  if (argc != 4) return 3;
  std::ifstream in(argv[1]), out(argv[2]), ans(argv[3]);
  long n, a, b, ja, jb;
  in >> n;
  if (!(ans >> ja >> jb) || ja + jb != n) { std::fprintf(stderr, "bad answer file"); return 3; }
  if (!(out >> a >> b)) { std::fprintf(stderr, "expected two integers"); return 1; }
  if (a <= 0 || b <= 0 || a + b != n) { std::fprintf(stderr, "%ld + %ld is not %ld", a, b, n); return 1; }
  std::string extra;
  if (out >> extra) { std::fprintf(stderr, "extra output"); return 2; }
  return 0;
}
)";

constexpr const char* kPyChecker = R"(import sys
n = int(open(sys.argv[1]).read())
got = open(sys.argv[2]).read().split()
if len(got) != 2 or not all(t.isdigit() for t in got):
    print("expected two positive integers")
    sys.exit(1)
a, b = map(int, got)
if a <= 0 or b <= 0 or a + b != n:
    sys.exit(f"{a} + {b} is not {n}")
)";

v1::CodeProblem SplitProblem(const std::string& checker_lang, const std::string& checker) {
  v1::CodeProblem p = Stdio("python", {{"4\n", "2 2\n"}, {"10\n", "5 5\n"}, {"3\n", "1 2\n"}});
  p.mutable_tests()->mutable_checker()->set_language(checker_lang);
  p.mutable_tests()->mutable_checker()->set_source(checker);
  return p;
}

TEST(CodeVerifierTest, CheckerAcceptsAnyValidOutput) {
  for (const auto& [lang, checker] : {std::pair<std::string, std::string>{"cpp", kCppChecker}, {"python", kPyChecker}}) {
    const v1::CodeProblem p = SplitProblem(lang, checker);
    // Not the jury's answers ("2 2", "5 5"), but valid.
    v1::Verdict v = SharedVerifier().Verify(Fence("python", "n = int(input())\nprint(1, n - 1)"), p);
    EXPECT_EQ(v.outcome(), v1::OUTCOME_CORRECT) << lang << " " << Describe(v);
    EXPECT_EQ(v.tests_passed(), 3u);
    // n - 1, 1 is as good; n, 0 is not; "1 2" only fits n = 3.
    v = SharedVerifier().Verify(Fence("python", "n = int(input())\nprint(n - 1, 1)"), p);
    EXPECT_EQ(v.score(), 1.0) << lang << " " << Describe(v);
    v = SharedVerifier().Verify(Fence("python", "n = int(input())\nprint(n, 0)"), p);
    EXPECT_EQ(v.outcome(), v1::OUTCOME_INCORRECT) << lang << " " << Describe(v);
    EXPECT_TRUE(v.valid());
    EXPECT_EQ(v.score(), 0.0);
    EXPECT_EQ(v.tests(0).status(), "wrong_answer");
    EXPECT_NE(v.tests(0).detail().find("4 + 0 is not 4"), std::string::npos) << lang << " " << Describe(v);
    v = SharedVerifier().Verify(Fence("python", "print(1, 2)"), p);
    EXPECT_NEAR(v.score(), 1.0 / 3, 1e-9) << lang << " " << Describe(v);
    // A program that crashes is the program's runtime error; the checker does not run.
    v = SharedVerifier().Verify(Fence("python", "raise SystemExit(4)"), p);
    EXPECT_TRUE(v.valid()) << Describe(v);
    EXPECT_EQ(v.tests(0).status(), "runtime_error") << Describe(v);
  }
  // testlib's presentation error (exit 2) is a wrong answer.
  v1::Verdict v = SharedVerifier().Verify(Fence("python", "n = int(input())\nprint(1, n - 1, 'extra')"),
                                          SplitProblem("cpp", kCppChecker));
  EXPECT_EQ(v.tests(0).status(), "wrong_answer") << Describe(v);
  EXPECT_EQ(v.tests(0).detail(), "extra output");
}

TEST(CodeVerifierTest, BrokenCheckerIsInvalidNeverZero) {
  const std::string prog = Fence("python", "n = int(input())\nprint(1, n - 1)");
  struct Case {
    std::string lang, source, reason;
  } cases[] = {
      {"cpp", "int main() { return x; }", "the checker does not compile"},
      {"python", "def f(:\n  pass", "the checker does not compile"},
      {"python", "import sys\nraise ValueError('checker bug')", "the checker failed on test 0: exited with code 3"},
      {"python", "import sys\nsys.exit(3)", "the checker failed on test 0: exited with code 3"},
      {"cpp", "#include <cstdlib>\nint main() { std::abort(); }", "the checker failed on test 0: runtime_error"},
      {"cpp", "#include <cstring>\n#include <vector>\nint main() { std::vector<char> v(size_t{3} << 30); "
              "std::memset(v.data(), 1, v.size()); return v[7]; }",
       "the checker failed on test 0: "},
  };
  for (const Case& c : cases) {
    v1::Verdict v = SharedVerifier().Verify(prog, SplitProblem(c.lang, c.source));
    EXPECT_EQ(v.outcome(), v1::OUTCOME_INVALID_GOLD) << c.source << "\n" << Describe(v);
    EXPECT_FALSE(v.valid());
    EXPECT_NE(v.reason().find(c.reason), std::string::npos) << c.source << "\n" << Describe(v);
  }
  // The checker's own bug report reaches the reason.
  v1::Verdict v = SharedVerifier().Verify(prog, SplitProblem("python", "raise ValueError('checker bug')"));
  EXPECT_NE(v.reason().find("ValueError: checker bug"), std::string::npos) << Describe(v);
  // Validation: stdio only, a known language, a source.
  v1::CodeProblem p = SplitProblem("cobol", "x");
  EXPECT_NE(SharedVerifier().Validate(p).message().find("tests.checker.language is \"cobol\""), std::string::npos);
  p = SplitProblem("cpp", "");
  EXPECT_NE(SharedVerifier().Validate(p).message().find("tests.checker.source is empty"), std::string::npos);
  p = Call("f", {{"[]", "1"}});
  p.mutable_tests()->mutable_checker()->set_language("cpp");
  p.mutable_tests()->mutable_checker()->set_source("int main() {}");
  EXPECT_NE(SharedVerifier().Validate(p).message().find("tests.checker is for type stdio"), std::string::npos);
}

TEST(CodeVerifierTest, ExtractOptionsPerProblem) {
  const std::string two_blocks = "```python\nprint(3)\n```\nor maybe\n```python\nprint(4)\n```\n";
  v1::CodeProblem p = Stdio("python", {{"", "3"}});
  EXPECT_EQ(SharedVerifier().Verify(two_blocks, p).score(), 0.0);  // the last block by default
  p.mutable_extract()->set_block("first");
  EXPECT_EQ(SharedVerifier().Verify(two_blocks, p).score(), 1.0);
  // No fence: no_code unless the whole response is the program.
  EXPECT_EQ(SharedVerifier().Verify("print(3)", p).outcome(), v1::OUTCOME_NO_CODE);
  p.mutable_extract()->set_whole_response(true);
  EXPECT_EQ(SharedVerifier().Verify("print(3)", p).outcome(), v1::OUTCOME_CORRECT);
  // An untagged block counts unless turned off.
  const std::string untagged = "```\nprint(3)\n```";
  EXPECT_EQ(SharedVerifier().Verify(untagged, p).outcome(), v1::OUTCOME_CORRECT);
  p.mutable_extract()->set_whole_response(false);
  p.mutable_extract()->set_untagged_fallback(false);
  EXPECT_EQ(SharedVerifier().Verify(untagged, p).outcome(), v1::OUTCOME_NO_CODE);
  // A truncated final block counts unless turned off.
  const std::string unclosed = "```python\nprint(3)\n";
  EXPECT_EQ(SharedVerifier().Verify(unclosed, p).outcome(), v1::OUTCOME_CORRECT);
  p.mutable_extract()->set_accept_unclosed(false);
  EXPECT_EQ(SharedVerifier().Verify(unclosed, p).outcome(), v1::OUTCOME_NO_CODE);
  p.mutable_extract()->set_block("middle");
  EXPECT_NE(SharedVerifier().Validate(p).message().find("extract.block is \"middle\""), std::string::npos);
}

}  // namespace
}  // namespace rlvr::code
