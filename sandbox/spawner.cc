#include "sandbox/spawner.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "sandbox/namespaces.h"
#include "sandbox/seccomp_policy.h"

namespace rlvr::sandbox {
namespace {

constexpr size_t kChildStackBytes = 256 << 10;

#if defined(__SANITIZE_ADDRESS__)
// AddressSanitizer keeps per-thread state and shadow memory that a child sharing our memory, on a
// stack of its own, would corrupt. Under it the child is a fork-like copy instead: slower, and
// the same recipe.
constexpr bool kShareMemory = false;
#else
constexpr bool kShareMemory = true;
#endif

absl::Status Errno(const char* what, int err) {
  return absl::FailedPreconditionError(absl::StrCat("pre-built root: ", what, ": ", strerror(err)));
}

// Runs `f` on a short-lived thread of its own, so that what it unshares (mount or network
// namespace, filesystem context) dies with that thread and not with the caller's.
absl::Status OnOwnThread(const std::function<absl::Status()>& f) {
  absl::Status s;
  std::thread t([&] { s = f(); });
  t.join();
  return s;
}

int ChildEntry(void* plan) { RunChild(*static_cast<const ChildPlan*>(plan)); }

// Mount points of the calling thread's namespace, in mount order (octal escapes left as is:
// such a path is simply not matched).
std::vector<std::string> MountPoints() {
  std::vector<std::string> out;
  std::ifstream in("/proc/thread-self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> f = absl::StrSplit(line, ' ');
    if (f.size() > 4) out.push_back(f[4]);
  }
  return out;
}

bool IsAtOrUnder(const std::string& path, const std::string& dir) {
  return path == dir || (path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
                         path[dir.size()] == '/');
}

// Detaches what each run would copy and drop again: every host mount but / and /proc (a fully
// visible procfs must be in the namespace when a run mounts its own) and the stage.
void ThinTemplate(const std::string& stage) {
  std::vector<std::string> points = MountPoints();
  for (auto it = points.rbegin(); it != points.rend(); ++it) {
    if (*it == "/" || IsAtOrUnder(*it, "/proc") || IsAtOrUnder(*it, stage)) continue;
    umount2(it->c_str(), MNT_DETACH);  // fails harmlessly when a parent went first
  }
}

}  // namespace

struct Spawner::Request {
  const ChildPlan* plan;
  pid_t pid = -1;
  int pidfd = -1;
  int err = 0;
  absl::Notification done;
};

absl::StatusOr<std::unique_ptr<Spawner>> Spawner::Create(const MountPlan& mounts, bool share_netns,
                                                         bool seccomp, int threads) {
  if (geteuid() != 0) return absl::FailedPreconditionError("pre-built root: needs root");
  // A host that made itself undumpable keeps that choice (the spawner threads would undo it), and
  // its cold runs are built from scratch.
  if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 1) {
    return absl::FailedPreconditionError("pre-built root: the process is not dumpable (a child could not map its ids)");
  }
  std::unique_ptr<Spawner> sp(new Spawner());
  sp->share_netns_ = share_netns;
  if (seccomp) {
    absl::StatusOr<const SeccompProgram*> rest = SharedSeccompProgram(SeccompRules::kRest);
    absl::StatusOr<const SeccompProgram*> setup = SharedSeccompProgram(SeccompRules::kSetup);
    if (!rest.ok()) return rest.status();
    if (!setup.ok()) return setup.status();
    sp->rest_filter_ = (*rest)->Fprog();
    sp->setup_filter_ = (*setup)->Fprog();
  }
  Spawner* self = sp.get();
  // The template: the root built once in a mount namespace nobody lives in; its descriptor keeps
  // it alive.
  absl::Status s = OnOwnThread([&]() -> absl::Status {
    if (unshare(CLONE_FS | CLONE_NEWNS) != 0) return Errno("unshare(mount namespace)", errno);
    SetupStep failed = SetupStep::kNone;
    if (int err = BuildRootTree(mounts, &failed); err != 0) return Errno(SetupStepName(failed), err);
    if (int err = SealRootTemplate(mounts); err != 0) return Errno("seal root read-only", err);
    ThinTemplate(mounts.stage);
    self->template_mnt_ = open("/proc/thread-self/ns/mnt", O_RDONLY | O_CLOEXEC);
    if (self->template_mnt_ < 0) return Errno("open /proc/thread-self/ns/mnt", errno);
    return absl::OkStatus();
  });
  if (s.ok() && share_netns) {
    s = OnOwnThread([&]() -> absl::Status {
      if (unshare(CLONE_NEWNET) != 0) return Errno("unshare(network namespace)", errno);
      self->netns_ = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
      if (self->netns_ < 0) return Errno("open /proc/thread-self/ns/net", errno);
      return absl::OkStatus();
    });
  }
  // One uts namespace named "sandbox" for every run, and with seccomp (which denies System V IPC
  // and POSIX message queues) one ipc namespace: a fresh ipc namespace costs ~0.1 ms per clone.
  // Owned by the host's user namespace, neither can be changed from a run.
  if (s.ok()) {
    s = OnOwnThread([&]() -> absl::Status {
      if (unshare(CLONE_NEWUTS | (seccomp ? CLONE_NEWIPC : 0)) != 0) {
        return Errno("unshare(uts, ipc namespaces)", errno);
      }
      if (sethostname("sandbox", 7) != 0) return Errno("sethostname", errno);
      self->utsns_ = open("/proc/thread-self/ns/uts", O_RDONLY | O_CLOEXEC);
      if (self->utsns_ < 0) return Errno("open /proc/thread-self/ns/uts", errno);
      if (seccomp) {
        self->ipcns_ = open("/proc/thread-self/ns/ipc", O_RDONLY | O_CLOEXEC);
        if (self->ipcns_ < 0) return Errno("open /proc/thread-self/ns/ipc", errno);
      }
      return absl::OkStatus();
    });
  }
  if (!s.ok()) return s;
  {
    absl::MutexLock lock(&sp->mu_);
    sp->thread_setup_.assign(threads, absl::UnknownError("starting"));
  }
  for (int i = 0; i < threads; ++i) sp->threads_.emplace_back([self, i] { self->Loop(i); });
  absl::MutexLock lock(&sp->mu_);
  for (int i = 0; i < threads; ++i) {
    sp->mu_.Await(absl::Condition(
        +[](absl::Status* st) { return st->code() != absl::StatusCode::kUnknown; }, &sp->thread_setup_[i]));
    if (!sp->thread_setup_[i].ok()) return sp->thread_setup_[i];  // ~Spawner joins
  }
  return sp;
}

