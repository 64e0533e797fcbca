#include "sandbox/zygote_client.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "sandbox/launcher.h"

namespace rlvr::sandbox {
namespace {

constexpr int kStartTimeoutMs = 15000;

class WarmWatcher : public ExitWatcher {
 public:
  WarmWatcher(int status_fd, CgroupSlot* slot) : status_fd_(status_fd), slot_(slot) {}
  ~WarmWatcher() override {
    close(status_fd_);
    if (pidfd_ >= 0) close(pidfd_);
  }
  int fd() const override { return status_fd_; }

  bool OnReadable(ExitInfo* info) override {
    char buf[64];
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(ucred))];
    iovec iov{buf, sizeof(buf)};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    ssize_t n = recvmsg(status_fd_, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return false;
    if (n <= 0) {
      info->done = true;
      if (!info->setup_error.has_value()) {
        info->lost = killed_early_ ? "warm run killed before it started (zygote unresponsive)"
                                   : "the zygote ended the run without reporting its exit";
      }
      return true;
    }
    if (buf[0] == 'P' && pidfd_ < 0) {
      cmsghdr* c = CMSG_FIRSTHDR(&msg);
      if (c == nullptr || c->cmsg_type != SCM_CREDENTIALS) return Lost(info, "no credentials from run");
      ucred cred;
      std::memcpy(&cred, CMSG_DATA(c), sizeof(cred));
      pidfd_ = static_cast<int>(syscall(SYS_pidfd_open, cred.pid, 0));
      host_pid_ = cred.pid;
      if (pidfd_ < 0) return Lost(info, absl::StrCat("pidfd_open(", cred.pid, "): ", strerror(errno)));
      if (slot_ != nullptr && slot_->self_join_fds().empty()) {  // else it joined by itself
        absl::Status s = slot_->AddProcess(cred.pid);
        if (!s.ok()) {
          Kill();
          setup_failed_ = std::string(s.message());
          return false;
        }
      }
      if (send(status_fd_, "G", 1, MSG_NOSIGNAL) != 1) return Lost(info, "run vanished before go");
    } else if (buf[0] == 'E' && n == 1 + sizeof(SetupError)) {
      SetupError e;
      std::memcpy(&e, buf + 1, sizeof(e));
      info->setup_error = e;
    } else if (buf[0] == 'X' && n == 1 + sizeof(ExitMessage)) {
      ExitMessage e;
      std::memcpy(&e, buf + 1, sizeof(e));
      info->done = true;
      info->wait_status = e.wait_status;
      info->cpu_us = e.utime_us + e.stime_us;
      info->maxrss_kb = e.maxrss_kb;
      if (!setup_failed_.empty()) info->lost = setup_failed_;
      if (pidfd_ < 0 && !info->setup_error.has_value() && info->lost.empty()) {
        // It never announced itself: the pre-started process died before it took the run.
        info->never_started = true;
        info->lost = "the pre-started warm process died before the run began";
      }
      return true;
    }
    return false;
  }

  pid_t host_pid() const override { return host_pid_; }

  void Kill() override {
    if (pidfd_ >= 0) {
      KillByPidfd(pidfd_);
    } else {
      // Not started yet: the run waits for 'G' and exits when it reads EOF instead.
      killed_early_ = true;
      shutdown(status_fd_, SHUT_WR);
    }
  }

 private:
  bool Lost(ExitInfo* info, std::string why) {
    Kill();
    setup_failed_ = std::move(why);
    (void)info;
    return false;
  }

  int status_fd_;
  CgroupSlot* slot_;
  int pidfd_ = -1;
  pid_t host_pid_ = -1;
  bool killed_early_ = false;
  std::string setup_failed_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<ZygoteClient>> ZygoteClient::Start(const std::string& binary,
                                                                  const MountPlan& mounts,
                                                                  bool can_setgroups) {
  if (access(binary.c_str(), X_OK) != 0) {
    return absl::NotFoundError(absl::StrCat("zygote binary ", binary, ": ", strerror(errno)));
  }
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
    return absl::UnavailableError(absl::StrCat("socketpair: ", strerror(errno)));
  }
  int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  std::unique_ptr<ZygoteClient> z(new ZygoteClient);
  z->control_ = sv[0];

