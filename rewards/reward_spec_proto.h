// RewardSpec from its wire form (rlvr.v1.RewardSpec) — the one place the proto meets rewards/.
#ifndef RLVR_REWARDS_REWARD_SPEC_PROTO_H_
#define RLVR_REWARDS_REWARD_SPEC_PROTO_H_

#include "absl/status/statusor.h"
#include "rewards/reward_spec.h"
#include "rlvr/v1/common.pb.h"

namespace rlvr::rewards {

// Converts and validates (ValidateRewardSpec). Unset fields take the proto's documented defaults.
// INVALID_ARGUMENT names the term and field that is wrong.
absl::StatusOr<RewardSpec> RewardSpecFromProto(const v1::RewardSpec& proto);

}  // namespace rlvr::rewards

#endif  // RLVR_REWARDS_REWARD_SPEC_PROTO_H_
