// End-to-end tests of the verifier service: a real gRPC server and HTTP endpoint on loopback.
#include "verifiers/service/verifier_server.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/security/credentials.h>
#include <httplib.h>

#include <future>
#include <thread>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "verifiers/service/verify_client.h"

namespace rlvr {
namespace {

v1::VerifyRequest MathGroup(const std::string& id, const std::string& gold,
                            std::vector<std::string> responses) {
  v1::VerifyRequest request;
  request.set_request_id(id);
  request.mutable_problem()->set_kind(v1::PROBLEM_KIND_MATH);
  request.mutable_problem()->mutable_math()->set_gold(gold);
  for (auto& r : responses) request.add_responses(std::move(r));
  return request;
}

// The "error" field of a JSON error body.
std::string ErrorOf(const std::string& body) {
  auto json = nlohmann::json::parse(body, nullptr, false);
  return json.is_object() && json.contains("error") ? json["error"].get<std::string>() : body;
}

class VerifierServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    VerifierServerOptions options;
    options.grpc_port = 0;
    options.http_port = 0;
    options.engine.threads = 2;
    options.engine.max_queue = 64;
    options.service.max_stream_in_flight = 8;
    auto server = VerifierServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    client_ = std::make_unique<VerifierClient>(server_->grpc_target());
  }

  std::string Scrape() {
    httplib::Client http("127.0.0.1", server_->http_port());
    auto res = http.Get("/metrics");
    return res ? res->body : "";
  }

  std::unique_ptr<VerifierServer> server_;
  std::unique_ptr<VerifierClient> client_;
};

TEST_F(VerifierServerTest, UnaryVerify) {
  auto response = client_->Verify(
      MathGroup("g1", "$\\frac{3}{4}$", {"so \\boxed{0.75}", "\\boxed{3/5}"}), absl::Seconds(10));
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->request_id(), "g1");
  ASSERT_EQ(response->verdicts_size(), 2);
  EXPECT_EQ(response->verdicts(0).outcome(), v1::OUTCOME_CORRECT);
  EXPECT_EQ(response->verdicts(1).outcome(), v1::OUTCOME_INCORRECT);
  EXPECT_GT(response->verdicts(0).latency_us(), 0);
}