Spawner::~Spawner() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  for (std::thread& t : threads_) t.join();
  if (template_mnt_ >= 0) close(template_mnt_);
  if (netns_ >= 0) close(netns_);
  if (utsns_ >= 0) close(utsns_);
  if (ipcns_ >= 0) close(ipcns_);
}

void Spawner::Loop(int index) {
  // Enter the namespaces and take the ids every child starts from. Raw syscalls: glibc's set*id
  // would apply them to every thread of the process. Signals stay blocked on this thread, so a
  // child, which runs on our memory until it execs, never runs a host handler (it resets them).
  auto setup = [&]() -> absl::Status {
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, nullptr);
    if (unshare(CLONE_FS) != 0) return Errno("unshare(CLONE_FS)", errno);
    if (setns(template_mnt_, CLONE_NEWNS) != 0) return Errno("setns(template mount namespace)", errno);
    if (netns_ >= 0 && setns(netns_, CLONE_NEWNET) != 0) return Errno("setns(network namespace)", errno);
    if (setns(utsns_, CLONE_NEWUTS) != 0) return Errno("setns(uts namespace)", errno);
    if (ipcns_ >= 0 && setns(ipcns_, CLONE_NEWIPC) != 0) return Errno("setns(ipc namespace)", errno);
    // This thread's share of the seccomp policy, for every child to inherit (this thread only:
    // no TSYNC). Installed while we may (CAP_SYS_ADMIN), before giving up our ids.
    if (rest_filter_.len > 0 && LoadSeccompProgram(rest_filter_) != 0) {
      return Errno("seccomp (the rules set-up does not need)", errno);
    }
    if (syscall(SYS_setgroups, 0, nullptr) != 0) return Errno("setgroups([])", errno);
    if (syscall(SYS_setresgid, -1, kHostNobody, -1) != 0) return Errno("setresgid", errno);
    if (syscall(SYS_setresuid, -1, kHostNobody, -1) != 0) return Errno("setresuid", errno);
    // Changing ids made the process undumpable, which makes /proc/self root-owned: the child could
    // not write its id maps. Create() checked that the host was dumpable.
    if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) != 0) return Errno("prctl(PR_SET_DUMPABLE)", errno);
    return absl::OkStatus();
  };
  absl::Status s = setup();
  void* stack = MAP_FAILED;
  if (s.ok()) {
    stack = mmap(nullptr, kChildStackBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK,
                 -1, 0);
    if (stack == MAP_FAILED) s = Errno("mmap(child stack)", errno);
    else mprotect(stack, 4096, PROT_NONE);  // guard page
  }
  {
    absl::MutexLock lock(&mu_);
    thread_setup_[index] = s;
  }
  if (!s.ok()) return;
  char* stack_top = static_cast<char*>(stack) + kChildStackBytes;
  const int ns_flags = CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS | (ipcns_ >= 0 ? 0 : CLONE_NEWIPC) |
                       (netns_ >= 0 ? 0 : CLONE_NEWNET);
  for (;;) {
    Request* r;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](Spawner* sp) ABSL_NO_THREAD_SAFETY_ANALYSIS { return sp->stop_ || !sp->queue_.empty(); }, this));
      if (queue_.empty()) break;  // stopping
      r = queue_.front();
      queue_.pop_front();
    }
    // Returns once the child has exec'd or exited (CLONE_VFORK).
    if (kShareMemory) {
      r->pid = clone(ChildEntry, stack_top, CLONE_VM | CLONE_VFORK | CLONE_PIDFD | SIGCHLD | ns_flags,
                     const_cast<ChildPlan*>(r->plan), &r->pidfd);
    } else {
      r->pid = CloneWithPidfd(CLONE_VFORK | ns_flags, &r->pidfd);
      if (r->pid == 0) RunChild(*r->plan);  // never returns
    }
    r->err = r->pid < 0 ? errno : 0;
    r->done.Notify();
  }
  munmap(stack, kChildStackBytes);
}

