#include "rewards/internal/group_stats.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_format.h"

namespace rlvr::rewards::internal {
namespace {

// Shared body: `get(i)` returns a pointer to the i-th value, or null when that sample is masked.
template <typename Get>
absl::StatusOr<GroupStats> Summarize(size_t n, Get get) {
  GroupStats s;
  for (size_t i = 0; i < n; ++i) {
    const double* v = get(i);
    if (v == nullptr) continue;
    if (!std::isfinite(*v)) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "sample %d has reward %f; rewards of valid samples must be finite", i, *v));
    }
    if (s.count == 0) {
      s.min = s.max = *v;
    } else {
      s.min = std::min(s.min, *v);
      s.max = std::max(s.max, *v);
    }
    s.sum += *v;
    ++s.count;
  }
  if (s.count == 0) return s;
  if (!std::isfinite(s.sum)) {
    return absl::InvalidArgumentError(
        "the sum of the group's rewards overflows a double; rewards are far too large");
  }
  s.mean = s.sum / static_cast<double>(s.count);
  if (s.max == s.min) {
    s.mean = s.min;  // exact, so deviations are exactly zero
    return s;
  }
  for (size_t i = 0; i < n; ++i) {
    const double* v = get(i);
    if (v == nullptr) continue;
    const double d = *v - s.mean;
    s.m2 += d * d;
  }
  if (!std::isfinite(s.m2)) {
    return absl::InvalidArgumentError(
        "the group's reward variance overflows a double; rewards are far too large");
  }
  return s;
}

}  // namespace

double GroupStats::PopulationStd() const {
  return count == 0 ? 0.0 : std::sqrt(m2 / static_cast<double>(count));
}

double GroupStats::SampleStd() const {
  return count <= 1 ? 0.0 : std::sqrt(m2 / static_cast<double>(count - 1));
}

absl::StatusOr<GroupStats> SummarizeGroup(absl::Span<const SampleReward> group) {
  return Summarize(group.size(), [&group](size_t i) -> const double* {
    return group[i].valid ? &group[i].reward : nullptr;
  });
}

absl::StatusOr<GroupStats> SummarizeValues(absl::Span<const double> values) {
  return Summarize(values.size(), [&values](size_t i) -> const double* { return &values[i]; });
}

}  // namespace rlvr::rewards::internal
