#include "rewards/internal/group_stats.h"

#include <cmath>
#include <limits>
#include <vector>

#include "gtest/gtest.h"

namespace rlvr::rewards::internal {
namespace {

TEST(GroupStatsTest, HandComputed) {
  // {1, 2, 3, 4} (and a masked 100): mean 2.5; m2 = 2.25 + 0.25 + 0.25 + 2.25 = 5;
  // population std sqrt(5/4); sample std sqrt(5/3).
  std::vector<SampleReward> g = {{1, true}, {100, false}, {2, true}, {3, true}, {4, true}};
  auto s = SummarizeGroup(g);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->count, 4);
  EXPECT_DOUBLE_EQ(s->mean, 2.5);
  EXPECT_DOUBLE_EQ(s->m2, 5.0);
  EXPECT_DOUBLE_EQ(s->PopulationStd(), std::sqrt(1.25));
  EXPECT_DOUBLE_EQ(s->SampleStd(), std::sqrt(5.0 / 3.0));
  EXPECT_EQ(s->min, 1.0);
  EXPECT_EQ(s->max, 4.0);
  EXPECT_FALSE(s->ZeroSpread());
}

TEST(GroupStatsTest, DegenerateCases) {
  auto empty = SummarizeValues({});
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->count, 0);
  EXPECT_EQ(empty->SampleStd(), 0.0);
  EXPECT_EQ(empty->PopulationStd(), 0.0);
  EXPECT_TRUE(empty->ZeroSpread());

  auto one = SummarizeValues(std::vector<double>{7});
  EXPECT_EQ(one->SampleStd(), 0.0);
  EXPECT_EQ(one->mean, 7.0);

  // 0.1 · 3 / 3 is not exactly 0.1 in binary; equal values still give mean 0.1 and m2 0.
  auto same = SummarizeValues(std::vector<double>{0.1, 0.1, 0.1});
  EXPECT_EQ(same->mean, 0.1);
  EXPECT_EQ(same->m2, 0.0);
  EXPECT_TRUE(same->ZeroSpread());
}

TEST(GroupStatsTest, RejectsNonFinite) {
  EXPECT_FALSE(SummarizeValues(std::vector<double>{1, std::nan("")}).ok());
  EXPECT_FALSE(SummarizeValues(std::vector<double>{std::numeric_limits<double>::infinity()}).ok());
  EXPECT_FALSE(SummarizeValues(std::vector<double>{1e308, 1e308}).ok());  // sum overflows
  // A masked NaN is fine.
  EXPECT_TRUE(SummarizeGroup(std::vector<SampleReward>{{std::nan(""), false}}).ok());
}

}  // namespace
}  // namespace rlvr::rewards::internal
