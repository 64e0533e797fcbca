#include "rewards/reward_spec_proto.h"

#include "common/status_macros.h"

namespace rlvr::rewards {

absl::StatusOr<RewardSpec> RewardSpecFromProto(const v1::RewardSpec& proto) {
  RewardSpec spec;
  spec.correctness.weight = proto.has_correctness_weight() ? proto.correctness_weight() : 1.0;
  for (const v1::FormatTerm& in : proto.format()) {
    FormatTerm term;
    term.name = in.name();
    term.pattern = in.pattern();
    term.anchor = in.partial() ? FormatTerm::Anchor::kPartial : FormatTerm::Anchor::kFull;
    term.weight = in.has_weight() ? in.weight() : 1.0;
    term.match_value = in.has_match_value() ? in.match_value() : 1.0;
    term.miss_value = in.has_miss_value() ? in.miss_value() : 0.0;
    spec.format.push_back(std::move(term));
  }
  if (proto.has_length() && proto.length().max_tokens() > 0) {
    OverlongTerm term;
    if (!proto.length().name().empty()) term.name = proto.length().name();
    term.max_length = proto.length().max_tokens();
    term.buffer = proto.length().buffer_tokens();
    term.weight = proto.length().has_weight() ? proto.length().weight() : 1.0;
    spec.overlong.push_back(std::move(term));
  }
  for (const v1::TargetLengthTerm& in : proto.target_length()) {
    TargetLengthTerm term;
    if (!in.name().empty()) term.name = in.name();
    term.target = in.target();
    term.scale = in.scale();
    term.only_longer = in.only_longer();
    term.weight = in.has_weight() ? in.weight() : 1.0;
    spec.target_length.push_back(std::move(term));
  }
  RETURN_IF_ERROR(ValidateRewardSpec(spec));
  return spec;
}

}  // namespace rlvr::rewards
