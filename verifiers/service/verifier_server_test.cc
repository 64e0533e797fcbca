// End-to-end tests of the verifier service: a real gRPC server and HTTP endpoint on loopback.
#include "verifiers/service/verifier_server.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/security/credentials.h>
#include <httplib.h>

#include <future>
#include <thread>

#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "verifiers/service/verifier_http.h"
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

// A Python stdio problem: print twice the input number.
constexpr char kDoubleTests[] =
    R"({"type": "stdio", "cases": [{"input": "1\n", "output": "2\n"}, {"input": "5\n", "output": "10\n"}]})";
const std::string kDoubleLabel = std::string(R"({"language": "python", "tests": )") + kDoubleTests + "}";
const std::vector<std::string> kDoublePrograms = {
    "```python\nprint(int(input()) * 2)\n```",                  // correct
    "```python\nn = int(input())\nprint(2 if n == 1 else 0)\n```",  // half the tests
    "I would rather not write code."};                             // no code

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
    options.engine.code.precompiled_headers = false;  // Python only here: no C++ PCH build per test
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

TEST(ProblemFromLabelTest, JsonObjectsAreCodeEverythingElseMath) {
  absl::StatusOr<v1::Problem> code = ProblemFromLabel(kDoubleLabel);
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(code->kind(), v1::PROBLEM_KIND_CODE);
  EXPECT_EQ(code->code().language(), "python");
  EXPECT_EQ(code->code().tests().type(), "stdio");
  ASSERT_EQ(code->code().tests().cases_size(), 2);
  EXPECT_EQ(code->code().tests().cases(1).output(), "10\n");

  // Language defaults to python; limits are read; blanks before the object are fine.
  code = ProblemFromLabel(std::string("  \n{ \"tests\": ") + kDoubleTests + R"(, "limits": {"time_ms": 500}})");
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(code->code().language(), "python");
  EXPECT_EQ(code->code().limits().time_ms(), 500u);

  for (const char* gold : {"42", "\\frac12", "{1, 2}", "{x | x > 0}", "  {3}", ""}) {
    absl::StatusOr<v1::Problem> math = ProblemFromLabel(gold);
    ASSERT_TRUE(math.ok()) << gold << ": " << math.status();
    EXPECT_EQ(math->kind(), v1::PROBLEM_KIND_MATH) << gold;
    EXPECT_EQ(math->math().gold(), gold);
  }

  struct Bad {
    const char* label;
    const char* message;
  } bad[] = {
      {R"({"tests": {"type": "stdio", "cases": [)", "not valid JSON"},
      {R"({"tests": {"cases": []}})", "tests.type is missing"},
      {R"({"language": 3, "tests": {"type": "stdio"}})", "language"},
      {R"({})", "code label"},
  };
  for (const Bad& b : bad) {
    absl::StatusOr<v1::Problem> p = ProblemFromLabel(b.label);
    EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument) << b.label;
    EXPECT_NE(p.status().message().find(b.message), std::string::npos) << b.label << " -> " << p.status();
  }
}

