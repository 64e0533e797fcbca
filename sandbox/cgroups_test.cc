#include "sandbox/cgroups.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "gtest/gtest.h"

namespace rlvr::sandbox {
namespace {

// This process's cgroup in the v1 pids hierarchy, or "" where there is none.
std::string OwnPidsCgroup() {
  std::ifstream in("/proc/self/cgroup");
  std::string line;
  while (std::getline(in, line)) {
    size_t a = line.find(':'), b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    if (line.substr(a + 1, b - a - 1) != "pids") continue;
    std::string path = line.substr(b + 1);
    return "/sys/fs/cgroup/pids" + (path == "/" ? "" : path);
  }
  return "";
}

pid_t DeadPid() {
  pid_t pid = fork();
  if (pid == 0) _exit(0);
  waitpid(pid, nullptr, 0);
  return pid;
}

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

// A process killed (or one that never destroys its pool) leaves its cgroups behind; the next
// pool removes them, and a pid the kernel hands out again never collides with them.
TEST(CgroupPoolTest, RemovesCgroupsOfDeadProcessesAndKeepsLiveOnes) {
  std::string parent = OwnPidsCgroup();
  if (geteuid() != 0 || parent.empty() || !Exists(parent)) {
    GTEST_SKIP() << "needs root and the v1 pids hierarchy";
  }
  const std::string stale = parent + "/rlvr-sandbox-" + std::to_string(DeadPid()) + "-abc";
  const std::string old_format = parent + "/rlvr-sandbox-" + std::to_string(DeadPid());
  const std::string live = parent + "/rlvr-sandbox-" + std::to_string(getppid()) + "-live";
  for (const std::string& dir : {stale, stale + "/0", stale + "/1", old_format, old_format + "/0", live}) {
    ASSERT_EQ(mkdir(dir.c_str(), 0755), 0) << dir;
  }
  std::unique_ptr<CgroupPool> pool = CgroupPool::Create();
  EXPECT_TRUE(pool->availability().pids);
  EXPECT_FALSE(Exists(stale));
  EXPECT_FALSE(Exists(old_format));
  EXPECT_TRUE(Exists(live));  // its owner still runs
  rmdir(live.c_str());

  // Two pools in one process get distinct directories, and each removes its own.
  std::unique_ptr<CgroupPool> other = CgroupPool::Create();
  EXPECT_TRUE(other->availability().pids) << other->availability().problems.size();
  absl::StatusOr<std::unique_ptr<CgroupSlot>> a = pool->Acquire({.memory_bytes = 1 << 26, .max_pids = 8});
  absl::StatusOr<std::unique_ptr<CgroupSlot>> b = other->Acquire({.memory_bytes = 1 << 26, .max_pids = 8});
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  pool->Release(std::move(*a));
  other->Release(std::move(*b));
}

}  // namespace
}  // namespace rlvr::sandbox
