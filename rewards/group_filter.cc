#include "rewards/group_filter.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status_macros.h"
#include "rewards/internal/group_stats.h"

namespace rlvr::rewards {
namespace {

GroupDecision Decide(const internal::GroupStats& s, const GroupFilterOptions& options) {
  if (s.count < options.min_valid_samples) return GroupDecision::kDropTooFewValid;
  if (options.drop_zero_spread && s.max - s.min <= options.spread_tolerance) {
    return GroupDecision::kDropZeroSpread;
  }
  return GroupDecision::kKeep;
}

}  // namespace

std::string_view GroupDecisionName(GroupDecision decision) {
  switch (decision) {
    case GroupDecision::kKeep:
      return "keep";
    case GroupDecision::kDropTooFewValid:
      return "too_few_valid";
    case GroupDecision::kDropZeroSpread:
      return "zero_spread";
  }
  return "unknown";
}

void GroupFilterCounters::Add(const GroupFilterCounters& other) {
  groups_seen += other.groups_seen;
  groups_kept += other.groups_kept;
  groups_dropped_too_few_valid += other.groups_dropped_too_few_valid;
  groups_dropped_zero_spread += other.groups_dropped_zero_spread;
  samples_seen += other.samples_seen;
  samples_masked_invalid += other.samples_masked_invalid;
  samples_kept += other.samples_kept;
}

absl::Status ValidateGroupFilterOptions(const GroupFilterOptions& options) {
  if (options.min_valid_samples < 1) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "min_valid_samples is %d; it must be >= 1", options.min_valid_samples));
  }
  if (!std::isfinite(options.spread_tolerance) || options.spread_tolerance < 0.0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "spread_tolerance is %f; it must be finite and >= 0", options.spread_tolerance));
  }
  return absl::OkStatus();
}

absl::StatusOr<GroupDecision> ClassifyGroup(absl::Span<const SampleReward> group,
                                            const GroupFilterOptions& options) {
  RETURN_IF_ERROR(ValidateGroupFilterOptions(options));
  ASSIGN_OR_RETURN(const internal::GroupStats s, internal::SummarizeGroup(group));
  return Decide(s, options);
}

absl::StatusOr<GroupFilterResult> FilterGroups(absl::Span<const std::vector<SampleReward>> groups,
                                               const GroupFilterOptions& options) {
  RETURN_IF_ERROR(ValidateGroupFilterOptions(options));
  GroupFilterResult result;
  result.decisions.reserve(groups.size());
  GroupFilterCounters& c = result.counters;
  for (size_t g = 0; g < groups.size(); ++g) {
    absl::StatusOr<internal::GroupStats> s = internal::SummarizeGroup(groups[g]);
    if (!s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("group ", g, ": ", s.status().message()));
    }
    const GroupDecision d = Decide(*s, options);
    result.decisions.push_back(d);
    ++c.groups_seen;
    c.samples_seen += static_cast<int64_t>(groups[g].size());
    c.samples_masked_invalid += static_cast<int64_t>(groups[g].size()) - s->count;
    switch (d) {
      case GroupDecision::kKeep:
        ++c.groups_kept;
        c.samples_kept += s->count;
        result.kept.push_back(g);
        break;
      case GroupDecision::kDropTooFewValid:
        ++c.groups_dropped_too_few_valid;
        break;
      case GroupDecision::kDropZeroSpread:
        ++c.groups_dropped_zero_spread;
        break;
    }
  }
  return result;
}

}  // namespace rlvr::rewards
