// RemoteSampler against rlvr's own OpenAI endpoint (over a scripted sampler), against engines that
// answer badly, and against nothing at all.
#include "sampler/service/remote_sampler.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <future>
#include <thread>

#include "gtest/gtest.h"
#include "sampler/service/fake_sampler.h"
#include "sampler/service/sampler_client.h"
#include "sampler/service/sampler_server.h"

namespace rlvr::sampler {
namespace {

using testing::FakeSampler;

// Runs `request` on `sampler` and collects what the callbacks deliver (10 s at most).
absl::StatusOr<std::vector<SampleResult>> Collect(Sampler& sampler, GenerationRequest request,
                                                  uint64_t* id_out = nullptr) {
  struct State {
    std::mutex mu;
    std::vector<SampleResult> samples;
    std::promise<absl::Status> done;
    std::thread::id caller;
    bool on_caller = false;
  };
  auto state = std::make_shared<State>();
  state->caller = std::this_thread::get_id();
  std::future<absl::Status> done = state->done.get_future();
  absl::StatusOr<uint64_t> id = sampler.Generate(
      std::move(request),
      [state](SampleResult s) {
        std::lock_guard<std::mutex> lock(state->mu);
        state->on_caller |= std::this_thread::get_id() == state->caller;
        state->samples.push_back(std::move(s));
      },
      [state](absl::Status status) {
        {
          std::lock_guard<std::mutex> lock(state->mu);
          state->on_caller |= std::this_thread::get_id() == state->caller;
        }
        state->done.set_value(std::move(status));
      });
  if (!id.ok()) return id.status();
  if (id_out != nullptr) *id_out = *id;
  if (done.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
    return absl::DeadlineExceededError("no on_done within 10 s");
  }
  absl::Status status = done.get();
  std::lock_guard<std::mutex> lock(state->mu);
  EXPECT_FALSE(state->on_caller) << "a callback ran on the caller's thread";
  if (!status.ok()) return status;
  return std::move(state->samples);
}

GenerationRequest Request(const std::string& prompt, int32_t n, int32_t max_tokens, uint64_t seed) {
  GenerationRequest request;
  request.prompt = prompt;
  request.n = n;
  request.sampling.max_tokens = max_tokens;
  request.sampling.seed = seed;
  request.sampling.temperature = 0.9f;
  return request;
}

// A port with nothing listening on it (bound, then released).
int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

class RemoteSamplerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto fake = std::make_unique<FakeSampler>();
    fake_ = fake.get();
    SamplerServerOptions options;
    options.grpc_port = 0;
    options.http_port = 0;
    auto engine = SamplerServer::Start(std::move(fake), options);
    ASSERT_TRUE(engine.ok()) << engine.status();
    engine_ = std::move(*engine);
  }

  std::unique_ptr<RemoteSampler> Remote(RemoteSamplerOptions options = {}) {
    if (options.base_url.empty()) options.base_url = engine_->http_url();
    auto remote = RemoteSampler::Create(options);
    EXPECT_TRUE(remote.ok()) << remote.status();
    return remote.ok() ? std::move(*remote) : nullptr;
  }

  FakeSampler* fake_ = nullptr;
  std::unique_ptr<SamplerServer> engine_;
};

TEST(RemoteSamplerCreateTest, RejectsMalformedUrls) {
  for (const char* url : {"localhost:8000", "ftp://host", "http://", "http:///v1"}) {
    RemoteSamplerOptions options;
    options.base_url = url;
    auto remote = RemoteSampler::Create(options);
    EXPECT_EQ(remote.status().code(), absl::StatusCode::kInvalidArgument) << url;
    EXPECT_NE(remote.status().message().find(url), std::string::npos) << remote.status();
  }
}

