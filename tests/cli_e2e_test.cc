// End-to-end tests of the command-line tools as a user runs them: `rlvr verify` in-process and
// through a real `rlvr-verifier` process on loopback, malformed input, and SIGTERM shutdown.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <cctype>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace {

namespace fs = std::filesystem;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<nlohmann::json> ReadJsonLines(const fs::path& path) {
  std::vector<nlohmann::json> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) out.push_back(nlohmann::json::parse(line));
  return out;
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("rlvr_cli_test_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    std::ofstream in(dir_ / "in.jsonl");
    in << R"({"id": "a", "kind": "math", "response": "so \\boxed{\\frac{1}{2}}", "answer": "0.5"})"
       << "\n"
       << "this line is not json\n"
       << R"({"id": "c", "kind": "math", "response": "\\boxed{3}", "answer": "4"})" << "\n"
       << "\n"
       << R"({"id": "d", "kind": "math", "response": "x", "answer": "1", "options": {"precison": 2}})"
       << "\n"
       << R"({"id": "e", "kind": "math", "response": "I do not know"})" << "\n"
       << R"({"id": "f", "kind": "math", "responses": ["\\boxed{2}", "\\boxed{3}"], "answer": "2"})"
       << "\n"
       << R"({"id": "g", "kind": "math", "response": "nothing here", "answer": "5"})" << "\n";
  }
  void TearDown() override { fs::remove_all(dir_); }

  void CheckOutput(const fs::path& out, const std::string& err) {
    auto lines = ReadJsonLines(out);
    ASSERT_EQ(lines.size(), 7u) << ReadFile(out);
    EXPECT_EQ(lines[0]["id"], "a");
    EXPECT_EQ(lines[0]["outcome"], "correct");
    EXPECT_EQ(lines[0]["score"], 1.0);
    EXPECT_EQ(lines[0]["valid"], true);
    EXPECT_EQ(lines[1]["outcome"], "error");
    EXPECT_EQ(lines[1]["valid"], false);
    EXPECT_NE(lines[1]["reason"].get<std::string>().find("line 2"), std::string::npos);
    EXPECT_EQ(lines[2]["id"], "c");
    EXPECT_EQ(lines[2]["outcome"], "incorrect");
    EXPECT_EQ(lines[3]["id"], "d");
    EXPECT_EQ(lines[3]["outcome"], "error");
    EXPECT_NE(lines[3]["reason"].get<std::string>().find("line 5: unknown option \"precison\""),
              std::string::npos)
        << lines[3];
    EXPECT_EQ(lines[4]["id"], "e");
    EXPECT_NE(lines[4]["reason"].get<std::string>().find("missing \"answer\""), std::string::npos);
    EXPECT_EQ(lines[5]["id"], "f");
    ASSERT_EQ(lines[5]["verdicts"].size(), 2u);
    EXPECT_EQ(lines[5]["verdicts"][0]["outcome"], "correct");
    EXPECT_EQ(lines[5]["verdicts"][1]["outcome"], "incorrect");
    EXPECT_EQ(lines[6]["outcome"], "no_answer");
    EXPECT_EQ(lines[6]["valid"], true);
    EXPECT_NE(err.find("7 lines, 8 verdicts"), std::string::npos) << err;
    EXPECT_NE(err.find("correct=2"), std::string::npos) << err;
    EXPECT_NE(err.find("error=3"), std::string::npos) << err;
    EXPECT_NE(err.find("verifications/s"), std::string::npos) << err;
  }

  fs::path dir_;
};

TEST_F(CliTest, VerifyInProcess) {
  const std::string cmd = std::string(RLVR_BIN) + " verify --input " + (dir_ / "in.jsonl").string() +
                          " --output " + (dir_ / "out.jsonl").string() + " 2> " +
                          (dir_ / "err.txt").string();
  ASSERT_EQ(std::system(cmd.c_str()), 0) << ReadFile(dir_ / "err.txt");
  CheckOutput(dir_ / "out.jsonl", ReadFile(dir_ / "err.txt"));
}

