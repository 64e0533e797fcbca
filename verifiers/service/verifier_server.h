// A running verifier: the engine, rlvr.v1.Verifier over gRPC (with health checking and reflection)
// and the HTTP endpoint (/v1/verify, /metrics, /healthz). Used by `rlvr-verifier`, `rlvr run`,
// the tests and the benchmarks.
#ifndef RLVR_VERIFIERS_SERVICE_VERIFIER_SERVER_H_
#define RLVR_VERIFIERS_SERVICE_VERIFIER_SERVER_H_

#include <grpcpp/server.h>

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/http_server.h"
#include "common/metrics.h"
#include "verifiers/service/verifier_engine.h"
#include "verifiers/service/verifier_service.h"

namespace rlvr {

struct VerifierServerOptions {
  std::string host = "127.0.0.1";  // "0.0.0.0" to serve other machines
  int grpc_port = 50051;           // 0 = pick a free port
  int http_port = 8080;            // 0 = pick a free port; -1 = no HTTP
  int max_message_bytes = 64 << 20;  // gRPC receive limit (a group of long completions)
  // The OpenRLHF endpoint's RewardSpec for requests that carry none (see verifier_http.h).
  std::optional<v1::RewardSpec> http_reward_spec;
  VerifierEngineOptions engine;
  VerifierServiceOptions service;
};

class VerifierServer {
 public:
  // Binds both ports and starts serving. UNAVAILABLE when a port cannot be bound; INVALID_ARGUMENT
  // for nonsensical options (0 threads, 0 queue, a bad http_reward_spec naming its term).
  static absl::StatusOr<std::unique_ptr<VerifierServer>> Start(const VerifierServerOptions& options);
  ~VerifierServer();  // Shutdown(0s) if not shut down yet

  // Stops accepting calls, lets in-flight calls finish for up to `grace`, then cancels the rest.
  // Idempotent.
  void Shutdown(absl::Duration grace);
  // Blocks until Shutdown.
  void Wait();

  int grpc_port() const { return grpc_port_; }
  int http_port() const { return http_port_; }
  std::string grpc_target() const;  // "host:port" for a client
  MetricsRegistry& metrics() { return metrics_; }
  VerifierEngine& engine() { return *engine_; }
  grpc::Server& grpc_server() { return *grpc_server_; }

 private:
  VerifierServer() = default;

  std::string host_;
  MetricsRegistry metrics_;
  std::unique_ptr<VerifierEngine> engine_;
  std::unique_ptr<VerifierService> service_;
  std::unique_ptr<grpc::Server> grpc_server_;
  std::unique_ptr<HttpServer> http_server_;
  int grpc_port_ = 0;
  int http_port_ = -1;
  bool shut_down_ = false;
};

}  // namespace rlvr

#endif  // RLVR_VERIFIERS_SERVICE_VERIFIER_SERVER_H_
