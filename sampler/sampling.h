// Token sampling from one row of logits: greedy, temperature, top-k, top-p, min-p; with the
// sampled token's log-probability under the policy (temperature 1, untruncated) and under the
// distribution actually sampled from. Deterministic: the same logits and generator state give
// the same token on every machine with the same float semantics.
#ifndef RLVR_SAMPLER_SAMPLING_H_
#define RLVR_SAMPLER_SAMPLING_H_

#include <cstdint>

#include "absl/status/status.h"
#include "sampler/sampler.h"

namespace rlvr::sampler {

// xoshiro256** seeded through splitmix64: small, fast, identical everywhere.
class Rng {
 public:
  explicit Rng(uint64_t seed);
  uint64_t Next();
  // Uniform in [0, 1) with 53 random bits.
  double Uniform();

 private:
  uint64_t s_[4];
};

struct TokenChoice {
  int32_t token = 0;
  float logprob = 0;           // log softmax(logits)[token]
  float sampling_logprob = 0;  // log q(token), q the (tempered, truncated, renormalized) sampling law
};

// Range checks of the sampling fields (not max_tokens, which the sampler bounds):
// INVALID_ARGUMENT naming the field and value.
absl::Status ValidateSamplingOptions(const SamplingOptions& options);

// Samples one token from `logits[0, vocab)`. temperature 0 is greedy (ties: lowest id;
// sampling_logprob 0). Non-finite logits count as -inf; a row with no finite logit yields token 0
// with logprob -inf.
TokenChoice SampleToken(const float* logits, int64_t vocab, const SamplingOptions& options, Rng& rng);

// True when the sampling law differs from the policy (so sampling_logprobs are reported).
bool SamplingDiffersFromPolicy(const SamplingOptions& options);

}  // namespace rlvr::sampler

#endif  // RLVR_SAMPLER_SAMPLING_H_
