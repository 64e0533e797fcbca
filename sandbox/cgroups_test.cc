#include "sandbox/cgroups.h"

#include <signal.h>
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

// The cgroup of `pid` in the v1 hierarchy of `controller`, from /proc/<pid>/cgroup.
std::string CgroupOf(pid_t pid, const std::string& controller) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cgroup");
  std::string line;
  while (std::getline(in, line)) {
    size_t a = line.find(':'), b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    if (line.substr(a + 1, b - a - 1) == controller) return line.substr(b + 1);
  }
  return "";
}

// v1: a child moves itself with the slot's descriptors (no move by pid, no global lock), lands in
// every controller's cgroup of the slot, counts against its pids limit, and the slot is reusable.
TEST(CgroupPoolTest, ChildJoinsItsSlotByItself) {
  if (geteuid() != 0 || OwnPidsCgroup().empty() || !Exists(OwnPidsCgroup())) {
    GTEST_SKIP() << "needs root and the v1 pids hierarchy";
  }
  std::unique_ptr<CgroupPool> pool = CgroupPool::Create();
  ASSERT_EQ(pool->availability().version, "v1");
  absl::StatusOr<std::unique_ptr<CgroupSlot>> slot = pool->Acquire({.memory_bytes = 1 << 26, .max_pids = 1});
  ASSERT_TRUE(slot.ok()) << slot.status();
  const std::vector<int>& fds = (*slot)->self_join_fds();
  ASSERT_EQ(fds.size(), 3u);  // memory, pids, cpuacct
  const std::string before = CgroupOf(getpid(), "pids");

  int report[2], hold[2];
  ASSERT_EQ(pipe(report), 0);
  ASSERT_EQ(pipe(hold), 0);
  pid_t child = fork();
  if (child == 0) {
    close(report[0]);
    close(hold[1]);
    int err = JoinSelf(fds.data(), static_cast<int>(fds.size()));
    // The pids limit of 1 is ours now: a fork must fail.
    pid_t grandchild = fork();
    if (grandchild == 0) _exit(0);
    char msg[2] = {static_cast<char>(err == 0 ? 'j' : 'e'), static_cast<char>(grandchild < 0 ? 'f' : 'F')};
    (void)!write(report[1], msg, 2);
    char wait_byte;
    (void)!read(hold[0], &wait_byte, 1);  // stays until the parent has looked
    _exit(0);
  }
  close(report[1]);
  close(hold[0]);
  char msg[2] = {0, 0};
  ASSERT_EQ(read(report[0], msg, 2), 2);
  EXPECT_EQ(msg[0], 'j');
  EXPECT_EQ(msg[1], 'f') << "fork succeeded beyond pids.max = 1";
  for (const char* controller : {"memory", "pids", "cpuacct"}) {
    EXPECT_NE(CgroupOf(child, controller), CgroupOf(getpid(), controller)) << controller;
    EXPECT_NE(CgroupOf(child, controller).find("rlvr-sandbox-"), std::string::npos) << controller;
  }
  close(hold[1]);
  waitpid(child, nullptr, 0);
  close(report[0]);
  EXPECT_EQ(CgroupOf(getpid(), "pids"), before);  // the parent never moved
  EXPECT_GE((*slot)->CpuNanos(), 0);
  pool->Release(std::move(*slot));
  // Reused: the same descriptors still work for the next run's child.
  absl::StatusOr<std::unique_ptr<CgroupSlot>> again = pool->Acquire({.memory_bytes = 1 << 26, .max_pids = 4});
  ASSERT_TRUE(again.ok()) << again.status();
  pid_t second = fork();
  if (second == 0) _exit(JoinSelf((*again)->self_join_fds().data(), 3) == 0 ? 0 : 1);
  int status = 0;
  waitpid(second, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  pool->Release(std::move(*again));
}

}  // namespace
}  // namespace rlvr::sandbox
