#include "rewards/advantage.h"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace rlvr::rewards {
namespace {

using ::testing::HasSubstr;

constexpr double kTol = 1e-12;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::vector<SampleReward> Valid(std::vector<double> rewards) {
  std::vector<SampleReward> out;
  for (double r : rewards) out.push_back({r, true});
  return out;
}

std::vector<Advantage> Group(const std::vector<SampleReward>& group, AdvantageOptions options) {
  std::vector<Advantage> out(group.size());
  absl::Status s = ComputeGroupAdvantages(group, options, absl::MakeSpan(out));
  EXPECT_TRUE(s.ok()) << s;
  return out;
}

AdvantageOptions Opts(AdvantageEstimator e, StdKind k = StdKind::kSample, double eps = 1e-6) {
  return AdvantageOptions{e, k, eps};
}

TEST(AdvantageTest, GrpoSampleStd) {
  // r = {1, 0, 0, 0}: mean 0.25; Σ(r − mean)² = 0.5625 + 3·0.0625 = 0.75;
  // sample std = sqrt(0.75/3) = 0.5; advantages (r − 0.25)/(0.5 + 1e-6).
  auto a = Group(Valid({1, 0, 0, 0}), Opts(AdvantageEstimator::kGrpo));
  EXPECT_NEAR(a[0].value, 0.75 / 0.500001, kTol);
  EXPECT_NEAR(a[1].value, -0.25 / 0.500001, kTol);
  for (const Advantage& x : a) EXPECT_FALSE(x.masked);
}

TEST(AdvantageTest, GrpoPopulationStd) {
  // Same group, population std = sqrt(0.75/4) = sqrt(3)/4 ≈ 0.4330127.
  auto a = Group(Valid({1, 0, 0, 0}), Opts(AdvantageEstimator::kGrpo, StdKind::kPopulation));
  const double std_pop = std::sqrt(3.0) / 4.0;
  EXPECT_NEAR(a[0].value, 0.75 / (std_pop + 1e-6), kTol);
  EXPECT_NEAR(a[3].value, -0.25 / (std_pop + 1e-6), kTol);
}

TEST(AdvantageTest, GrpoZeroEpsilonIsExactZScore) {
  // r = {2, 4, 6}: mean 4, sample std = sqrt((4 + 0 + 4)/2) = 2 → {−1, 0, 1}.
  auto a = Group(Valid({2, 4, 6}), Opts(AdvantageEstimator::kGrpo, StdKind::kSample, 0.0));
  EXPECT_NEAR(a[0].value, -1.0, kTol);
  EXPECT_NEAR(a[1].value, 0.0, kTol);
  EXPECT_NEAR(a[2].value, 1.0, kTol);
}

TEST(AdvantageTest, DrGrpoIsMeanCentered) {
  // r = {1, 0, 0.5, 0.5}: mean 0.5 → {0.5, −0.5, 0, 0}.
  auto a = Group(Valid({1, 0, 0.5, 0.5}), Opts(AdvantageEstimator::kDrGrpo));
  EXPECT_NEAR(a[0].value, 0.5, kTol);
  EXPECT_NEAR(a[1].value, -0.5, kTol);
  EXPECT_NEAR(a[2].value, 0.0, kTol);
}

TEST(AdvantageTest, RlooLeaveOneOut) {
  // r = {1, 0, 0, 1, 1}: sum 3.
  //   r=1: 1 − (3 − 1)/4 = 0.5;   r=0: 0 − 3/4 = −0.75.
  auto a = Group(Valid({1, 0, 0, 1, 1}), Opts(AdvantageEstimator::kRloo));
  EXPECT_NEAR(a[0].value, 0.5, kTol);
  EXPECT_NEAR(a[1].value, -0.75, kTol);
  EXPECT_NEAR(a[2].value, -0.75, kTol);
  EXPECT_NEAR(a[4].value, 0.5, kTol);
}

TEST(AdvantageTest, RlooDifferentialAgainstDirectFormula) {
  const std::vector<double> r = {0.3, 0.9, 0.1, 0.7, 0.25, 1.0};
  auto a = Group(Valid(r), Opts(AdvantageEstimator::kRloo));
  for (size_t i = 0; i < r.size(); ++i) {
    double others = 0;
    for (size_t j = 0; j < r.size(); ++j) {
      if (j != i) others += r[j];
    }
    EXPECT_NEAR(a[i].value, r[i] - others / (r.size() - 1.0), kTol) << i;
  }
}

TEST(AdvantageTest, NonePassesRewardsThrough) {
  auto a = Group(Valid({0.25, 1, 1}), Opts(AdvantageEstimator::kNone));
  EXPECT_EQ(a[0].value, 0.25);
  EXPECT_EQ(a[1].value, 1.0);
  // Even a single sample keeps its reward.
  EXPECT_EQ(Group(Valid({0.5}), Opts(AdvantageEstimator::kNone))[0].value, 0.5);
}

TEST(AdvantageTest, AllEqualRewardsGiveZeroNotNaN) {
  for (auto e : {AdvantageEstimator::kGrpo, AdvantageEstimator::kDrGrpo, AdvantageEstimator::kRloo}) {
    for (auto k : {StdKind::kSample, StdKind::kPopulation}) {
      // 0.1 is inexact in binary; the group must still give exactly 0, even with eps = 0.
      for (double v : {0.0, 1.0, 0.1}) {
        auto a = Group(Valid({v, v, v}), Opts(e, k, 0.0));
        for (const Advantage& x : a) {
          EXPECT_EQ(x.value, 0.0) << AdvantageEstimatorName(e) << " v=" << v;
          EXPECT_FALSE(x.masked);
        }
      }
    }
  }
}

TEST(AdvantageTest, SingleSampleGroupGetsZero) {
  for (auto e : {AdvantageEstimator::kGrpo, AdvantageEstimator::kDrGrpo, AdvantageEstimator::kRloo}) {
    auto a = Group(Valid({1.0}), Opts(e));
    EXPECT_EQ(a[0].value, 0.0) << AdvantageEstimatorName(e);
    EXPECT_FALSE(a[0].masked);
  }
}

TEST(AdvantageTest, InvalidSamplesAreMaskedAndExcludedFromStatistics) {
  // Valid r = {1, 0} (the NaN and the 5 are masked): mean 0.5, sample std = sqrt(0.5) ≈ 0.7071.
  std::vector<SampleReward> g = {{1, true}, {kNaN, false}, {0, true}, {5, false}};
  auto a = Group(g, Opts(AdvantageEstimator::kGrpo, StdKind::kSample, 0.0));
  EXPECT_NEAR(a[0].value, 0.5 / std::sqrt(0.5), kTol);
  EXPECT_NEAR(a[2].value, -0.5 / std::sqrt(0.5), kTol);
  EXPECT_TRUE(a[1].masked);
  EXPECT_TRUE(a[3].masked);
  EXPECT_EQ(a[1].value, 0.0);
  EXPECT_EQ(a[3].value, 0.0);
  EXPECT_FALSE(a[0].masked);
}

TEST(AdvantageTest, AllInvalidAndEmptyGroups) {
  std::vector<SampleReward> g = {{1, false}, {0, false}};
  for (auto e : {AdvantageEstimator::kGrpo, AdvantageEstimator::kNone}) {
    auto a = Group(g, Opts(e));
    EXPECT_TRUE(a[0].masked && a[1].masked);
    EXPECT_EQ(a[0].value, 0.0);
  }
  EXPECT_TRUE(Group({}, Opts(AdvantageEstimator::kGrpo)).empty());
}

TEST(AdvantageTest, NonFiniteValidRewardIsInvalidArgument) {
  for (double bad : {kNaN, std::numeric_limits<double>::infinity(),
                     -std::numeric_limits<double>::infinity()}) {
    std::vector<SampleReward> g = {{1, true}, {bad, true}};
    std::vector<Advantage> out(2);
    absl::Status s = ComputeGroupAdvantages(g, Opts(AdvantageEstimator::kGrpo), absl::MakeSpan(out));
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(s.message()), HasSubstr("sample 1"));
  }
}

