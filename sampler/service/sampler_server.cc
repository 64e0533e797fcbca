#include "sampler/service/sampler_server.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/grpc_server.h"
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
    server->openai_ =
        std::make_unique<OpenAiEndpoint>(s, &server->metrics_, std::move(options.openai));
    server->http_server_ = std::make_unique<HttpServer>();
    server->openai_->AddRoutes(server->http_server_.get());
    SamplerMetrics* sampler_metrics = server->sampler_metrics_.get();
    server->http_server_->AddMetricsAndHealth(&server->metrics_,
                                              [sampler_metrics] { sampler_metrics->Refresh(); });
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
