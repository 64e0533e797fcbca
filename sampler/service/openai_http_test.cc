// The OpenAI-compatible HTTP endpoint over a scripted sampler, through a real HTTP client.
#include "sampler/service/openai_http.h"

#include <httplib.h>

#include <future>
#include <thread>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "sampler/service/fake_sampler.h"
#include "sampler/service/sampler_server.h"

namespace rlvr::sampler {
namespace {

using Json = nlohmann::json;
using testing::FakeSampler;

class OpenAiHttpTest : public ::testing::Test {
 protected:
  void SetUp() override { Start({}); }

  void Start(OpenAiOptions openai) {
    server_.reset();
    auto fake = std::make_unique<FakeSampler>();
    fake_ = fake.get();
    SamplerServerOptions options;
    options.grpc_port = 0;
    options.http_port = 0;
    options.openai = std::move(openai);
    auto server = SamplerServer::Start(std::move(fake), options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }

  // POSTs `body` to /v1/completions; returns the status and the parsed JSON answer.
  std::pair<int, Json> Complete(const std::string& body) {
    httplib::Client http("127.0.0.1", server_->http_port());
    http.set_read_timeout(30, 0);
    auto res = http.Post("/v1/completions", body, "application/json");
    if (!res) return {0, Json()};
    return {res->status, Json::parse(res->body, nullptr, false)};
  }

  std::string Get(const std::string& path, int* status = nullptr) {
    httplib::Client http("127.0.0.1", server_->http_port());
    auto res = http.Get(path.c_str());
    if (status != nullptr) *status = res ? res->status : 0;
    return res ? res->body : "";
  }

  // Expects an OpenAI-shaped error.
  void ExpectError(const std::string& body, int status, const std::string& message,
                   const Json& param = nullptr) {
    auto [code, json] = Complete(body);
    EXPECT_EQ(code, status) << body << " -> " << json;
    ASSERT_TRUE(json.is_object() && json.contains("error")) << json;
    const Json& error = json["error"];
    EXPECT_NE(error["message"].get<std::string>().find(message), std::string::npos) << error;
    EXPECT_EQ(error["param"], param) << error;
    EXPECT_TRUE(error["type"].is_string());
    EXPECT_TRUE(error["code"].is_string());
  }

  FakeSampler* fake_ = nullptr;
  std::unique_ptr<SamplerServer> server_;
};

TEST_F(OpenAiHttpTest, CompletionHasOpenAiShape) {
  auto [status, json] = Complete(
      R"({"model": "fake", "prompt": "hello", "n": 3, "max_tokens": 5, "temperature": 0.8,
          "top_p": 0.9, "top_k": -1, "min_p": 0.1, "seed": 7, "stop": "\n"})");
  ASSERT_EQ(status, 200) << json;
  EXPECT_EQ(json["object"], "text_completion");
  EXPECT_EQ(json["model"], "fake");
  EXPECT_EQ(json["id"].get<std::string>().rfind("cmpl-", 0), 0u);
  EXPECT_TRUE(json["created"].is_number_integer());
  ASSERT_EQ(json["choices"].size(), 3u);
  GenerationRequest request;
  request.prompt = "hello";
  request.n = 3;
  request.sampling.temperature = 0.8f;
  request.sampling.max_tokens = 5;
  request.sampling.seed = 7;
  for (int i = 0; i < 3; ++i) {
    const Json& choice = json["choices"][i];
    EXPECT_EQ(choice["index"], i);
    const SampleResult expected = FakeSampler::Expected(request, i, 1);
    EXPECT_EQ(choice["text"], expected.text);
    EXPECT_EQ(choice["token_ids"].get<std::vector<int32_t>>(), expected.token_ids);
    EXPECT_EQ(choice["policy_version"], 1);
    EXPECT_EQ(choice["finish_reason"], i % 2 ? "stop" : "length");
    EXPECT_TRUE(choice["logprobs"].is_null());
  }
  EXPECT_EQ(json["usage"]["prompt_tokens"], 5);
  EXPECT_EQ(json["usage"]["completion_tokens"], 15);
  EXPECT_EQ(json["usage"]["total_tokens"], 20);
  // Converted faithfully: top_k -1 is off, a single stop string is a list of one.
  const GenerationRequest seen = fake_->last_request();
  EXPECT_EQ(seen.sampling.top_k, 0);
  EXPECT_FLOAT_EQ(seen.sampling.top_p, 0.9f);
  EXPECT_FLOAT_EQ(seen.sampling.min_p, 0.1f);
  EXPECT_EQ(seen.sampling.stop, std::vector<std::string>{"\n"});
  EXPECT_EQ(seen.sampling.seed, std::optional<uint64_t>(7));
  EXPECT_EQ(seen.model, "fake");
}

TEST_F(OpenAiHttpTest, DefaultsAreOpenAis) {
  auto [status, json] = Complete(R"({"prompt": "x"})");
  ASSERT_EQ(status, 200) << json;
  ASSERT_EQ(json["choices"].size(), 1u);
  const GenerationRequest seen = fake_->last_request();
  EXPECT_EQ(seen.n, 1);
  EXPECT_EQ(seen.sampling.temperature, 1.0f);
  EXPECT_EQ(seen.sampling.top_p, 1.0f);
  EXPECT_EQ(seen.sampling.max_tokens, 16);
  EXPECT_FALSE(seen.sampling.seed.has_value());
  EXPECT_FALSE(seen.sampling.logprobs);
  EXPECT_TRUE(seen.model.empty());
}

TEST_F(OpenAiHttpTest, ManyPromptsAndTokenPrompts) {
  auto [status, json] =
      Complete(R"({"prompt": ["ab", "cde"], "n": 2, "max_tokens": 3, "seed": 1})");
  ASSERT_EQ(status, 200) << json;
  ASSERT_EQ(json["choices"].size(), 4u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(json["choices"][i]["index"], i);
  GenerationRequest second;
  second.prompt = "cde";
  second.sampling.max_tokens = 3;
  second.sampling.seed = 1;
  EXPECT_EQ(json["choices"][3]["text"], FakeSampler::Expected(second, 1, 1).text);
  EXPECT_EQ(json["usage"]["prompt_tokens"], 5);  // 2 + 3, once per prompt
  EXPECT_EQ(json["usage"]["completion_tokens"], 12);

  std::tie(status, json) = Complete(R"({"prompt": [5, 6, 7], "max_tokens": 2})");
  ASSERT_EQ(status, 200) << json;
  EXPECT_EQ(fake_->last_request().prompt_token_ids, (std::vector<int32_t>{5, 6, 7}));
  EXPECT_EQ(json["usage"]["prompt_tokens"], 3);

  std::tie(status, json) = Complete(R"({"prompt": [[1, 2], [3]], "max_tokens": 2})");
  ASSERT_EQ(status, 200) << json;
  EXPECT_EQ(json["choices"].size(), 2u);
  EXPECT_EQ(fake_->last_request().prompt_token_ids, std::vector<int32_t>{3});
}

TEST_F(OpenAiHttpTest, LogprobsWithoutATokenizerNameTokensById) {
  auto [status, json] = Complete(R"({"prompt": "x", "max_tokens": 4, "logprobs": 0, "seed": 3})");
  ASSERT_EQ(status, 200) << json;
  GenerationRequest request;
  request.prompt = "x";
  request.sampling.max_tokens = 4;
  request.sampling.seed = 3;
  request.sampling.logprobs = true;
  const SampleResult expected = FakeSampler::Expected(request, 0, 1);
  const Json& logprobs = json["choices"][0]["logprobs"];
  ASSERT_TRUE(logprobs.is_object()) << json;
  ASSERT_EQ(logprobs["tokens"].size(), 4u);
  EXPECT_EQ(logprobs["tokens"][0], "token_id:" + std::to_string(expected.token_ids[0]));
  EXPECT_EQ(logprobs["token_logprobs"].get<std::vector<float>>(), expected.logprobs);
  EXPECT_TRUE(logprobs["top_logprobs"].is_null());
  EXPECT_TRUE(logprobs["text_offset"].is_null());
}

TEST_F(OpenAiHttpTest, LogprobsWithTokenText) {
  OpenAiOptions options;
  options.token_text = [](int32_t id) { return "t" + std::to_string(id) + " "; };
  Start(options);
  auto [status, json] = Complete(R"({"prompt": "x", "max_tokens": 3, "logprobs": 5, "seed": 3})");
  ASSERT_EQ(status, 200) << json;
  const Json& choice = json["choices"][0];
  const Json& logprobs = choice["logprobs"];
  const std::string text = choice["text"];
  ASSERT_EQ(logprobs["tokens"].size(), 3u);
  const auto offsets = logprobs["text_offset"].get<std::vector<size_t>>();
  ASSERT_EQ(offsets.size(), 3u);
  EXPECT_EQ(offsets[0], 0u);
  std::string rebuilt;
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(offsets[i], rebuilt.size());
    rebuilt += logprobs["tokens"][i].get<std::string>();
  }
  EXPECT_EQ(rebuilt, text);

  std::tie(status, json) = Complete(
      R"({"prompt": "x", "max_tokens": 3, "logprobs": 1, "return_tokens_as_token_ids": true})");
  ASSERT_EQ(status, 200) << json;
  EXPECT_EQ(json["choices"][0]["logprobs"]["tokens"][0].get<std::string>().rfind("token_id:", 0),
            0u);
}

TEST_F(OpenAiHttpTest, ErrorsHaveOpenAiShape) {
  ExpectError("{not json", 400, "");
  ExpectError("[1, 2]", 400, "the body must be a JSON object, got array");
  ExpectError(R"({"n": 1})", 400, "\"prompt\" is required", "prompt");
  ExpectError(R"({"prompt": []})", 400, "\"prompt\" is an empty list", "prompt");
  ExpectError(R"({"prompt": ["a", 1]})", 400, "prompt[1] is number", "prompt");
  ExpectError(R"({"prompt": [1, -2]})", 400, "prompt[1] is -2", "prompt");
  ExpectError(R"({"prompt": {"a": 1}})", 400, "\"prompt\" must be", "prompt");
  ExpectError(R"({"prompt": "x", "n": 0})", 400, "n is 0", "n");
  ExpectError(R"({"prompt": "x", "n": "two"})", 400, "\"n\" must be an integer, got string", "n");
  ExpectError(R"({"prompt": "x", "max_tokens": 100000})", 400, "max_tokens is 100000",
              "max_tokens");
  ExpectError(R"({"prompt": "x", "temperature": -1})", 400, "temperature is -1", "temperature");
  ExpectError(R"({"prompt": "x", "temperature": "hot"})", 400, "\"temperature\" must be a number",
              "temperature");
  ExpectError(R"({"prompt": "x", "seed": -1})", 400, "\"seed\" is -1", "seed");
  ExpectError(R"({"prompt": "x", "stop": [1]})", 400, "\"stop\"[0] must be a string", "stop");
  ExpectError(R"({"prompt": "x", "top_k": -2})", 400, "\"top_k\" is -2", "top_k");
  ExpectError(R"({"prompt": "x", "model": "gpt-17"})", 404, "gpt-17", "model");
  ExpectError(R"({"prompt": "x", "stream": true})", 400, "\"stream\" is not supported", "stream");
  ExpectError(R"({"prompt": "x", "echo": true})", 400, "\"echo\" is not supported", "echo");
  ExpectError(R"({"prompt": "x", "presence_penalty": 0.5})", 400, "penalties are not supported",
              "presence_penalty");
  ExpectError(R"({"prompt": "x", "best_of": 3})", 400, "only best_of = n", "best_of");
  ExpectError(R"({"prompt": "x", "logit_bias": {"5": 1}})", 400, "\"logit_bias\" is not supported",
              "logit_bias");
  ExpectError(R"({"prompt": ["a", "b"], "n": 9})", 400, "prompt 0: n is 9", "n");
  fake_->Refuse(absl::ResourceExhaustedError("sampler queue is full"));
  ExpectError(R"({"prompt": "x"})", 429, "sampler queue is full");
  fake_->Refuse(absl::InternalError("boom"));
  ExpectError(R"({"prompt": "x"})", 500, "boom");
  fake_->Refuse(absl::OkStatus());
  // Defaults spelled out are fine.
  auto [status, json] = Complete(
      R"({"prompt": "x", "stream": false, "echo": false, "best_of": 1, "presence_penalty": 0,
          "logit_bias": {}, "suffix": null, "logprobs": null, "max_tokens": null})");
  EXPECT_EQ(status, 200) << json;
}

TEST_F(OpenAiHttpTest, TimeoutCancelsAndAnswers504) {
  OpenAiOptions options;
  options.request_timeout = absl::Milliseconds(200);
  Start(options);
  fake_->Hold(true);
  ExpectError(R"({"prompt": "x", "n": 2})", 504, "did not finish within");
  EXPECT_EQ(fake_->cancels(), 1);
  fake_->Hold(false);
  auto [status, json] = Complete(R"({"prompt": "x", "n": 2})");
  EXPECT_EQ(status, 200) << json;
}

TEST_F(OpenAiHttpTest, ShutdownCancelsRunningCompletionsWith503) {
  fake_->Hold(true);
  auto pending =
      std::async(std::launch::async, [this] { return Complete(R"({"prompt": "x", "n": 2})"); });
  ASSERT_TRUE(fake_->WaitHeld(1));
  server_->Shutdown(absl::Milliseconds(100));
  auto [status, json] = pending.get();
  EXPECT_EQ(status, 503) << json;
  EXPECT_NE(json["error"]["message"].get<std::string>().find("shutting down"), std::string::npos);
}

TEST_F(OpenAiHttpTest, ModelsHealthAndMetrics) {
  int status = 0;
  Json models = Json::parse(Get("/v1/models", &status));
  EXPECT_EQ(status, 200);
  EXPECT_EQ(models["object"], "list");
  ASSERT_EQ(models["data"].size(), 1u);
  EXPECT_EQ(models["data"][0]["id"], "fake");
  EXPECT_EQ(models["data"][0]["object"], "model");
  EXPECT_EQ(models["data"][0]["max_model_len"], 128);
  EXPECT_EQ(models["data"][0]["policy_version"], 1);
  EXPECT_EQ(Get("/healthz", &status), "ok\n");
  EXPECT_EQ(status, 200);

  ASSERT_EQ(Complete(R"({"prompt": "x", "n": 2, "max_tokens": 3})").first, 200);
  ASSERT_EQ(Complete(R"({"prompt": "x", "n": 0})").first, 400);
  const std::string metrics = Get("/metrics", &status);
  EXPECT_EQ(status, 200);
  EXPECT_NE(metrics.find("rlvr_sampler_requests_total{api=\"http\"} 2\n"), std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("rlvr_sampler_request_errors_total{api=\"http\"} 1\n"), std::string::npos);
  EXPECT_NE(metrics.find("rlvr_sampler_samples_total{api=\"http\"} 2\n"), std::string::npos);
  EXPECT_NE(metrics.find("rlvr_sampler_completion_tokens_total{api=\"http\"} 6\n"),
            std::string::npos);
  EXPECT_NE(metrics.find("rlvr_sampler_policy_version 1\n"), std::string::npos);
}

TEST(OpenAiHttpStatusTest, Codes) {
  EXPECT_EQ(OpenAiHttpStatus(absl::InvalidArgumentError("")), 400);
  EXPECT_EQ(OpenAiHttpStatus(absl::NotFoundError("")), 404);
  EXPECT_EQ(OpenAiHttpStatus(absl::ResourceExhaustedError("")), 429);
  EXPECT_EQ(OpenAiHttpStatus(absl::UnavailableError("")), 503);
  EXPECT_EQ(OpenAiHttpStatus(absl::DeadlineExceededError("")), 504);
  EXPECT_EQ(OpenAiHttpStatus(absl::InternalError("")), 500);
  EXPECT_EQ(OpenAiHttpStatus(absl::CancelledError("")), 500);
}

}  // namespace
}  // namespace rlvr::sampler