TEST(AdvantageTest, HugeRewardsOverflowingIsInvalidArgument) {
  std::vector<SampleReward> g = Valid({1e308, 1e308, -1e308});
  std::vector<Advantage> out(3);
  EXPECT_EQ(ComputeGroupAdvantages(g, Opts(AdvantageEstimator::kGrpo), absl::MakeSpan(out)).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(AdvantageTest, BadOptionsAndMisuse) {
  std::vector<SampleReward> g = Valid({1, 0});
  std::vector<Advantage> out(2);
  EXPECT_EQ(ComputeGroupAdvantages(g, Opts(AdvantageEstimator::kGrpo, StdKind::kSample, -1),
                                   absl::MakeSpan(out))
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ComputeGroupAdvantages(g, Opts(AdvantageEstimator::kGrpo, StdKind::kSample, kNaN),
                                   absl::MakeSpan(out))
                .code(),
            absl::StatusCode::kInvalidArgument);
  absl::Status s = ComputeGroupAdvantages(g, Opts(AdvantageEstimator::kReinforcePlusPlusBaseline),
                                          absl::MakeSpan(out));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("ComputeBatchAdvantages"));
  std::vector<Advantage> small(1);
  EXPECT_EQ(
      ComputeGroupAdvantages(g, Opts(AdvantageEstimator::kGrpo), absl::MakeSpan(small)).code(),
      absl::StatusCode::kInvalidArgument);
}

TEST(BatchAdvantageTest, ReinforcePlusPlusBaselineUsesBatchStd) {
  // Group A {1, 0} → centered {0.5, −0.5}; group B {1, 1, 0, 0} → centered {0.5, 0.5, −0.5, −0.5};
  // group C {0.3} → one sample, centered 0.
  // Centered batch (7 valid values): six of ±0.5 and one 0; mean 0; Σx² = 6·0.25 = 1.5.
  //   sample std = sqrt(1.5/6) = 0.5 → advantages ±0.5/(0.5 + eps) ≈ ±1.
  //   population std = sqrt(1.5/7).
  std::vector<std::vector<SampleReward>> batch = {Valid({1, 0}), Valid({1, 1, 0, 0}), Valid({0.3})};
  auto a = ComputeBatchAdvantages(batch, Opts(AdvantageEstimator::kReinforcePlusPlusBaseline));
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_NEAR((*a)[0][0].value, 0.5 / 0.500001, kTol);
  EXPECT_NEAR((*a)[1][3].value, -0.5 / 0.500001, kTol);
  EXPECT_EQ((*a)[2][0].value, 0.0);

  auto p = ComputeBatchAdvantages(
      batch, Opts(AdvantageEstimator::kReinforcePlusPlusBaseline, StdKind::kPopulation, 0.0));
  ASSERT_TRUE(p.ok());
  EXPECT_NEAR((*p)[0][0].value, 0.5 / std::sqrt(1.5 / 7.0), kTol);
}

TEST(BatchAdvantageTest, ReinforcePlusPlusBaselineZeroSpreadBatchAndMasks) {
  std::vector<std::vector<SampleReward>> batch = {Valid({1, 1}), {{0, true}, {0, true}, {1, false}}};
  auto a = ComputeBatchAdvantages(batch, Opts(AdvantageEstimator::kReinforcePlusPlusBaseline, {}, 0));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ((*a)[0][0].value, 0.0);
  EXPECT_EQ((*a)[1][1].value, 0.0);
  EXPECT_TRUE((*a)[1][2].masked);
  EXPECT_FALSE((*a)[1][0].masked);
}

TEST(BatchAdvantageTest, MatchesPerGroupForGroupEstimators) {
  std::vector<std::vector<SampleReward>> batch = {Valid({1, 0, 0}), Valid({0.5, 0.2}),
                                                  {{1, false}, {0, true}, {1, true}}};
  for (auto e : {AdvantageEstimator::kGrpo, AdvantageEstimator::kDrGrpo, AdvantageEstimator::kRloo,
                 AdvantageEstimator::kNone}) {
    auto all = ComputeBatchAdvantages(batch, Opts(e));
    ASSERT_TRUE(all.ok());
    for (size_t g = 0; g < batch.size(); ++g) {
      auto one = Group(batch[g], Opts(e));
      for (size_t i = 0; i < one.size(); ++i) {
        EXPECT_EQ((*all)[g][i].value, one[i].value);
        EXPECT_EQ((*all)[g][i].masked, one[i].masked);
      }
    }
  }
}

TEST(BatchAdvantageTest, EmptyBatchAndErrorsNameTheGroup) {
  auto empty = ComputeBatchAdvantages({}, Opts(AdvantageEstimator::kReinforcePlusPlusBaseline));
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());

  std::vector<std::vector<SampleReward>> batch = {Valid({1, 0}), Valid({0, kNaN})};
  auto bad = ComputeBatchAdvantages(batch, Opts(AdvantageEstimator::kGrpo));
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("group 1: sample 1"));
}

TEST(AdvantageEstimatorNameTest, RoundTrips) {
  for (auto e : {AdvantageEstimator::kGrpo, AdvantageEstimator::kDrGrpo, AdvantageEstimator::kRloo,
                 AdvantageEstimator::kReinforcePlusPlusBaseline, AdvantageEstimator::kNone}) {
    auto parsed = ParseAdvantageEstimator(AdvantageEstimatorName(e));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, e);
  }
  auto bad = ParseAdvantageEstimator("ppo");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("known: grpo, dr_grpo"));
}

}  // namespace
}  // namespace rlvr::rewards