TEST_F(VerifierServerTest, BadInputGetsInvalidArgumentAndServerKeepsServing) {
  auto empty = client_->Verify(MathGroup("bad", "1", {}), absl::Seconds(10));
  EXPECT_EQ(empty.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(empty.status().message().find("responses is empty"), std::string::npos);
  v1::VerifyRequest no_kind = MathGroup("bad2", "1", {"1"});
  no_kind.mutable_problem()->clear_kind();
  auto unspecified = client_->Verify(no_kind, absl::Seconds(10));
  EXPECT_EQ(unspecified.status().code(), absl::StatusCode::kInvalidArgument);
  auto fine = client_->Verify(MathGroup("ok", "2", {"\\boxed{2}"}), absl::Seconds(10));
  ASSERT_TRUE(fine.ok()) << fine.status();
  EXPECT_EQ(fine->verdicts(0).outcome(), v1::OUTCOME_CORRECT);
}

TEST_F(VerifierServerTest, StreamAnswersEveryRequestIncludingBadOnes) {
  std::vector<v1::VerifyRequest> requests;
  for (int i = 0; i < 300; ++i) {
    if (i % 10 == 3) {
      requests.push_back(MathGroup(std::to_string(i), "1", {}));  // invalid: no responses
    } else {
      requests.push_back(MathGroup(std::to_string(i), std::to_string(i),
                                   {"\\boxed{" + std::to_string(i) + "}", "\\boxed{-1}"}));
    }
  }
  auto responses = client_->VerifyMany(requests, absl::Seconds(30));
  ASSERT_TRUE(responses.ok()) << responses.status();
  ASSERT_EQ(responses->size(), requests.size());
  for (int i = 0; i < 300; ++i) {
    const v1::VerifyResponse& r = (*responses)[i];
    EXPECT_EQ(r.request_id(), std::to_string(i));
    if (i % 10 == 3) {
      EXPECT_EQ(r.error_code(), static_cast<int>(absl::StatusCode::kInvalidArgument));
      EXPECT_NE(r.error_message().find("responses is empty"), std::string::npos);
    } else {
      ASSERT_EQ(r.verdicts_size(), 2) << i;
      EXPECT_EQ(r.verdicts(0).outcome(), v1::OUTCOME_CORRECT) << i;
      EXPECT_EQ(r.verdicts(1).outcome(), i == 1 ? v1::OUTCOME_INCORRECT : v1::OUTCOME_INCORRECT);
    }
  }
}

TEST_F(VerifierServerTest, ManyConcurrentStreams) {
  std::vector<std::future<bool>> results;
  for (int s = 0; s < 6; ++s) {
    results.push_back(std::async(std::launch::async, [this, s] {
      VerifierClient client(server_->grpc_target());
      std::vector<v1::VerifyRequest> requests;
      for (int i = 0; i < 100; ++i) {
        const std::string n = std::to_string(s * 1000 + i);
        requests.push_back(MathGroup(n, n, {"\\boxed{" + n + "}"}));
      }
      auto responses = client.VerifyMany(requests, absl::Seconds(60));
      if (!responses.ok()) return false;
      for (const auto& r : *responses) {
        if (r.verdicts_size() != 1 || r.verdicts(0).outcome() != v1::OUTCOME_CORRECT) return false;
      }
      return true;
    }));
  }
  for (auto& r : results) EXPECT_TRUE(r.get());
}

TEST_F(VerifierServerTest, ClientDeadlineIsHonoured) {
  std::vector<std::string> slow(16, std::string(4 << 20, 'a'));
  auto response = client_->Verify(MathGroup("slow", "1", slow), absl::Milliseconds(1));
  EXPECT_EQ(response.status().code(), absl::StatusCode::kDeadlineExceeded);
  auto fine = client_->Verify(MathGroup("ok", "2", {"\\boxed{2}"}), absl::Seconds(10));
  EXPECT_TRUE(fine.ok()) << fine.status();
}

// grpc.health.v1.Health/Check over a generic stub: the empty request, and a response whose
// field 1 (status) is SERVING = 1, i.e. bytes 08 01.
TEST_F(VerifierServerTest, HealthCheckSaysServing) {
  auto channel = grpc::CreateChannel(server_->grpc_target(), grpc::InsecureChannelCredentials());
  grpc::GenericStub stub(channel);
  grpc::CompletionQueue cq;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::ByteBuffer request;  // empty HealthCheckRequest: service "" = the whole server
  grpc::Slice empty;
  request = grpc::ByteBuffer(&empty, 1);
  auto call = stub.PrepareUnaryCall(&context, "/grpc.health.v1.Health/Check", request, &cq);
  call->StartCall();
  grpc::ByteBuffer response;
  grpc::Status status;
  call->Finish(&response, &status, reinterpret_cast<void*>(1));
  void* tag;
  bool ok;
  ASSERT_TRUE(cq.Next(&tag, &ok));
  ASSERT_TRUE(status.ok()) << status.error_message();
  std::vector<grpc::Slice> slices;
  ASSERT_TRUE(response.Dump(&slices).ok());
  std::string bytes;
  for (auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  EXPECT_EQ(bytes, std::string("\x08\x01", 2));
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
}

// grpc.reflection.v1alpha.ServerReflection: list_services (field 7) must name rlvr.v1.Verifier.
TEST_F(VerifierServerTest, ReflectionListsTheVerifier) {
  auto channel = grpc::CreateChannel(server_->grpc_target(), grpc::InsecureChannelCredentials());
  grpc::GenericStub stub(channel);
  grpc::CompletionQueue cq;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  auto call = stub.PrepareCall(&context,
                               "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &cq);
  void* tag;
  bool ok;
  call->StartCall(reinterpret_cast<void*>(1));
  ASSERT_TRUE(cq.Next(&tag, &ok) && ok);
  grpc::Slice list_services(std::string("\x3a\x00", 2));
  grpc::ByteBuffer request(&list_services, 1);
  call->Write(request, reinterpret_cast<void*>(2));
  ASSERT_TRUE(cq.Next(&tag, &ok) && ok);
  grpc::ByteBuffer response;
  call->Read(&response, reinterpret_cast<void*>(3));
  ASSERT_TRUE(cq.Next(&tag, &ok) && ok);
  std::vector<grpc::Slice> slices;
  ASSERT_TRUE(response.Dump(&slices).ok());
  std::string bytes;
  for (auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  EXPECT_NE(bytes.find("rlvr.v1.Verifier"), std::string::npos);
  EXPECT_NE(bytes.find("grpc.health.v1.Health"), std::string::npos);
  call->WritesDone(reinterpret_cast<void*>(4));
  cq.Next(&tag, &ok);
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(5));
  cq.Next(&tag, &ok);
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
}

TEST_F(VerifierServerTest, PrometheusScrapeShowsTraffic) {
  ASSERT_TRUE(client_->Verify(MathGroup("a", "1", {"\\boxed{1}", "\\boxed{2}", "nothing"}),
                              absl::Seconds(10))
                  .ok());
  const std::string text = Scrape();
  EXPECT_NE(text.find("rlvr_verifier_requests_total{method=\"Verify\"} 1"), std::string::npos)
      << text;
  EXPECT_NE(text.find("rlvr_verifier_verdicts_total{outcome=\"OUTCOME_CORRECT\"} 1"),
            std::string::npos);
  EXPECT_NE(text.find("rlvr_verifier_verdicts_total{outcome=\"OUTCOME_INCORRECT\"} 1"),
            std::string::npos);
  EXPECT_NE(text.find("rlvr_verifier_verdicts_total{outcome=\"OUTCOME_NO_ANSWER\"} 1"),
            std::string::npos);
  EXPECT_NE(text.find("rlvr_verifier_group_latency_seconds_count 1"), std::string::npos);
  EXPECT_NE(text.find("# TYPE rlvr_verifier_queue_depth gauge"), std::string::npos);
  EXPECT_NE(text.find("rlvr_verifier_in_flight 0"), std::string::npos);
}

TEST_F(VerifierServerTest, HttpVerify) {
  httplib::Client http("127.0.0.1", server_->http_port());
  auto res = http.Post("/v1/verify",
                       R"({"request_id": "h1", "problem": {"kind": "PROBLEM_KIND_MATH",
                           "math": {"gold": "\\sqrt{2}"}}, "responses": ["\\boxed{2^{1/2}}"]})",
                       "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  auto body = nlohmann::json::parse(res->body);
  EXPECT_EQ(body["request_id"], "h1");
  EXPECT_EQ(body["verdicts"][0]["outcome"], "OUTCOME_CORRECT");
  EXPECT_EQ(body["verdicts"][0]["valid"], true);

  auto malformed = http.Post("/v1/verify", "{not json", "application/json");
  ASSERT_TRUE(malformed);
  EXPECT_EQ(malformed->status, 400);
  EXPECT_NE(malformed->body.find("not a VerifyRequest"), std::string::npos);

  auto unknown_field = http.Post("/v1/verify", R"({"request_id": "x", "bogus": 1})", "application/json");
  ASSERT_TRUE(unknown_field);
  EXPECT_EQ(unknown_field->status, 400);
  EXPECT_NE(unknown_field->body.find("bogus"), std::string::npos) << unknown_field->body;

  auto invalid = http.Post("/v1/verify",
                           R"({"problem": {"kind": "PROBLEM_KIND_MATH", "math": {"gold": "1"}}})",
                           "application/json");
  ASSERT_TRUE(invalid);
  EXPECT_EQ(invalid->status, 400);
  EXPECT_NE(invalid->body.find("responses is empty"), std::string::npos);

  auto code = http.Post("/v1/verify",
                        R"({"problem": {"kind": "PROBLEM_KIND_CODE"}, "responses": ["x"]})",
                        "application/json");
  ASSERT_TRUE(code);
  EXPECT_EQ(code->status, 400) << code->body;
  EXPECT_NE(ErrorOf(code->body).find("problem.code"), std::string::npos) << code->body;
}

TEST_F(VerifierServerTest, OpenRlhfRewardsMatchTheGrpcApi) {
  const std::vector<std::string> prompts = {"Q1: 1/2=? ", "Q1: 1/2=? ", "Q2: 2+2=? ", "Q2: 2+2=? "};
  const std::vector<std::string> responses = {"\\boxed{0.5}", "\\boxed{2}", "so 4", "no idea"};
  const std::vector<std::string> labels = {"\\frac12", "\\frac12", "4", "4"};
  nlohmann::json body = {{"query", nlohmann::json::array()}, {"prompts", prompts}, {"labels", labels}};
  for (size_t i = 0; i < prompts.size(); ++i) {
    // Left padding before the prompt, as OpenRLHF's decoded queries carry it.
    body["query"].push_back((i % 2 ? "<pad><pad>" : "") + prompts[i] + responses[i]);
  }
  httplib::Client http("127.0.0.1", server_->http_port());
  auto res = http.Post("/v1/openrlhf/reward", body.dump(), "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  auto out = nlohmann::json::parse(res->body);
  ASSERT_EQ(out["rewards"].size(), 4u);
  EXPECT_EQ(out["scores"], out["rewards"]);
  EXPECT_EQ(out["extra_logs"]["rlvr_valid"].size(), 4u);
  // The same samples through gRPC, one group per label.
  for (size_t i = 0; i < 4; ++i) {
    auto grpc = client_->Verify(MathGroup("x", labels[i], {responses[i]}), absl::Seconds(10));
    ASSERT_TRUE(grpc.ok()) << grpc.status();
    EXPECT_EQ(out["rewards"][i].get<double>(), grpc->verdicts(0).score()) << i;
  }
  EXPECT_EQ(out["rewards"][0], 1.0);
  EXPECT_EQ(out["rewards"][1], 0.0);
}

TEST_F(VerifierServerTest, OpenRlhfBadInputAndInvalidVerdicts) {
  httplib::Client http("127.0.0.1", server_->http_port());
  auto mismatch = http.Post("/v1/openrlhf/reward",
                            R"({"query": ["a", "b"], "labels": ["1"]})", "application/json");
  ASSERT_TRUE(mismatch);
  EXPECT_EQ(mismatch->status, 400);
  EXPECT_NE(ErrorOf(mismatch->body).find("\"query\" has 2 entries"), std::string::npos) << mismatch->body;
  auto not_strings = http.Post("/v1/openrlhf/reward", R"({"query": [1], "labels": ["1"]})",
                               "application/json");
  ASSERT_TRUE(not_strings);
  EXPECT_EQ(not_strings->status, 400);
  EXPECT_NE(ErrorOf(not_strings->body).find("\"query\"[0] must be a string"), std::string::npos);
  auto missing = http.Post("/v1/openrlhf/reward", R"({"query": ["x"]})", "application/json");
  ASSERT_TRUE(missing);
  EXPECT_NE(ErrorOf(missing->body).find("missing \"labels\""), std::string::npos);

  // An unusable gold answer: 422 naming the sample, unless the trainer opts into zeros.
  const std::string invalid = R"({"query": ["\\boxed{1}", "\\boxed{2}"], "labels": ["1", "\\frac{"]})";
  auto refused = http.Post("/v1/openrlhf/reward", invalid, "application/json");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 422) << refused->body;
  auto refused_body = nlohmann::json::parse(refused->body);
  EXPECT_EQ(refused_body["invalid"], nlohmann::json::array({1}));
  EXPECT_NE(refused_body["error"].get<std::string>().find("invalid_gold"), std::string::npos);
  auto zeroed = http.Post("/v1/openrlhf/reward?on_invalid=zero", invalid, "application/json");
  ASSERT_TRUE(zeroed);
  ASSERT_EQ(zeroed->status, 200) << zeroed->body;
  auto zeroed_body = nlohmann::json::parse(zeroed->body);
  EXPECT_EQ(zeroed_body["rewards"], nlohmann::json::array({1.0, 0.0}));
  EXPECT_EQ(zeroed_body["extra_logs"]["rlvr_valid"], nlohmann::json::array({1.0, 0.0}));
  auto bad_policy = http.Post("/v1/openrlhf/reward?on_invalid=maybe", invalid, "application/json");
  ASSERT_TRUE(bad_policy);
  EXPECT_EQ(bad_policy->status, 400);
}

TEST_F(VerifierServerTest, SlimeReward) {
  httplib::Client http("127.0.0.1", server_->http_port());
  auto res = http.Post("/v1/slime/reward",
                       R"({"prompt": "2+2?", "response": "It is \\boxed{4}.", "label": "4"})",
                       "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(nlohmann::json::parse(res->body), 1.0);
  auto wrong = http.Post("/v1/slime/reward", R"({"response": "\\boxed{5}", "label": "4"})",
                         "application/json");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(nlohmann::json::parse(wrong->body), 0.0);
  auto numeric = http.Post("/v1/slime/reward", R"({"response": "\\boxed{4}", "label": 4})",
                           "application/json");
  ASSERT_TRUE(numeric);
  EXPECT_EQ(nlohmann::json::parse(numeric->body), 1.0);
  auto no_label = http.Post("/v1/slime/reward", R"({"response": "4", "label": null})",
                            "application/json");
  ASSERT_TRUE(no_label);
  EXPECT_EQ(no_label->status, 400);
  EXPECT_NE(ErrorOf(no_label->body).find("\"label\" must be a string or number, got null"),
            std::string::npos);
  auto bad = http.Post("/v1/slime/reward", R"({"response": 3, "label": "4"})", "application/json");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  EXPECT_NE(ErrorOf(bad->body).find("\"response\" must be a string"), std::string::npos);
}

TEST_F(VerifierServerTest, GracefulShutdownFinishesInFlightCalls) {
  std::vector<std::string> slowish(8, std::string(1 << 20, 'a'));
  auto in_flight = std::async(std::launch::async, [&] {
    return client_->Verify(MathGroup("last", "1", slowish), absl::Seconds(30));
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  server_->Shutdown(absl::Seconds(20));
  auto result = in_flight.get();
  // Either it was accepted before shutdown and finished, or it arrived after and was refused as
  // UNAVAILABLE; it is never cut off half-way.
  if (result.ok()) {
    EXPECT_EQ(result->verdicts_size(), 8);
  } else {
    EXPECT_EQ(result.status().code(), absl::StatusCode::kUnavailable) << result.status();
  }
}

TEST(VerifierServerStartTest, PortInUseIsUnavailable) {
  VerifierServerOptions options;
  options.grpc_port = 0;
  options.http_port = -1;
  auto first = VerifierServer::Start(options);
  ASSERT_TRUE(first.ok());
  options.grpc_port = (*first)->grpc_port();
  auto second = VerifierServer::Start(options);
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace rlvr
