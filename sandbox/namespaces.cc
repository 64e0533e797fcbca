#include "sandbox/namespaces.h"

#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace rlvr::sandbox {

uint64_t RunNamespaceFlags() {
  return CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS;
}

uint64_t WarmRunNamespaceFlags() { return RunNamespaceFlags() & ~uint64_t{CLONE_NEWNET}; }

pid_t CloneWithPidfd(uint64_t flags, int* pidfd) {
  struct clone_args args;
  std::memset(&args, 0, sizeof(args));
  args.flags = flags | CLONE_PIDFD;
  args.pidfd = reinterpret_cast<uint64_t>(pidfd);
  args.exit_signal = SIGCHLD;
  return static_cast<pid_t>(syscall(SYS_clone3, &args, sizeof(args)));
}

IdMapping HostIdMapping() {
  if (geteuid() == 0) return {kHostNobody, kHostNobody, false};
  return {geteuid(), getegid(), true};
}

namespace {

absl::Status WriteProcFile(pid_t pid, const char* name, const std::string& content) {
  std::string path = absl::StrCat("/proc/", pid, "/", name);
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return absl::InternalError(absl::StrCat("open ", path, ": ", strerror(errno)));
  ssize_t n = write(fd, content.data(), content.size());
  int err = errno;
  close(fd);
  if (n != static_cast<ssize_t>(content.size())) {
    return absl::PermissionDeniedError(
        absl::StrCat("write \"", content.substr(0, content.size() - 1), "\" to ", path, ": ",
                     n < 0 ? strerror(err) : "short write"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status WriteIdMaps(pid_t pid, const IdMapping& m) {
  if (m.deny_setgroups) {
    absl::Status s = WriteProcFile(pid, "setgroups", "deny\n");
    if (!s.ok()) return s;
  }
  absl::Status s = WriteProcFile(pid, "uid_map", absl::StrCat(kSandboxUid, " ", m.outer_uid, " 1\n"));
  if (!s.ok()) return s;
  return WriteProcFile(pid, "gid_map", absl::StrCat(kSandboxGid, " ", m.outer_gid, " 1\n"));
}

namespace {

// "<inside> <outside> 1\n" into buf (>= 32 bytes); returns the length. No allocation.
size_t FormatOneIdMap(char* buf, unsigned inside, unsigned outside) {
  char* p = buf;
  for (unsigned v : {inside, outside}) {
    char digits[12];
    int n = 0;
    do digits[n++] = static_cast<char>('0' + v % 10);
    while ((v /= 10) != 0);
    while (n > 0) *p++ = digits[--n];
    *p++ = ' ';
  }
  *p++ = '1';
  *p++ = '\n';
  return static_cast<size_t>(p - buf);
}

int WriteSelfFile(const char* path, const char* data, size_t size) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  ssize_t n = write(fd, data, size);
  int err = n == static_cast<ssize_t>(size) ? 0 : (n < 0 ? errno : EIO);
  close(fd);
  return err;
}

}  // namespace

int WriteOwnIdMaps(uid_t outer_uid, gid_t outer_gid) {
  if (int err = WriteSelfFile("/proc/self/setgroups", "deny", 4); err != 0) return err;
  char map[32];
  size_t n = FormatOneIdMap(map, kSandboxUid, outer_uid);
  if (int err = WriteSelfFile("/proc/self/uid_map", map, n); err != 0) return err;
  n = FormatOneIdMap(map, kSandboxGid, outer_gid);
  return WriteSelfFile("/proc/self/gid_map", map, n);
}

absl::Status ProbeNamespaces() {
  int pidfd = -1;
  pid_t pid = CloneWithPidfd(RunNamespaceFlags(), &pidfd);
  if (pid < 0) {
    int err = errno;
    std::string hint;
    if (err == EPERM || err == ENOSPC || err == EINVAL) {
      hint = " (user namespaces disabled? check /proc/sys/user/max_user_namespaces and "
             "/proc/sys/kernel/unprivileged_userns_clone)";
    }
    return absl::FailedPreconditionError(
        absl::StrCat("clone3(user|pid|mount|net|ipc|uts namespaces): ", strerror(err), hint));
  }
  if (pid == 0) _exit(0);
  close(pidfd);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return absl::OkStatus();
}

}  // namespace rlvr::sandbox
