// The per-sample view that the group-level functions (advantages, filtering) work on.
#ifndef RLVR_REWARDS_SAMPLE_H_
#define RLVR_REWARDS_SAMPLE_H_

namespace rlvr::rewards {

// One sample of a group after verification. An invalid verdict (`valid == false`: the verifier failed,
// timed out, …) is masked: it takes no part in baselines or statistics and gets no advantage. Its
// `reward` is ignored and may hold anything, NaN included.
struct SampleReward {
  double reward = 0.0;
  bool valid = true;
};

}  // namespace rlvr::rewards

#endif  // RLVR_REWARDS_SAMPLE_H_
