#include "rewards/advantage.h"

#include <cmath>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status_macros.h"
#include "rewards/internal/group_stats.h"

namespace rlvr::rewards {
namespace {

using internal::GroupStats;

constexpr AdvantageEstimator kAllEstimators[] = {
    AdvantageEstimator::kGrpo, AdvantageEstimator::kDrGrpo, AdvantageEstimator::kRloo,
    AdvantageEstimator::kReinforcePlusPlusBaseline, AdvantageEstimator::kNone};

double Std(const GroupStats& s, StdKind kind) {
  return kind == StdKind::kSample ? s.SampleStd() : s.PopulationStd();
}

// Writes the masks and the per-group advantages for every estimator but REINFORCE++-baseline, for which
// it writes r_i − mean (the batch normalization comes after).
void FillGroup(absl::Span<const SampleReward> group, const GroupStats& s,
               const AdvantageOptions& options, absl::Span<Advantage> out) {
  const double n = static_cast<double>(s.count);
  // No baseline information: all-equal rewards (std 0) or fewer than two valid samples.
  const bool degenerate = s.count < 2 || s.ZeroSpread();
  double scale = 1.0;  // advantage = scale * (r − mean) for the centered estimators
  switch (options.estimator) {
    case AdvantageEstimator::kGrpo:
      if (!degenerate) scale = 1.0 / (Std(s, options.std_kind) + options.epsilon);
      break;
    case AdvantageEstimator::kRloo:
      // r_i − (sum − r_i)/(n − 1) = n/(n − 1) · (r_i − mean)
      if (!degenerate) scale = n / (n - 1.0);
      break;
    case AdvantageEstimator::kDrGrpo:
    case AdvantageEstimator::kReinforcePlusPlusBaseline:
    case AdvantageEstimator::kNone:
      break;
  }
  for (size_t i = 0; i < group.size(); ++i) {
    if (!group[i].valid) {
      out[i] = Advantage{0.0, true};
      continue;
    }
    double value;
    if (options.estimator == AdvantageEstimator::kNone) {
      value = group[i].reward;
    } else if (degenerate) {
      value = 0.0;
    } else {
      value = scale * (group[i].reward - s.mean);
    }
    out[i] = Advantage{value, false};
  }
}

}  // namespace

std::string_view AdvantageEstimatorName(AdvantageEstimator estimator) {
  switch (estimator) {
    case AdvantageEstimator::kGrpo:
      return "grpo";
    case AdvantageEstimator::kDrGrpo:
      return "dr_grpo";
    case AdvantageEstimator::kRloo:
      return "rloo";
    case AdvantageEstimator::kReinforcePlusPlusBaseline:
      return "reinforce_plus_plus_baseline";
    case AdvantageEstimator::kNone:
      return "none";
  }
  return "unknown";
}

absl::StatusOr<AdvantageEstimator> ParseAdvantageEstimator(std::string_view name) {
  std::string known;
  for (AdvantageEstimator e : kAllEstimators) {
    if (AdvantageEstimatorName(e) == name) return e;
    absl::StrAppend(&known, known.empty() ? "" : ", ", std::string(AdvantageEstimatorName(e)));
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown advantage estimator '", std::string(name), "'; known: ", known));
}

absl::Status ValidateAdvantageOptions(const AdvantageOptions& options) {
  if (!std::isfinite(options.epsilon) || options.epsilon < 0.0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "advantage epsilon is %f; it must be finite and >= 0", options.epsilon));
  }
  return absl::OkStatus();
}

absl::Status ComputeGroupAdvantages(absl::Span<const SampleReward> group,
                                    const AdvantageOptions& options, absl::Span<Advantage> out) {
  RETURN_IF_ERROR(ValidateAdvantageOptions(options));
  if (options.estimator == AdvantageEstimator::kReinforcePlusPlusBaseline) {
    return absl::InvalidArgumentError(
        "reinforce_plus_plus_baseline normalizes by the batch std; use ComputeBatchAdvantages");
  }
  if (out.size() != group.size()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "output has %d slots for a group of %d samples", out.size(), group.size()));
  }
  ASSIGN_OR_RETURN(const GroupStats s, internal::SummarizeGroup(group));
  FillGroup(group, s, options, out);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::vector<Advantage>>> ComputeBatchAdvantages(
    absl::Span<const std::vector<SampleReward>> groups, const AdvantageOptions& options) {
  RETURN_IF_ERROR(ValidateAdvantageOptions(options));
  std::vector<std::vector<Advantage>> out(groups.size());
  for (size_t g = 0; g < groups.size(); ++g) {
    absl::StatusOr<GroupStats> s = internal::SummarizeGroup(groups[g]);
    if (!s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("group ", g, ": ", s.status().message()));
    }
    out[g].resize(groups[g].size());
    FillGroup(groups[g], *s, options, absl::MakeSpan(out[g]));
  }
  if (options.estimator != AdvantageEstimator::kReinforcePlusPlusBaseline) return out;

  // REINFORCE++-baseline: divide the group-centered rewards by the std of all of them. Their batch mean
  // is zero by construction (each group's centered values sum to zero), so there is no shift to undo;
  // the std is still taken about the computed mean so rounding cannot bias it.
  std::vector<double> centered;
  for (size_t g = 0; g < groups.size(); ++g) {
    for (size_t i = 0; i < groups[g].size(); ++i) {
      if (!out[g][i].masked) centered.push_back(out[g][i].value);
    }
  }
  ASSIGN_OR_RETURN(const GroupStats batch, internal::SummarizeValues(centered));
  if (batch.count < 2 || batch.ZeroSpread()) {
    for (auto& group : out) {
      for (Advantage& a : group) a.value = 0.0;
    }
    return out;
  }
  const double scale = 1.0 / (Std(batch, options.std_kind) + options.epsilon);
  for (auto& group : out) {
    for (Advantage& a : group) {
      if (!a.masked) a.value *= scale;
    }
  }
  return out;
}

}  // namespace rlvr::rewards
