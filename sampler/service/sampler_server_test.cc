// End to end with the real engine: a CPU Engine on a random tiny model behind a real gRPC server
// and HTTP endpoint on loopback; a RemoteSampler in front of rlvr's own OpenAI endpoint.
#include "sampler/service/sampler_server.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <httplib.h>

#include <algorithm>
#include <cstdlib>
#include <thread>

#include "common/jsonl.h"
#include "gtest/gtest.h"
#include "model/fixtures.h"
#include "model/tokenizer.h"
#include "model/weights.h"
#include "nlohmann/json.hpp"
#include "sampler/backend.h"
#include "sampler/engine.h"
#include "sampler/service/remote_sampler.h"
#include "sampler/service/sampler_client.h"

namespace rlvr::sampler {
namespace {

using Json = nlohmann::json;

std::shared_ptr<const model::Tokenizer> TestTokenizer() {
  static const std::shared_ptr<const model::Tokenizer> tokenizer = [] {
    auto t = model::Tokenizer::FromJson(model::TestTokenizerJson());
    EXPECT_TRUE(t.ok()) << t.status();
    return std::shared_ptr<const model::Tokenizer>(std::move(*t));
  }();
  return tokenizer;
}

model::ModelConfig Config() { return model::TinyConfig(TestTokenizer()->vocab_size()); }

std::unique_ptr<SamplerServer> StartEngineServer() {
  EngineOptions options;
  options.model_name = "tiny";
  options.max_n = 8;
  options.max_tokens = 2048;
  options.kv_pages = 2048;
  auto engine = Engine::Create(NewCpuBackend(1), model::RandomWeights(Config(), 7), 1,
                               TestTokenizer(), options);
  EXPECT_TRUE(engine.ok()) << engine.status();
  if (!engine.ok()) return nullptr;
  SamplerServerOptions server_options;
  server_options.grpc_port = 0;
  server_options.http_port = 0;
  auto server = SamplerServer::Start(std::move(*engine), server_options);
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? std::move(*server) : nullptr;
}

v1::GenerateRequest Request(uint32_t n, int32_t max_tokens, float temperature,
                            std::optional<uint64_t> seed,
                            const std::string& prompt = "def add(a, b):") {
  v1::GenerateRequest request;
  request.set_request_id("req");
  request.set_prompt(prompt);
  request.set_n(n);
  request.mutable_sampling()->set_temperature(temperature);
  request.mutable_sampling()->set_max_tokens(max_tokens);
  request.mutable_sampling()->set_logprobs(true);
  if (seed.has_value()) request.mutable_sampling()->set_seed(*seed);
  return request;
}

std::vector<v1::GenerateResponse> ByIndex(std::vector<v1::GenerateResponse> responses) {
  std::sort(responses.begin(), responses.end(),
            [](const auto& a, const auto& b) { return a.sample().index() < b.sample().index(); });
  return responses;
}

std::vector<int32_t> Tokens(const v1::GenerateResponse& r) {
  return {r.sample().token_ids().begin(), r.sample().token_ids().end()};
}

// A metric's value in Prometheus text (-1 when absent).
double MetricValue(const std::string& text, const std::string& series) {
  const std::string key = "\n" + series + " ";
  const size_t at = text.find(key);
  if (at == std::string::npos) return -1;
  return std::strtod(text.c_str() + at + key.size(), nullptr);
}

class SamplerServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = StartEngineServer();
    ASSERT_NE(server_, nullptr);
    client_ = std::make_unique<SamplerClient>(server_->grpc_target());
  }

  Engine& engine() { return dynamic_cast<Engine&>(server_->sampler()); }

  std::vector<int32_t> Greedy() {
    auto r = client_->Generate(Request(1, 8, 0.0f, std::nullopt), absl::Seconds(30));
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() && !r->empty() ? Tokens(r->front()) : std::vector<int32_t>{};
  }

  std::pair<int, Json> Post(const std::string& path, const std::string& body) {
    httplib::Client http("127.0.0.1", server_->http_port());
    http.set_read_timeout(60, 0);
    auto res = http.Post(path.c_str(), body, "application/json");
    if (!res) return {0, Json()};
    return {res->status, Json::parse(res->body, nullptr, false)};
  }

  std::string Scrape() {
    httplib::Client http("127.0.0.1", server_->http_port());
    auto res = http.Get("/metrics");
    return res ? res->body : "";
  }

  std::unique_ptr<SamplerServer> server_;
  std::unique_ptr<SamplerClient> client_;
};

