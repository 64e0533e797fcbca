// A small HTTP/1.1 endpoint beside each gRPC server: /metrics, /healthz and JSON APIs.
#ifndef RLVR_COMMON_HTTP_SERVER_H_
#define RLVR_COMMON_HTTP_SERVER_H_

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"

namespace rlvr {

class MetricsRegistry;

struct HttpRequest {
  std::string method;
  std::string path;
  std::string body;
  std::multimap<std::string, std::string> headers;
  std::multimap<std::string, std::string> params;  // query string
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

// Handlers run on the server's own bounded set of connection threads; they may block briefly.
using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;                              // 0 = pick a free port (see port())
  size_t max_body_bytes = 64u << 20;         // larger bodies get 413
  int read_timeout_s = 10;                   // a slow client cannot pin a thread forever
  int write_timeout_s = 10;
  int threads = 8;                           // connection threads: requests handled at once
};

// Wraps cpp-httplib. Register handlers, then Start; Stop (or the destructor) shuts down and joins.
// Unknown paths answer 404 with a JSON error naming the path. Thread-safe after Start.
class HttpServer {
 public:
  HttpServer();
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Registers `handler` for an exact method ("GET"/"POST") and path. Call before Start.
  void Handle(const std::string& method, const std::string& path, HttpHandler handler);
  // Adds `GET /metrics` (Prometheus text of `registry`, which must outlive the server) and
  // `GET /healthz` ("ok"). `before_scrape`, if set, runs before each exposition (to pull gauges
  // from elsewhere); it must be thread-safe.
  void AddMetricsAndHealth(const MetricsRegistry* registry, std::function<void()> before_scrape = nullptr);

  // Binds and starts serving on a background thread. Returns the bound port. UNAVAILABLE when the
  // address cannot be bound.
  absl::StatusOr<int> Start(const HttpServerOptions& options);
  void Stop();
  int port() const { return port_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace rlvr

#endif  // RLVR_COMMON_HTTP_SERVER_H_
