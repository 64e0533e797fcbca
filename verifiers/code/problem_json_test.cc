#include "gtest/gtest.h"
#include "verifiers/code/code_verifier.h"

namespace rlvr::code {
namespace {

using nlohmann::json;

TEST(ProblemJsonTest, ReadsTheJsonlShapes) {
  json stdio = json::parse(R"({"id": "a", "kind": "code", "language": "python", "response": "x",
      "tests": {"type": "stdio", "cases": [{"input": "1", "output": "2"}], "float_tolerance": 1e-6},
      "limits": {"time_ms": 2000, "memory_mb": 256}})");
  auto p = CodeProblemFromJson(stdio);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->tests().cases(0).output(), "2");
  EXPECT_DOUBLE_EQ(p->tests().float_tolerance(), 1e-6);
  EXPECT_EQ(p->limits().time_ms(), 2000u);

  json call = json::parse(R"({"language": "python", "tests": {"type": "call", "fn_name": "f",
      "cases": [{"args": [1, [2]], "expected": {"a": 1}, "limits": {"time_ms": 50}}]}})");
  p = CodeProblemFromJson(call);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->tests().cases(0).args_json(), "[1,[2]]");
  EXPECT_EQ(p->tests().cases(0).expected_json(), R"({"a":1})");
  EXPECT_EQ(p->tests().cases(0).limits().time_ms(), 50u);

  json as = json::parse(R"j({"tests": {"type": "assert", "code": "assert f()", "entry_point": "f"}})j");
  p = CodeProblemFromJson(as);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->language(), "python");
}

TEST(ProblemJsonTest, BadShapesNameTheField) {
  struct Case {
    const char* line;
    const char* message;  // a part of the error message
  } cases[] = {
      {R"({"tests": 3})", "tests is 3; expected an object"},
      {R"({"tests": null})", "tests is null"},
      {R"({"tests": {"cases": []}})", "tests.type is missing"},
      {R"({"tests": {"type": 1}})", "tests.type is 1; expected a string"},
      {R"({"tests": {"type": "fuzz"}})", "tests.type is \"fuzz\"; expected stdio, call or assert"},
      {R"({"tests": {"type": "call", "fn_name": "f", "cases": [{"args": 1, "expected": 2}]}})",
       "tests.cases[0].args is not a JSON array: 1"},
      {R"({"tests": {"type": "call", "fn_name": "f", "cases": [{"expected": 2}]}})",
       "tests.cases[0].args is missing"},
      {R"({"tests": {"type": "call", "fn_name": "f", "cases": [{"args": []}]}})",
       "tests.cases[0].expected is missing"},
      {R"({"tests": {"type": "call", "fn_name": "f", "cases": [{"args": [], "args_json": "[]", "expected": 1}]}})",
       "tests.cases[0].args and args_json are both given"},
      // A typo'd expected output must not become "" (which an empty program would pass).
      {R"({"tests": {"type": "stdio", "cases": [{"input": "1"}]}})", "tests.cases[0].output is missing"},
      {R"({"tests": {"type": "stdio", "cases": [{"input": "1", "output": "2"}, {"input": "1", "output": "2"},
          {"input": "1", "expected_output": "2"}]}})",
       "tests.cases[2]: unknown key \"expected_output\" (known: input, output, limits)"},
      {R"({"tests": {"type": "stdio", "cases": [{"input": 1, "output": "2"}]}})",
       "tests.cases[0].input is 1; expected a string"},
      {R"({"tests": {"type": "stdio", "cases": [{"input": "1", "output": null}]}})",
       "tests.cases[0].output is missing"},
      {R"({"tests": {"type": "stdio", "cases": [{"input": "1", "output": ["2"]}]}})",
       "tests.cases[0].output is [\"2\"]; expected a string"},
      {R"({"tests": {"type": "stdio", "cases": ["1 2"]}})", "tests.cases[0] is \"1 2\"; expected an object"},
      {R"({"tests": {"type": "stdio", "cases": {"input": "1", "output": "2"}}})", "tests.cases is {"},
      {R"({"tests": {"type": "stdio", "cases": "1 2"}})", "tests.cases is \"1 2\"; expected a list"},
      // Call with stdio-style cases, and the other way round.
      {R"({"tests": {"type": "call", "fn_name": "f", "cases": [{"input": "1", "output": "2"}]}})",
       "tests.cases[0]: key \"input\" is not used by type call"},
      {R"({"tests": {"type": "stdio", "cases": [{"args": [1], "expected": 2}]}})",
       "tests.cases[0]: key \"args\" is not used by type stdio"},
      // Unknown keys and keys of another type in "tests".
      {R"({"tests": {"type": "stdio", "cases": [], "float_tolerence": 1e-6}})",
       "tests: unknown key \"float_tolerence\""},
      {R"({"tests": {"type": "stdio", "cases": [], "fn_name": "f"}})", "tests: key \"fn_name\" is not used by type stdio"},
      {R"({"tests": {"type": "assert", "code": "assert 1", "cases": []}})",
       "tests: key \"cases\" is not used by type assert"},
      {R"({"tests": {"type": "call", "fn_name": "f", "compare": "exact", "cases": []}})",
       "tests: key \"compare\" is not used by type call"},
      // Limits: zero, negative, below the minimum, wrong types, unknown keys.
      {R"({"tests": {"type": "stdio", "cases": []}, "limits": {"time_ms": -1}})", "limits.time_ms is -1; expected an integer >= 1"},
      {R"({"tests": {"type": "stdio", "cases": []}, "limits": {"time_ms": 0}})", "limits.time_ms is 0"},
      {R"({"tests": {"type": "stdio", "cases": []}, "limits": {"memory_mb": 0}})", "limits.memory_mb is 0"},
      {R"({"tests": {"type": "stdio", "cases": []}, "limits": {"memory_mb": 8}})",
       "limits.memory_mb is 8; expected an integer >= 16"},
      {R"({"tests": {"type": "stdio", "cases": []}, "limits": {"memory_mb": -256}})", "limits.memory_mb is -256"},
      {R"({"tests": {"type": "stdio", "cases": []}, "limits": {"time_ms": 1.5}})", "limits.time_ms is 1.5"},
      {R"({"tests": {"type": "stdio", "cases": []}, "limits": {"time_ms": "2000"}})", "limits.time_ms is \"2000\""},
      {R"({"tests": {"type": "stdio", "cases": []}, "limits": {"time_limit": 2}})", "limits: unknown key \"time_limit\""},
      {R"({"tests": {"type": "stdio", "cases": []}, "limits": 2000})", "limits is 2000; expected an object"},
      {R"({"tests": {"type": "stdio", "cases": [{"input": "", "output": "", "limits": {"time_ms": 0}}]}})",
       "tests.cases[0].limits.time_ms is 0"},
      // Other wrong types.
      {R"({"tests": {"type": "stdio", "float_tolerance": "x"}})", "tests.float_tolerance is \"x\"; expected a number"},
      {R"({"tests": {"type": "stdio", "early_stop": "yes"}})", "tests.early_stop is \"yes\"; expected a boolean"},
      {R"({"tests": {"type": "stdio", "compare": 3}})", "tests.compare is 3; expected a string"},
      {R"({"language": 5, "tests": {"type": "stdio"}})", "language is 5"},
      {R"({"language": "", "tests": {"type": "stdio"}})", "language is empty"},
      // Scoring, checker, extract.
      {R"({"tests": {"type": "stdio", "scoring": "binary"}})", "tests.scoring is \"binary\"; expected fraction or all_passed"},
      {R"({"tests": {"type": "stdio", "checker": "x"}})", "tests.checker is \"x\"; expected an object"},
      {R"({"tests": {"type": "stdio", "checker": {"language": "cpp"}}})", "tests.checker.source is missing"},
      {R"({"tests": {"type": "stdio", "checker": {"language": "cpp", "source": "x", "argv": []}}})",
       "tests.checker: unknown key \"argv\""},
      {R"({"tests": {"type": "call", "fn_name": "f", "checker": {"language": "cpp", "source": "x"}}})",
       "tests: key \"checker\" is not used by type call"},
      {R"({"tests": {"type": "stdio"}, "extract": {"block": "middle"}})", "extract.block is \"middle\"; expected last or first"},
      {R"({"tests": {"type": "stdio"}, "extract": {"whole_response": 1}})", "extract.whole_response is 1; expected a boolean"},
      {R"({"tests": {"type": "stdio"}, "extract": {"fallback": true}})", "extract: unknown key \"fallback\""},
      {R"({"tests": {"type": "stdio"}, "extract": true})", "extract is true; expected an object"},
  };
  for (const Case& c : cases) {
    auto p = CodeProblemFromJson(json::parse(c.line));
    EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument) << c.line;
    EXPECT_NE(p.status().message().find(c.message), std::string::npos) << c.line << " -> " << p.status();
  }
}

