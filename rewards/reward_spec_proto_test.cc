#include "rewards/reward_spec_proto.h"

#include "gtest/gtest.h"

namespace rlvr::rewards {
namespace {

TEST(RewardSpecProtoTest, ConvertsEveryTermWithDefaults) {
  v1::RewardSpec proto;
  v1::FormatTerm* format = proto.add_format();
  format->set_name("think");
  format->set_pattern("(?s)<think>.*</think>.*");
  format->set_weight(0.5);
  proto.mutable_length()->set_max_tokens(100);
  proto.mutable_length()->set_buffer_tokens(20);
  proto.mutable_length()->set_weight(1.0);
  v1::TargetLengthTerm* target = proto.add_target_length();
  target->set_name("near_50");
  target->set_target(50);
  target->set_weight(0.1);
  absl::StatusOr<RewardSpec> spec = RewardSpecFromProto(proto);
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->correctness.weight, 1.0);  // unset -> 1
  ASSERT_EQ(spec->format.size(), 1u);
  EXPECT_EQ(spec->format[0].anchor, FormatTerm::Anchor::kFull);
  EXPECT_EQ(spec->format[0].match_value, 1.0);
  EXPECT_EQ(spec->format[0].miss_value, 0.0);
  ASSERT_EQ(spec->overlong.size(), 1u);
  EXPECT_EQ(spec->overlong[0].name, "overlong");
  EXPECT_EQ(spec->overlong[0].buffer, 20);
  ASSERT_EQ(spec->target_length.size(), 1u);
  EXPECT_EQ(spec->target_length[0].target, 50);

  // Correct, well-formed, 90 tokens long: 1 + 0.5 + overlong (100-20-90)/20 = -0.5 ... times 1,
  // plus target-length -min(1, 40/50) * 0.1 = -0.08.
  RewardInput input;
  input.score = 1.0;
  input.response = "<think>x</think>42";
  input.response_length = 90;
  absl::StatusOr<RewardBreakdown> reward = ComputeReward(*spec, input);
  ASSERT_TRUE(reward.ok()) << reward.status();
  EXPECT_NEAR(reward->total, 1.0 + 0.5 - 0.5 - 0.08, 1e-12);
}

TEST(RewardSpecProtoTest, ExplicitZeroCorrectnessWeightIsKept) {
  v1::RewardSpec proto;
  proto.set_correctness_weight(0.0);
  absl::StatusOr<RewardSpec> spec = RewardSpecFromProto(proto);
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->correctness.weight, 0.0);
}

TEST(RewardSpecProtoTest, UnsetWeightsAreOneAndExplicitZeroIsKept) {
  v1::RewardSpec proto;
  proto.add_format()->set_pattern("(?s).*</think>.*");
  proto.mutable_format(0)->set_name("think");
  proto.mutable_length()->set_max_tokens(100);
  proto.add_target_length()->set_target(50);
  absl::StatusOr<RewardSpec> spec = RewardSpecFromProto(proto);
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->format[0].weight, 1.0);
  EXPECT_EQ(spec->overlong[0].weight, 1.0);
  EXPECT_EQ(spec->target_length[0].weight, 1.0);

  proto.mutable_format(0)->set_weight(0.0);
  proto.mutable_length()->set_weight(0.0);
  proto.mutable_target_length(0)->set_weight(0.0);
  spec = RewardSpecFromProto(proto);
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->format[0].weight, 0.0);
  EXPECT_EQ(spec->overlong[0].weight, 0.0);
  EXPECT_EQ(spec->target_length[0].weight, 0.0);

  // `optional` keeps the wire format: field 3, wire type 1 (64-bit), as a plain double sender
  // writes it; an unset weight is absent from the bytes.
  const double quarter = 0.25;
  std::string plain_double_bytes = "\x19";
  plain_double_bytes.append(reinterpret_cast<const char*>(&quarter), sizeof quarter);  // little-endian
  v1::FormatTerm parsed;
  ASSERT_TRUE(parsed.ParseFromString(plain_double_bytes));
  EXPECT_TRUE(parsed.has_weight());
  EXPECT_EQ(parsed.weight(), 0.25);
  EXPECT_EQ(parsed.SerializeAsString(), plain_double_bytes);
  EXPECT_TRUE(v1::FormatTerm().SerializeAsString().empty());
}

TEST(RewardSpecProtoTest, BadSpecsNameTheTerm) {
  v1::RewardSpec bad_pattern;
  bad_pattern.add_format()->set_name("broken");
  bad_pattern.mutable_format(0)->set_pattern("(unclosed");
  bad_pattern.mutable_format(0)->set_weight(1);
  absl::StatusOr<RewardSpec> spec = RewardSpecFromProto(bad_pattern);
  // Caught by validation or, at the latest, when the pattern is compiled; either way named.
  absl::Status error = spec.ok() ? RewardFunction::Create(*spec).status() : spec.status();
  EXPECT_EQ(error.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(error.message().find("broken"), std::string::npos) << error;
  v1::RewardSpec bad_buffer;
  bad_buffer.mutable_length()->set_max_tokens(10);
  bad_buffer.mutable_length()->set_buffer_tokens(20);
  bad_buffer.mutable_length()->set_weight(1);
  spec = RewardSpecFromProto(bad_buffer);
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(spec.status().message().find("overlong"), std::string::npos) << spec.status();
}

}  // namespace
}  // namespace rlvr::rewards
