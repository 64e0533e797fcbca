#include "verifiers/service/verifier_server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>

#include "absl/strings/str_cat.h"
#include "verifiers/service/verifier_http.h"

namespace rlvr {

absl::StatusOr<std::unique_ptr<VerifierServer>> VerifierServer::Start(
    const VerifierServerOptions& options) {
  if (options.engine.threads == 0) return absl::InvalidArgumentError("engine threads is 0");
  if (options.engine.max_queue == 0) return absl::InvalidArgumentError("engine max_queue is 0");
  std::unique_ptr<VerifierServer> server(new VerifierServer());
  server->host_ = options.host;
  server->engine_ = std::make_unique<VerifierEngine>(options.engine, &server->metrics_);
  server->service_ =
      std::make_unique<VerifierService>(server->engine_.get(), &server->metrics_, options.service);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  const std::string address = options.host.find(':') != std::string::npos
                                  ? absl::StrCat("[", options.host, "]:", options.grpc_port)
                                  : absl::StrCat(options.host, ":", options.grpc_port);
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &server->grpc_port_);
  // No SO_REUSEPORT: a second server on a port in use must fail, not silently share it.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.SetMaxReceiveMessageSize(options.max_message_bytes);
  builder.SetMaxSendMessageSize(options.max_message_bytes);
  builder.RegisterService(server->service_.get());
  server->grpc_server_ = builder.BuildAndStart();
  if (server->grpc_server_ == nullptr || server->grpc_port_ == 0) {
    server->shut_down_ = true;
    return absl::UnavailableError(absl::StrCat("cannot serve gRPC on ", address, " (in use?)"));
  }

  if (options.http_port >= 0) {
    server->http_server_ = std::make_unique<HttpServer>();
    server->http_server_->AddMetricsAndHealth(&server->metrics_);
    AddVerifierHttpRoutes(server->http_server_.get(), server->engine_.get(),
                          options.service.default_deadline);
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
