// A running sampler: rlvr.v1.Sampler over gRPC (with health checking and reflection) and the HTTP
// endpoint (OpenAI-compatible /v1/completions and /v1/models, /metrics, /healthz) in front of one
// Sampler. Used by `rlvr-sampler`, the tests and the benchmarks.
#ifndef RLVR_SAMPLER_SERVICE_SAMPLER_SERVER_H_
#define RLVR_SAMPLER_SERVICE_SAMPLER_SERVER_H_

#include <grpcpp/server.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/http_server.h"
#include "common/metrics.h"
#include "sampler/sampler.h"
#include "sampler/service/openai_http.h"
#include "sampler/service/sampler_metrics.h"
#include "sampler/service/sampler_service.h"

namespace rlvr::sampler {

struct SamplerServerOptions {
  std::string host = "127.0.0.1";     // "0.0.0.0" to serve other machines
  int grpc_port = 50052;              // 0 = pick a free port
  int http_port = 8000;               // 0 = pick a free port; -1 = no HTTP
  int max_message_bytes = 256 << 20;  // gRPC message limit (weight chunks, long prompts)
  int http_threads = 64;              // /v1/completions calls served at once (each blocks a thread)
  SamplerServiceOptions service;
  OpenAiOptions openai;  // token_text: filled from the Engine's tokenizer if empty
  StatsFn stats;         // engine figures for /metrics: from the Engine if empty
};

class SamplerServer {
 public:
  // Serves `sampler`, which the server owns. When it is an Engine, its Stats() feed /metrics and
  // its tokenizer names tokens in OpenAI logprobs (unless the options say otherwise).
  // UNAVAILABLE when a port cannot be bound.
  static absl::StatusOr<std::unique_ptr<SamplerServer>> Start(std::unique_ptr<Sampler> sampler,
                                                              SamplerServerOptions options);
  ~SamplerServer();  // Shutdown(0s) if not shut down yet

  // Stops taking new calls, lets in-flight ones (gRPC and HTTP) finish for up to `grace`, then
  // cancels the rest. Idempotent. The sampler stays alive until the server is destroyed.
  void Shutdown(absl::Duration grace);
  // Blocks until Shutdown.
  void Wait();

  int grpc_port() const { return grpc_port_; }
  int http_port() const { return http_port_; }
  std::string grpc_target() const;  // "host:port" for a client
  std::string http_url() const;     // "http://host:port"
  Sampler& sampler() { return *sampler_; }
  MetricsRegistry& metrics() { return metrics_; }
  grpc::Server& grpc_server() { return *grpc_server_; }

 private:
  SamplerServer() = default;
  std::string Connectable(int port) const;

  // Destroyed bottom-up: HTTP and gRPC stop before what they use goes away, the sampler last.
  std::unique_ptr<Sampler> sampler_;
  std::string host_;
  MetricsRegistry metrics_;
  std::unique_ptr<SamplerMetrics> sampler_metrics_;
  std::unique_ptr<SamplerService> service_;
  std::unique_ptr<OpenAiEndpoint> openai_;
  std::unique_ptr<grpc::Server> grpc_server_;
  std::unique_ptr<HttpServer> http_server_;
  int grpc_port_ = 0;
  int http_port_ = -1;
  bool shut_down_ = false;
};

}  // namespace rlvr::sampler

#endif  // RLVR_SAMPLER_SERVICE_SAMPLER_SERVER_H_
