// Group filtering before advantages: masking of invalid verdicts and DAPO's dynamic sampling.
//
// A group is dropped (and counted, never silently) when
//   1. it has fewer than `min_valid_samples` valid verdicts (invalid verdicts are masked, not scored 0), or
//   2. with `drop_zero_spread`, its valid rewards have no spread (max − min <= spread_tolerance): all
//      right or all wrong, so every group-relative advantage is 0 and the group carries no gradient
//      (DAPO, "dynamic sampling"). The caller samples more prompts to refill the batch.
#ifndef RLVR_REWARDS_GROUP_FILTER_H_
#define RLVR_REWARDS_GROUP_FILTER_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "rewards/sample.h"

namespace rlvr::rewards {

struct GroupFilterOptions {
  int64_t min_valid_samples = 2;  // >= 1
  bool drop_zero_spread = true;
  double spread_tolerance = 0.0;  // finite, >= 0
};

enum class GroupDecision {
  kKeep,
  kDropTooFewValid,
  kDropZeroSpread,
};

std::string_view GroupDecisionName(GroupDecision decision);  // "keep", "too_few_valid", "zero_spread"

// Counters for metrics; add them up across batches with Add.
struct GroupFilterCounters {
  int64_t groups_seen = 0;
  int64_t groups_kept = 0;
  int64_t groups_dropped_too_few_valid = 0;
  int64_t groups_dropped_zero_spread = 0;
  int64_t samples_seen = 0;
  int64_t samples_masked_invalid = 0;  // invalid verdicts, in kept and dropped groups alike
  int64_t samples_kept = 0;            // valid samples in kept groups

  void Add(const GroupFilterCounters& other);
};

// INVALID_ARGUMENT for min_valid_samples < 1 or a negative / non-finite tolerance.
absl::Status ValidateGroupFilterOptions(const GroupFilterOptions& options);

// Decides one group. INVALID_ARGUMENT for bad options or a valid sample with a NaN/infinite reward.
absl::StatusOr<GroupDecision> ClassifyGroup(absl::Span<const SampleReward> group,
                                            const GroupFilterOptions& options);

struct GroupFilterResult {
  std::vector<GroupDecision> decisions;  // one per input group
  std::vector<size_t> kept;              // indices of kept groups, in input order
  GroupFilterCounters counters;
};

// Decides every group of a batch. INVALID_ARGUMENT (naming the group) on the first bad group; nothing is
// counted then.
absl::StatusOr<GroupFilterResult> FilterGroups(absl::Span<const std::vector<SampleReward>> groups,
                                               const GroupFilterOptions& options);

}  // namespace rlvr::rewards

#endif  // RLVR_REWARDS_GROUP_FILTER_H_
