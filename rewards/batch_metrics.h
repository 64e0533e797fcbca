// Batch metrics for dashboards and evaluation: reward statistics, pass@k, maj@k, the share of groups with
// no reward spread, response-length statistics. Pure functions over one batch.
#ifndef RLVR_REWARDS_BATCH_METRICS_H_
#define RLVR_REWARDS_BATCH_METRICS_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace rlvr::rewards {

// Unbiased pass@k from n samples of which c are correct (Chen et al. 2021, "Evaluating Large Language
// Models Trained on Code"): 1 − C(n−c, k)/C(n, k), computed as 1 − Π_{i=n−c+1..n} (1 − k/i) so that no
// binomial is ever formed. INVALID_ARGUMENT unless 1 <= k <= n and 0 <= c <= n.
absl::StatusOr<double> PassAtK(int64_t n, int64_t c, int64_t k);

// One sample's vote: its extracted final answer ("" = none found: abstains) and whether it was judged
// correct.
struct Vote {
  std::string_view answer;
  bool correct = false;
};

// maj@k for one group: a majority vote over the answers of the first k votes; 1 when the winning answer
// is correct, else 0 (also when all k abstain). Answers are compared as exact strings, so pass canonical
// forms. A tie goes to the answer that appeared first; the winner's correctness is that of its first vote.
// INVALID_ARGUMENT unless 1 <= k <= votes.size().
absl::StatusOr<double> MajorityAtK(absl::Span<const Vote> votes, int64_t k);

// Nearest-rank percentile summary (p-th percentile = the ceil(p·N/100)-th smallest value).
struct LengthStats {
  int64_t count = 0;
  double mean = 0.0;
  int64_t min = 0;
  int64_t max = 0;
  int64_t p50 = 0;
  int64_t p99 = 0;
};

// INVALID_ARGUMENT for a negative length. All zeros for an empty input.
absl::StatusOr<LengthStats> ComputeLengthStats(absl::Span<const int64_t> lengths);

struct MetricSample {
  bool valid = true;         // invalid verdicts count only toward length statistics
  double reward = 0.0;       // must be finite when valid
  bool correct = false;
  std::string_view answer;   // extracted final answer for maj@k; "" = none
  int64_t response_length = 0;
};

struct BatchMetricsOptions {
  std::vector<int64_t> pass_k = {1};  // each >= 1; at most kMaxKValues entries
  std::vector<int64_t> maj_k;
  double spread_tolerance = 0.0;      // as GroupFilterOptions::spread_tolerance
};
inline constexpr size_t kMaxKValues = 16;

// One pass@k or maj@k figure: the mean over the groups with at least k valid samples. Groups with fewer
// are skipped and counted; `value` is 0 when `groups` is 0.
struct AtK {
  int64_t k = 0;
  double value = 0.0;
  int64_t groups = 0;
  int64_t groups_skipped = 0;
};

struct BatchMetrics {
  int64_t groups = 0;
  int64_t samples = 0;
  int64_t valid_samples = 0;
  double reward_mean = 0.0;  // over valid samples
  double reward_std = 0.0;   // population std over valid samples (describes the batch, estimates nothing)
  std::vector<AtK> pass_at_k;
  std::vector<AtK> maj_at_k;
  // Groups with >= 2 valid samples whose valid rewards have no spread (max − min <= tolerance), as a
  // share of the groups with >= 2 valid samples; 0 when there are none.
  int64_t zero_spread_groups = 0;
  double zero_spread_fraction = 0.0;
  LengthStats response_length;  // over all samples, valid or not
};

// INVALID_ARGUMENT (naming group and sample) for a non-finite valid reward or a negative length, and for
// bad options (k < 1, too many k values, bad tolerance). An empty batch gives all-zero metrics.
absl::StatusOr<BatchMetrics> ComputeBatchMetrics(
    absl::Span<const std::vector<MetricSample>> groups, const BatchMetricsOptions& options);

}  // namespace rlvr::rewards

#endif  // RLVR_REWARDS_BATCH_METRICS_H_
