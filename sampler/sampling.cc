#include "sampler/sampling.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "absl/strings/str_cat.h"

namespace rlvr::sampler {
namespace {

uint64_t SplitMix(uint64_t& x) {
  uint64_t z = (x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

}  // namespace

Rng::Rng(uint64_t seed) {
  for (uint64_t& s : s_) s = SplitMix(seed);
}

uint64_t Rng::Next() {
  const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = Rotl(s_[3], 45);
  return result;
}

double Rng::Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

absl::Status ValidateSamplingOptions(const SamplingOptions& o) {
  if (!std::isfinite(o.temperature) || o.temperature < 0 || o.temperature > 100) {
    return absl::InvalidArgumentError(
        absl::StrCat("sampling.temperature is ", o.temperature, "; must be in [0, 100] (0 = greedy)"));
  }
  if (!(o.top_p > 0 && o.top_p <= 1)) {
    return absl::InvalidArgumentError(absl::StrCat("sampling.top_p is ", o.top_p, "; must be in (0, 1]"));
  }
  if (o.top_k < 0) {
    return absl::InvalidArgumentError(absl::StrCat("sampling.top_k is ", o.top_k, "; must be >= 0 (0 = off)"));
  }
  if (!(o.min_p >= 0 && o.min_p < 1)) {
    return absl::InvalidArgumentError(absl::StrCat("sampling.min_p is ", o.min_p, "; must be in [0, 1)"));
  }
  if (o.stop.size() > 16) {
    return absl::InvalidArgumentError(absl::StrCat("sampling.stop has ", o.stop.size(), " strings; limit is 16"));
  }
  for (size_t i = 0; i < o.stop.size(); ++i) {
    if (o.stop[i].empty() || o.stop[i].size() > 256) {
      return absl::InvalidArgumentError(absl::StrCat("sampling.stop[", i, "] is ", o.stop[i].size(),
                                                     " bytes; must be 1 to 256"));
    }
  }
  if (o.stop_token_ids.size() > 64) {
    return absl::InvalidArgumentError(
        absl::StrCat("sampling.stop_token_ids has ", o.stop_token_ids.size(), " ids; limit is 64"));
  }
  return absl::OkStatus();
}

bool SamplingDiffersFromPolicy(const SamplingOptions& o) {
  return o.temperature != 1.0f || o.top_k > 0 || o.top_p < 1.0f || o.min_p > 0.0f;
}

TokenChoice SampleToken(const float* logits, int64_t vocab, const SamplingOptions& o, Rng& rng) {
  // Policy log-softmax pieces (temperature 1), in double for a stable log-sum-exp.
  double max_logit = -std::numeric_limits<double>::infinity();
  int64_t argmax = 0;
  for (int64_t i = 0; i < vocab; ++i) {
    const float v = logits[i];
    if (std::isfinite(v) && v > max_logit) {
      max_logit = v;
      argmax = i;
    }
  }
  TokenChoice out;
  if (!std::isfinite(max_logit)) {
    out.logprob = out.sampling_logprob = kNegInf;
    return out;
  }
  double sum = 0;
  for (int64_t i = 0; i < vocab; ++i) {
    if (std::isfinite(logits[i])) sum += std::exp(static_cast<double>(logits[i]) - max_logit);
  }
  const double log_z = max_logit + std::log(sum);
  auto policy_logprob = [&](int64_t i) { return static_cast<float>(static_cast<double>(logits[i]) - log_z); };

  if (o.temperature == 0) {
    out.token = static_cast<int32_t>(argmax);
    out.logprob = policy_logprob(argmax);
    out.sampling_logprob = 0;
    return out;
  }

  // Candidates by descending tempered probability (ties: lower id first), truncated by top-k,
  // min-p and top-p, in that order (vLLM's order), then renormalized.
  const double inv_t = 1.0 / o.temperature;
  struct Cand {
    int32_t id;
    double weight;  // exp((logit - max) / T), unnormalized
  };
  std::vector<Cand> cands;
  cands.reserve(static_cast<size_t>(vocab));
  double total = 0;
  for (int64_t i = 0; i < vocab; ++i) {
    if (!std::isfinite(logits[i])) continue;
    double w = std::exp((static_cast<double>(logits[i]) - max_logit) * inv_t);
    if (w <= 0) continue;
    cands.push_back({static_cast<int32_t>(i), w});
    total += w;
  }
  auto by_weight = [](const Cand& a, const Cand& b) {
    return a.weight != b.weight ? a.weight > b.weight : a.id < b.id;
  };
  const bool truncate = o.top_k > 0 || o.top_p < 1.0f || o.min_p > 0.0f;
  if (truncate) {
    size_t keep = cands.size();
    if (o.top_k > 0 && static_cast<size_t>(o.top_k) < keep) {
      keep = static_cast<size_t>(o.top_k);
      std::nth_element(cands.begin(), cands.begin() + static_cast<ptrdiff_t>(keep), cands.end(), by_weight);
      cands.resize(keep);
    }
    std::sort(cands.begin(), cands.end(), by_weight);
    total = 0;
    for (const Cand& c : cands) total += c.weight;
    if (o.min_p > 0) {
      const double floor = cands.front().weight * o.min_p;  // weights relative to the max alike
      size_t n = 0;
      while (n < cands.size() && cands[n].weight >= floor) ++n;
      cands.resize(std::max<size_t>(n, 1));
      total = 0;
      for (const Cand& c : cands) total += c.weight;
    }
    if (o.top_p < 1.0f) {
      const double target = o.top_p * total;
      double acc = 0;
      size_t n = 0;
      while (n < cands.size()) {
        acc += cands[n].weight;
        ++n;
        if (acc >= target) break;
      }
      cands.resize(n);
      total = acc;
    }
  }
  // Inverse CDF over the candidates in their (deterministic) order.
  const double u = rng.Uniform() * total;
  double acc = 0;
  size_t pick = cands.size() - 1;
  for (size_t i = 0; i < cands.size(); ++i) {
    acc += cands[i].weight;
    if (u < acc) {
      pick = i;
      break;
    }
  }
  out.token = cands[pick].id;
  out.logprob = policy_logprob(out.token);
  out.sampling_logprob = static_cast<float>(std::log(cands[pick].weight / total));
  return out;
}

}  // namespace rlvr::sampler
