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
  json out = VerdictToJson("a", verdict);
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

}  // namespace
}  // namespace rlvr