TEST_F(RemoteSamplerTest, LearnsTheModelFromTheEngine) {
  RemoteSamplerOptions options;
  options.base_url = engine_->http_url() + "/v1/";  // OpenAI SDK style: not doubled
  options.policy_version = 3;
  auto remote = Remote(options);
  ASSERT_NE(remote, nullptr);
  EXPECT_EQ(remote->completions_url(), engine_->http_url() + "/v1/completions");
  const SamplerInfo info = remote->Info();
  EXPECT_EQ(info.model, "fake");
  EXPECT_EQ(info.backend, "remote");
  EXPECT_EQ(info.context_length, 128);
  EXPECT_EQ(info.policy_version, 3u);
  EXPECT_EQ(info.max_n, 64);
}

TEST_F(RemoteSamplerTest, SamplesMatchTheEngines) {
  RemoteSamplerOptions options;
  options.policy_version = 4;
  auto remote = Remote(options);
  ASSERT_NE(remote, nullptr);
  GenerationRequest request = Request("same prompt", 3, 6, 42);
  request.sampling.logprobs = true;
  request.sampling.top_k = 5;
  request.sampling.stop = {"zz"};
  auto samples = Collect(*remote, request);
  ASSERT_TRUE(samples.ok()) << samples.status();
  ASSERT_EQ(samples->size(), 3u);
  for (uint32_t i = 0; i < 3; ++i) {
    const SampleResult& got = (*samples)[i];
    const SampleResult want = FakeSampler::Expected(request, i, 1);
    EXPECT_EQ(got.index, i);
    EXPECT_EQ(got.text, want.text);
    EXPECT_EQ(got.token_ids, want.token_ids);
    EXPECT_EQ(got.logprobs, want.logprobs);
    EXPECT_EQ(got.finish_reason, want.finish_reason);
    EXPECT_EQ(got.policy_version, 4u);  // the operator's version, not the engine's
    EXPECT_EQ(got.prompt_tokens, 11u);
  }
  // Everything was passed through.
  const GenerationRequest seen = fake_->last_request();
  EXPECT_EQ(seen.sampling.seed, std::optional<uint64_t>(42));
  EXPECT_EQ(seen.sampling.top_k, 5);
  EXPECT_EQ(seen.sampling.stop, std::vector<std::string>{"zz"});
  EXPECT_FLOAT_EQ(seen.sampling.temperature, 0.9f);
  EXPECT_EQ(seen.model, "fake");

  // Token prompts, and no logprobs unless asked.
  GenerationRequest tokens = Request("", 1, 3, 1);
  tokens.prompt_token_ids = {9, 8, 7};
  auto by_tokens = Collect(*remote, tokens);
  ASSERT_TRUE(by_tokens.ok()) << by_tokens.status();
  EXPECT_EQ(fake_->last_request().prompt_token_ids, (std::vector<int32_t>{9, 8, 7}));
  EXPECT_TRUE((*by_tokens)[0].logprobs.empty());
  EXPECT_EQ((*by_tokens)[0].token_ids, FakeSampler::Expected(tokens, 0, 1).token_ids);
}

TEST_F(RemoteSamplerTest, ValidatesBeforeForwarding) {
  auto remote = Remote();
  ASSERT_NE(remote, nullptr);
  struct Case {
    GenerationRequest request;
    absl::StatusCode code;
    std::string message;
  };
  std::vector<Case> cases;
  cases.push_back({Request("x", 0, 4, 1), absl::StatusCode::kInvalidArgument, "n is 0"});
  cases.push_back({Request("x", 1, 0, 1), absl::StatusCode::kInvalidArgument, "max_tokens is 0"});
  cases.push_back({Request("", 1, 4, 1), absl::StatusCode::kInvalidArgument, "prompt is empty"});
  GenerationRequest hot = Request("x", 1, 4, 1);
  hot.sampling.temperature = -1;
  cases.push_back({hot, absl::StatusCode::kInvalidArgument, "temperature is -1"});
  GenerationRequest other = Request("x", 1, 4, 1);
  other.model = "gpt-17";
  cases.push_back({other, absl::StatusCode::kNotFound, "model \"gpt-17\" is not served here"});
  for (const Case& c : cases) {
    auto result = Collect(*remote, c.request);
    EXPECT_EQ(result.status().code(), c.code) << result.status();
    EXPECT_NE(result.status().message().find(c.message), std::string::npos) << result.status();
  }
}