TEST_F(CliTest, UsageErrors) {
  auto run = [&](const std::string& args) {
    const std::string cmd = std::string(RLVR_BIN) + " " + args + " >/dev/null 2> " +
                            (dir_ / "err.txt").string();
    const int status = std::system(cmd.c_str());
    return std::make_pair(WEXITSTATUS(status), ReadFile(dir_ / "err.txt"));
  };
  auto [code, err] = run("verify");
  EXPECT_EQ(code, 2);
  EXPECT_NE(err.find("--input is required"), std::string::npos);
  std::tie(code, err) = run("verify --input /nonexistent.jsonl");
  EXPECT_EQ(code, 1);
  EXPECT_NE(err.find("cannot open '/nonexistent.jsonl'"), std::string::npos);
  std::tie(code, err) = run("verify --input x --threads 0");
  EXPECT_EQ(code, 2);
  EXPECT_NE(err.find("--threads=0"), std::string::npos);
  std::tie(code, err) = run("frobnicate");
  EXPECT_EQ(code, 2);
  EXPECT_NE(err.find("unknown command 'frobnicate'"), std::string::npos);
  std::tie(code, err) = run("verify --input " + (dir_ / "in.jsonl").string() +
                            " --server 127.0.0.1:1");
  EXPECT_EQ(code, 1);
  EXPECT_NE(err.find("verifier at 127.0.0.1:1"), std::string::npos) << err;
}

// Kind "code" lines through `rlvr verify` in-process: real sandboxed runs (the sandbox needs root or
// user namespaces). Every code result carries tests_passed, tests_total, all_passed and tests[].
TEST_F(CliTest, VerifyCodeLines) {
  const std::string tests =
      R"("tests": {"type": "stdio", "cases": [{"input": "1 2\n", "output": "3\n"}, {"input": "-5 5\n", "output": "0"}]})";
  std::ofstream in(dir_ / "code.jsonl");
  in << R"({"id": "ok", "kind": "code", "language": "python", "response": "```python\na, b = map(int, input().split())\nprint(a + b)\n```", )"
     << tests << "}\n"
     << R"({"id": "half", "kind": "code", "response": "```python\na, b = map(int, input().split())\nprint(a - b if a < 0 else a + b)\n```", )"
     << tests << "}\n"
     << R"({"id": "none", "kind": "code", "response": "I would add them.", )" << tests << "}\n"
     << R"({"id": "typo", "kind": "code", "response": "```python\nprint()\n```", "tests": {"type": "stdio", "cases": [{"input": "1", "expected_output": "2"}]}})"
     << "\n";
  in.close();
  const std::string cmd = std::string(RLVR_BIN) + " verify --threads 2 --input " + (dir_ / "code.jsonl").string() +
                          " --output " + (dir_ / "code_out.jsonl").string() + " 2> " + (dir_ / "err.txt").string();
  ASSERT_EQ(std::system(cmd.c_str()), 0) << ReadFile(dir_ / "err.txt");
  auto lines = ReadJsonLines(dir_ / "code_out.jsonl");
  ASSERT_EQ(lines.size(), 4u) << ReadFile(dir_ / "code_out.jsonl");
  for (const auto& line : lines) {
    for (const char* key : {"tests_passed", "tests_total", "all_passed", "tests"}) {
      EXPECT_TRUE(line.contains(key)) << key << " missing in " << line;
    }
  }
  EXPECT_EQ(lines[0]["id"], "ok");
  EXPECT_EQ(lines[0]["outcome"], "correct") << lines[0];
  EXPECT_EQ(lines[0]["score"], 1.0);
  EXPECT_EQ(lines[0]["tests_passed"], 2);
  EXPECT_EQ(lines[0]["tests_total"], 2);
  EXPECT_EQ(lines[0]["all_passed"], true);
  ASSERT_EQ(lines[0]["tests"].size(), 2u);
  EXPECT_EQ(lines[0]["tests"][0]["status"], "passed");
  EXPECT_EQ(lines[1]["outcome"], "incorrect") << lines[1];
  EXPECT_EQ(lines[1]["score"], 0.5);
  EXPECT_EQ(lines[1]["tests_passed"], 1);
  EXPECT_EQ(lines[1]["all_passed"], false);
  EXPECT_EQ(lines[1]["tests"][1]["status"], "wrong_answer");
  EXPECT_EQ(lines[2]["outcome"], "no_code") << lines[2];
  EXPECT_EQ(lines[2]["valid"], true);
  EXPECT_EQ(lines[2]["tests_passed"], 0);
  EXPECT_EQ(lines[2]["tests_total"], 2);
  EXPECT_EQ(lines[3]["outcome"], "error") << lines[3];
  EXPECT_NE(lines[3]["reason"].get<std::string>().find("line 4: tests.cases[0]: unknown key \"expected_output\""),
            std::string::npos)
      << lines[3];
}

