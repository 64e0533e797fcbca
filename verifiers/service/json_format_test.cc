#include "verifiers/service/json_format.h"

#include "gtest/gtest.h"

namespace rlvr {
namespace {

using nlohmann::json;

TEST(JsonFormatTest, ParsesAMathLine) {
  auto request = RequestFromJsonLine(json::parse(
      R"({"id": "q1", "kind": "math", "response": "so \\boxed{2}", "answer": "2",
          "options": {"precision": 4, "percent": "exact", "strict": false,
                      "allow_set_relation_comp": true, "last_number_fallback": false}})"));
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->request_id(), "q1");
  EXPECT_EQ(request->problem().kind(), v1::PROBLEM_KIND_MATH);
  EXPECT_EQ(request->problem().math().gold(), "2");
  ASSERT_EQ(request->responses_size(), 1);
  const v1::MathOptions& options = request->problem().math().options();
  EXPECT_EQ(options.precision(), 4);
  EXPECT_EQ(options.percent(), v1::PERCENT_MODE_EXACT);
  EXPECT_FALSE(options.strict());
  EXPECT_TRUE(options.allow_set_relation_comp());
  EXPECT_FALSE(options.last_number_fallback());
}

TEST(JsonFormatTest, NumericIdAndAnswerAndGroups) {
  auto request = RequestFromJsonLine(
      json::parse(R"({"id": 7, "kind": "math", "responses": ["1", "2"], "answer": 2.5})"));
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->request_id(), "7");
  EXPECT_EQ(request->problem().math().gold(), "2.5");
  EXPECT_EQ(request->responses_size(), 2);
}

struct BadLine {
  const char* line;
  const char* message;
};

TEST(JsonFormatTest, BadLinesNameTheProblem) {
  const BadLine cases[] = {
      {R"({"kind": "math", "answer": "1"})", "missing \"response\""},
      {R"({"response": "1", "answer": "1"})", "missing \"kind\""},
      {R"({"kind": "math", "response": "1"})", "missing \"answer\""},
      {R"({"kind": "poetry", "response": "1", "answer": "1"})", "\"kind\" must be \"math\" or \"code\", got \"poetry\""},
      {R"({"kind": "math", "response": 5, "answer": "1"})", "\"response\" must be a string, got 5"},
      {R"({"kind": "math", "response": "1", "answer": null})", "\"answer\" must be a string or number, got null"},
      {R"({"kind": "math", "responses": ["a", 3], "answer": "1"})", "\"responses[]\" must be a string, got 3"},
      {R"({"kind": "math", "response": "1", "answer": "1", "options": {"precison": 3}})", "unknown option \"precison\""},
      {R"({"kind": "math", "response": "1", "answer": "1", "options": {"precision": 99}})", "\"options.precision\" is 99; must be 0..50"},
      {R"({"kind": "math", "response": "1", "answer": "1", "options": {"precision": "6"}})", "\"options.precision\" must be an integer, got \"6\""},
      {R"({"kind": "math", "response": "1", "answer": "1", "options": {"percent": "maybe"}})", "\"options.percent\" must be \"flexible\" or \"exact\""},
      {R"({"kind": "math", "response": "1", "answer": "1", "options": {"strict": 1}})", "\"options.strict\" must be a boolean, got 1"},
      {R"({"kind": "math", "response": "1", "answer": "1", "options": []})", "\"options\" must be an object"},
      {R"({"id": [1], "kind": "math", "response": "1", "answer": "1"})", "\"id\" must be a string or integer"},
  };
  for (const BadLine& c : cases) {
    auto request = RequestFromJsonLine(json::parse(c.line));
    ASSERT_FALSE(request.ok()) << c.line;
    EXPECT_EQ(request.status().code(), absl::StatusCode::kInvalidArgument) << c.line;
    EXPECT_NE(request.status().message().find(c.message), std::string::npos)
        << c.line << " -> " << request.status().message();
  }
}

