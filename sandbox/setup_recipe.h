// The child side of a cold start: one linear recipe, in the order things happen, from the moment
// clone3 returns in the child to execve. Every input is computed by the parent beforehand
// (ChildPlan), so the recipe only makes syscalls: the parent may be multithreaded, and after
// clone only async-signal-safe work is allowed in the child.
#ifndef RLVR_SANDBOX_SETUP_RECIPE_H_
#define RLVR_SANDBOX_SETUP_RECIPE_H_

#include <linux/filter.h>
#include <sys/types.h>

#include <string>
#include <vector>

#include "sandbox/mounts.h"
#include "sandbox/rlimits.h"

namespace rlvr::sandbox {

struct ChildPlan {
  struct PlacedFile {
    std::string dir;   // "/work/sub" to create first, or empty
    std::string path;  // "/work/sub/name"
    const std::string* content;
    mode_t mode;
  };
  // Read end: the parent writes one byte once the id maps are written, one once the cgroup is
  // joined. -1 (pre-built roots, spawner.h): no parent step; the child writes its own id maps.
  int sync_fd = -1;
  uid_t self_map_uid = 0;  // sync_fd < 0: the outer ids the child maps its own to
  gid_t self_map_gid = 0;
  int error_fd = -1;  // write end, O_CLOEXEC: a SetupError on failure, EOF on successful execve
  int stdin_fd = -1, stdout_fd = -1, stderr_fd = -1;
  int extra_fd = -1;  // if >= 0, becomes fd 3 in the program (the zygote's control socket)
  std::vector<int> cgroup_join_fds;  // CgroupSlot::self_join_fds(): the child moves itself first
  bool can_setgroups = false;
  // SIGKILL when the launching *thread* exits (PR_SET_PDEATHSIG). Off for a child that outlives
  // the call that started it (the zygote): it ends when its control socket closes instead.
  bool die_with_parent_thread = true;
  const MountPlan* mounts = nullptr;
  // The child starts in a copy of a pre-built root's mount namespace (spawner.h): EnterRootTemplate
  // instead of ApplyMountPlan.
  bool root_prebuilt = false;
  // The child stays in the spawner's uts namespace, whose host name is already "sandbox" (and which
  // it cannot change: it does not own that namespace).
  bool shared_uts = false;
  std::vector<PlacedFile> files;
  bool apply_rlimits = true;
  RlimitPlan rlimits;
  bool landlock = false;                // apply the Landlock scopes (landlock.h)
  const sock_fprog* seccomp = nullptr;  // null: no filter (the zygote, which needs clone flags)
  int exec_fd = -1;                     // >= 0: execveat(exec_fd, "") instead of exec_path
  const char* exec_path = nullptr;
  std::vector<char*> argv;  // null-terminated
  std::vector<char*> envp;  // null-terminated
};

// Never returns: execs the program or reports the failing step on plan.error_fd and exits.
[[noreturn]] void RunChild(const ChildPlan& plan);

// Async-signal-safe helpers shared with the warm (zygote) path.
int ResetSignals();
int PlaceFiles(const std::vector<ChildPlan::PlacedFile>& files);
// Closes every descriptor numbered `first` or above except `keep_a` and `keep_b` (-1: none).
// Returns errno or 0.
int CloseAllExcept(int first, int keep_a, int keep_b);

}  // namespace rlvr::sandbox

#endif  // RLVR_SANDBOX_SETUP_RECIPE_H_