TEST(ProblemJsonTest, LanguageDefaultsToPython) {
  auto p = CodeProblemFromJson(json::parse(R"({"tests": {"type": "stdio", "cases": [{"output": "1"}]}})"));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->language(), "python");
  EXPECT_EQ(p->tests().cases(0).input(), "");  // input defaults to empty stdin
  p = CodeProblemFromJson(json::parse(R"({"language": "cpp", "tests": {"type": "stdio", "cases": [{"output": "1"}]}})"));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->language(), "cpp");
}

TEST(ProblemJsonTest, ScoringCheckerAndExtract) {
  auto p = CodeProblemFromJson(json::parse(R"({"language": "cpp",
      "tests": {"type": "stdio", "scoring": "all_passed", "early_stop": true,
                "cases": [{"input": "4", "output": "2 2", "limits": {"time_ms": 100, "memory_mb": 16}}],
                "checker": {"language": "python", "source": "import sys"}},
      "extract": {"block": "first", "untagged_fallback": false, "whole_response": true, "accept_unclosed": false},
      "data_source": "anything: other top-level keys are a dataset row's metadata"})"));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->tests().scoring(), "all_passed");
  EXPECT_TRUE(p->tests().early_stop());
  EXPECT_EQ(p->tests().cases(0).limits().memory_mb(), 16u);
  EXPECT_EQ(p->tests().checker().language(), "python");
  EXPECT_EQ(p->tests().checker().source(), "import sys");
  EXPECT_EQ(p->extract().block(), "first");
  ASSERT_TRUE(p->extract().has_untagged_fallback());
  EXPECT_FALSE(p->extract().untagged_fallback());
  EXPECT_TRUE(p->extract().whole_response());
  ASSERT_TRUE(p->extract().has_accept_unclosed());
  EXPECT_FALSE(p->extract().accept_unclosed());
  // Unset extract fields stay unset (the server's defaults apply).
  p = CodeProblemFromJson(json::parse(R"({"tests": {"type": "stdio", "cases": [{"output": ""}]}, "extract": {}})"));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_FALSE(p->extract().has_untagged_fallback());
  EXPECT_FALSE(p->extract().has_whole_response());
  EXPECT_EQ(p->tests().scoring(), "");
  EXPECT_FALSE(p->tests().has_checker());
}

}  // namespace
}  // namespace rlvr::code
