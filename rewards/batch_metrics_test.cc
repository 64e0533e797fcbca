#include "rewards/batch_metrics.h"

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace rlvr::rewards {
namespace {

using ::testing::HasSubstr;

constexpr double kTol = 1e-12;

TEST(PassAtKTest, HandComputed) {
  // 1 − C(3,2)/C(5,2) = 1 − 3/10 = 0.7
  EXPECT_NEAR(*PassAtK(5, 2, 2), 0.7, kTol);
  // k = 1 is the fraction correct: 3/10
  EXPECT_NEAR(*PassAtK(10, 3, 1), 0.3, kTol);
  // n − c = 3 < k = 4: every 4-subset has the correct one → 1
  EXPECT_EQ(*PassAtK(4, 1, 4), 1.0);
  // none correct → 0; all correct → 1
  EXPECT_EQ(*PassAtK(5, 0, 3), 0.0);
  EXPECT_EQ(*PassAtK(5, 5, 1), 1.0);
  // 1 − C(199,100)/C(200,100) = 1 − 100/200 = 0.5 (binomials near 1e59, never formed)
  EXPECT_NEAR(*PassAtK(200, 1, 100), 0.5, kTol);
  // n = 1
  EXPECT_EQ(*PassAtK(1, 1, 1), 1.0);
  EXPECT_EQ(*PassAtK(1, 0, 1), 0.0);
}

// Exact C(n, k) for small n (fits in 64 bits for n <= 30).
uint64_t Binomial(int64_t n, int64_t k) {
  if (k < 0 || k > n) return 0;
  uint64_t r = 1;
  for (int64_t i = 1; i <= k; ++i) r = r * static_cast<uint64_t>(n - k + i) / static_cast<uint64_t>(i);
  return r;
}

TEST(PassAtKTest, DifferentialAgainstExactBinomials) {
  for (int64_t n = 1; n <= 30; ++n) {
    for (int64_t c = 0; c <= n; ++c) {
      for (int64_t k = 1; k <= n; ++k) {
        const double exact = 1.0 - static_cast<double>(Binomial(n - c, k)) /
                                       static_cast<double>(Binomial(n, k));
        EXPECT_NEAR(*PassAtK(n, c, k), exact, 1e-12) << n << " " << c << " " << k;
      }
    }
  }
}

TEST(PassAtKTest, Errors) {
  EXPECT_EQ(PassAtK(4, 1, 5).status().code(), absl::StatusCode::kInvalidArgument);  // k > n
  EXPECT_THAT(std::string(PassAtK(4, 1, 5).status().message()), HasSubstr("k is 5"));
  EXPECT_EQ(PassAtK(4, 1, 0).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PassAtK(4, 5, 1).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PassAtK(4, -1, 1).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PassAtK(0, 0, 1).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(MajorityAtKTest, HandComputed) {
  std::vector<Vote> v = {{"4", true}, {"5", false}, {"4", true}, {"5", false}, {"5", false}};
  EXPECT_EQ(*MajorityAtK(v, 1), 1.0);  // "4"
  EXPECT_EQ(*MajorityAtK(v, 3), 1.0);  // "4"×2 vs "5"×1
  EXPECT_EQ(*MajorityAtK(v, 4), 1.0);  // 2–2 tie → "4" appeared first
  EXPECT_EQ(*MajorityAtK(v, 5), 0.0);  // "5"×3 wins, wrong
}

TEST(MajorityAtKTest, TiesAndAbstentions) {
  std::vector<Vote> tie = {{"5", false}, {"4", true}};
  EXPECT_EQ(*MajorityAtK(tie, 2), 0.0);  // tie → first seen, "5"
  std::vector<Vote> abstain = {{"", true}, {"", false}, {"4", true}};
  EXPECT_EQ(*MajorityAtK(abstain, 2), 0.0);  // nobody voted
  EXPECT_EQ(*MajorityAtK(abstain, 3), 1.0);  // the one vote decides
}

TEST(MajorityAtKTest, Errors) {
  std::vector<Vote> v = {{"4", true}};
  EXPECT_EQ(MajorityAtK(v, 2).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(MajorityAtK(v, 0).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(MajorityAtK({}, 1).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(LengthStatsTest, NearestRank) {
  std::vector<int64_t> l;
  for (int64_t i = 100; i >= 1; --i) l.push_back(i);  // 1..100, unsorted
  auto s = ComputeLengthStats(l);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->count, 100);
  EXPECT_DOUBLE_EQ(s->mean, 50.5);  // 5050/100
  EXPECT_EQ(s->min, 1);
  EXPECT_EQ(s->max, 100);
  EXPECT_EQ(s->p50, 50);  // ceil(0.50·100) = 50th smallest
  EXPECT_EQ(s->p99, 99);  // ceil(0.99·100) = 99th smallest

  auto one = ComputeLengthStats(std::vector<int64_t>{7});
  EXPECT_EQ(one->p50, 7);
  EXPECT_EQ(one->p99, 7);

  auto empty = ComputeLengthStats({});
  EXPECT_EQ(empty->count, 0);
  EXPECT_EQ(empty->mean, 0.0);

  EXPECT_EQ(ComputeLengthStats(std::vector<int64_t>{3, -1}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(BatchMetricsTest, HandComputed) {
  std::vector<std::vector<MetricSample>> batch = {
      {{true, 1, true, "4", 10}, {true, 0, false, "5", 20}, {false, 0, false, "", 30},
       {true, 1, true, "4", 40}},
      {{true, 0, false, "7", 50}, {true, 0, false, "8", 60}},
      {{true, 1, true, "x", 70}},
  };
  BatchMetricsOptions o;
  o.pass_k = {1, 2};
  o.maj_k = {3};
  auto m = ComputeBatchMetrics(batch, o);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->groups, 3);
  EXPECT_EQ(m->samples, 7);
  EXPECT_EQ(m->valid_samples, 6);
  // Valid rewards {1, 0, 1, 0, 0, 1}: mean 0.5, every deviation ±0.5 → population std 0.5.
  EXPECT_DOUBLE_EQ(m->reward_mean, 0.5);
  EXPECT_DOUBLE_EQ(m->reward_std, 0.5);
  // pass@1: group 0 n=3 c=2 → 2/3; group 1 → 0; group 2 n=1 c=1 → 1; mean 5/9.
  ASSERT_EQ(m->pass_at_k.size(), 2u);
  EXPECT_EQ(m->pass_at_k[0].k, 1);
  EXPECT_NEAR(m->pass_at_k[0].value, 5.0 / 9.0, kTol);
  EXPECT_EQ(m->pass_at_k[0].groups, 3);
  // pass@2: group 0 → 1 − C(1,2)/C(3,2) = 1; group 1 → 0; group 2 skipped (n=1 < 2) → 0.5.
  EXPECT_NEAR(m->pass_at_k[1].value, 0.5, kTol);
  EXPECT_EQ(m->pass_at_k[1].groups, 2);
  EXPECT_EQ(m->pass_at_k[1].groups_skipped, 1);
  // maj@3: group 0's valid votes "4","5","4" → "4", correct → 1; groups 1 and 2 have < 3 valid.
  ASSERT_EQ(m->maj_at_k.size(), 1u);
  EXPECT_EQ(m->maj_at_k[0].value, 1.0);
  EXPECT_EQ(m->maj_at_k[0].groups, 1);
  EXPECT_EQ(m->maj_at_k[0].groups_skipped, 2);
  // Groups with >= 2 valid: 0 (spread) and 1 (all 0) → 1/2.
  EXPECT_EQ(m->zero_spread_groups, 1);
  EXPECT_DOUBLE_EQ(m->zero_spread_fraction, 0.5);
  // Lengths 10..70 (the invalid sample counts): mean 40, p50 = 4th = 40, p99 = 7th = 70.
  EXPECT_EQ(m->response_length.count, 7);
  EXPECT_DOUBLE_EQ(m->response_length.mean, 40.0);
  EXPECT_EQ(m->response_length.min, 10);
  EXPECT_EQ(m->response_length.max, 70);
  EXPECT_EQ(m->response_length.p50, 40);
  EXPECT_EQ(m->response_length.p99, 70);
}

TEST(BatchMetricsTest, EmptyBatchAndAllInvalid) {
  auto empty = ComputeBatchMetrics({}, {});
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->groups, 0);
  EXPECT_EQ(empty->reward_mean, 0.0);
  EXPECT_EQ(empty->zero_spread_fraction, 0.0);
  EXPECT_EQ(empty->pass_at_k[0].groups, 0);
  EXPECT_EQ(empty->pass_at_k[0].value, 0.0);

  std::vector<std::vector<MetricSample>> invalid = {
      {{false, std::numeric_limits<double>::quiet_NaN(), false, "", 5}}};
  auto m = ComputeBatchMetrics(invalid, {});
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->valid_samples, 0);
  EXPECT_EQ(m->pass_at_k[0].groups_skipped, 1);
  EXPECT_EQ(m->response_length.count, 1);
}

TEST(BatchMetricsTest, Errors) {
  std::vector<std::vector<MetricSample>> nan = {
      {{true, 0, false, "", 1}}, {{true, std::numeric_limits<double>::infinity(), false, "", 1}}};
  auto bad = ComputeBatchMetrics(nan, {});
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("group 1 sample 0"));

  std::vector<std::vector<MetricSample>> neg = {{{true, 0, false, "", -4}}};
  EXPECT_EQ(ComputeBatchMetrics(neg, {}).status().code(), absl::StatusCode::kInvalidArgument);

  BatchMetricsOptions o;
  o.pass_k = {0};
  EXPECT_EQ(ComputeBatchMetrics({}, o).status().code(), absl::StatusCode::kInvalidArgument);
  o.pass_k = std::vector<int64_t>(kMaxKValues + 1, 1);
  EXPECT_EQ(ComputeBatchMetrics({}, o).status().code(), absl::StatusCode::kInvalidArgument);
  o = BatchMetricsOptions{};
  o.spread_tolerance = -1;
  EXPECT_EQ(ComputeBatchMetrics({}, o).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace rlvr::rewards
