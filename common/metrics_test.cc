#include "common/metrics.h"

#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace rlvr {
namespace {

TEST(MetricsTest, ExpositionFormat) {
  MetricsRegistry registry;
  registry.GetCounter("rlvr_requests_total", "Requests.", {{"method", "Verify"}}).Increment(3);
  registry.GetGauge("rlvr_queue_depth", "Queued tasks.").Set(5);
  Histogram& h = registry.GetHistogram("rlvr_latency_seconds", "Latency.", {0.1, 1.0});
  h.Observe(0.05);
  h.Observe(0.5);
  h.Observe(5);
  const std::string text = registry.ExpositionText();
  EXPECT_NE(text.find("# HELP rlvr_requests_total Requests.\n# TYPE rlvr_requests_total counter\n"
                      "rlvr_requests_total{method=\"Verify\"} 3\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("# TYPE rlvr_queue_depth gauge\nrlvr_queue_depth 5\n"), std::string::npos);
  EXPECT_NE(text.find("rlvr_latency_seconds_bucket{le=\"0.10000000000000001\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("rlvr_latency_seconds_bucket{le=\"1\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("rlvr_latency_seconds_bucket{le=\"+Inf\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("rlvr_latency_seconds_sum 5.5499999999999998\n"), std::string::npos) << text;
  EXPECT_NE(text.find("rlvr_latency_seconds_count 3\n"), std::string::npos);
}

TEST(MetricsTest, SameNameAndLabelsIsTheSameMetric) {
  MetricsRegistry registry;
  Counter& a = registry.GetCounter("x_total", "x", {{"k", "v"}});
  Counter& b = registry.GetCounter("x_total", "x", {{"k", "v"}});
  Counter& c = registry.GetCounter("x_total", "x", {{"k", "w"}});
  EXPECT_EQ(&a, &b);
  EXPECT_NE(&a, &c);
}

TEST(MetricsTest, LabelValuesAreEscaped) {
  EXPECT_EQ(RenderLabels({{"a", "q\"b\\\n"}}), "{a=\"q\\\"b\\\\\\n\"}");
}

TEST(MetricsTest, ConcurrentIncrementsAreExact) {
  MetricsRegistry registry;
  Counter& counter = registry.GetCounter("c_total", "c");
  Histogram& hist = registry.GetHistogram("h", "h", ExponentialBuckets(1, 2, 4));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        counter.Increment();
        hist.Observe(3);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(counter.value(), 40000);
  EXPECT_EQ(hist.count(), 40000u);
  EXPECT_EQ(hist.cumulative_count(1), 0u);      // <= 2
  EXPECT_EQ(hist.cumulative_count(2), 40000u);  // <= 4
}

TEST(MetricsDeathTest, InvalidNameAborts) {
  MetricsRegistry registry;
  EXPECT_DEATH(registry.GetCounter("bad-name", "x"), "invalid metric name 'bad-name'");
  registry.GetCounter("dual", "x");
  EXPECT_DEATH(registry.GetGauge("dual", "x"), "different types");
}

}  // namespace
}  // namespace rlvr