TEST(JsonFormatTest, VerdictAndErrorJson) {
  v1::Verdict verdict;
  verdict.set_outcome(v1::OUTCOME_NO_ANSWER);
  verdict.set_valid(true);
  verdict.set_reason("nothing extracted");
  json out = VerdictToJson("a", verdict, v1::PROBLEM_KIND_MATH);
  EXPECT_EQ(out["outcome"], "no_answer");
  EXPECT_EQ(out["valid"], true);
  EXPECT_EQ(out["score"], 0.0);
  EXPECT_FALSE(out.contains("tests_total"));
  json error = ErrorToJson("b", absl::InvalidArgumentError("line 3: bad"));
  EXPECT_EQ(error["outcome"], "error");
  EXPECT_EQ(error["valid"], false);
  EXPECT_EQ(error["reason"], "line 3: bad");
  EXPECT_EQ(error["error_code"], "INVALID_ARGUMENT");
  EXPECT_EQ(OutcomeName(v1::OUTCOME_BUDGET_EXCEEDED), "budget_exceeded");
}

TEST(JsonFormatTest, CodeVerdictsAlwaysCarryTheTestFields) {
  // no_code and invalid_gold verdicts carry tests_passed / tests_total too (a reward function reads
  // the same keys on every line).
  v1::Verdict no_code;
  no_code.set_outcome(v1::OUTCOME_NO_CODE);
  no_code.set_valid(true);
  no_code.set_tests_total(3);
  json out = VerdictToJson("a", no_code, v1::PROBLEM_KIND_CODE);
  EXPECT_EQ(out["outcome"], "no_code");
  EXPECT_EQ(out["tests_passed"], 0);
  EXPECT_EQ(out["tests_total"], 3);
  EXPECT_EQ(out["all_passed"], false);
  EXPECT_EQ(out["tests"], json::array());

  v1::Verdict invalid;
  invalid.set_outcome(v1::OUTCOME_INVALID_GOLD);
  invalid.set_valid(false);
  out = VerdictToJson("b", invalid, v1::PROBLEM_KIND_CODE);
  EXPECT_EQ(out["tests_passed"], 0);
  EXPECT_EQ(out["tests_total"], 0);
  EXPECT_EQ(out["all_passed"], false);

  v1::Verdict correct;
  correct.set_outcome(v1::OUTCOME_CORRECT);
  correct.set_valid(true);
  correct.set_score(1);
  correct.set_tests_passed(2);
  correct.set_tests_total(2);
  for (const char* status : {"passed", "passed"}) correct.add_tests()->set_status(status);
  correct.mutable_tests(1)->set_stderr_excerpt("warn");
  out = VerdictToJson("c", correct, v1::PROBLEM_KIND_CODE);
  EXPECT_EQ(out["all_passed"], true);
  ASSERT_EQ(out["tests"].size(), 2u);
  EXPECT_EQ(out["tests"][0]["status"], "passed");
  EXPECT_EQ(out["tests"][1]["stderr"], "warn");

  json error = ErrorToJson("d", absl::InvalidArgumentError("bad"), v1::PROBLEM_KIND_CODE, 4);
  EXPECT_EQ(error["tests_passed"], 0);
  EXPECT_EQ(error["tests_total"], 4);
  EXPECT_EQ(error["all_passed"], false);
  EXPECT_FALSE(ErrorToJson("e", absl::InvalidArgumentError("bad")).contains("tests_total"));
}

TEST(JsonFormatTest, CodeLinesAreStrictInsideTests) {
  auto request = RequestFromJsonLine(json::parse(
      R"({"id": "c1", "kind": "code", "response": "x", "data_source": "taco",
          "tests": {"type": "stdio", "scoring": "all_passed", "cases": [{"input": "1", "output": "2"}]},
          "extract": {"block": "first", "whole_response": true}})"));
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->problem().kind(), v1::PROBLEM_KIND_CODE);
  EXPECT_EQ(request->problem().code().language(), "python");
  EXPECT_EQ(request->problem().code().tests().scoring(), "all_passed");
  EXPECT_EQ(request->problem().code().extract().block(), "first");
  auto bad = RequestFromJsonLine(json::parse(
      R"({"kind": "code", "response": "x", "tests": {"type": "stdio",
          "cases": [{"input": "1", "expected_output": "2"}]}})"));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("tests.cases[0]: unknown key \"expected_output\""), std::string::npos)
      << bad.status();
}

}  // namespace
}  // namespace rlvr
