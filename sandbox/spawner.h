// Spawner: cold starts from a pre-built root, for a host running as root.
//
// A cold run's fixed cost is kernel work that does not depend on the program: copying the host's
// address space at fork (and dropping it again at exec), a fresh network namespace (~0.7 ms), and
// building the root (a tmpfs, a dozen binds and remounts, /etc files). The spawner does that work
// once, at start-up, and keeps the result:
//
//   - the root, built once (mounts.h BuildRootTree, then sealed read-only) in a mount namespace
//     of its own. Each run gets a copy of that namespace (CLONE_NEWNS), then its own /work, /tmp
//     and /proc, pivot_root and the host tree detached, exactly as a root built from scratch;
//   - with Landlock, one empty network namespace (loopback down) shared by cold runs, as warm runs
//     share the zygote's: a run can reach nothing, and Landlock's abstract-socket scope keeps two
//     runs from reaching each other. Without Landlock each run gets a fresh one;
//   - one uts namespace (host name "sandbox") shared by cold runs, and with seccomp, which denies
//     System V IPC and POSIX message queues, one ipc namespace (a fresh one costs ~0.1 ms per
//     clone). Both belong to the host's user namespace: a run cannot change either;
//   - threads that sit in these namespaces, with no supplementary groups and the effective ids of
//     "nobody" (per thread, raw syscalls), and clone each run vfork-style (CLONE_VM|CLONE_VFORK,
//     as posix_spawn does): nothing of the host's memory is copied. The child creates its user
//     namespace (and pid, mount) in the same clone and maps its single id itself — a
//     process may map its own effective id — so it needs no step from the parent at all.
//
// The seccomp policy is split the same way: the spawning threads carry the part of it that set-up
// never needs, so a child inherits that and loads only the rest (seccomp_policy.h).
//
// What a program sees is the same as with a root built from scratch (sandbox_test compares
// them); the root's files are owned by an unmapped id instead of the sandbox uid, and it keeps no
// supplementary group. Not for non-root hosts (they cannot enter a namespace they do not own) nor
// cgroup v2 slots (the parent moves the child, which vfork-style cloning cannot wait for): those
// use launcher.h.
#ifndef RLVR_SANDBOX_SPAWNER_H_
#define RLVR_SANDBOX_SPAWNER_H_

#include <deque>
#include <memory>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "sandbox/cgroups.h"
#include "sandbox/launcher.h"
#include "sandbox/mounts.h"
#include "sandbox/setup_recipe.h"

namespace rlvr::sandbox {

class Spawner {
 public:
  // Builds the root template from `mounts` (whose stage every run's plan must share) and starts
  // `threads` spawning threads. `share_netns`: one empty network namespace for all runs (only
  // with Landlock scopes). Errors: FAILED_PRECONDITION naming the step that failed (not root, a
  // mount, setns…); the caller then builds each root from scratch.
  // `seccomp`: whether runs get the seccomp policy. Then each spawning thread installs the rules
  // no set-up step needs on itself (seccomp_policy.h, kRest), which every child inherits, and a
  // child loads only the rest (kSetup) before exec: the same policy at a fraction of the cost.
  static absl::StatusOr<std::unique_ptr<Spawner>> Create(const MountPlan& mounts, bool share_netns,
                                                         bool seccomp, int threads = 2);
  // Stops the threads. Runs still going are killed: their parent thread exits (PR_SET_PDEATHSIG).
  ~Spawner();
  Spawner(const Spawner&) = delete;
  Spawner& operator=(const Spawner&) = delete;

  // Launch() for a pre-built root: `plan` has the standard streams set and mounts sharing the
  // template's stage; `slot` is null or joined by the child itself (v1). Thread-safe. Returns once
  // the child has exec'd or failed (then setup_error says where). Errors: INTERNAL when clone
  // itself fails.
  absl::StatusOr<Launched> Spawn(ChildPlan plan, CgroupSlot* slot);

  bool shares_netns() const { return share_netns_; }
  bool shares_ipcns() const { return ipcns_ >= 0; }

 private:
  struct Request;
  Spawner() = default;
  void Loop(int index);

  bool share_netns_ = false;
  sock_fprog rest_filter_{};   // len 0: no seccomp
  sock_fprog setup_filter_{};
  int template_mnt_ = -1;
  int netns_ = -1;
  int utsns_ = -1;  // every run's uts namespace
  int ipcns_ = -1;  // with seccomp: every run's ipc namespace
  absl::Mutex mu_;
  std::deque<Request*> queue_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<absl::Status> thread_setup_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> threads_;
};

}  // namespace rlvr::sandbox

#endif  // RLVR_SANDBOX_SPAWNER_H_
