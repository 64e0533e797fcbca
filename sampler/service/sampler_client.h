// A client of rlvr.v1.Sampler: a deadline on every call; weight updates streamed chunk by chunk.
#ifndef RLVR_SAMPLER_SERVICE_SAMPLER_CLIENT_H_
#define RLVR_SAMPLER_SERVICE_SAMPLER_CLIENT_H_

#include <grpcpp/channel.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "model/tensor.h"
#include "rlvr/v1/sampler.grpc.pb.h"

namespace rlvr::sampler {

// The wire spelling of a dtype: "f32", "bf16", "f16".
std::string WireDTypeName(model::DType dtype);

// `tensors` as the chunks of one update: each tensor encoded as `dtype`, split into chunks of at
// most `chunk_bytes` data bytes (any split; elements may straddle chunks), the last chunk marked
// `last`. No tensors: the single version-only marker. Holds every chunk at once: for big models
// use SamplerClient::PublishWeights, which encodes as it streams.
std::vector<v1::WeightChunk> WeightChunks(uint64_t version,
                                          const std::map<std::string, model::Tensor>& tensors,
                                          model::DType dtype, size_t chunk_bytes);

class SamplerClient {
 public:
  // Connects lazily to `target` ("host:port").
  explicit SamplerClient(const std::string& target, int max_message_bytes = 256 << 20);
  explicit SamplerClient(std::shared_ptr<grpc::Channel> channel);

  // Every response of one Generate call in arrival order; the server's status as is. The call's
  // deadline is now + `timeout`.
  absl::StatusOr<std::vector<v1::GenerateResponse>> Generate(const v1::GenerateRequest& request,
                                                             absl::Duration timeout);
  // Sends `chunks` as they are (the caller vouches for them) and returns the version serving.
  absl::StatusOr<uint64_t> UpdateWeights(const std::vector<v1::WeightChunk>& chunks,
                                         absl::Duration timeout);
  // Streams `tensors` as one update (see WeightChunks), encoding one chunk at a time.
  absl::StatusOr<uint64_t> PublishWeights(uint64_t version,
                                          const std::map<std::string, model::Tensor>& tensors,
                                          model::DType dtype, size_t chunk_bytes,
                                          absl::Duration timeout);
  absl::StatusOr<v1::GetInfoResponse> GetInfo(absl::Duration timeout);

 private:
  std::unique_ptr<v1::Sampler::Stub> stub_;
};

}  // namespace rlvr::sampler

#endif  // RLVR_SAMPLER_SERVICE_SAMPLER_CLIENT_H_
