#include "rewards/group_filter.h"

#include <limits>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace rlvr::rewards {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

TEST(ClassifyGroupTest, Decisions) {
  GroupFilterOptions o;  // min 2 valid, drop zero spread
  auto d = [&](std::vector<SampleReward> g) { return *ClassifyGroup(g, o); };
  EXPECT_EQ(d({{1, true}, {0, true}}), GroupDecision::kKeep);
  EXPECT_EQ(d({{1, true}, {1, true}, {1, true}}), GroupDecision::kDropZeroSpread);  // all right
  EXPECT_EQ(d({{0, true}, {0, true}}), GroupDecision::kDropZeroSpread);             // all wrong
  EXPECT_EQ(d({{1, true}}), GroupDecision::kDropTooFewValid);                        // n = 1
  EXPECT_EQ(d({{1, true}, {0, false}}), GroupDecision::kDropTooFewValid);            // 1 valid
  EXPECT_EQ(d({{1, false}, {0, false}}), GroupDecision::kDropTooFewValid);           // all invalid
  EXPECT_EQ(d({}), GroupDecision::kDropTooFewValid);                                 // empty
  // An invalid verdict's reward (NaN here) is masked, not scored 0: {1, 1} has no spread.
  EXPECT_EQ(d({{1, true}, {kNaN, false}, {1, true}}), GroupDecision::kDropZeroSpread);
}

TEST(ClassifyGroupTest, OptionsChangeDecisions) {
  std::vector<SampleReward> same = {{1, true}, {1, true}};
  GroupFilterOptions keep_all{1, false, 0.0};
  EXPECT_EQ(*ClassifyGroup(same, keep_all), GroupDecision::kKeep);
  EXPECT_EQ(*ClassifyGroup({{{1, true}}}, keep_all), GroupDecision::kKeep);

  // Tolerance 0.1: spread 0.05 counts as none; spread 0.5 does not.
  GroupFilterOptions tol{2, true, 0.1};
  EXPECT_EQ(*ClassifyGroup({{{0.9, true}, {0.95, true}}}, tol), GroupDecision::kDropZeroSpread);
  EXPECT_EQ(*ClassifyGroup({{{0.5, true}, {1.0, true}}}, tol), GroupDecision::kKeep);
}

TEST(ClassifyGroupTest, Errors) {
  EXPECT_EQ(ClassifyGroup({{{kNaN, true}, {1, true}}}, {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ClassifyGroup({}, GroupFilterOptions{0, true, 0}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ClassifyGroup({}, GroupFilterOptions{2, true, -1}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ClassifyGroup({}, GroupFilterOptions{2, true, kNaN}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(FilterGroupsTest, CountsEveryDrop) {
  std::vector<std::vector<SampleReward>> batch = {
      {{1, true}, {0, true}, {0, false}},  // keep: 2 valid, 1 masked
      {{1, true}, {1, true}},              // zero spread
      {{0, true}, {1, false}},             // too few valid
      {{0.2, true}, {0.8, true}},          // keep
      {},                                  // too few valid
  };
  auto r = FilterGroups(batch, {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(r->kept, ElementsAre(0, 3));
  EXPECT_THAT(r->decisions,
              ElementsAre(GroupDecision::kKeep, GroupDecision::kDropZeroSpread,
                          GroupDecision::kDropTooFewValid, GroupDecision::kKeep,
                          GroupDecision::kDropTooFewValid));
  const GroupFilterCounters& c = r->counters;
  EXPECT_EQ(c.groups_seen, 5);
  EXPECT_EQ(c.groups_kept, 2);
  EXPECT_EQ(c.groups_dropped_zero_spread, 1);
  EXPECT_EQ(c.groups_dropped_too_few_valid, 2);
  EXPECT_EQ(c.samples_seen, 9);
  EXPECT_EQ(c.samples_masked_invalid, 2);
  EXPECT_EQ(c.samples_kept, 4);

  GroupFilterCounters total;
  total.Add(c);
  total.Add(c);
  EXPECT_EQ(total.groups_dropped_too_few_valid, 4);
  EXPECT_EQ(total.samples_seen, 18);
}

TEST(FilterGroupsTest, EmptyBatchAndErrorNamesGroup) {
  auto empty = FilterGroups({}, {});
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->counters.groups_seen, 0);
  EXPECT_TRUE(empty->kept.empty());

  std::vector<std::vector<SampleReward>> batch = {{{1, true}, {0, true}},
                                                  {{1, true}, {std::numeric_limits<double>::infinity(), true}}};
  auto bad = FilterGroups(batch, {});
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("group 1: sample 1"));
}

TEST(GroupDecisionNameTest, Names) {
  EXPECT_EQ(GroupDecisionName(GroupDecision::kKeep), "keep");
  EXPECT_EQ(GroupDecisionName(GroupDecision::kDropTooFewValid), "too_few_valid");
  EXPECT_EQ(GroupDecisionName(GroupDecision::kDropZeroSpread), "zero_spread");
}

}  // namespace
}  // namespace rlvr::rewards
