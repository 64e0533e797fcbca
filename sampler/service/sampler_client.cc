#include "sampler/service/sampler_client.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <algorithm>
#include <functional>

#include "common/grpc_status.h"

namespace rlvr::sampler {
namespace {

// Calls `emit` with each chunk of the update in order; stops early when `emit` returns false.
// Returns false when it stopped early.
bool ForEachChunk(uint64_t version, const std::map<std::string, model::Tensor>& tensors,
                  model::DType dtype, size_t chunk_bytes,
                  const std::function<bool(v1::WeightChunk&)>& emit) {
  chunk_bytes = std::max<size_t>(chunk_bytes, 1);
  const std::string dtype_name = WireDTypeName(dtype);
  if (tensors.empty()) {
    v1::WeightChunk marker;
    marker.set_version(version);
    marker.set_last(true);
    return emit(marker);
  }
  size_t remaining_tensors = tensors.size();
  for (const auto& [name, tensor] : tensors) {
    --remaining_tensors;
    const std::string bytes = model::EncodeElements(dtype, tensor.data);
    size_t offset = 0;
    do {
      const size_t size = std::min(chunk_bytes, bytes.size() - offset);
      v1::WeightChunk chunk;
      chunk.set_version(version);
      chunk.set_tensor_name(name);
      if (offset == 0) {
        chunk.mutable_shape()->Assign(tensor.shape.begin(), tensor.shape.end());
        chunk.set_dtype(dtype_name);
      }
      chunk.set_offset(offset);
      chunk.set_data(bytes.substr(offset, size));
      offset += size;
      chunk.set_last(remaining_tensors == 0 && offset == bytes.size());
      if (!emit(chunk)) return false;
    } while (offset < bytes.size());
  }
  return true;
}

}  // namespace

std::string WireDTypeName(model::DType dtype) {
  switch (dtype) {
    case model::DType::kF32:
      return "f32";
    case model::DType::kF16:
      return "f16";
    case model::DType::kBF16:
      return "bf16";
  }
  return "f32";
}

std::vector<v1::WeightChunk> WeightChunks(uint64_t version,
                                          const std::map<std::string, model::Tensor>& tensors,
                                          model::DType dtype, size_t chunk_bytes) {
  std::vector<v1::WeightChunk> chunks;
  ForEachChunk(version, tensors, dtype, chunk_bytes, [&](v1::WeightChunk& chunk) {
    chunks.push_back(std::move(chunk));
    return true;
  });
  return chunks;
}

SamplerClient::SamplerClient(const std::string& target, int max_message_bytes) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(max_message_bytes);
  args.SetMaxSendMessageSize(max_message_bytes);
  stub_ = v1::Sampler::NewStub(
      grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args));
}

SamplerClient::SamplerClient(std::shared_ptr<grpc::Channel> channel)
    : stub_(v1::Sampler::NewStub(std::move(channel))) {}

absl::StatusOr<std::vector<v1::GenerateResponse>> SamplerClient::Generate(
    const v1::GenerateRequest& request, absl::Duration timeout) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  auto reader = stub_->Generate(&context, request);
  std::vector<v1::GenerateResponse> responses;
  v1::GenerateResponse response;
  while (reader->Read(&response)) responses.push_back(std::move(response));
  grpc::Status status = reader->Finish();
  if (!status.ok()) return FromGrpcStatus(status);
  return responses;
}

absl::StatusOr<uint64_t> SamplerClient::UpdateWeights(const std::vector<v1::WeightChunk>& chunks,
                                                      absl::Duration timeout) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  v1::UpdateWeightsResponse response;
  auto writer = stub_->UpdateWeights(&context, &response);
  for (const v1::WeightChunk& chunk : chunks) {
    if (!writer->Write(chunk)) break;  // the server ended the call: Finish has its status
  }
  writer->WritesDone();
  grpc::Status status = writer->Finish();
  if (!status.ok()) return FromGrpcStatus(status);
  return response.version();
}

absl::StatusOr<uint64_t> SamplerClient::PublishWeights(
    uint64_t version, const std::map<std::string, model::Tensor>& tensors, model::DType dtype,
    size_t chunk_bytes, absl::Duration timeout) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  v1::UpdateWeightsResponse response;
  auto writer = stub_->UpdateWeights(&context, &response);
  ForEachChunk(version, tensors, dtype, chunk_bytes,
               [&](v1::WeightChunk& chunk) { return writer->Write(chunk); });
  writer->WritesDone();
  grpc::Status status = writer->Finish();
  if (!status.ok()) return FromGrpcStatus(status);
  return response.version();
}

absl::StatusOr<v1::GetInfoResponse> SamplerClient::GetInfo(absl::Duration timeout) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  v1::GetInfoResponse response;
  grpc::Status status = stub_->GetInfo(&context, v1::GetInfoRequest(), &response);
  if (!status.ok()) return FromGrpcStatus(status);
  return response;
}

}  // namespace rlvr::sampler