TEST_F(SamplerServerTest, GenerateStreamsNSamplesWithIndicesAndVersion) {
  auto responses = client_->Generate(Request(4, 12, 1.0f, 3), absl::Seconds(30));
  ASSERT_TRUE(responses.ok()) << responses.status();
  ASSERT_EQ(responses->size(), 4u);
  const auto sorted = ByIndex(*responses);
  for (uint32_t i = 0; i < 4; ++i) {
    const v1::GenerateResponse& r = sorted[i];
    EXPECT_EQ(r.request_id(), "req");
    EXPECT_EQ(r.sample().index(), i);
    EXPECT_EQ(r.sample().policy_version(), 1u);
    EXPECT_GT(r.prompt_tokens(), 0u);
    EXPECT_GE(r.sample().token_ids_size(), 1);
    EXPECT_LE(r.sample().token_ids_size(), 12);
    EXPECT_EQ(r.sample().logprobs_size(), r.sample().token_ids_size());
    EXPECT_TRUE(r.sample().finish_reason() == v1::FINISH_REASON_LENGTH ||
                r.sample().finish_reason() == v1::FINISH_REASON_STOP);
  }
}

TEST_F(SamplerServerTest, SeededRequestsAreReproducibleThroughTheWire) {
  auto a = client_->Generate(Request(4, 16, 1.0f, 1234), absl::Seconds(30));
  auto b = client_->Generate(Request(4, 16, 1.0f, 1234), absl::Seconds(30));
  auto c = client_->Generate(Request(4, 16, 1.0f, 4321), absl::Seconds(30));
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  const auto sa = ByIndex(*a), sb = ByIndex(*b), sc = ByIndex(*c);
  bool any_differs = false;
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(Tokens(sa[i]), Tokens(sb[i])) << i;
    EXPECT_EQ(sa[i].sample().text(), sb[i].sample().text()) << i;
    any_differs |= Tokens(sa[i]) != Tokens(sc[i]);
  }
  EXPECT_TRUE(any_differs) << "another seed gave the same samples";
  // The samples of one request differ from each other (per-sample seeds).
  EXPECT_NE(Tokens(sa[0]), Tokens(sa[1]));
}

// Byte-level tokens cut a sample mid-character; proto3 strings must be UTF-8 or the client cannot
// parse the message. The text arrives with U+FFFD in place of broken bytes; token_ids are exact.
TEST_F(SamplerServerTest, SamplesCutMidCharacterCrossTheWire) {
  int broken = 0;
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    auto r = client_->Generate(Request(8, 3, 1.0f, seed), absl::Seconds(30));
    ASSERT_TRUE(r.ok()) << "seed " << seed << ": " << r.status();
    ASSERT_EQ(r->size(), 8u);
    for (const auto& response : *r) {
      const std::string decoded = TestTokenizer()->Decode(Tokens(response));
      if (decoded != response.sample().text()) {
        ++broken;
        EXPECT_NE(response.sample().text().find("\xEF\xBF\xBD"), std::string::npos);
      }
    }
  }
  EXPECT_GT(broken, 0) << "no sample was cut mid-character; the test proves nothing";
}

TEST_F(SamplerServerTest, GreedySamplesAreIdentical) {
  auto r = client_->Generate(Request(3, 10, 0.0f, std::nullopt), absl::Seconds(30));
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->size(), 3u);
  for (const auto& response : *r) EXPECT_EQ(Tokens(response), Tokens(r->front()));
}

TEST_F(SamplerServerTest, BadRequestsAreRefusedAndServingContinues) {
  const std::vector<int32_t> before = Greedy();
  struct Case {
    v1::GenerateRequest request;
    absl::StatusCode code;
    std::string message;
  };
  std::vector<Case> cases;
  cases.push_back({Request(0, 8, 1.0f, 1), absl::StatusCode::kInvalidArgument, "n is 0"});
  cases.push_back({Request(9, 8, 1.0f, 1), absl::StatusCode::kInvalidArgument, "n is 9"});
  cases.push_back(
      {Request(1, 1 << 20, 1.0f, 1), absl::StatusCode::kInvalidArgument, "max_tokens is 1048576"});
  cases.push_back(
      {Request(1, 8, -1.0f, 1), absl::StatusCode::kInvalidArgument, "temperature is -1"});
  v1::GenerateRequest unknown = Request(1, 8, 1.0f, 1);
  unknown.set_model("gpt-17");
  cases.push_back({unknown, absl::StatusCode::kNotFound, "gpt-17"});
  for (const Case& c : cases) {
    auto result = client_->Generate(c.request, absl::Seconds(30));
    EXPECT_EQ(result.status().code(), c.code) << result.status();
    EXPECT_NE(result.status().message().find(c.message), std::string::npos) << result.status();
  }
  EXPECT_EQ(Greedy(), before);
}