TEST_F(VerifierServerTest, OpenRlhfCodeLabelsMatchTheGrpcApi) {
  const std::string prompt = "<|user|>Double the number on stdin.<|assistant|>";
  nlohmann::json body = {{"query", nlohmann::json::array()},
                         {"prompts", nlohmann::json::array()},
                         {"labels", nlohmann::json::array()}};
  for (const std::string& program : kDoublePrograms) {
    body["query"].push_back(prompt + program);
    body["prompts"].push_back(prompt);
    body["labels"].push_back(kDoubleLabel);  // the tests as JSON text
  }
  // A math sample between code groups, and a code label given as an object.
  body["query"].push_back("Q: 2+2? \\boxed{4}");
  body["prompts"].push_back("Q: 2+2? ");
  body["labels"].push_back("4");
  body["query"].push_back(prompt + kDoublePrograms[0]);
  body["prompts"].push_back(prompt);
  body["labels"].push_back(nlohmann::json::parse(kDoubleLabel));

  httplib::Client http("127.0.0.1", server_->http_port());
  http.set_read_timeout(60);
  auto res = http.Post("/v1/openrlhf/reward", body.dump(), "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  auto out = nlohmann::json::parse(res->body);
  EXPECT_EQ(out["rewards"], nlohmann::json::array({1.0, 0.5, 0.0, 1.0, 1.0})) << res->body;
  EXPECT_EQ(out["extra_logs"]["rlvr_correct"], nlohmann::json::array({1.0, 0.0, 0.0, 1.0, 1.0}));
  EXPECT_EQ(out["extra_logs"]["rlvr_valid"], nlohmann::json::array({1.0, 1.0, 1.0, 1.0, 1.0}));

  // The same group through gRPC.
  v1::VerifyRequest request;
  request.set_request_id("code");
  *request.mutable_problem() = *ProblemFromLabel(kDoubleLabel);
  for (const std::string& program : kDoublePrograms) request.add_responses(program);
  auto grpc = client_->Verify(request, absl::Seconds(60));
  ASSERT_TRUE(grpc.ok()) << grpc.status();
  ASSERT_EQ(grpc->verdicts_size(), 3);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(out["rewards"][i].get<double>(), grpc->verdicts(i).score()) << i;
  }
  EXPECT_EQ(grpc->verdicts(2).outcome(), v1::OUTCOME_NO_CODE);
}

TEST_F(VerifierServerTest, OpenRlhfBadLabelsAndPromptsNameTheSample) {
  httplib::Client http("127.0.0.1", server_->http_port());
  nlohmann::json body = {{"query", {"\\boxed{1}", "\\boxed{2}", "x"}},
                         {"labels", {"1", "2", R"({"tests": {"cases": []}})"}}};
  auto bad_tests = http.Post("/v1/openrlhf/reward", body.dump(), "application/json");
  ASSERT_TRUE(bad_tests);
  EXPECT_EQ(bad_tests->status, 400) << bad_tests->body;
  EXPECT_NE(ErrorOf(bad_tests->body).find("sample 2: \"labels\"[2]: code label: tests.type"),
            std::string::npos) << bad_tests->body;

  body["labels"][2] = R"({"tests": )";
  auto bad_json = http.Post("/v1/openrlhf/reward", body.dump(), "application/json");
  ASSERT_TRUE(bad_json);
  EXPECT_EQ(bad_json->status, 400) << bad_json->body;
  EXPECT_NE(ErrorOf(bad_json->body).find("sample 2: \"labels\"[2]: code label is not valid JSON"),
            std::string::npos) << bad_json->body;

  body["labels"][2] = nlohmann::json::array({"4"});
  auto array_label = http.Post("/v1/openrlhf/reward", body.dump(), "application/json");
  ASSERT_TRUE(array_label);
  EXPECT_EQ(array_label->status, 400) << array_label->body;
  EXPECT_NE(ErrorOf(array_label->body).find("\"labels\"[2] must be a string, number or object"),
            std::string::npos) << array_label->body;

  // The prompt (here holding the gold answer) must be found in its query: otherwise the whole query,
  // prompt included, would be verified.
  nlohmann::json missing_prompt = {{"query", {"Q: is it 42? A: \\boxed{42}", "Q: what is it? A: no idea"}},
                                   {"prompts", {"Q: is it 42? A: ", "Q: is it 42? A: "}},
                                   {"labels", {"42", "42"}}};
  auto refused = http.Post("/v1/openrlhf/reward", missing_prompt.dump(), "application/json");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 400) << refused->body;
  EXPECT_NE(ErrorOf(refused->body).find("sample 1: \"query\"[1] does not contain \"prompts\"[1]"),
            std::string::npos) << refused->body;
  // An empty prompt verifies the whole query.
  missing_prompt["prompts"][1] = "";
  auto whole = http.Post("/v1/openrlhf/reward", missing_prompt.dump(), "application/json");
  ASSERT_TRUE(whole);
  ASSERT_EQ(whole->status, 200) << whole->body;
  EXPECT_EQ(nlohmann::json::parse(whole->body)["rewards"], nlohmann::json::array({1.0, 0.0}));

  for (const char* not_json : {"query=a&labels=1", "", "[\"a\"]", "{\"query\": [\"a\"], "}) {
    auto res = http.Post("/v1/openrlhf/reward", not_json, "application/json");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 400) << not_json << " -> " << res->body;
    EXPECT_EQ(nlohmann::json::parse(res->body)["code"], "INVALID_ARGUMENT") << res->body;
  }
}

