#include "sandbox/mounts.h"

#include <sys/stat.h>

#include "gtest/gtest.h"

namespace rlvr::sandbox {
namespace {

// The root is assembled on a tmpfs mounted over the staging directory, which hides what lies
// under it: a build tree under /tmp (the zygote binary is bound from there) needs another stage.
TEST(MountPlanTest, StagingDirectoryNeverHidesWhatTheRootBinds) {
  absl::StatusOr<MountPlan> plain = MakeMountPlan(1 << 20, {});
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_EQ(plain->stage, "/tmp");
  absl::StatusOr<MountPlan> moved = MakeMountPlan(1 << 20, {}, {"/tmp/build/sandbox/rlvr-sandbox-pyzygote"});
  struct stat st;
  if (stat("/mnt", &st) != 0) GTEST_SKIP() << "no /mnt here";
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_EQ(moved->stage, "/mnt");
  EXPECT_EQ(moved->stage_work, "/mnt/work");
  // "/tmpfoo" is not under "/tmp".
  absl::StatusOr<MountPlan> prefix = MakeMountPlan(1 << 20, {}, {"/tmpfoo/zygote"});
  ASSERT_TRUE(prefix.ok());
  EXPECT_EQ(prefix->stage, "/tmp");
}

}  // namespace
}  // namespace rlvr::sandbox