  static char arg0[] = "rlvr-sandbox-pyzygote";
  static char env_path[] = "PATH=/usr/local/bin:/usr/bin:/bin";
  static char env_lang[] = "LANG=C.UTF-8";
  static char env_home[] = "HOME=/work";
  static char env_tmp[] = "TMPDIR=/tmp";
  static char env_nobc[] = "PYTHONDONTWRITEBYTECODE=1";
  // The binary lives outside the sandbox root; execve of a file on a mount outside our mount
  // namespace is refused, so it is bound into the root.
  MountPlan zygote_mounts = mounts;
  AddFileBind(&zygote_mounts, binary, "/.rlvr-pyzygote");
  static char exec_path[] = "/.rlvr-pyzygote";
  ChildPlan plan;
  plan.stdin_fd = devnull;
  plan.stdout_fd = devnull;
  plan.stderr_fd = 2;  // the zygote's own diagnostics go to our stderr
  plan.extra_fd = sv[1];
  plan.can_setgroups = can_setgroups;
  // The zygote serves every thread of this process, not only the one starting it (a death signal
  // tied to that thread would kill it, and every warm run in flight, when the thread exits). It
  // exits when its control socket closes, which happens with this process at the latest.
  plan.die_with_parent_thread = false;
  plan.mounts = &zygote_mounts;
  plan.apply_rlimits = false;
  plan.seccomp = nullptr;  // it creates namespaces for its runs; each run loads the filter
  plan.exec_path = exec_path;
  plan.argv = {arg0, nullptr};
  plan.envp = {env_path, env_lang, env_home, env_tmp, env_nobc, nullptr};
  absl::StatusOr<Launched> launched = Launch(plan, nullptr);
  close(devnull);
  close(sv[1]);
  if (!launched.ok()) return absl::UnavailableError(launched.status().message());
  z->pid_ = launched->pid;
  z->pidfd_ = launched->pidfd;
  if (launched->setup_error.has_value()) {
    return absl::UnavailableError(
        absl::StrCat("zygote setup failed: ", DescribeSetupError(*launched->setup_error)));
  }
  pollfd p{z->control_, POLLIN, 0};
  char ready = 0;
  if (poll(&p, 1, kStartTimeoutMs) != 1 || recv(z->control_, &ready, 1, 0) != 1 || ready != 'r') {
    return absl::UnavailableError("zygote did not become ready (see its stderr)");
  }
  return z;
}

ZygoteClient::~ZygoteClient() {
  if (control_ >= 0) close(control_);
  if (pidfd_ >= 0) {
    KillByPidfd(pidfd_);
    int status;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    close(pidfd_);
  }
}

absl::StatusOr<std::unique_ptr<ExitWatcher>> ZygoteClient::StartRun(const WarmSpec& spec,
                                                                    int stdin_r, int stdout_w,
                                                                    int stderr_w,
                                                                    CgroupSlot* slot) {
  const std::string encoded = EncodeWarmSpec(spec);
  int memfd = memfd_create("rlvr-warm-spec", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (memfd < 0) return absl::InternalError(absl::StrCat("memfd_create: ", strerror(errno)));
  size_t off = 0;
  while (off < encoded.size()) {
    ssize_t n = write(memfd, encoded.data() + off, encoded.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      close(memfd);
      return absl::InternalError(absl::StrCat("writing the warm spec: ", strerror(errno)));
    }
    off += static_cast<size_t>(n);
  }
  fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
    close(memfd);
    return absl::InternalError(absl::StrCat("socketpair: ", strerror(errno)));
  }
  int one = 1;
  setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &one, sizeof(one));
  auto watcher = std::make_unique<WarmWatcher>(sv[0], slot);

  std::vector<int> fds = {stdin_r, stdout_w, stderr_w, sv[1], memfd};
  if (slot != nullptr) {
    fds.insert(fds.end(), slot->self_join_fds().begin(), slot->self_join_fds().end());
  }
  const ssize_t n = SendTagWithFds(control_, 'R', fds.data(), static_cast<int>(fds.size()));
  int err = errno;
  close(sv[1]);
  close(memfd);
  if (n != 1) return absl::UnavailableError(absl::StrCat("zygote is gone: ", strerror(err)));
  return watcher;
}

}  // namespace rlvr::sandbox
