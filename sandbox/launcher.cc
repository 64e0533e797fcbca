#include "sandbox/launcher.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "sandbox/namespaces.h"

namespace rlvr::sandbox {
namespace {

constexpr int kSetupTimeoutMs = 10000;

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { Reset(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int* out() { return &fd_; }
  void Reset() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

void KillAndReap(pid_t pid, int pidfd) {
  KillByPidfd(pidfd);
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  close(pidfd);
}

}  // namespace

void KillByPidfd(int pidfd) { syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, nullptr, 0); }

absl::StatusOr<Launched> Launch(ChildPlan plan, CgroupSlot* slot) {
  int sync[2], err[2];
  if (pipe2(sync, O_CLOEXEC) != 0) return absl::InternalError(absl::StrCat("pipe2: ", strerror(errno)));
  Fd sync_r(sync[0]), sync_w(sync[1]);
  if (pipe2(err, O_CLOEXEC) != 0) return absl::InternalError(absl::StrCat("pipe2: ", strerror(errno)));
  Fd err_r(err[0]), err_w(err[1]);
  plan.sync_fd = sync_r.get();
  plan.error_fd = err_w.get();
  const bool self_join = slot != nullptr && !slot->self_join_fds().empty();
  if (self_join) plan.cgroup_join_fds = slot->self_join_fds();

  Launched out;
  out.pid = CloneWithPidfd(RunNamespaceFlags(), &out.pidfd);
  if (out.pid < 0) {
    return absl::InternalError(absl::StrCat("clone3 (new namespaces): ", strerror(errno)));
  }
  if (out.pid == 0) RunChild(plan);  // never returns
  sync_r.Reset();
  err_w.Reset();

  // Two go-aheads: id maps written (the child starts building its root), then cgroup joined
  // (the child may run limited code). A move by the parent overlaps the child's mount work; a
  // child that joins by itself has done so before it reads the first.
  absl::Status s = WriteIdMaps(out.pid, HostIdMapping());
  if (s.ok() && write(sync_w.get(), "g", 1) != 1) {
    s = absl::InternalError(absl::StrCat("signalling the child: ", strerror(errno)));
  }
  if (s.ok() && slot != nullptr && !self_join) s = slot->AddProcess(out.pid);
  if (s.ok() && write(sync_w.get(), "c", 1) != 1) {
    s = absl::InternalError(absl::StrCat("signalling the child: ", strerror(errno)));
  }
  if (!s.ok()) {
    KillAndReap(out.pid, out.pidfd);
    return s;
  }
  sync_w.Reset();

  // EOF: execve succeeded. A SetupError: the child failed and exits.
  pollfd p{err_r.get(), POLLIN, 0};
  int ready;
  do ready = poll(&p, 1, kSetupTimeoutMs);
  while (ready < 0 && errno == EINTR);
  if (ready == 0) {
    KillAndReap(out.pid, out.pidfd);
    return absl::DeadlineExceededError(
        absl::StrCat("sandbox setup did not finish within ", kSetupTimeoutMs, " ms"));
  }
  SetupError e;
  ssize_t n;
  do n = read(err_r.get(), &e, sizeof(e));
  while (n < 0 && errno == EINTR);
  if (n == static_cast<ssize_t>(sizeof(e))) out.setup_error = e;
  return out;
}

}  // namespace rlvr::sandbox