TEST_F(CliTest, VerifyUsageShowsACodeLine) {
  const std::string cmd = std::string(RLVR_BIN) + " verify 2> " + (dir_ / "err.txt").string();
  EXPECT_NE(std::system(cmd.c_str()), 0);
  const std::string err = ReadFile(dir_ / "err.txt");
  EXPECT_NE(err.find(R"("kind": "code")"), std::string::npos) << err;
  EXPECT_NE(err.find("tests_passed"), std::string::npos) << err;
}

TEST_F(CliTest, VerifyThroughServerThenSigterm) {
  const fs::path log = dir_ / "server.log";
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    FILE* f = std::freopen(log.c_str(), "w", stderr);
    (void)f;
    execl(RLVR_VERIFIER_BIN, RLVR_VERIFIER_BIN, "--port", "0", "--http-port", "0", "--threads",
          "2", static_cast<char*>(nullptr));
    _exit(127);
  }
  // The server logs "gRPC on 127.0.0.1:PORT" once it serves.
  // (No std::regex: GCC 12 warns inside it under ASan.)
  std::string target;
  const std::string marker = "gRPC on 127.0.0.1:";
  for (int i = 0; i < 200 && target.empty(); ++i) {
    const std::string text = ReadFile(log);
    const size_t at = text.find(marker);
    size_t end = at == std::string::npos ? at : at + marker.size();
    while (end != std::string::npos && end < text.size() && isdigit(text[end])) ++end;
    if (at != std::string::npos && end > at + marker.size()) {
      target = text.substr(at + 8, end - at - 8);  // "127.0.0.1:PORT" after "gRPC on "
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  ASSERT_FALSE(target.empty()) << ReadFile(log);
  const std::string cmd = std::string(RLVR_BIN) + " verify --input " + (dir_ / "in.jsonl").string() +
                          " --output " + (dir_ / "out.jsonl").string() + " --server " + target +
                          " 2> " + (dir_ / "err.txt").string();
  const int rc = std::system(cmd.c_str());
  EXPECT_EQ(rc, 0) << ReadFile(dir_ / "err.txt");
  CheckOutput(dir_ / "out.jsonl", ReadFile(dir_ / "err.txt"));

  ASSERT_EQ(kill(pid, SIGTERM), 0);
  int status = 0;
  for (int i = 0; i < 300; ++i) {
    if (waitpid(pid, &status, WNOHANG) == pid) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(WIFEXITED(status)) << "server did not exit on SIGTERM";
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_NE(ReadFile(log).find("stopped"), std::string::npos);
}

TEST_F(CliTest, BadRewardSpecFileStopsTheServerNamingIt) {
  std::ofstream(dir_ / "bad.json") << R"({"format": [{"name": "broken", "pattern": "(unclosed"}]})";
  std::ofstream(dir_ / "typo.json") << R"({"fromat": []})";
  const struct {
    std::string file;
    std::string message;
  } cases[] = {{"bad.json", "format term 'broken'"},
               {"typo.json", "is not a RewardSpec in JSON"},
               {"missing.json", "cannot read"}};
  for (const auto& c : cases) {
    const std::string cmd = std::string(RLVR_VERIFIER_BIN) + " --port 0 --http-port -1 --reward-spec " +
                            (dir_ / c.file).string() + " 2> " + (dir_ / "err.txt").string();
    const int rc = std::system(cmd.c_str());
    ASSERT_TRUE(WIFEXITED(rc)) << c.file;
    EXPECT_EQ(WEXITSTATUS(rc), 2) << c.file;
    const std::string err = ReadFile(dir_ / "err.txt");
    EXPECT_NE(err.find("--reward-spec: "), std::string::npos) << err;
    EXPECT_NE(err.find(c.file), std::string::npos) << err;
    EXPECT_NE(err.find(c.message), std::string::npos) << err;
  }
}

}  // namespace
