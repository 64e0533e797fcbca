#include "sandbox/credentials.h"

#include <grp.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "sandbox/namespaces.h"

namespace rlvr::sandbox {

int DropBoundingSet() {
  for (int cap = 0; cap <= 63; ++cap) {
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0) continue;
    if (errno == EINVAL) break;  // past the kernel's last capability (they are numbered densely)
    return errno;
  }
  return 0;
}

// Raw syscalls, not the libc wrappers: glibc's set*id() broadcast the change to every thread it
// knows of and wait for them, and a child cloned from a multithreaded parent inherits that list
// but none of the threads — the wrapper would hang.
int SwitchToSandboxIds(bool can_setgroups, SetupStep* failed) {
  if (can_setgroups) {
    *failed = SetupStep::kSetGroups;
    gid_t g = kSandboxGid;
    if (syscall(SYS_setgroups, 1, &g) != 0) return errno;
  }
  *failed = SetupStep::kSetGid;
  if (syscall(SYS_setresgid, kSandboxGid, kSandboxGid, kSandboxGid) != 0) return errno;
  *failed = SetupStep::kSetUid;
  if (syscall(SYS_setresuid, kSandboxUid, kSandboxUid, kSandboxUid) != 0) return errno;
  *failed = SetupStep::kNone;
  return 0;
}

int DropCapabilities() {
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) return errno;
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  if (syscall(SYS_capset, &header, data) != 0) return errno;
  return 0;
}

int SetNoNewPrivs() {
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return errno;
  return 0;
}

}  // namespace rlvr::sandbox
