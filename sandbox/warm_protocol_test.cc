#include "sandbox/warm_protocol.h"

#include "gtest/gtest.h"

namespace rlvr::sandbox {
namespace {

TEST(WarmProtocolTest, RoundTrips) {
  WarmSpec spec;
  spec.argv = {"main.py", "a b", std::string("x\0y", 3)};
  spec.files = {{"main.py", "print(1)\n", 0644}, {"d/data.bin", std::string(70000, '\xff'), 0755}};
  spec.rlimits = {1500, 1 << 30, 64, 1 << 20, 32};
  spec.scratch_bytes = 12345;
  std::optional<WarmSpec> back = DecodeWarmSpec(EncodeWarmSpec(spec));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->argv, spec.argv);
  ASSERT_EQ(back->files.size(), 2u);
  EXPECT_EQ(back->files[1].path, "d/data.bin");
  EXPECT_EQ(back->files[1].content, spec.files[1].content);
  EXPECT_EQ(back->files[1].mode, 0755u);
  EXPECT_EQ(back->rlimits.cpu_ms, 1500);
  EXPECT_EQ(back->rlimits.open_files, 32);
  EXPECT_EQ(back->scratch_bytes, 12345u);
}

TEST(WarmProtocolTest, RejectsTruncatedAndGarbage) {
  WarmSpec spec;
  spec.argv = {"main.py"};
  std::string enc = EncodeWarmSpec(spec);
  for (size_t cut = 0; cut < enc.size(); ++cut) {
    EXPECT_FALSE(DecodeWarmSpec(enc.substr(0, cut)).has_value()) << cut;
  }
  EXPECT_FALSE(DecodeWarmSpec(enc + "x").has_value());
  std::string huge = enc;
  huge[6] = '\x7f';  // argc
  EXPECT_FALSE(DecodeWarmSpec(huge).has_value());
}

}  // namespace
}  // namespace rlvr::sandbox
