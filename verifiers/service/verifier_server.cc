#include "verifiers/service/verifier_server.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/grpc_server.h"
#include "rewards/reward_spec_proto.h"
#include "verifiers/service/verifier_http.h"

namespace rlvr {

absl::StatusOr<std::unique_ptr<VerifierServer>> VerifierServer::Start(
    const VerifierServerOptions& options) {
  if (options.engine.threads == 0) return absl::InvalidArgumentError("engine threads is 0");
  if (options.engine.max_queue == 0) return absl::InvalidArgumentError("engine max_queue is 0");
  if (options.http_reward_spec.has_value()) {
    if (absl::StatusOr<rewards::RewardSpec> spec = rewards::RewardSpecFromProto(*options.http_reward_spec);
        !spec.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("http_reward_spec: ", spec.status().message()));
    }
  }
  std::unique_ptr<VerifierServer> server(new VerifierServer());
  server->host_ = options.host;
  server->engine_ = std::make_unique<VerifierEngine>(options.engine, &server->metrics_);
  server->service_ =
      std::make_unique<VerifierService>(server->engine_.get(), &server->metrics_, options.service);

  GrpcServerOptions grpc_options;
  grpc_options.host = options.host;
  grpc_options.port = options.grpc_port;
  grpc_options.max_message_bytes = options.max_message_bytes;
  absl::StatusOr<std::unique_ptr<grpc::Server>> grpc_server =
      StartGrpcServer(grpc_options, {server->service_.get()}, &server->grpc_port_);
  if (!grpc_server.ok()) {
    server->shut_down_ = true;
    return grpc_server.status();
  }
  server->grpc_server_ = std::move(*grpc_server);

  if (options.http_port >= 0) {
    server->http_server_ = std::make_unique<HttpServer>();
    server->http_server_->AddMetricsAndHealth(&server->metrics_);
    AddVerifierHttpRoutes(server->http_server_.get(), server->engine_.get(),
                          options.service.default_deadline, options.http_reward_spec);
    HttpServerOptions http;
    http.host = options.host;
    http.port = options.http_port;
    http.max_body_bytes = static_cast<size_t>(options.max_message_bytes);
    absl::StatusOr<int> port = server->http_server_->Start(http);
    if (!port.ok()) {
      server->Shutdown(absl::ZeroDuration());
      return port.status();
    }
    server->http_port_ = *port;
  }
  return server;
}

VerifierServer::~VerifierServer() { Shutdown(absl::ZeroDuration()); }

void VerifierServer::Shutdown(absl::Duration grace) {
  if (shut_down_) return;
  shut_down_ = true;
  if (http_server_) http_server_->Stop();
  grpc_server_->Shutdown(std::chrono::system_clock::now() + absl::ToChronoSeconds(grace));
}

void VerifierServer::Wait() { grpc_server_->Wait(); }

std::string VerifierServer::grpc_target() const {
  const std::string host = host_ == "0.0.0.0" ? "127.0.0.1" : host_;
  return host.find(':') != std::string::npos ? absl::StrCat("[", host, "]:", grpc_port_)
                                             : absl::StrCat(host, ":", grpc_port_);
}

}  // namespace rlvr
