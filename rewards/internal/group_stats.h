// Summary statistics over the valid samples of one group, shared by the advantage estimators, the group
// filter and the batch metrics so that all three agree on what "mean", "std" and "no spread" mean.
#ifndef RLVR_REWARDS_INTERNAL_GROUP_STATS_H_
#define RLVR_REWARDS_INTERNAL_GROUP_STATS_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "rewards/sample.h"

namespace rlvr::rewards::internal {

struct GroupStats {
  int64_t count = 0;   // valid samples
  double sum = 0.0;
  double mean = 0.0;   // 0 when count == 0
  double m2 = 0.0;     // sum of squared deviations from the mean (two-pass, so no cancellation)
  double min = 0.0;
  double max = 0.0;

  // max == min over valid samples (true for 0 or 1 samples).
  bool ZeroSpread() const { return count == 0 || max == min; }
  // sqrt(m2 / count); 0 when count == 0.
  double PopulationStd() const;
  // sqrt(m2 / (count − 1)); 0 when count <= 1.
  double SampleStd() const;
};

// Two passes over the valid samples. INVALID_ARGUMENT naming the index when a valid sample's reward is
// NaN or infinite.
absl::StatusOr<GroupStats> SummarizeGroup(absl::Span<const SampleReward> group);

// Same, over plain values (all treated as valid).
absl::StatusOr<GroupStats> SummarizeValues(absl::Span<const double> values);

}  // namespace rlvr::rewards::internal

#endif  // RLVR_REWARDS_INTERNAL_GROUP_STATS_H_
