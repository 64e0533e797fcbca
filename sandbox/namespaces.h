// Namespaces: the clone3 call that puts a child in fresh user, pid, mount, net, ipc and uts
// namespaces, and the uid/gid maps that give it one unprivileged identity inside.
//
// The child sees itself as pid 1 of a new pid namespace: when it exits the kernel kills every
// process left in the namespace before the parent's wait returns, so nothing outlives a run.
// The net namespace has only a down loopback: nothing is reachable. The cgroup namespace is
// unshared later, by the child, once the parent has moved it into its run cgroup.
#ifndef RLVR_SANDBOX_NAMESPACES_H_
#define RLVR_SANDBOX_NAMESPACES_H_

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "absl/status/status.h"

namespace rlvr::sandbox {

// The identity of sandboxed code inside its user namespace.
inline constexpr uid_t kSandboxUid = 1000;
inline constexpr gid_t kSandboxGid = 1000;
// The host uid/gid that kSandboxUid maps to when the host runs as root ("nobody").
inline constexpr uid_t kHostNobody = 65534;

// Flags for a cold run: every namespace but cgroup (see file comment).
uint64_t RunNamespaceFlags();

// Flags for a warm run cloned by the zygote: as a cold run, but the network namespace is the
// zygote's own — already empty, with loopback down — because a fresh one costs more than the
// rest of the run's start-up. Cross-run abstract sockets are closed by Landlock (landlock.h);
// without Landlock the zygote falls back to RunNamespaceFlags().
uint64_t WarmRunNamespaceFlags();

// Async-signal-safe. clone3() with `flags` | CLONE_PIDFD and SIGCHLD, fork-like (returns 0 in the
// child, which continues on a copy of the caller's stack). Sets *pidfd in the parent. Returns -1
// with errno on failure.
pid_t CloneWithPidfd(uint64_t flags, int* pidfd);

// The outer ids that the single inside id maps to: root maps it to nobody; anyone else can only
// map their own euid/egid (the kernel's rule for unprivileged writers).
struct IdMapping {
  uid_t outer_uid;
  gid_t outer_gid;
  bool deny_setgroups;  // required for unprivileged writers; then the child keeps its groups.
};
IdMapping HostIdMapping();

// Parent side, after clone: writes /proc/<pid>/{setgroups,uid_map,gid_map}.
absl::Status WriteIdMaps(pid_t pid, const IdMapping& mapping);

// Child side, async-signal-safe, right after clone without a parent to write the maps: writes
// /proc/self/{setgroups,uid_map,gid_map}, mapping kSandboxUid/Gid to `outer_uid`/`outer_gid`,
// which must be the effective ids we were cloned with (the kernel lets a process map only
// those). Returns errno or 0.
int WriteOwnIdMaps(uid_t outer_uid, gid_t outer_gid);

// Whether this process can create the namespaces of a run (a throwaway child tries it).
// Returns the reason when it cannot.
absl::Status ProbeNamespaces();

}  // namespace rlvr::sandbox

#endif  // RLVR_SANDBOX_NAMESPACES_H_
