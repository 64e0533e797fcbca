// The gRPC service over a scripted sampler: conversions, streaming, cancellation, and the weight
// update contract chunk by chunk (every violation refused, with a message naming it).
#include "sampler/service/sampler_service.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/security/credentials.h>

#include <future>
#include <set>
#include <thread>

#include "gtest/gtest.h"
#include "sampler/service/fake_sampler.h"
#include "sampler/service/sampler_client.h"
#include "sampler/service/sampler_server.h"

namespace rlvr::sampler {
namespace {

using testing::FakeSampler;

TEST(SamplerServiceConversionTest, ProtoZeroValuesMeanDefaults) {
  v1::GenerateRequest request;
  request.set_prompt("hi");
  request.set_n(3);
  GenerationRequest r = FromProto(request);
  EXPECT_EQ(r.prompt, "hi");
  EXPECT_EQ(r.n, 3);
  EXPECT_EQ(r.sampling.temperature, 0.0f);  // proto: 0 = greedy
  EXPECT_EQ(r.sampling.top_p, 1.0f);        // 0 = off
  EXPECT_EQ(r.sampling.max_tokens, 16);     // 0 = default
  EXPECT_FALSE(r.sampling.seed.has_value());
  EXPECT_FALSE(r.sampling.logprobs);

  v1::SamplingParams* p = request.mutable_sampling();
  p->set_temperature(0.7f);
  p->set_top_p(0.9f);
  p->set_top_k(40);
  p->set_min_p(0.05f);
  p->set_max_tokens(32);
  p->add_stop("\n\n");
  p->add_stop_token_ids(7);
  p->set_seed(0);  // present and zero: a seed
  p->set_logprobs(true);
  request.add_prompt_token_ids(5);
  request.set_model("m");
  request.set_n(0xFFFFFFFFu);
  r = FromProto(request);
  EXPECT_EQ(r.n, std::numeric_limits<int32_t>::max());
  EXPECT_EQ(r.prompt_token_ids, std::vector<int32_t>{5});
  EXPECT_EQ(r.model, "m");
  EXPECT_FLOAT_EQ(r.sampling.temperature, 0.7f);
  EXPECT_FLOAT_EQ(r.sampling.top_p, 0.9f);
  EXPECT_EQ(r.sampling.top_k, 40);
  EXPECT_FLOAT_EQ(r.sampling.min_p, 0.05f);
  EXPECT_EQ(r.sampling.max_tokens, 32);
  EXPECT_EQ(r.sampling.stop, std::vector<std::string>{"\n\n"});
  EXPECT_EQ(r.sampling.stop_token_ids, std::vector<int32_t>{7});
  ASSERT_TRUE(r.sampling.seed.has_value());
  EXPECT_EQ(*r.sampling.seed, 0u);
  EXPECT_TRUE(r.sampling.logprobs);
}

TEST(SamplerServiceConversionTest, SampleAndInfoToProto) {
  SampleResult s;
  s.index = 2;
  s.token_ids = {1, 2, 3};
  s.text = "abc";
  s.logprobs = {-0.5f, -1.0f, -2.0f};
  s.sampling_logprobs = {-0.25f, -0.5f, -1.0f};
  s.finish_reason = FinishReason::kStop;
  s.policy_version = 9;
  const v1::Sample p = ToProto(s);
  EXPECT_EQ(p.index(), 2u);
  EXPECT_EQ(p.text(), "abc");
  ASSERT_EQ(p.token_ids_size(), 3);
  EXPECT_EQ(p.token_ids(2), 3);
  ASSERT_EQ(p.logprobs_size(), 3);
  EXPECT_EQ(p.logprobs(1), -1.0f);
  ASSERT_EQ(p.sampling_logprobs_size(), 3);
  EXPECT_EQ(p.finish_reason(), v1::FINISH_REASON_STOP);
  EXPECT_EQ(p.policy_version(), 9u);
  s.text = "ok \xE2\x82";  // a sample cut inside a 3-byte character
  EXPECT_EQ(ToProto(s).text(), "ok \xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(ToProto(FinishReason::kLength), v1::FINISH_REASON_LENGTH);
  EXPECT_EQ(ToProto(FinishReason::kAborted), v1::FINISH_REASON_ABORTED);

  const v1::GetInfoResponse info = ToProto(SamplerInfo{"m", 4, "cpu", 8, 64, int64_t{1} << 40});
  EXPECT_EQ(info.model(), "m");
  EXPECT_EQ(info.policy_version(), 4u);
  EXPECT_EQ(info.context_length(), 0xFFFFFFFFu);  // saturated
}

class SamplerServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto fake = std::make_unique<FakeSampler>();
    fake_ = fake.get();
    SamplerServerOptions options;
    options.grpc_port = 0;
    options.http_port = -1;
    options.service.max_update_bytes = 1 << 20;
    auto server = SamplerServer::Start(std::move(fake), options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    client_ = std::make_unique<SamplerClient>(server_->grpc_target());
  }

  v1::GenerateRequest Request(const std::string& id, uint32_t n, int32_t max_tokens = 4) {
    v1::GenerateRequest request;
    request.set_request_id(id);
    request.set_prompt("the prompt");
    request.set_n(n);
    request.mutable_sampling()->set_temperature(1.0f);
    request.mutable_sampling()->set_max_tokens(max_tokens);
    request.mutable_sampling()->set_seed(11);
    return request;
  }

  // Asserts that a plain request is still served.
  void ExpectServing() {
    auto responses = client_->Generate(Request("still", 2), absl::Seconds(10));
    ASSERT_TRUE(responses.ok()) << responses.status();
    EXPECT_EQ(responses->size(), 2u);
  }

  std::map<std::string, model::Tensor> Tensors() {
    return {{"layer.a", {{2, 3}, {0.5f, -1.0f, 2.0f, 0.25f, -0.125f, 3.0f}}},
            {"layer.b", {{5}, {1.0f, 2.0f, -4.0f, 0.0f, 1.5f}}}};
  }

  // Sends `chunks` and expects the update refused with `code` and a message containing `what`;
  // the sampler must not have been updated.
  void ExpectRefused(const std::vector<v1::WeightChunk>& chunks, absl::StatusCode code,
                     const std::string& what) {
    const int before = fake_->updates();
    const uint64_t version = fake_->Info().policy_version;
    auto result = client_->UpdateWeights(chunks, absl::Seconds(10));
    EXPECT_EQ(result.status().code(), code) << result.status();
    EXPECT_NE(result.status().message().find(what), std::string::npos) << result.status();
    EXPECT_EQ(fake_->updates(), before);
    EXPECT_EQ(fake_->Info().policy_version, version);
  }

  FakeSampler* fake_ = nullptr;
  std::unique_ptr<SamplerServer> server_;
  std::unique_ptr<SamplerClient> client_;
};

TEST_F(SamplerServiceTest, GenerateStreamsEverySample) {
  auto responses = client_->Generate(Request("r1", 4), absl::Seconds(10));
  ASSERT_TRUE(responses.ok()) << responses.status();
  ASSERT_EQ(responses->size(), 4u);
  GenerationRequest domain = FromProto(Request("r1", 4));
  std::set<uint32_t> indices;
  for (const v1::GenerateResponse& r : *responses) {
    EXPECT_EQ(r.request_id(), "r1");
    EXPECT_EQ(r.prompt_tokens(), 10u);
    indices.insert(r.sample().index());
    const SampleResult expected = FakeSampler::Expected(domain, r.sample().index(), 1);
    EXPECT_EQ(r.sample().text(), expected.text);
    EXPECT_EQ(std::vector<int32_t>(r.sample().token_ids().begin(), r.sample().token_ids().end()),
              expected.token_ids);
    EXPECT_EQ(r.sample().policy_version(), 1u);
    EXPECT_EQ(r.sample().finish_reason(),
              r.sample().index() % 2 ? v1::FINISH_REASON_STOP : v1::FINISH_REASON_LENGTH);
  }
  EXPECT_EQ(indices, (std::set<uint32_t>{0, 1, 2, 3}));
  // The sampler saw a faithful conversion.
  EXPECT_EQ(fake_->last_request().sampling.seed, std::optional<uint64_t>(11));
}

TEST_F(SamplerServiceTest, RefusedRequestsGetTheSamplersStatus) {
  auto zero = client_->Generate(Request("z", 0), absl::Seconds(10));
  EXPECT_EQ(zero.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(zero.status().message().find("n is 0"), std::string::npos) << zero.status();
  v1::GenerateRequest unknown = Request("u", 1);
  unknown.set_model("gpt-17");
  auto not_found = client_->Generate(unknown, absl::Seconds(10));
  EXPECT_EQ(not_found.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(not_found.status().message().find("gpt-17"), std::string::npos);
  fake_->Refuse(absl::ResourceExhaustedError("queue is full"));
  auto full = client_->Generate(Request("f", 1), absl::Seconds(10));
  EXPECT_EQ(full.status().code(), absl::StatusCode::kResourceExhausted);
  fake_->Refuse(absl::OkStatus());
  ExpectServing();
}

TEST_F(SamplerServiceTest, ClientCancelMidStreamCancelsTheRequest) {
  fake_->Hold(true);
  auto stub = v1::Sampler::NewStub(
      grpc::CreateChannel(server_->grpc_target(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  auto reader = stub->Generate(&context, Request("c", 4));
  v1::GenerateResponse first;
  ASSERT_TRUE(reader->Read(&first));
  EXPECT_EQ(first.sample().index(), 0u);
  ASSERT_TRUE(fake_->WaitHeld(1));
  context.TryCancel();
  v1::GenerateResponse more;
  while (reader->Read(&more)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
  for (int i = 0; i < 200 && fake_->cancels() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(fake_->cancels(), 1);
  fake_->Hold(false);
  ExpectServing();
}

TEST_F(SamplerServiceTest, DeadlineCancelsTheRequest) {
  fake_->Hold(true);
  auto result = client_->Generate(Request("d", 3), absl::Milliseconds(300));
  EXPECT_EQ(result.status().code(), absl::StatusCode::kDeadlineExceeded) << result.status();
  for (int i = 0; i < 200 && fake_->cancels() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(fake_->cancels(), 1);
  fake_->Hold(false);
  ExpectServing();
}

TEST_F(SamplerServiceTest, ManyConcurrentStreams) {
  std::vector<std::future<int>> results;
  for (int t = 0; t < 6; ++t) {
    results.push_back(std::async(std::launch::async, [this, t] {
      SamplerClient client(server_->grpc_target());
      int samples = 0;
      for (int i = 0; i < 20; ++i) {
        auto r =
            client.Generate(Request(absl::StrCat(t, "-", i), 1 + (i % 8), 8), absl::Seconds(30));
        if (r.ok()) samples += static_cast<int>(r->size());
      }
      return samples;
    }));
  }
  int expected = 0;
  for (int i = 0; i < 20; ++i) expected += 1 + (i % 8);
  for (auto& r : results) EXPECT_EQ(r.get(), expected);
}

TEST_F(SamplerServiceTest, GetInfo) {
  auto info = client_->GetInfo(absl::Seconds(10));
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->model(), "fake");
  EXPECT_EQ(info->policy_version(), 1u);
  EXPECT_EQ(info->backend(), "fake");
  EXPECT_EQ(info->max_n(), 8u);
  EXPECT_EQ(info->max_tokens(), 64u);
  EXPECT_EQ(info->context_length(), 128u);
}

TEST_F(SamplerServiceTest, UpdateAssemblesTensorsFromAnySplit) {
  uint64_t version = 1;
  for (model::DType dtype : {model::DType::kF32, model::DType::kBF16, model::DType::kF16}) {
    for (size_t chunk_bytes : {1, 3, 5, 7, 64, 1 << 20}) {
      ++version;
      auto result =
          client_->PublishWeights(version, Tensors(), dtype, chunk_bytes, absl::Seconds(10));
      ASSERT_TRUE(result.ok()) << result.status() << " dtype " << WireDTypeName(dtype) << " chunk "
                               << chunk_bytes;
      EXPECT_EQ(*result, version);
      const WeightUpdate update = fake_->last_update();
      EXPECT_EQ(update.version, version);
      ASSERT_EQ(update.tensors.size(), 2u);
      for (const auto& [name, tensor] : Tensors()) {
        ASSERT_EQ(update.tensors.count(name), 1u) << name;
        EXPECT_EQ(update.tensors.at(name).shape, tensor.shape) << name;
        EXPECT_EQ(update.tensors.at(name).data, tensor.data) << name;  // exact in every dtype
      }
    }
  }
  auto info = client_->GetInfo(absl::Seconds(10));
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->policy_version(), version);
  auto responses = client_->Generate(Request("after", 2), absl::Seconds(10));
  ASSERT_TRUE(responses.ok());
  for (const auto& r : *responses) EXPECT_EQ(r.sample().policy_version(), version);
}

TEST_F(SamplerServiceTest, VersionOnlyUpdate) {
  auto result = client_->PublishWeights(5, {}, model::DType::kF32, 64, absl::Seconds(10));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(*result, 5u);
  EXPECT_TRUE(fake_->last_update().tensors.empty());
  EXPECT_EQ(fake_->Info().policy_version, 5u);
}

TEST_F(SamplerServiceTest, EveryContractViolationIsRefused) {
  using Code = absl::StatusCode;
  const auto good = [&] { return WeightChunks(2, Tensors(), model::DType::kF32, 8); };
  // layer.a: 24 bytes in chunks 0..2; layer.b: 20 bytes in chunks 3..5 (the last).
  ASSERT_EQ(good().size(), 6u);

  ExpectRefused({}, Code::kInvalidArgument, "the update has no chunks");
  {
    auto c = good();
    c[1].set_version(3);
    ExpectRefused(c, Code::kInvalidArgument, "chunk 2 (tensor layer.a) has version 3");
  }
  {
    auto c = good();
    for (auto& chunk : c) chunk.set_version(1);
    ExpectRefused(c, Code::kInvalidArgument, "version 1 is not above the serving version 1");
  }
  {
    auto c = good();
    c[1].set_offset(9);
    ExpectRefused(c, Code::kInvalidArgument, "chunk 2 of tensor layer.a has offset 9; expected 8");
  }
  {
    auto c = good();
    c[0].clear_shape();
    ExpectRefused(c, Code::kInvalidArgument, "chunk 1 starts tensor layer.a but has no shape");
  }
  {
    auto c = good();
    c[0].set_dtype("f64");
    ExpectRefused(c, Code::kInvalidArgument, "tensor layer.a has dtype \"f64\"");
  }
  {
    auto c = good();
    c[0].set_dtype("");
    ExpectRefused(c, Code::kInvalidArgument, "tensor layer.a has dtype \"\"");
  }
  {
    auto c = good();
    c[0].clear_shape();
    c[0].add_shape(0);
    c[0].add_shape(3);
    ExpectRefused(c, Code::kInvalidArgument, "tensor layer.a has shape [0, 3]");
  }
  {
    auto c = good();
    c[0].set_offset(4);
    ExpectRefused(c, Code::kInvalidArgument, "tensor layer.a starts at offset 4");
  }
  {
    auto c = good();
    c[2].mutable_data()->append("xxxx");
    ExpectRefused(c, Code::kInvalidArgument,
                  "chunk 3 of tensor layer.a ends at byte 28, past the "
                  "tensor's 24 bytes");
  }
  {
    auto c = good();
    c.erase(c.begin() + 2);  // layer.a loses its last 8 bytes
    ExpectRefused(
        c, Code::kInvalidArgument,
        "tensor layer.a is truncated: chunk 3 starts tensor layer.b after 16 of its 24 bytes");
  }
  {
    auto c = good();
    c.back().mutable_data()->resize(2);
    ExpectRefused(
        c, Code::kInvalidArgument,
        "tensor layer.b is truncated: the update ends at chunk 6 after 18 of its 20 bytes");
  }
  {
    auto c = good();
    c.back().set_last(false);
    ExpectRefused(c, Code::kInvalidArgument,
                  "the update ended after 6 chunks without one with last=true");
  }
  {
    auto c = good();
    c.push_back(c.back());
    ExpectRefused(c, Code::kInvalidArgument, "chunk 7 follows the chunk with last=true");
  }
  {
    auto c = good();
    v1::WeightChunk again = c[0];
    c.back().set_last(false);
    again.set_last(true);
    c.push_back(again);
    ExpectRefused(c, Code::kInvalidArgument, "tensor layer.a appears again at chunk 7");
  }
  {
    auto c = good();
    c[1].set_dtype("f16");
    ExpectRefused(c, Code::kInvalidArgument,
                  "chunk 2 of tensor layer.a has dtype \"f16\"; its first "
                  "chunk had f32");
  }
  {
    auto c = good();
    c[1].add_shape(3);
    c[1].add_shape(2);
    ExpectRefused(c, Code::kInvalidArgument,
                  "chunk 2 of tensor layer.a has shape [3, 2]; its first "
                  "chunk had [2, 3]");
  }
  {
    auto c = good();
    c[1].set_tensor_name("");
    ExpectRefused(c, Code::kInvalidArgument,
                  "chunk 2 has data, shape, dtype or offset but no tensor_name");
  }
  {  // The sampler's own checks: unknown name, wrong shape.
    std::map<std::string, model::Tensor> unknown = Tensors();
    unknown["layer.zzz"] = {{1}, {1.0f}};
    ExpectRefused(WeightChunks(2, unknown, model::DType::kBF16, 16), Code::kInvalidArgument,
                  "names tensor \"layer.zzz\"");
    std::map<std::string, model::Tensor> wrong = {{"layer.b", {{6}, {1, 2, 3, 4, 5, 6}}}};
    ExpectRefused(WeightChunks(2, wrong, model::DType::kF16, 16), Code::kInvalidArgument,
                  "tensor \"layer.b\" has shape [6]");
  }
  {  // Past the byte budget (1 MiB as f32): refused before the memory is taken.
    v1::WeightChunk chunk;
    chunk.set_version(2);
    chunk.set_tensor_name("layer.c");
    chunk.add_shape(1024);
    chunk.add_shape(1024);
    chunk.set_dtype("bf16");
    chunk.set_data(std::string(16, '\0'));
    ExpectRefused({chunk}, Code::kResourceExhausted,
                  "tensor layer.c of shape [1024, 1024] needs 4194304 bytes");
  }
  ExpectServing();
  // A good update still goes through after all of that.
  auto ok = client_->UpdateWeights(good(), absl::Seconds(10));
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(*ok, 2u);
}

// grpc.health.v1.Health/Check over a generic stub: the empty request; the response's field 1
// (status) is SERVING = 1, i.e. bytes 08 01.
TEST_F(SamplerServiceTest, HealthCheckSaysServing) {
  auto channel = grpc::CreateChannel(server_->grpc_target(), grpc::InsecureChannelCredentials());
  grpc::GenericStub stub(channel);
  grpc::CompletionQueue cq;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::Slice empty;
  grpc::ByteBuffer request(&empty, 1);
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

// grpc.reflection.v1alpha.ServerReflection: list_services (field 7) names rlvr.v1.Sampler.
TEST_F(SamplerServiceTest, ReflectionListsTheSampler) {
  auto channel = grpc::CreateChannel(server_->grpc_target(), grpc::InsecureChannelCredentials());
  grpc::GenericStub stub(channel);
  grpc::CompletionQueue cq;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  auto call = stub.PrepareCall(
      &context, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &cq);
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
  EXPECT_NE(bytes.find("rlvr.v1.Sampler"), std::string::npos);
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

}  // namespace
}  // namespace rlvr::sampler
