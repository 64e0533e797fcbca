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
    const char* field;
  } cases[] = {
      {R"({"tests": 3})", "tests"},
      {R"({"tests": {"cases": []}})", "tests.type"},
      {R"({"tests": {"type": "call", "fn_name": "f", "cases": [{"args": 1, "expected": 2}]}})",
       "tests.cases[0].args"},
      {R"({"tests": {"type": "call", "fn_name": "f", "cases": [{"expected": 2}]}})", "tests.cases[0].args"},
      {R"({"tests": {"type": "stdio", "cases": [{"input": 1}]}})", "tests.cases[0].input"},
      {R"({"tests": {"type": "stdio", "cases": []}, "limits": {"time_ms": -1}})", "limits.time_ms"},
      {R"({"tests": {"type": "stdio", "float_tolerance": "x"}})", "tests.float_tolerance"},
      {R"({"language": 5, "tests": {"type": "stdio"}})", "language"},
  };
  for (const Case& c : cases) {
    auto p = CodeProblemFromJson(json::parse(c.line));
    EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument) << c.line;
    EXPECT_NE(p.status().message().find(c.field), std::string::npos) << c.line << " -> " << p.status();
  }
}

}  // namespace
}  // namespace rlvr::code
