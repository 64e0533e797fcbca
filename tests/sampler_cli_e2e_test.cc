// End-to-end tests of `rlvr-sampler` as a user runs it: zero-setup start on the embedded tiny
// model, OpenAI-compatible HTTP, a second rlvr-sampler fronting the first as a remote engine, usage
// errors, and SIGTERM shutdown.
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The port after `marker` in `text` ("...127.0.0.1:" then digits), or 0.
int PortAfter(const std::string& text, const std::string& marker) {
  const size_t at = text.find(marker);
  if (at == std::string::npos) return 0;
  size_t end = at + marker.size();
  while (end < text.size() && isdigit(static_cast<unsigned char>(text[end]))) ++end;
  if (end == at + marker.size()) return 0;
  return std::stoi(text.substr(at + marker.size(), end - at - marker.size()));
}

// A running rlvr-sampler; SIGKILLed if the test did not stop it.
class SamplerProcess {
 public:
  SamplerProcess(const fs::path& log, std::vector<std::string> args) : log_(log) {
    pid_ = fork();
    if (pid_ == 0) {
      FILE* f = std::freopen(log.c_str(), "w", stderr);
      (void)f;
      std::vector<char*> argv;
      argv.push_back(const_cast<char*>(RLVR_SAMPLER_BIN));
      for (std::string& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(RLVR_SAMPLER_BIN, argv.data());
      _exit(127);
    }
  }
  ~SamplerProcess() {
    if (pid_ > 0 && !exited_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }

  // Waits (up to 30 s) for the "serving" log line; false if it never came.
  bool WaitServing() {
    for (int i = 0; i < 600; ++i) {
      const std::string text = ReadFile(log_);
      grpc_port_ = PortAfter(text, "gRPC on 127.0.0.1:");
      http_port_ = PortAfter(text, "HTTP on http://127.0.0.1:");
      if (grpc_port_ > 0 && http_port_ > 0) return true;
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        exited_ = true;
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  // SIGTERM, then the exit code (-1: did not exit within 30 s).
  int Terminate() {
    kill(pid_, SIGTERM);
    int status = 0;
    for (int i = 0; i < 600; ++i) {
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        exited_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return -1;
  }

  int http_port() const { return http_port_; }
  std::string log() const { return ReadFile(log_); }

 private:
  fs::path log_;
  pid_t pid_ = -1;
  bool exited_ = false;
  int grpc_port_ = 0;
  int http_port_ = 0;
};

std::pair<int, Json> Post(int port, const std::string& body) {
  httplib::Client http("127.0.0.1", port);
  http.set_read_timeout(60, 0);
  auto res = http.Post("/v1/completions", body, "application/json");
  if (!res) return {0, Json()};
  return {res->status, Json::parse(res->body, nullptr, false)};
}

class SamplerCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("rlvr_sampler_cli_test_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Runs rlvr-sampler with `args` to completion; returns the exit code and stderr.
  std::pair<int, std::string> Run(const std::string& args) {
    const std::string cmd = std::string(RLVR_SAMPLER_BIN) + " " + args + " >/dev/null 2> " +
                            (dir_ / "err.txt").string();
    const int status = std::system(cmd.c_str());
    return {WEXITSTATUS(status), ReadFile(dir_ / "err.txt")};
  }

  fs::path dir_;
};

TEST_F(SamplerCliTest, UsageErrors) {
  auto [code, err] = Run("--backend tpu");
  EXPECT_EQ(code, 2);
  EXPECT_NE(err.find("--backend=tpu is not one of cpu, cuda, remote"), std::string::npos) << err;
  std::tie(code, err) = Run("--backend remote");
  EXPECT_EQ(code, 2);
  EXPECT_NE(err.find("--backend=remote needs --remote-url"), std::string::npos) << err;
  std::tie(code, err) = Run("--max_n 0");  // underscores are accepted
  EXPECT_EQ(code, 2);
  EXPECT_NE(err.find("--max-n=0 is not an integer in [1, 65536]"), std::string::npos) << err;
  std::tie(code, err) = Run("--frobnicate 1");
  EXPECT_EQ(code, 2);
  EXPECT_NE(err.find("unknown flag --frobnicate"), std::string::npos) << err;
  std::tie(code, err) = Run("--model-dir /nonexistent/model --grpc-port 0 --http-port 0");
  EXPECT_EQ(code, 1);
  EXPECT_NE(err.find("/nonexistent/model"), std::string::npos) << err;
  std::tie(code, err) = Run("--backend remote --remote-url localhost:8000");
  EXPECT_EQ(code, 1);
  EXPECT_NE(err.find("must start with http://"), std::string::npos) << err;
  std::tie(code, err) = Run("--help");
  EXPECT_EQ(code, 0);
}

// Zero setup: the embedded tiny model answers over HTTP; a second rlvr-sampler in remote mode
// fronting the first gives the same samples for the same seed; both stop cleanly on SIGTERM.
TEST_F(SamplerCliTest, ServesThenFrontsItselfThenStopsOnSigterm) {
  SamplerProcess engine(dir_ / "engine.log",
                        {"--grpc_port", "0", "--http_port", "0", "--threads", "1", "--max-n", "4",
                         "--max-tokens", "64", "--kv-pages", "256"});
  ASSERT_TRUE(engine.WaitServing()) << engine.log();
  const std::string body = R"({"prompt": "Once upon a time", "n": 2, "max_tokens": 10,
                               "temperature": 1.0, "seed": 3, "logprobs": 0})";
  auto [status, direct] = Post(engine.http_port(), body);
  ASSERT_EQ(status, 200) << direct;
  EXPECT_EQ(direct["model"], "rlvr-tiny");
  ASSERT_EQ(direct["choices"].size(), 2u);
  EXPECT_GT(direct["usage"]["completion_tokens"].get<int>(), 0);

  SamplerProcess front(dir_ / "front.log",
                       {"--backend", "remote", "--remote-url",
                        "http://127.0.0.1:" + std::to_string(engine.http_port()) + "/v1",
                        "--grpc-port", "0", "--http-port", "0", "--policy-version", "5"});
  ASSERT_TRUE(front.WaitServing()) << front.log();
  EXPECT_NE(front.log().find("model \"rlvr-tiny\" on remote, policy version 5"), std::string::npos)
      << front.log();
  auto [front_status, via_front] = Post(front.http_port(), body);
  ASSERT_EQ(front_status, 200) << via_front;
  ASSERT_EQ(via_front["choices"].size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(via_front["choices"][i]["text"], direct["choices"][i]["text"]);
    EXPECT_EQ(via_front["choices"][i]["token_ids"], direct["choices"][i]["token_ids"]);
    EXPECT_EQ(via_front["choices"][i]["policy_version"], 5);
  }
  std::tie(status, direct) = Post(front.http_port(), R"({"prompt": "x", "n": 9})");
  EXPECT_EQ(status, 400);
  EXPECT_NE(direct["error"]["message"].get<std::string>().find("n is 9"), std::string::npos)
      << direct;

  EXPECT_EQ(front.Terminate(), 0) << front.log();
  EXPECT_NE(front.log().find("rlvr-sampler: stopped"), std::string::npos);
  EXPECT_EQ(engine.Terminate(), 0) << engine.log();
  EXPECT_NE(engine.log().find("rlvr-sampler: stopped"), std::string::npos);
}

}  // namespace