absl::StatusOr<Launched> Spawner::Spawn(ChildPlan plan, CgroupSlot* slot) {
  int err[2];
  if (pipe2(err, O_CLOEXEC) != 0) return absl::InternalError(absl::StrCat("pipe2: ", strerror(errno)));
  plan.error_fd = err[1];
  plan.sync_fd = -1;
  plan.self_map_uid = kHostNobody;
  plan.self_map_gid = kHostNobody;
  plan.can_setgroups = false;  // setgroups is denied to a self-mapped child; it has no groups
  plan.root_prebuilt = true;
  plan.shared_uts = true;
  if (plan.seccomp != nullptr) plan.seccomp = &setup_filter_;  // the rest came with the thread
  if (slot != nullptr) plan.cgroup_join_fds = slot->self_join_fds();
  Request r;
  r.plan = &plan;
  {
    absl::MutexLock lock(&mu_);
    queue_.push_back(&r);
  }
  r.done.WaitForNotification();
  close(err[1]);
  if (r.pid < 0) {
    close(err[0]);
    return absl::InternalError(absl::StrCat("clone (pre-built root): ", strerror(r.err)));
  }
  Launched out;
  out.pid = r.pid;
  out.pidfd = r.pidfd;
  SetupError e;
  ssize_t n;
  do n = read(err[0], &e, sizeof(e));
  while (n < 0 && errno == EINTR);
  close(err[0]);
  if (n == static_cast<ssize_t>(sizeof(e))) out.setup_error = e;
  return out;
}

}  // namespace rlvr::sandbox
