#include "common/http_server.h"

#include <httplib.h>

#include "common/metrics.h"
#include "gtest/gtest.h"

namespace rlvr {
namespace {

TEST(HttpServerTest, ServesHandlersMetricsAndHealthOnLoopback) {
  MetricsRegistry registry;
  registry.GetCounter("hits_total", "Hits.").Increment(2);
  HttpServer server;
  server.AddMetricsAndHealth(&registry);
  server.Handle("POST", "/echo", [](const HttpRequest& req) {
    return HttpResponse{201, "text/plain", "got:" + req.body};
  });
  auto port = server.Start({});
  ASSERT_TRUE(port.ok()) << port.status();

  httplib::Client client("127.0.0.1", *port);
  auto health = client.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(health->body, "ok\n");

  auto metrics = client.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("hits_total 2"), std::string::npos);
  EXPECT_NE(metrics->get_header_value("Content-Type").find("text/plain"), std::string::npos);

  auto echo = client.Post("/echo", "hello", "text/plain");
  ASSERT_TRUE(echo);
  EXPECT_EQ(echo->status, 201);
  EXPECT_EQ(echo->body, "got:hello");

  auto missing = client.Get("/nope");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_NE(missing->body.find("no such endpoint: GET /nope"), std::string::npos);
  server.Stop();
}

TEST(HttpServerTest, OversizedBodyIs413) {
  HttpServer server;
  server.Handle("POST", "/x", [](const HttpRequest&) { return HttpResponse{}; });
  HttpServerOptions options;
  options.max_body_bytes = 1000;
  auto port = server.Start(options);
  ASSERT_TRUE(port.ok());
  httplib::Client client("127.0.0.1", *port);
  auto res = client.Post("/x", std::string(5000, 'a'), "text/plain");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 413);
}

TEST(HttpServerTest, PortInUseIsUnavailable) {
  HttpServer first;
  auto port = first.Start({});
  ASSERT_TRUE(port.ok());
  HttpServer second;
  HttpServerOptions options;
  options.port = *port;
  auto again = second.Start(options);
  EXPECT_EQ(again.status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace rlvr
