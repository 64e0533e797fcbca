#include "sandbox/setup_recipe.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "sandbox/cgroups.h"
#include "sandbox/credentials.h"
#include "sandbox/landlock.h"
#include "sandbox/namespaces.h"
#include "sandbox/seccomp_policy.h"
#include "sandbox/setup_step.h"

namespace rlvr::sandbox {

int ResetSignals() {
  struct sigaction dfl = {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    sigaction(sig, &dfl, nullptr);  // fails harmlessly for the libc-reserved RT signals
  }
  sigset_t none;
  sigemptyset(&none);
  if (sigprocmask(SIG_SETMASK, &none, nullptr) != 0) return errno;
  return 0;
}

int PlaceFiles(const std::vector<ChildPlan::PlacedFile>& files) {
  for (const auto& f : files) {
    if (!f.dir.empty() && mkdir(f.dir.c_str(), 0755) != 0 && errno != EEXIST) return errno;
    int fd = open(f.path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, f.mode);
    if (fd < 0) return errno;
    const char* p = f.content->data();
    size_t left = f.content->size();
    while (left > 0) {
      ssize_t n = write(fd, p, left);
      if (n < 0) {
        if (errno == EINTR) continue;
        int err = errno;
        close(fd);
        return err;
      }
      p += n;
      left -= static_cast<size_t>(n);
    }
    close(fd);
  }
  return 0;
}

int CloseAllExcept(int first, int keep_a, int keep_b) {
  if (keep_a > keep_b) std::swap(keep_a, keep_b);
  int lo = first;
  for (int keep : {keep_a, keep_b}) {
    if (keep < lo) continue;
    if (keep > lo && syscall(SYS_close_range, lo, keep - 1, 0) != 0) return errno;
    lo = keep + 1;
  }
  if (syscall(SYS_close_range, lo, ~0U, 0) != 0) return errno;
  return 0;
}

void RunChild(const ChildPlan& plan) {
  const int efd = plan.error_fd;
  auto fail = [efd](SetupStep step, int err) { ReportSetupErrorAndExit(efd, step, err); };

  // 1. Die with the parent thread (unless told otherwise); start from default signal handling
  //    (the host may ignore SIGPIPE).
  if (plan.die_with_parent_thread) prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  if (int err = ResetSignals(); err != 0) fail(SetupStep::kSignals, err);

  // 2. Into the run cgroup, before anything is charged (v1: we move ourselves, see cgroups.h;
  //    otherwise the parent moves us while we build the root). Then wait until the parent has
  //    written our uid/gid maps.
  if (int err = JoinSelf(plan.cgroup_join_fds.data(), static_cast<int>(plan.cgroup_join_fds.size()));
      err != 0) {
    fail(SetupStep::kJoinCgroup, err);
  }
  auto wait_for_parent = [&](SetupStep step) {
    if (plan.sync_fd < 0) return;
    char go = 0;
    ssize_t n;
    do n = read(plan.sync_fd, &go, 1);
    while (n < 0 && errno == EINTR);
    if (n != 1) fail(step, n < 0 ? errno : EPIPE);
  };
  wait_for_parent(SetupStep::kWaitForParent);

  // 3. The sandbox uid/gid, mapped now (by the parent, or without one by ourselves: the spawner
  //    cloned us with its effective ids set to the one outer id we map). Files we create must be
  //    owned by a mapped id. We keep our capabilities in the new user namespace: its root (uid 0)
  //    is unmapped, so the kernel's "root gives up uid 0" rule that clears them does not apply.
  if (plan.sync_fd < 0) {
    if (int err = WriteOwnIdMaps(plan.self_map_uid, plan.self_map_gid); err != 0) fail(SetupStep::kWriteIdMaps, err);
  }
  SetupStep failed = SetupStep::kNone;
  if (int err = SwitchToSandboxIds(plan.can_setgroups, &failed); err != 0) fail(failed, err);

  // 4. The root: tmpfs, read-only binds, /dev, /etc, /work, /tmp; pivot_root; /proc.
  const int mount_err = plan.root_prebuilt ? EnterRootTemplate(*plan.mounts, &failed)
                                           : ApplyMountPlan(*plan.mounts, &failed);
  if (mount_err != 0) fail(failed, mount_err);
  if (!plan.shared_uts && sethostname("sandbox", 7) != 0) fail(SetupStep::kSetHostname, errno);

  // 5. Standard streams; every other inherited descriptor closes now (a descriptor of the host
  //    counts against RLIMIT_NOFILE until exec) but the error and sync pipes (close-on-exec).
  if (dup2(plan.stdin_fd, 0) < 0 || dup2(plan.stdout_fd, 1) < 0 || dup2(plan.stderr_fd, 2) < 0) {
    fail(SetupStep::kRedirectStdio, errno);
  }
  if (plan.extra_fd >= 0 && dup2(plan.extra_fd, 3) < 0) fail(SetupStep::kRedirectStdio, errno);
  const int first_closed = plan.extra_fd >= 0 ? 4 : 3;
  if (int err = CloseAllExcept(first_closed, efd, plan.sync_fd); err != 0) fail(SetupStep::kCloseFds, err);

  // 6. No capability can ever be regained: empty the bounding set while we still may.
  if (int err = DropBoundingSet(); err != 0) fail(SetupStep::kDropBoundingSet, err);

  // 7. The work directory and the caller's files, written as the sandbox uid.
  if (chdir("/work") != 0) fail(SetupStep::kChdirWork, errno);
  if (int err = PlaceFiles(plan.files); err != 0) fail(SetupStep::kPlaceFiles, err);

  // 9. In the run cgroup now, with a cgroup namespace rooted there (/proc/self/cgroup shows "/").
  wait_for_parent(SetupStep::kWaitForCgroup);
  if (plan.sync_fd >= 0) close(plan.sync_fd);
  if (unshare(CLONE_NEWCGROUP) != 0) fail(SetupStep::kUnshareCgroup, errno);

  // 10. Limits, then nothing left to gain: no capabilities, no new privileges, the syscall filter.
  if (plan.apply_rlimits) {
    if (int err = ApplyRlimits(plan.rlimits); err != 0) fail(SetupStep::kSetRlimits, err);
  }
  if (int err = DropCapabilities(); err != 0) fail(SetupStep::kDropCapabilities, err);
  if (int err = SetNoNewPrivs(); err != 0) fail(SetupStep::kNoNewPrivs, err);
  if (plan.landlock) {
    if (int err = ApplyLandlockScopes(); err != 0) fail(SetupStep::kLandlock, err);
  }
  if (plan.seccomp != nullptr) {
    if (int err = LoadSeccompProgram(*plan.seccomp); err != 0) fail(SetupStep::kSeccomp, err);
  }

  // 11. The program. The error pipe closes on success.
  if (plan.exec_fd >= 0) {
    syscall(SYS_execveat, plan.exec_fd, "", plan.argv.data(), plan.envp.data(), AT_EMPTY_PATH);
  } else {
    execve(plan.exec_path, plan.argv.data(), plan.envp.data());
  }
  ReportSetupErrorAndExit(efd, SetupStep::kExec, errno);
}

}  // namespace rlvr::sandbox