TEST_F(RemoteSamplerTest, EngineErrorsNameTheUrlAndTheEnginesMessage) {
  auto remote = Remote();
  ASSERT_NE(remote, nullptr);
  // n = 9 passes the remote's limit (64) but not the engine's (8): HTTP 400 from the engine.
  auto result = Collect(*remote, Request("x", 9, 4, 1));
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument) << result.status();
  EXPECT_NE(
      result.status().message().find(remote->completions_url() + " answered HTTP 400: n is 9"),
      std::string::npos)
      << result.status();
  fake_->Refuse(absl::ResourceExhaustedError("sampler queue is full"));
  result = Collect(*remote, Request("x", 1, 4, 1));
  EXPECT_EQ(result.status().code(), absl::StatusCode::kResourceExhausted) << result.status();
  EXPECT_NE(result.status().message().find("HTTP 429: sampler queue is full"), std::string::npos);
}

TEST_F(RemoteSamplerTest, NothingListeningIsUnavailableNamingTheUrl) {
  RemoteSamplerOptions options;
  options.base_url = "http://127.0.0.1:" + std::to_string(FreePort());
  options.model = "m";
  auto remote = Remote(options);
  ASSERT_NE(remote, nullptr);
  auto result = Collect(*remote, Request("x", 1, 4, 1));
  EXPECT_EQ(result.status().code(), absl::StatusCode::kUnavailable) << result.status();
  EXPECT_NE(result.status().message().find(options.base_url + "/v1/completions"), std::string::npos)
      << result.status();
  EXPECT_EQ(remote->RefreshModels().code(), absl::StatusCode::kUnavailable);
}

TEST_F(RemoteSamplerTest, MalformedAnswersAreInternalErrors) {
  HttpServer bad;
  bad.Handle("GET", "/v1/models", [](const HttpRequest&) {
    return HttpResponse{200, "application/json", R"({"data": [{"id": "bad"}]})"};
  });
  std::string answer;
  int status = 200;
  bad.Handle("POST", "/v1/completions", [&](const HttpRequest&) {
    return HttpResponse{status, "application/json", answer};
  });
  HttpServerOptions http;
  ASSERT_TRUE(bad.Start(http).ok());
  RemoteSamplerOptions options;
  options.base_url = "http://127.0.0.1:" + std::to_string(bad.port());
  auto remote = Remote(options);
  ASSERT_NE(remote, nullptr);
  EXPECT_EQ(remote->Info().model, "bad");
  struct Case {
    int status;
    std::string answer;
    absl::StatusCode code;
    std::string message;
  };
  const std::vector<Case> cases = {
      {200, "this is not json", absl::StatusCode::kInternal, "answered malformed JSON"},
      {200, R"({"choices": []})", absl::StatusCode::kInternal, "0 choices for n = 2"},
      {200, R"({"choices": [{"text": "a"}, {"text": 5}]})", absl::StatusCode::kInternal,
       "choices[1].text is not a string"},
      {200, R"({"choices": [{"index": 0, "text": "a"}, {"index": 0, "text": "b"}]})",
       absl::StatusCode::kInternal, "choice index 0 appears twice"},
      {200, R"({"choices": [{"index": 0, "text": "a"}, {"index": 7, "text": "b"}]})",
       absl::StatusCode::kInternal, "choices[1].index is 7"},
      {500, "Internal Server Error", absl::StatusCode::kInternal,
       "answered HTTP 500: Internal Server Error"},
      {503, R"({"object": "error", "message": "engine is loading"})",
       absl::StatusCode::kUnavailable, "answered HTTP 503: engine is loading"},
      {404, R"({"detail": "Not Found"})", absl::StatusCode::kNotFound,
       "answered HTTP 404: Not Found"},
  };
  for (const Case& c : cases) {
    status = c.status;
    answer = c.answer;
    auto result = Collect(*remote, Request("x", 2, 4, 1));
    EXPECT_EQ(result.status().code(), c.code) << c.answer << " -> " << result.status();
    EXPECT_NE(result.status().message().find(c.message), std::string::npos) << result.status();
    EXPECT_NE(result.status().message().find(remote->completions_url()), std::string::npos);
  }
  // A well-formed answer from an engine that names tokens by text: ids stay empty, the rest maps.
  status = 200;
  answer = R"({"choices": [{"index": 1, "text": "b", "finish_reason": "length",
                            "logprobs": {"tokens": ["b"], "token_logprobs": [-0.5]}},
                           {"index": 0, "text": "a", "finish_reason": "abort"}],
               "usage": {"prompt_tokens": 3}})";
  GenerationRequest request = Request("x", 2, 4, 1);
  request.sampling.logprobs = true;
  auto samples = Collect(*remote, request);
  ASSERT_TRUE(samples.ok()) << samples.status();
  EXPECT_EQ((*samples)[0].text, "a");
  EXPECT_EQ((*samples)[0].finish_reason, FinishReason::kAborted);
  EXPECT_EQ((*samples)[1].finish_reason, FinishReason::kLength);
  EXPECT_TRUE((*samples)[1].token_ids.empty());
  EXPECT_EQ((*samples)[1].logprobs, std::vector<float>{-0.5f});
  EXPECT_EQ((*samples)[1].prompt_tokens, 3u);
  bad.Stop();
}

