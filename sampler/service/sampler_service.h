// rlvr.v1.Sampler over gRPC (callback API). Converts proto <-> domain and absl::Status ->
// grpc::Status; the Sampler does the work on its own threads, and reactions never block.
//
// Generate streams one GenerateResponse per sample as it finishes, written one at a time (the rest
// wait in the call's queue, at most n of them); a client that cancels, or whose deadline passes,
// cancels the request in the sampler.
//
// UpdateWeights assembles the streamed WeightChunks into tensors (see the contract at
// UpdateWeights below) and hands the whole update to Sampler::UpdateWeights on a one-thread pool,
// so a malformed stream is refused before the sampler sees any of it.
#ifndef RLVR_SAMPLER_SERVICE_SAMPLER_SERVICE_H_
#define RLVR_SAMPLER_SERVICE_SAMPLER_SERVICE_H_

#include <atomic>
#include <cstdint>
#include <memory>

#include "common/metrics.h"
#include "common/thread_pool.h"
#include "rlvr/v1/sampler.grpc.pb.h"
#include "sampler/sampler.h"

namespace rlvr::sampler {

struct SamplerServiceOptions {
  // Bytes that weight updates being received may hold at once, counted as the f32 tensors they
  // decode to (all concurrent UpdateWeights streams together). A stream whose declared tensors go
  // past it is refused with RESOURCE_EXHAUSTED before the memory is taken.
  int64_t max_update_bytes = int64_t{64} << 30;
  // Assembled updates waiting for Sampler::UpdateWeights; beyond: RESOURCE_EXHAUSTED.
  size_t max_pending_updates = 4;
};

// Proto <-> domain conversions (exposed for tests and for the HTTP layer's symmetry).
// Proto3 zero values mean "unset": top_p 0 becomes 1 (off) and max_tokens 0 the default (16);
// temperature 0 stays 0 (greedy), as the proto documents. n above INT32_MAX saturates (and is then
// refused by the sampler as above its max_n). A sample's text goes out as valid UTF-8 (broken bytes
// become U+FFFD), as proto3 strings must be; its token_ids are exact.
GenerationRequest FromProto(const v1::GenerateRequest& request);
v1::Sample ToProto(const SampleResult& sample);
v1::FinishReason ToProto(FinishReason reason);
v1::GetInfoResponse ToProto(const SamplerInfo& info);

class SamplerService final : public v1::Sampler::CallbackService {
 public:
  // `sampler` and `metrics` must outlive the service; the service must outlive the gRPC server's
  // shutdown (which waits for every call to finish).
  SamplerService(Sampler* sampler, MetricsRegistry* metrics,
                 const SamplerServiceOptions& options = {});
  ~SamplerService() override;

  grpc::ServerWriteReactor<v1::GenerateResponse>* Generate(
      grpc::CallbackServerContext* context, const v1::GenerateRequest* request) override;

  // The update's chunks, in order: every chunk carries the same `version`. A tensor's chunks are
  // consecutive; its first chunk has offset 0, a non-empty `shape` (every dimension >= 1) and a
  // `dtype` ("f32", "bf16", "f16"); later chunks continue at the byte where the previous one ended
  // and repeat shape and dtype or leave them empty. A tensor ends with exactly numel * dtype size
  // bytes. The chunk with `last` ends the update (it may carry data, or be a bare marker with no
  // tensor: a version-only update is that single marker); the client then half-closes. Every
  // violation is INVALID_ARGUMENT naming the chunk, the tensor and the value; the sampler keeps
  // serving the weights it had.
  grpc::ServerReadReactor<v1::WeightChunk>* UpdateWeights(
      grpc::CallbackServerContext* context, v1::UpdateWeightsResponse* response) override;

  grpc::ServerUnaryReactor* GetInfo(grpc::CallbackServerContext* context,
                                    const v1::GetInfoRequest* request,
                                    v1::GetInfoResponse* response) override;

 private:
  class GenerateReactor;
  class UpdateReactor;

  Sampler* const sampler_;
  const SamplerServiceOptions options_;
  std::atomic<int64_t> update_bytes_{0};  // reserved by UpdateWeights streams in progress
  Counter& generate_requests_;
  Counter& generate_errors_;
  Counter& samples_;
  Counter& completion_tokens_;
  Counter& cancelled_;
  Counter& updates_;
  Counter& update_errors_;
  // Runs Sampler::UpdateWeights, which blocks until the weights serve. Declared last: destroyed
  // first, after the server's shutdown finished every call.
  std::unique_ptr<ThreadPool> update_pool_;
};

}  // namespace rlvr::sampler

#endif  // RLVR_SAMPLER_SERVICE_SAMPLER_SERVICE_H_
