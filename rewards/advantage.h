// Group advantage estimators: turn the rewards of one prompt's samples into per-sample advantages.
//
// Every estimator works on the valid samples only; invalid samples are masked (Advantage::masked) and get
// advantage 0, which a learner must not train on. Formulas, with r the valid rewards of a group of n:
//   kGrpo       (r_i − mean) / (std + eps)          DeepSeekMath; std is sample (n−1) by default, as
//                                                   veRL's torch.std; population (n) on request
//   kDrGrpo     r_i − mean                          Dr. GRPO: no std normalization
//   kRloo       r_i − (sum − r_i) / (n − 1)         RLOO: leave-one-out baseline
//   kReinforcePlusPlusBaseline
//               (r_i − mean_group) / (std_batch + eps)  REINFORCE++-baseline; std over every valid
//                                                   sample of the batch → batch-level only
//   kNone       r_i                                 for learners that compute their own
// Degenerate groups: when the valid rewards are all equal (std = 0) every estimator that subtracts a
// baseline gives exactly 0, never NaN; a group with one valid sample has no baseline and gets 0 (kNone
// still passes the reward through). See rewards/README.md for the comparison with veRL.
#ifndef RLVR_REWARDS_ADVANTAGE_H_
#define RLVR_REWARDS_ADVANTAGE_H_

#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "rewards/sample.h"

namespace rlvr::rewards {

enum class AdvantageEstimator {
  kGrpo,
  kDrGrpo,
  kRloo,
  kReinforcePlusPlusBaseline,
  kNone,
};

// Config names: "grpo", "dr_grpo", "rloo", "reinforce_plus_plus_baseline", "none" (veRL's spellings
// where veRL has one).
std::string_view AdvantageEstimatorName(AdvantageEstimator estimator);
// INVALID_ARGUMENT listing the known names when `name` is none of them.
absl::StatusOr<AdvantageEstimator> ParseAdvantageEstimator(std::string_view name);

enum class StdKind {
  kSample,      // sqrt(Σ(r − mean)² / (n − 1)): unbiased variance, torch.std's default (veRL)
  kPopulation,  // sqrt(Σ(r − mean)² / n): numpy.std's default
};

struct AdvantageOptions {
  AdvantageEstimator estimator = AdvantageEstimator::kGrpo;
  StdKind std_kind = StdKind::kSample;  // for kGrpo and kReinforcePlusPlusBaseline
  double epsilon = 1e-6;                // added to the std; finite and >= 0
};

struct Advantage {
  double value = 0.0;
  bool masked = false;  // the sample's verdict was invalid: no advantage, do not train on it
};

// INVALID_ARGUMENT when epsilon is negative or not finite.
absl::Status ValidateAdvantageOptions(const AdvantageOptions& options);

// Advantages for one group, written to `out` (same size as `group`). Per-group estimators only:
// kReinforcePlusPlusBaseline needs the whole batch and answers INVALID_ARGUMENT here. INVALID_ARGUMENT
// also for a size mismatch, bad options or a valid sample whose reward is NaN or infinite. An empty group
// or a group with no valid samples is fine (everything masked). `out` is left unspecified on error.
absl::Status ComputeGroupAdvantages(absl::Span<const SampleReward> group,
                                    const AdvantageOptions& options, absl::Span<Advantage> out);

// Advantages for a batch of groups; out[g][i] belongs to groups[g][i]. Supports every estimator.
absl::StatusOr<std::vector<std::vector<Advantage>>> ComputeBatchAdvantages(
    absl::Span<const std::vector<SampleReward>> groups, const AdvantageOptions& options);

}  // namespace rlvr::rewards

#endif  // RLVR_REWARDS_ADVANTAGE_H_