// A format term "think" (weight 0.5) and an overlong penalty (max 100 tokens, buffer 20, weight 1).
constexpr char kRewardSpecJson[] =
    R"({"format": [{"name": "think", "pattern": "(?s)<think>.*</think>.*", "weight": 0.5}],
        "length": {"max_tokens": 100, "buffer_tokens": 20}})";

TEST_F(VerifierServerTest, RewardSpecComponentsOverGrpcAndHttp) {
  const std::vector<std::string> responses = {"<think>2+2</think> \\boxed{4}", "\\boxed{4}",
                                              "<think>hm</think> \\boxed{5}"};
  const std::vector<uint32_t> lengths = {10, 90, 200};
  const std::vector<double> totals = {1.5, 0.5, -0.5};  // see VerifierEngineTest

  v1::VerifyRequest request = MathGroup("g", "4", responses);
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(kRewardSpecJson, request.mutable_reward_spec()).ok());
  for (uint32_t n : lengths) request.add_response_lengths(n);
  auto grpc = client_->Verify(request, absl::Seconds(10));
  ASSERT_TRUE(grpc.ok()) << grpc.status();
  ASSERT_EQ(grpc->rewards_size(), 3);
  for (int i = 0; i < 3; ++i) EXPECT_DOUBLE_EQ(grpc->rewards(i).total(), totals[i]) << i;

  // POST /v1/verify takes the same fields in JSON.
  httplib::Client http("127.0.0.1", server_->http_port());
  nlohmann::json verify = {{"request_id", "h"},
                           {"problem", {{"kind", "PROBLEM_KIND_MATH"}, {"math", {{"gold", "4"}}}}},
                           {"responses", responses},
                           {"reward_spec", nlohmann::json::parse(kRewardSpecJson)},
                           {"response_lengths", lengths}};
  auto res = http.Post("/v1/verify", verify.dump(), "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  auto out = nlohmann::json::parse(res->body);
  ASSERT_EQ(out["rewards"].size(), 3u) << res->body;
  EXPECT_EQ(out["rewards"][1]["components"][2]["name"], "overlong");
  EXPECT_DOUBLE_EQ(out["rewards"][1]["components"][2]["value"].get<double>(), -0.5);

  // OpenRLHF: the rewards are the totals; every term is logged.
  nlohmann::json body = {{"query", responses},
                         {"labels", {"4", "4", "4"}},
                         {"reward_spec", nlohmann::json::parse(kRewardSpecJson)},
                         {"response_lengths", lengths}};
  res = http.Post("/v1/openrlhf/reward", body.dump(), "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  out = nlohmann::json::parse(res->body);
  for (int i = 0; i < 3; ++i) {
    EXPECT_DOUBLE_EQ(out["rewards"][i].get<double>(), grpc->rewards(i).total()) << i;
  }
  EXPECT_EQ(out["extra_logs"]["rlvr_score"], nlohmann::json::array({1.0, 1.0, 0.0}));
  EXPECT_EQ(out["extra_logs"]["rlvr_reward_correctness"], nlohmann::json::array({1.0, 1.0, 0.0}));
  EXPECT_EQ(out["extra_logs"]["rlvr_reward_think"], nlohmann::json::array({0.5, 0.0, 0.5}));
  EXPECT_EQ(out["extra_logs"]["rlvr_reward_overlong"], nlohmann::json::array({0.0, -0.5, -1.0}));

  // Bad specs and lengths are 400s naming the field.
  struct Bad {
    nlohmann::json patch;
    const char* message;
  } bad[] = {
      {{{"reward_spec", {{"format", {{{"name", "broken"}, {"pattern", "(unclosed"}}}}}}}, "broken"},
      {{{"reward_spec", {{"bogus", 1}}}}, "\"reward_spec\" is not a RewardSpec"},
      {{{"reward_spec", 3}}, "\"reward_spec\" must be an object"},
      {{{"response_lengths", {1, 2}}}, "\"response_lengths\" must be an array of 3"},
      {{{"response_lengths", {1, -2, 3}}}, "\"response_lengths\"[1] is -2"},
      {{{"response_lengths", nullptr}}, "response_lengths must give each response's length"},  // removed
  };
  for (const Bad& b : bad) {
    nlohmann::json patched = body;
    patched.merge_patch(b.patch);  // RFC 7386: null removes the key
    auto refused = http.Post("/v1/openrlhf/reward", patched.dump(), "application/json");
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 400) << b.patch.dump() << " -> " << refused->body;
    EXPECT_NE(ErrorOf(refused->body).find(b.message), std::string::npos) << refused->body;
  }
}

