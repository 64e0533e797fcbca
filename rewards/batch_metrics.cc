#include "rewards/batch_metrics.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status_macros.h"
#include "rewards/internal/group_stats.h"

namespace rlvr::rewards {
namespace {

// The ceil(p·N/100)-th smallest of `sorted` (non-empty, ascending).
int64_t NearestRank(const std::vector<int64_t>& sorted, int64_t p) {
  const int64_t n = static_cast<int64_t>(sorted.size());
  const int64_t rank = std::max<int64_t>(1, (p * n + 99) / 100);
  return sorted[static_cast<size_t>(rank - 1)];
}

absl::Status ValidateKs(std::string_view what, absl::Span<const int64_t> ks) {
  if (ks.size() > kMaxKValues) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s lists %d values of k; limit is %d", what, ks.size(), kMaxKValues));
  }
  for (int64_t k : ks) {
    if (k < 1) {
      return absl::InvalidArgumentError(absl::StrFormat("%s has k = %d; k must be >= 1", what, k));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<double> PassAtK(int64_t n, int64_t c, int64_t k) {
  if (n < 1) return absl::InvalidArgumentError(absl::StrFormat("pass@k: n is %d; need n >= 1", n));
  if (c < 0 || c > n) {
    return absl::InvalidArgumentError(
        absl::StrFormat("pass@k: c is %d; need 0 <= c <= n = %d", c, n));
  }
  if (k < 1 || k > n) {
    return absl::InvalidArgumentError(
        absl::StrFormat("pass@k: k is %d; need 1 <= k <= n = %d", k, n));
  }
  // Fewer than k wrong samples: every k-subset holds a correct one.
  if (n - c < k) return 1.0;
  // C(n−c, k)/C(n, k) = Π_{i=n−c+1..n} (1 − k/i): each factor lies in (0, 1), so no overflow.
  double miss = 1.0;
  for (int64_t i = n - c + 1; i <= n; ++i) {
    miss *= 1.0 - static_cast<double>(k) / static_cast<double>(i);
  }
  return 1.0 - miss;
}

absl::StatusOr<double> MajorityAtK(absl::Span<const Vote> votes, int64_t k) {
  if (k < 1 || static_cast<size_t>(k) > votes.size()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("maj@k: k is %d; need 1 <= k <= %d votes", k, votes.size()));
  }
  struct Tally {
    int64_t count = 0;
    size_t first = 0;  // index of the first vote for this answer
  };
  absl::flat_hash_map<std::string_view, Tally> tally;
  const Vote* best = nullptr;
  int64_t best_count = 0;
  size_t best_first = 0;
  for (size_t i = 0; i < static_cast<size_t>(k); ++i) {
    if (votes[i].answer.empty()) continue;
    auto [it, inserted] = tally.try_emplace(votes[i].answer, Tally{0, i});
    Tally& t = it->second;
    ++t.count;
    if (t.count > best_count || (t.count == best_count && t.first < best_first)) {
      best = &votes[t.first];
      best_count = t.count;
      best_first = t.first;
    }
  }
  if (best == nullptr) return 0.0;
  return best->correct ? 1.0 : 0.0;
}

absl::StatusOr<LengthStats> ComputeLengthStats(absl::Span<const int64_t> lengths) {
  LengthStats s;
  if (lengths.empty()) return s;
  std::vector<int64_t> sorted(lengths.begin(), lengths.end());
  double sum = 0.0;
  for (size_t i = 0; i < sorted.size(); ++i) {
    if (sorted[i] < 0) {
      return absl::InvalidArgumentError(
          absl::StrFormat("response length %d is %d; lengths must be >= 0", i, sorted[i]));
    }
    sum += static_cast<double>(sorted[i]);
  }
  std::sort(sorted.begin(), sorted.end());
  s.count = static_cast<int64_t>(sorted.size());
  s.mean = sum / static_cast<double>(s.count);
  s.min = sorted.front();
  s.max = sorted.back();
  s.p50 = NearestRank(sorted, 50);
  s.p99 = NearestRank(sorted, 99);
  return s;
}

absl::StatusOr<BatchMetrics> ComputeBatchMetrics(
    absl::Span<const std::vector<MetricSample>> groups, const BatchMetricsOptions& options) {
  RETURN_IF_ERROR(ValidateKs("pass_k", options.pass_k));
  RETURN_IF_ERROR(ValidateKs("maj_k", options.maj_k));
  if (!std::isfinite(options.spread_tolerance) || options.spread_tolerance < 0.0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "spread_tolerance is %f; it must be finite and >= 0", options.spread_tolerance));
  }

  BatchMetrics m;
  m.groups = static_cast<int64_t>(groups.size());
  for (int64_t k : options.pass_k) m.pass_at_k.push_back(AtK{k, 0.0, 0, 0});
  for (int64_t k : options.maj_k) m.maj_at_k.push_back(AtK{k, 0.0, 0, 0});

  std::vector<double> valid_rewards;
  std::vector<int64_t> lengths;
  std::vector<Vote> votes;
  int64_t spread_groups = 0;  // groups with >= 2 valid samples
  for (size_t g = 0; g < groups.size(); ++g) {
    votes.clear();
    std::vector<double> group_rewards;
    int64_t correct = 0;
    for (size_t i = 0; i < groups[g].size(); ++i) {
      const MetricSample& s = groups[g][i];
      if (s.response_length < 0) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "group %d sample %d: response_length is %d; it must be >= 0", g, i, s.response_length));
      }
      lengths.push_back(s.response_length);
      if (!s.valid) continue;
      if (!std::isfinite(s.reward)) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "group %d sample %d has reward %f; rewards of valid samples must be finite", g, i,
            s.reward));
      }
      group_rewards.push_back(s.reward);
      votes.push_back(Vote{s.answer, s.correct});
      if (s.correct) ++correct;
    }
    const int64_t n = static_cast<int64_t>(group_rewards.size());
    valid_rewards.insert(valid_rewards.end(), group_rewards.begin(), group_rewards.end());

    if (n >= 2) {
      ++spread_groups;
      ASSIGN_OR_RETURN(const internal::GroupStats gs, internal::SummarizeValues(group_rewards));
      if (gs.max - gs.min <= options.spread_tolerance) ++m.zero_spread_groups;
    }
    for (AtK& a : m.pass_at_k) {
      if (a.k > n) {
        ++a.groups_skipped;
        continue;
      }
      ASSIGN_OR_RETURN(const double p, PassAtK(n, correct, a.k));
      a.value += p;
      ++a.groups;
    }
    for (AtK& a : m.maj_at_k) {
      if (a.k > n) {
        ++a.groups_skipped;
        continue;
      }
      ASSIGN_OR_RETURN(const double p, MajorityAtK(votes, a.k));
      a.value += p;
      ++a.groups;
    }
  }
  for (auto* list : {&m.pass_at_k, &m.maj_at_k}) {
    for (AtK& a : *list) {
      if (a.groups > 0) a.value /= static_cast<double>(a.groups);
    }
  }

  m.samples = static_cast<int64_t>(lengths.size());
  m.valid_samples = static_cast<int64_t>(valid_rewards.size());
  ASSIGN_OR_RETURN(const internal::GroupStats rs, internal::SummarizeValues(valid_rewards));
  m.reward_mean = rs.mean;
  m.reward_std = rs.PopulationStd();
  if (spread_groups > 0) {
    m.zero_spread_fraction =
        static_cast<double>(m.zero_spread_groups) / static_cast<double>(spread_groups);
  }
  ASSIGN_OR_RETURN(m.response_length, ComputeLengthStats(lengths));
  return m;
}

}  // namespace rlvr::rewards
