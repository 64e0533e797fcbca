#include "common/http_server.h"

#include <algorithm>

#include <httplib.h>

#include <sys/socket.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/metrics.h"
#include "nlohmann/json.hpp"

namespace rlvr {

struct HttpServer::Impl {
  httplib::Server server;
};

HttpServer::HttpServer() : impl_(std::make_unique<Impl>()) {}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Handle(const std::string& method, const std::string& path, HttpHandler handler) {
  auto adapter = [handler = std::move(handler)](const httplib::Request& req,
                                                httplib::Response& res) {
    HttpRequest request{req.method, req.path, req.body, {}, {}};
    for (const auto& [k, v] : req.headers) request.headers.emplace(k, v);
    for (const auto& [k, v] : req.params) request.params.emplace(k, v);
    HttpResponse response = handler(request);
    res.status = response.status;
    res.set_content(std::move(response.body), response.content_type.c_str());
  };
  if (method == "GET") {
    impl_->server.Get(path, std::move(adapter));
  } else {
    impl_->server.Post(path, std::move(adapter));
  }
}

void HttpServer::AddMetricsAndHealth(const MetricsRegistry* registry, std::function<void()> before_scrape) {
  Handle("GET", "/metrics", [registry, before_scrape = std::move(before_scrape)](const HttpRequest&) {
    if (before_scrape) before_scrape();
    return HttpResponse{200, "text/plain; version=0.0.4", registry->ExpositionText()};
  });
  Handle("GET", "/healthz", [](const HttpRequest&) { return HttpResponse{200, "text/plain", "ok\n"}; });
}

absl::StatusOr<int> HttpServer::Start(const HttpServerOptions& options) {
  httplib::Server& server = impl_->server;
  server.set_payload_max_length(options.max_body_bytes);
  // SO_REUSEADDR only: httplib's default adds SO_REUSEPORT, which lets a second server silently
  // share a port that is in use.
  server.set_socket_options([](int sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  const size_t threads = static_cast<size_t>(std::max(1, options.threads));
  server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server.set_read_timeout(options.read_timeout_s, 0);
  server.set_write_timeout(options.write_timeout_s, 0);
  // Called for every status >= 400: fills in a JSON error only where no handler wrote a body.
  server.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    nlohmann::json error = {{"error", absl::StrCat("HTTP ", res.status, " for ", req.method, " ",
                                                   req.path)}};
    if (res.status == 404) {
      error["error"] = absl::StrCat("no such endpoint: ", req.method, " ", req.path);
    } else if (res.status == 413) {
      error["error"] = "request body too large";
    }
    res.set_content(error.dump(), "application/json");
  });
  int port = options.port;
  if (port == 0) {
    port = server.bind_to_any_port(options.host);
    if (port < 0) return absl::UnavailableError(absl::StrCat("cannot bind HTTP on ", options.host));
  } else if (!server.bind_to_port(options.host, port)) {
    return absl::UnavailableError(
        absl::StrCat("cannot bind HTTP on ", options.host, ":", port, " (in use?)"));
  }
  port_ = port;
  thread_ = std::thread([&server] { server.listen_after_bind(); });
  // The socket already listens (connections queue); wait until the accept loop runs so Stop works.
  while (!server.is_running()) std::this_thread::yield();
  return port;
}

void HttpServer::Stop() {
  if (thread_.joinable()) {
    impl_->server.stop();
    thread_.join();
  }
}

}  // namespace rlvr