TEST(VerifierServerRewardSpecTest, ServerSpecAppliesToOpenRlhfRequestsWithoutOne) {
  VerifierServerOptions options;
  options.grpc_port = 0;
  options.http_port = 0;
  v1::RewardSpec spec;
  v1::FormatTerm* think = spec.add_format();
  think->set_name("think");
  think->set_pattern("(?s)<think>.*</think>.*");  // weight unset: 1
  options.http_reward_spec = spec;
  auto server = VerifierServer::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  httplib::Client http("127.0.0.1", (*server)->http_port());
  nlohmann::json body = {{"query", {"<think>x</think> \\boxed{4}", "\\boxed{4}"}}, {"labels", {"4", "4"}}};
  auto res = http.Post("/v1/openrlhf/reward", body.dump(), "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  auto out = nlohmann::json::parse(res->body);
  EXPECT_EQ(out["rewards"], nlohmann::json::array({2.0, 1.0}));
  EXPECT_EQ(out["extra_logs"]["rlvr_reward_think"], nlohmann::json::array({1.0, 0.0}));

  think->set_pattern("(unclosed");
  options.http_reward_spec = spec;
  auto refused = VerifierServer::Start(options);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("http_reward_spec"), std::string::npos) << refused.status();
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
  EXPECT_NE(ErrorOf(no_label->body).find("\"label\" must be a string, number or object (code tests), got null"),
            std::string::npos);
  auto bad = http.Post("/v1/slime/reward", R"({"response": 3, "label": "4"})", "application/json");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  EXPECT_NE(ErrorOf(bad->body).find("\"response\" must be a string"), std::string::npos);
  for (const char* not_json : {"response=4&label=4", "", "4", "{\"response\": "}) {
    auto res = http.Post("/v1/slime/reward", not_json, "application/json");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 400) << not_json << " -> " << res->body;
    EXPECT_EQ(nlohmann::json::parse(res->body)["code"], "INVALID_ARGUMENT") << res->body;
  }
}

TEST_F(VerifierServerTest, SlimeCodeLabels) {
  httplib::Client http("127.0.0.1", server_->http_port());
  http.set_read_timeout(60);
  const nlohmann::json label_object = nlohmann::json::parse(kDoubleLabel);
  const double expected[] = {1.0, 0.5, 0.0};
  for (size_t i = 0; i < kDoublePrograms.size(); ++i) {
    // The label as an object and as its JSON text.
    for (const nlohmann::json& label : {label_object, nlohmann::json(kDoubleLabel)}) {
      nlohmann::json body = {{"prompt", "double it"}, {"response", kDoublePrograms[i]}, {"label", label}};
      auto res = http.Post("/v1/slime/reward", body.dump(), "application/json");
      ASSERT_TRUE(res);
      ASSERT_EQ(res->status, 200) << res->body;
      EXPECT_EQ(nlohmann::json::parse(res->body), expected[i]) << i << " " << label.dump();
    }
  }
  nlohmann::json bad = {{"response", kDoublePrograms[0]}, {"label", {{"tests", {{"type", 7}}}}}};
  auto res = http.Post("/v1/slime/reward", bad.dump(), "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400) << res->body;
  EXPECT_NE(ErrorOf(res->body).find("\"label\": code label: tests.type"),
            std::string::npos) << res->body;
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