TEST_F(RemoteSamplerTest, CancelAbortsTheRunningCall) {
  auto remote = Remote();
  ASSERT_NE(remote, nullptr);
  fake_->Hold(true);
  std::promise<absl::Status> done;
  auto id = remote->Generate(
      Request("x", 2, 4, 1), [](SampleResult) {},
      [&](absl::Status status) { done.set_value(status); });
  ASSERT_TRUE(id.ok()) << id.status();
  ASSERT_TRUE(fake_->WaitHeld(1));
  remote->Cancel(*id);
  auto future = done.get_future();
  ASSERT_EQ(future.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_EQ(future.get().code(), absl::StatusCode::kCancelled);
  remote->Cancel(*id);  // finished: a no-op
  fake_->Hold(false);
  EXPECT_TRUE(Collect(*remote, Request("x", 1, 2, 1)).ok());
}

TEST_F(RemoteSamplerTest, SlowEngineIsDeadlineExceeded) {
  RemoteSamplerOptions options;
  options.request_timeout = absl::Milliseconds(300);
  auto remote = Remote(options);
  ASSERT_NE(remote, nullptr);
  fake_->Hold(true);
  auto result = Collect(*remote, Request("x", 2, 4, 1));
  EXPECT_EQ(result.status().code(), absl::StatusCode::kDeadlineExceeded) << result.status();
  EXPECT_NE(result.status().message().find("did not answer within"), std::string::npos);
  fake_->Hold(false);
}

TEST_F(RemoteSamplerTest, UpdateWeightsRecordsVersionsOnly) {
  auto remote = Remote();
  ASSERT_NE(remote, nullptr);
  WeightUpdate version_only;
  version_only.version = 2;
  EXPECT_TRUE(remote->UpdateWeights(version_only).ok());
  EXPECT_EQ(remote->Info().policy_version, 2u);
  absl::Status again = remote->UpdateWeights(version_only);
  EXPECT_EQ(again.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(again.message().find("version 2 is not above the current version 2"),
            std::string::npos);
  WeightUpdate with_tensors;
  with_tensors.version = 3;
  with_tensors.tensors["layer.a"] = {{1}, {1.0f}};
  absl::Status refused = remote->UpdateWeights(with_tensors);
  EXPECT_EQ(refused.code(), absl::StatusCode::kUnimplemented);
  EXPECT_NE(refused.message().find("version-only update"), std::string::npos) << refused;
  EXPECT_EQ(remote->Info().policy_version, 2u);
  auto samples = Collect(*remote, Request("x", 1, 2, 1));
  ASSERT_TRUE(samples.ok());
  EXPECT_EQ((*samples)[0].policy_version, 2u);
}

// The whole chain: gRPC -> SamplerService -> RemoteSampler -> HTTP -> OpenAI endpoint -> sampler.
TEST_F(RemoteSamplerTest, ServedOverGrpcMatchesTheEngineServedDirectly) {
  auto remote = Remote();
  ASSERT_NE(remote, nullptr);
  SamplerServerOptions options;
  options.grpc_port = 0;
  options.http_port = -1;
  auto front = SamplerServer::Start(std::move(remote), options);
  ASSERT_TRUE(front.ok()) << front.status();
  v1::GenerateRequest request;
  request.set_request_id("chain");
  request.set_prompt("a prompt");
  request.set_n(4);
  request.mutable_sampling()->set_temperature(1.0f);
  request.mutable_sampling()->set_max_tokens(8);
  request.mutable_sampling()->set_seed(5);
  request.mutable_sampling()->set_logprobs(true);
  SamplerClient through((*front)->grpc_target());
  SamplerClient direct(engine_->grpc_target());
  auto a = through.Generate(request, absl::Seconds(10));
  auto b = direct.Generate(request, absl::Seconds(10));
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  ASSERT_EQ(a->size(), 4u);
  ASSERT_EQ(b->size(), 4u);
  auto by_index = [](std::vector<v1::GenerateResponse> v) {
    std::sort(v.begin(), v.end(),
              [](const auto& x, const auto& y) { return x.sample().index() < y.sample().index(); });
    return v;
  };
  const auto through_sorted = by_index(*a), direct_sorted = by_index(*b);
  for (size_t i = 0; i < 4; ++i) {
    const v1::Sample& x = through_sorted[i].sample();
    const v1::Sample& y = direct_sorted[i].sample();
    EXPECT_EQ(x.index(), y.index());
    EXPECT_EQ(x.text(), y.text());
    EXPECT_EQ(std::vector<int32_t>(x.token_ids().begin(), x.token_ids().end()),
              std::vector<int32_t>(y.token_ids().begin(), y.token_ids().end()));
    EXPECT_EQ(std::vector<float>(x.logprobs().begin(), x.logprobs().end()),
              std::vector<float>(y.logprobs().begin(), y.logprobs().end()));
    EXPECT_EQ(x.finish_reason(), y.finish_reason());
    EXPECT_EQ(through_sorted[i].prompt_tokens(), direct_sorted[i].prompt_tokens());
  }
  auto info = through.GetInfo(absl::Seconds(10));
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->backend(), "remote");
  EXPECT_EQ(info->model(), "fake");
  // Weight updates through the front: a version-only marker records the version; tensors are
  // UNIMPLEMENTED.
  auto recorded = through.PublishWeights(7, {}, model::DType::kF32, 64, absl::Seconds(10));
  ASSERT_TRUE(recorded.ok()) << recorded.status();
  EXPECT_EQ(*recorded, 7u);
  auto refused = through.PublishWeights(8, {{"layer.b", {{5}, {1, 2, 3, 4, 5}}}},
                                        model::DType::kBF16, 64, absl::Seconds(10));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnimplemented) << refused.status();
  info = through.GetInfo(absl::Seconds(10));
  EXPECT_EQ(info->policy_version(), 7u);
}

}  // namespace
}  // namespace rlvr::sampler