TEST_F(SamplerServerTest, ClientCancelMidStreamFreesTheEngine) {
  auto stub = v1::Sampler::NewStub(
      grpc::CreateChannel(server_->grpc_target(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  v1::GenerateRequest request = Request(8, 1500, 1.0f, 77);
  auto reader = stub->Generate(&context, request);
  v1::GenerateResponse first;
  ASSERT_TRUE(reader->Read(&first));
  context.TryCancel();
  int received = 1;
  v1::GenerateResponse more;
  while (reader->Read(&more)) ++received;
  const grpc::Status status = reader->Finish();
  EXPECT_TRUE(status.error_code() == grpc::StatusCode::CANCELLED || received == 8)
      << status.error_message();
  // The engine drops the request: nothing running or queued. (EngineStats::kv_pages_used is
  // refreshed only by a decode step, so it is not checked here.)
  EngineStats stats;
  for (int i = 0; i < 500; ++i) {
    stats = engine().Stats();
    if (stats.running == 0 && stats.queued == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(stats.running, 0);
  EXPECT_EQ(stats.queued, 0);
  EXPECT_FALSE(Greedy().empty());
}

TEST_F(SamplerServerTest, GoodWeightUpdatesServeTheNewVersion) {
  const std::vector<int32_t> before = Greedy();
  const auto tensors = model::WeightsToTensors(model::RandomWeights(Config(), 99));
  auto version = client_->PublishWeights(2, tensors, model::DType::kBF16, 4000, absl::Seconds(60));
  ASSERT_TRUE(version.ok()) << version.status();
  EXPECT_EQ(*version, 2u);
  auto info = client_->GetInfo(absl::Seconds(10));
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->policy_version(), 2u);
  EXPECT_EQ(info->model(), "tiny");
  EXPECT_EQ(info->backend(), "cpu");
  auto after = client_->Generate(Request(2, 8, 1.0f, 5), absl::Seconds(30));
  ASSERT_TRUE(after.ok());
  for (const auto& r : *after) EXPECT_EQ(r.sample().policy_version(), 2u);
  EXPECT_NE(Greedy(), before) << "new weights, same greedy tokens";

  // A subset: just the final norm, in f16.
  std::map<std::string, model::Tensor> norm = {
      {"model.norm.weight", tensors.at("model.norm.weight")}};
  version = client_->PublishWeights(3, norm, model::DType::kF16, 100, absl::Seconds(60));
  ASSERT_TRUE(version.ok()) << version.status();
  EXPECT_EQ(client_->GetInfo(absl::Seconds(10))->policy_version(), 3u);
}

TEST_F(SamplerServerTest, BadWeightUpdatesAreRefusedAndServingIsUndisturbed) {
  const std::vector<int32_t> before = Greedy();
  const auto good = model::WeightsToTensors(model::RandomWeights(Config(), 99));
  auto expect_refused = [&](absl::StatusOr<uint64_t> result, const std::string& what) {
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument) << result.status();
    EXPECT_NE(result.status().message().find(what), std::string::npos) << result.status();
    EXPECT_EQ(client_->GetInfo(absl::Seconds(10))->policy_version(), 1u);
    EXPECT_EQ(Greedy(), before) << "after: " << what;
  };
  std::map<std::string, model::Tensor> wrong_shape = good;
  wrong_shape["model.norm.weight"] = {{3}, {1, 1, 1}};
  expect_refused(
      client_->PublishWeights(2, wrong_shape, model::DType::kF32, 1 << 16, absl::Seconds(60)),
      "model.norm.weight");
  std::map<std::string, model::Tensor> unknown = {
      {"model.layers.9.mlp.up_proj.weight", {{2}, {1, 2}}}};
  expect_refused(client_->PublishWeights(2, unknown, model::DType::kF32, 64, absl::Seconds(10)),
                 "model.layers.9.mlp.up_proj.weight");
  auto chunks = WeightChunks(2, {{"model.norm.weight", good.at("model.norm.weight")}},
                             model::DType::kBF16, 32);
  auto bad_dtype = chunks;
  bad_dtype[0].set_dtype("int8");
  expect_refused(client_->UpdateWeights(bad_dtype, absl::Seconds(10)), "dtype \"int8\"");
  auto truncated = chunks;  // 128 bytes in 4 chunks; the third becomes the last
  truncated.pop_back();
  truncated.back().set_last(true);
  expect_refused(
      client_->UpdateWeights(truncated, absl::Seconds(10)),
      "tensor model.norm.weight is truncated: the update ends at chunk 3 after 96 of its "
      "128 bytes");
  expect_refused(client_->PublishWeights(1, {{"model.norm.weight", good.at("model.norm.weight")}},
                                         model::DType::kF32, 64, absl::Seconds(10)),
                 "version 1 is not above the serving version 1");
}

TEST_F(SamplerServerTest, OpenAiCompletionsOverHttpMatchGrpc) {
  auto grpc = client_->Generate(Request(2, 12, 0.8f, 99, "hello world"), absl::Seconds(30));
  ASSERT_TRUE(grpc.ok());
  const auto sorted = ByIndex(*grpc);
  auto [status, json] =
      Post("/v1/completions", R"({"model": "tiny", "prompt": "hello world", "n": 2,
      "max_tokens": 12, "temperature": 0.8, "seed": 99, "logprobs": 1})");
  ASSERT_EQ(status, 200) << json;
  EXPECT_EQ(json["object"], "text_completion");
  EXPECT_EQ(json["model"], "tiny");
  ASSERT_EQ(json["choices"].size(), 2u);
  uint64_t completion_tokens = 0;
  for (size_t i = 0; i < 2; ++i) {
    const Json& choice = json["choices"][i];
    EXPECT_EQ(choice["index"], i);
    EXPECT_EQ(choice["text"], sorted[i].sample().text());
    EXPECT_EQ(choice["token_ids"].get<std::vector<int32_t>>(), Tokens(sorted[i]));
    EXPECT_EQ(choice["policy_version"], 1);
    const Json& logprobs = choice["logprobs"];
    ASSERT_EQ(logprobs["tokens"].size(), choice["token_ids"].size());
    ASSERT_EQ(logprobs["token_logprobs"].size(), choice["token_ids"].size());
    ASSERT_EQ(logprobs["text_offset"].size(), choice["token_ids"].size());
    EXPECT_TRUE(logprobs["top_logprobs"].is_null());
    EXPECT_EQ(logprobs["text_offset"][0], 0);
    for (size_t t = 0; t < logprobs["token_logprobs"].size(); ++t) {
      EXPECT_FLOAT_EQ(logprobs["token_logprobs"][t].get<float>(), sorted[i].sample().logprobs(t));
      // JSON strings are UTF-8: a token that is part of a character shows as U+FFFD.
      const std::string bytes = TestTokenizer()->TokenBytes(sorted[i].sample().token_ids(t));
      EXPECT_EQ(logprobs["tokens"][t], Json::parse(DumpJson(Json(bytes))));
    }
    EXPECT_TRUE(choice["finish_reason"] == "stop" || choice["finish_reason"] == "length");
    completion_tokens += choice["token_ids"].size();
  }
  EXPECT_EQ(json["usage"]["prompt_tokens"], sorted[0].prompt_tokens());
  EXPECT_EQ(json["usage"]["completion_tokens"], completion_tokens);

  std::tie(status, json) = Post("/v1/completions", R"({"prompt": "x", "n": 0})");
  EXPECT_EQ(status, 400);
  EXPECT_EQ(json["error"]["param"], "n");
  EXPECT_EQ(json["error"]["type"], "invalid_request_error");
  std::tie(status, json) = Post("/v1/completions", R"({"prompt": "x", "model": "gpt-17"})");
  EXPECT_EQ(status, 404);
  EXPECT_NE(json["error"]["message"].get<std::string>().find("gpt-17"), std::string::npos);
}

TEST_F(SamplerServerTest, RemoteSamplerInFrontOfOurOwnEndpointMatchesDirect) {
  RemoteSamplerOptions remote_options;
  remote_options.base_url = server_->http_url();
  remote_options.policy_version = 1;
  auto remote = RemoteSampler::Create(remote_options);
  ASSERT_TRUE(remote.ok()) << remote.status();
  EXPECT_EQ((*remote)->Info().model, "tiny");
  EXPECT_EQ((*remote)->Info().context_length, 2048);
  SamplerServerOptions options;
  options.grpc_port = 0;
  options.http_port = -1;
  auto front = SamplerServer::Start(std::move(*remote), options);
  ASSERT_TRUE(front.ok()) << front.status();
  SamplerClient through((*front)->grpc_target());
  const v1::GenerateRequest request = Request(3, 16, 1.0f, 2024, "The answer is");
  auto via_remote = through.Generate(request, absl::Seconds(30));
  auto direct = client_->Generate(request, absl::Seconds(30));
  ASSERT_TRUE(via_remote.ok()) << via_remote.status();
  ASSERT_TRUE(direct.ok()) << direct.status();
  const auto a = ByIndex(*via_remote), b = ByIndex(*direct);
  ASSERT_EQ(a.size(), 3u);
  ASSERT_EQ(b.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(Tokens(a[i]), Tokens(b[i])) << i;
    EXPECT_EQ(a[i].sample().text(), b[i].sample().text()) << i;
    EXPECT_EQ(a[i].sample().finish_reason(), b[i].sample().finish_reason()) << i;
    EXPECT_EQ(a[i].sample().policy_version(), 1u);
    EXPECT_EQ(a[i].prompt_tokens(), b[i].prompt_tokens());
    ASSERT_EQ(a[i].sample().logprobs_size(), b[i].sample().logprobs_size());
    for (int t = 0; t < a[i].sample().logprobs_size(); ++t) {
      EXPECT_EQ(a[i].sample().logprobs(t), b[i].sample().logprobs(t));
    }
  }
}

TEST_F(SamplerServerTest, RemoteSamplerWithNothingListeningIsUnavailable) {
  RemoteSamplerOptions remote_options;
  // The engine server's gRPC port speaks HTTP/2 only: an HTTP/1.1 call there fails too, but a port
  // nobody listens on is the plain case. Take the HTTP port of a server that is then stopped.
  std::string url;
  {
    auto gone = StartEngineServer();
    ASSERT_NE(gone, nullptr);
    url = gone->http_url();
  }
  remote_options.base_url = url;
  remote_options.model = "tiny";
  auto remote = RemoteSampler::Create(remote_options);
  ASSERT_TRUE(remote.ok()) << remote.status();
  SamplerServerOptions options;
  options.grpc_port = 0;
  options.http_port = -1;
  auto front = SamplerServer::Start(std::move(*remote), options);
  ASSERT_TRUE(front.ok());
  SamplerClient through((*front)->grpc_target());
  auto result = through.Generate(Request(1, 4, 1.0f, 1), absl::Seconds(30));
  EXPECT_EQ(result.status().code(), absl::StatusCode::kUnavailable) << result.status();
  EXPECT_NE(result.status().message().find(url + "/v1/completions"), std::string::npos)
      << result.status();
}

TEST_F(SamplerServerTest, MetricsMove) {
  ASSERT_TRUE(client_->Generate(Request(2, 8, 1.0f, 1), absl::Seconds(30)).ok());
  const std::string first = Scrape();
  const double tokens = MetricValue(first, "rlvr_sampler_generated_tokens_total");
  EXPECT_GT(tokens, 0) << first;
  EXPECT_GT(MetricValue(first, "rlvr_sampler_steps_total"), 0);
  EXPECT_GT(MetricValue(first, "rlvr_sampler_batch_occupancy"), 0);
  EXPECT_EQ(MetricValue(first, "rlvr_sampler_kv_pages_total"), 2048);
  EXPECT_GT(MetricValue(first, "rlvr_sampler_kv_pages_peak"), 0);
  EXPECT_GE(MetricValue(first, "rlvr_sampler_kv_pages_used"), 0);
  EXPECT_GT(MetricValue(first, "rlvr_sampler_kv_page_bytes"), 0);
  EXPECT_GE(MetricValue(first, "rlvr_sampler_running"), 0);
  EXPECT_EQ(MetricValue(first, "rlvr_sampler_queue_length"), 0);
  EXPECT_EQ(MetricValue(first, "rlvr_sampler_policy_version"), 1);
  EXPECT_EQ(MetricValue(first, "rlvr_sampler_requests_total{api=\"grpc\"}"), 1);
  EXPECT_EQ(MetricValue(first, "rlvr_sampler_samples_total{api=\"grpc\"}"), 2);

  ASSERT_TRUE(client_->Generate(Request(3, 8, 1.0f, 2), absl::Seconds(30)).ok());
  ASSERT_EQ(Post("/v1/completions", R"({"prompt": "x", "max_tokens": 4})").first, 200);
  const std::string second = Scrape();
  EXPECT_GT(MetricValue(second, "rlvr_sampler_generated_tokens_total"), tokens);
  EXPECT_EQ(MetricValue(second, "rlvr_sampler_requests_total{api=\"grpc\"}"), 2);
  EXPECT_EQ(MetricValue(second, "rlvr_sampler_requests_total{api=\"http\"}"), 1);
  EXPECT_EQ(MetricValue(second, "rlvr_sampler_samples_total{api=\"grpc\"}"), 5);
}

}  // namespace
}  // namespace rlvr::sampler
