#include "verifiers/code/dataset_loaders.h"

#include "gtest/gtest.h"

namespace rlvr::code {
namespace {

using nlohmann::json;

// The prompt's helpers (HumanEval/32's poly) are part of the tests, not taken from the response.
TEST(DatasetLoadersTest, HumanEvalPromptHelpersGoWithTheTests) {
  json he = {{"prompt", "import math\n\n\ndef poly(xs, x):\n    return sum(xs)\n\n\ndef find_zero(xs):\n    \"\"\"doc\"\"\"\n"},
             {"test", "def check(c):\n  assert poly([1], c([1])) == 1\n"},
             {"entry_point", "find_zero"}};
  absl::StatusOr<v1::CodeProblem> p = FromHumanEval(he);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->tests().code(),
            "# from the prompt\nimport math\n\n\ndef poly(xs, x):\n    return sum(xs)\n\n\n\n"
            "def check(c):\n  assert poly([1], c([1])) == 1\n");
  // A prompt without the entry point's def, or none at all: the tests as they are.
  he["prompt"] = "def other():\n    pass\n";
  EXPECT_EQ(FromHumanEval(he)->tests().code(), "def check(c):\n  assert poly([1], c([1])) == 1\n");
  he.erase("prompt");
  EXPECT_EQ(FromHumanEval(he)->tests().code(), "def check(c):\n  assert poly([1], c([1])) == 1\n");
}

TEST(DatasetLoadersTest, HumanEvalAndMbpp) {
  json he = {{"task_id", "HumanEval/0"}, {"test", "def check(c):\n  assert c(1) == 2\n"}, {"entry_point", "f"}};
  EXPECT_EQ(DetectDatasetFormat(he), DatasetFormat::kHumanEval);
  auto p = CodeProblemFromDatasetRow(he, "python");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->tests().type(), "assert");
  EXPECT_EQ(p->tests().entry_point(), "f");

  json mbpp = {{"test_list", {"assert f(1) == 2", "assert f(2) == 3"}}, {"test_setup_code", "import math"}};
  p = CodeProblemFromDatasetRow(mbpp, "python");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->tests().code(), "import math\nassert f(1) == 2\nassert f(2) == 3\n");
  EXPECT_EQ(p->tests().entry_point(), "");
}

TEST(DatasetLoadersTest, AppsStdioAndCall) {
  json stdio = {{"input_output", R"({"inputs": ["1 2\n", ["3", "4"]], "outputs": ["3\n", "7\n"]})"}};
  auto p = CodeProblemFromDatasetRow(stdio, "cpp");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->language(), "cpp");
  EXPECT_EQ(p->tests().type(), "stdio");
  ASSERT_EQ(p->tests().cases_size(), 2);
  EXPECT_EQ(p->tests().cases(1).input(), "3\n4\n");

  json call = {{"input_output", json{{"fn_name", "add"}, {"inputs", {{1, 2}}}, {"outputs", {{3}}}}}};
  p = CodeProblemFromDatasetRow(call, "python");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->tests().type(), "call");
  EXPECT_EQ(p->tests().fn_name(), "add");
  EXPECT_TRUE(p->tests().unwrap_expected_list());
  EXPECT_EQ(p->tests().cases(0).args_json(), "[1,2]");
  EXPECT_EQ(p->tests().cases(0).expected_json(), "[3]");

  json bad = {{"input_output", R"({"inputs": ["1"], "outputs": []})"}};
  EXPECT_EQ(CodeProblemFromDatasetRow(bad, "python").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(DatasetLoadersTest, LiveCodeBench) {
  json fn = {{"public_test_cases", R"([{"input": "[1, 2]\n3", "output": "6", "testtype": "functional"}])"},
             {"private_test_cases", "eJzLSM3JyQcABiwCFQ=="},
             {"metadata", R"({"func_name": "total"})"}};
  auto p = CodeProblemFromDatasetRow(fn, "python");
  EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);  // compressed private tests
  EXPECT_NE(p.status().message().find("private_test_cases is a string that is not JSON"), std::string::npos);
  EXPECT_NE(p.status().message().find("scripts/lcb_decompress.py"), std::string::npos) << p.status();
  fn.erase("private_test_cases");
  p = CodeProblemFromDatasetRow(fn, "python");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->tests().type(), "call");
  EXPECT_EQ(p->tests().fn_name(), "total");
  EXPECT_EQ(p->tests().cases(0).args_json(), "[[1,2],3]");
  EXPECT_EQ(p->tests().cases(0).expected_json(), "6");

  json io = {{"public_test_cases", json::array({{{"input", "1\n"}, {"output", "2\n"}, {"testtype", "stdin"}}})}};
  p = CodeProblemFromDatasetRow(io, "python");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->tests().type(), "stdio");
}

TEST(DatasetLoadersTest, CodeContests) {
  json row = {{"public_tests", {{"input", {"1\n"}}, {"output", {"1\n"}}}},
              {"private_tests", {{"input", {"2\n"}}, {"output", {"4\n"}}}},
              {"generated_tests", {{"input", {"3\n", "4\n"}}, {"output", {"9\n", "16\n"}}}},
              {"time_limit", {{"seconds", 2}, {"nanos", 0}}}};
  auto p = CodeProblemFromDatasetRow(row, "cpp");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->tests().cases_size(), 4);
  EXPECT_EQ(p->limits().time_ms(), 2000u);
  EXPECT_EQ(p->limits().memory_mb(), 0u);  // absent: the server's default
  row["time_limit"] = {{"seconds", 1}, {"nanos", 500000000}};
  row["memory_limit_bytes"] = 268435456;
  p = CodeProblemFromDatasetRow(row, "cpp");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->limits().time_ms(), 1500u);
  EXPECT_EQ(p->limits().memory_mb(), 256u);
  row["time_limit"] = {{"seconds", 0}, {"nanos", 0}};  // implausible: left to the server
  row["memory_limit_bytes"] = 1024;
  p = CodeProblemFromDatasetRow(row, "cpp");
  EXPECT_EQ(p->limits().time_ms(), 0u);
  EXPECT_EQ(p->limits().memory_mb(), 0u);
  EXPECT_EQ(CodeProblemFromDatasetRow(json{{"foo", 1}}, "python").status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace rlvr::code
