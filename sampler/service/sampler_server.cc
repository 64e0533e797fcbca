#include "sampler/service/sampler_server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "sampler/engine.h"

namespace rlvr::sampler {

absl::StatusOr<std::unique_ptr<SamplerServer>> SamplerServer::Start(
    std::unique_ptr<Sampler> sampler, SamplerServerOptions options) {
  if (sampler == nullptr) return absl::InvalidArgumentError("no sampler to serve");
  std::unique_ptr<SamplerServer> server(new SamplerServer());
  server->host_ = options.host;
  server->sampler_ = std::move(sampler);
  Sampler* s = server->sampler_.get();
  if (const auto* engine = dynamic_cast<const Engine*>(s); engine != nullptr) {
    if (!options.openai.token_text) {
      options.openai.token_text = [engine](int32_t id) {
        return engine->tokenizer().TokenBytes(id);
      };
    }
  }
  if (!options.stats) options.stats = StatsOf(s);
  server->sampler_metrics_ =
      std::make_unique<SamplerMetrics>(s, std::move(options.stats), &server->metrics_);
  server->service_ = std::make_unique<SamplerService>(s, &server->metrics_, options.service);

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
    server->openai_ =
        std::make_unique<OpenAiEndpoint>(s, &server->metrics_, std::move(options.openai));
    server->http_server_ = std::make_unique<HttpServer>();
    server->openai_->AddRoutes(server->http_server_.get());
    SamplerMetrics* sampler_metrics = server->sampler_metrics_.get();
    const MetricsRegistry* registry = &server->metrics_;
    server->http_server_->Handle(
        "GET", "/metrics", [sampler_metrics, registry](const HttpRequest&) {
          sampler_metrics->Refresh();
          return HttpResponse{200, "text/plain; version=0.0.4", registry->ExpositionText()};
        });
    server->http_server_->Handle("GET", "/healthz", [](const HttpRequest&) {
      return HttpResponse{200, "text/plain", "ok\n"};
    });
    HttpServerOptions http;
    http.host = options.host;
    http.port = options.http_port;
    http.max_body_bytes = static_cast<size_t>(options.max_message_bytes);
    http.threads = options.http_threads;
    absl::StatusOr<int> port = server->http_server_->Start(http);
    if (!port.ok()) {
      server->Shutdown(absl::ZeroDuration());
      return port.status();
    }
    server->http_port_ = *port;
  }
  return server;
}

SamplerServer::~SamplerServer() { Shutdown(absl::ZeroDuration()); }

void SamplerServer::Shutdown(absl::Duration grace) {
  if (shut_down_) return;
  shut_down_ = true;
  const absl::Time deadline = absl::Now() + grace;
  // gRPC first (its Shutdown returns once every call finished or was cancelled at the deadline),
  // then HTTP: the completions still running at the deadline are cancelled, then the listener
  // stops.
  grpc_server_->Shutdown(absl::ToChronoTime(deadline));
  if (openai_) openai_->Drain(deadline);
  if (http_server_) http_server_->Stop();
}

void SamplerServer::Wait() { grpc_server_->Wait(); }

std::string SamplerServer::Connectable(int port) const {
  const std::string host = host_ == "0.0.0.0" ? "127.0.0.1" : host_ == "::" ? "::1" : host_;
  return host.find(':') != std::string::npos ? absl::StrCat("[", host, "]:", port)
                                             : absl::StrCat(host, ":", port);
}

std::string SamplerServer::grpc_target() const { return Connectable(grpc_port_); }

std::string SamplerServer::http_url() const {
  return absl::StrCat("http://", Connectable(http_port_));
}

}  // namespace rlvr::sampler
