// Group advantage throughput: rlvr_rewards' ComputeGroupAdvantages (GRPO, sample std) beside a naive
// reference shaped like the usual Python implementations (collect scores per prompt id in a map of
// lists, then a mean pass and a std pass per prompt, then a pass over samples looking each id up again).
// Both run in the same process on the same data; compare the ratio, not absolute figures. The run also
// checks that both give the same advantages.
//
//   rewards_bench [groups=1000] [samples_per_group=16] [repeats=200]
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "rewards/advantage.h"

namespace {

using rlvr::rewards::Advantage;
using rlvr::rewards::AdvantageEstimator;
using rlvr::rewards::AdvantageOptions;
using rlvr::rewards::SampleReward;
using rlvr::rewards::StdKind;

constexpr double kEps = 1e-6;

// The naive reference: flat arrays of (prompt id, score), grouped through a hash map of vectors.
std::vector<double> NaiveGrpo(const std::vector<std::string>& ids, const std::vector<double>& scores) {
  std::unordered_map<std::string, std::vector<double>> by_id;
  for (size_t i = 0; i < ids.size(); ++i) by_id[ids[i]].push_back(scores[i]);
  std::unordered_map<std::string, std::pair<double, double>> mean_std;
  for (const auto& [id, v] : by_id) {
    double mean = 0;
    for (double x : v) mean += x;
    mean /= static_cast<double>(v.size());
    double var = 0;
    for (double x : v) var += (x - mean) * (x - mean);
    const double std = v.size() > 1 ? std::sqrt(var / static_cast<double>(v.size() - 1)) : 0.0;
    mean_std[id] = {mean, std};
  }
  std::vector<double> out(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    const auto& [mean, std] = mean_std[ids[i]];
    out[i] = std == 0.0 ? 0.0 : (scores[i] - mean) / (std + kEps);
  }
  return out;
}

double Seconds(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

}  // namespace

int main(int argc, char** argv) {
  const size_t groups = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 1000;
  const size_t per_group = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 16;
  const int repeats = argc > 3 ? std::atoi(argv[3]) : 200;
  if (groups == 0 || per_group == 0 || repeats <= 0) {
    std::fprintf(stderr, "usage: rewards_bench [groups>0] [samples_per_group>0] [repeats>0]\n");
    return 2;
  }

  // Binary rewards with a per-prompt pass rate, like a math batch.
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::vector<std::vector<SampleReward>> batch(groups);
  std::vector<std::string> ids;
  std::vector<double> flat;
  for (size_t g = 0; g < groups; ++g) {
    const double p = unit(rng);
    for (size_t i = 0; i < per_group; ++i) {
      const double r = unit(rng) < p ? 1.0 : 0.0;
      batch[g].push_back({r, true});
      ids.push_back("prompt-" + std::to_string(g));
      flat.push_back(r);
    }
  }

  const AdvantageOptions options{AdvantageEstimator::kGrpo, StdKind::kSample, kEps};
  std::vector<std::vector<Advantage>> out(groups, std::vector<Advantage>(per_group));
  double checksum = 0;

  auto t0 = std::chrono::steady_clock::now();
  for (int r = 0; r < repeats; ++r) {
    for (size_t g = 0; g < groups; ++g) {
      absl::Status s = rlvr::rewards::ComputeGroupAdvantages(batch[g], options, absl::MakeSpan(out[g]));
      if (!s.ok()) {
        std::fprintf(stderr, "%s\n", s.ToString().c_str());
        return 1;
      }
    }
    checksum += out[r % groups][0].value;
  }
  auto t1 = std::chrono::steady_clock::now();
  std::vector<double> naive;
  for (int r = 0; r < repeats; ++r) {
    naive = NaiveGrpo(ids, flat);
    checksum += naive[(r % groups) * per_group];
  }
  auto t2 = std::chrono::steady_clock::now();

  double max_diff = 0;
  for (size_t g = 0; g < groups; ++g) {
    for (size_t i = 0; i < per_group; ++i) {
      max_diff = std::max(max_diff, std::abs(out[g][i].value - naive[g * per_group + i]));
    }
  }

  const double total = static_cast<double>(groups) * repeats;
  const double ours = total / Seconds(t0, t1);
  const double ref = total / Seconds(t1, t2);
  std::printf("GRPO advantages, %zu groups x %zu samples, %d repeats\n", groups, per_group, repeats);
  std::printf("  rlvr_rewards ComputeGroupAdvantages : %12.0f groups/s\n", ours);
  std::printf("  naive map-of-lists two-pass         : %12.0f groups/s\n", ref);
  std::printf("  ratio                               : %12.1fx\n", ours / ref);
  std::printf("  max |ours - naive|                  : %12.3g (checksum %.3f)\n", max_diff, checksum);
  return max_diff <= 1e-9 ? 0 : 1;
}
