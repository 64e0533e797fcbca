#include "sandbox/supervisor.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <fcntl.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <cerrno>

namespace rlvr::sandbox {
namespace {

constexpr int64_t kCpuPollMs = 10;       // how often the CPU counter is read
constexpr int64_t kDrainGraceMs = 1000;  // output still arriving after the end (fds held briefly
                                         // by a concurrent launch before its execve)

struct Stream {
  int fd;
  int64_t cap;
  std::string* data;
  bool* truncated;
  bool open = true;
};

// Reads what is available; returns false if the cap was passed.
bool ReadAvailable(Stream& s) {
  char buf[65536];
  for (;;) {
    ssize_t n = read(s.fd, buf, sizeof(buf));
    if (n > 0) {
      int64_t room = s.cap - static_cast<int64_t>(s.data->size());
      if (n > room) {
        s.data->append(buf, static_cast<size_t>(std::max<int64_t>(room, 0)));
        *s.truncated = true;
        return false;
      }
      s.data->append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n == 0) s.open = false;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN) s.open = false;
    return true;
  }
}

// CPU of `pid` and the children it reaped, from /proc/<pid>/stat (utime stime cutime cstime), in
// ns. Used without a cgroup: RLIMIT_CPU cannot stop a pid-namespace init (see README).
int64_t ProcCpuNanos(pid_t pid) {
  char path[64];
  std::snprintf(path, sizeof(path), "/proc/%d/stat", static_cast<int>(pid));
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  char buf[1024];
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  if (n <= 0) return -1;
  buf[n] = '\0';
  const char* p = std::strrchr(buf, ')');
  if (p == nullptr) return -1;
  // Fields after "comm)": state(3) ... utime(14) stime(15) cutime(16) cstime(17).
  long long v[4] = {0, 0, 0, 0};
  int field = 2;
  for (const char* c = p + 1; *c != '\0' && field < 17; ++c) {
    if (*c != ' ') continue;
    ++field;
    if (field >= 14) v[field - 14] = std::atoll(c + 1);
  }
  static const long ticks = sysconf(_SC_CLK_TCK);
  return (v[0] + v[1] + v[2] + v[3]) * (1000000000LL / ticks);
}

}  // namespace

int64_t MonotonicNanos() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

Supervised Supervise(int stdin_fd, std::string_view stdin_data, int stdout_fd, int stderr_fd,
                     ExitWatcher& watcher, const CgroupSlot* slot, const Limits& limits,
                     int64_t start_ns, const std::atomic<bool>* cancel) {
  Supervised s;
  Stream out{stdout_fd, limits.stdout_bytes, &s.stdout_data, &s.stdout_truncated};
  Stream err{stderr_fd, limits.stderr_bytes, &s.stderr_data, &s.stderr_truncated};
  size_t stdin_off = 0;
  bool stdin_open = stdin_fd >= 0;
  if (stdin_open && stdin_data.empty()) {
    close(stdin_fd);
    stdin_open = false;
  }
  const int64_t deadline = start_ns + limits.wall_ms * 1000000LL;
  const bool cgroup_cpu = slot != nullptr && slot->has_cpu();
  bool killed = false;
  int64_t drain_deadline = 0;
  int64_t next_cpu_check = start_ns + kCpuPollMs * 1000000LL;  // first read one period in

  auto kill = [&] {
    if (!killed) watcher.Kill();
    killed = true;
  };

  while (!s.exit.done || out.open || err.open) {
    const int64_t now = MonotonicNanos();
    if (s.exit.done) {
      if (drain_deadline == 0) drain_deadline = now + kDrainGraceMs * 1000000LL;
      if (now >= drain_deadline) break;
    } else if (now >= deadline) {
      s.killed_for_time = true;
      kill();
    } else if (!killed && cancel != nullptr && cancel->load(std::memory_order_relaxed)) {
      s.cancelled = true;
      kill();
    }
    pollfd fds[4];
    int n = 0;
    int watch_i = -1, out_i = -1, err_i = -1, in_i = -1;
    if (!s.exit.done) { watch_i = n; fds[n++] = {watcher.fd(), POLLIN, 0}; }
    if (out.open) { out_i = n; fds[n++] = {out.fd, POLLIN, 0}; }
    if (err.open) { err_i = n; fds[n++] = {err.fd, POLLIN, 0}; }
    if (stdin_open && !killed) { in_i = n; fds[n++] = {stdin_fd, POLLOUT, 0}; }
    int64_t timeout_ms;
    if (s.exit.done) {
      timeout_ms = (drain_deadline - now) / 1000000 + 1;
    } else if (killed) {
      timeout_ms = 1000;
    } else {
      timeout_ms = (deadline - now) / 1000000 + 1;
      timeout_ms = std::min(timeout_ms, kCpuPollMs);
    }
    int ready = poll(fds, static_cast<nfds_t>(n), static_cast<int>(timeout_ms));
    if (ready < 0 && errno != EINTR) break;
    // The CPU counter every kCpuPollMs, not on every wake-up (output, exit): the total is
    // checked again by Classify.
    const bool check_cpu = !killed && !s.exit.done && MonotonicNanos() >= next_cpu_check;
    if (check_cpu) next_cpu_check = MonotonicNanos() + kCpuPollMs * 1000000LL;
    const int64_t cpu = !check_cpu             ? -1
                        : cgroup_cpu            ? slot->CpuNanos()
                        : watcher.host_pid() > 0 ? ProcCpuNanos(watcher.host_pid())
                                                 : -1;
    if (cpu > limits.cpu_ms * 1000000LL) {
      s.killed_for_time = true;
      kill();
    }
    if (ready <= 0) continue;
    if (in_i >= 0 && fds[in_i].revents != 0) {
      if (fds[in_i].revents & (POLLERR | POLLHUP)) {
        stdin_open = false;
      } else {
        ssize_t w = write(stdin_fd, stdin_data.data() + stdin_off, stdin_data.size() - stdin_off);
        if (w > 0) stdin_off += static_cast<size_t>(w);
        if ((w < 0 && errno != EAGAIN && errno != EINTR) || stdin_off == stdin_data.size()) {
          stdin_open = false;
        }
      }
      if (!stdin_open) close(stdin_fd);
    }
    for (auto [i, stream] : {std::pair{out_i, &out}, std::pair{err_i, &err}}) {
      if (i < 0 || fds[i].revents == 0) continue;
      if (!ReadAvailable(*stream) && !killed) {
        s.killed_for_output = true;
        kill();
      }
      if (stream->open && (fds[i].revents & (POLLHUP | POLLERR)) && !(fds[i].revents & POLLIN)) {
        stream->open = false;
      }
    }
    if (watch_i >= 0 && fds[watch_i].revents != 0) watcher.OnReadable(&s.exit);
  }
  if (stdin_open) close(stdin_fd);
  s.wall_ms = (MonotonicNanos() - start_ns) / 1000000;
  return s;
}

RunResult Classify(Supervised s, const CgroupSlot* slot, const Limits& limits) {
  RunResult r;
  r.wall_ms = s.wall_ms;
  r.stdout_data = std::move(s.stdout_data);
  r.stderr_data = std::move(s.stderr_data);
  r.stdout_truncated = s.stdout_truncated;
  r.stderr_truncated = s.stderr_truncated;
  const int64_t cg_cpu = slot != nullptr ? slot->CpuNanos() : -1;
  r.cpu_ms = cg_cpu >= 0 ? cg_cpu / 1000000 : s.exit.cpu_us / 1000;
  const int64_t cg_peak = slot != nullptr ? slot->PeakMemoryBytes() : -1;
  // The cgroup counts every process and tmpfs, but not pages charged before the run (shared
  // libraries, the zygote's heap); without it, rusage gives the largest process's RSS.
  r.peak_memory_kb = cg_peak > 0 ? cg_peak / 1024 : s.exit.maxrss_kb;
  const int ws = s.exit.wait_status;
  if (WIFEXITED(ws)) r.exit_code = WEXITSTATUS(ws);
  if (WIFSIGNALED(ws)) r.signal = WTERMSIG(ws);

  if (s.exit.setup_error.has_value()) {
    r.status = RunStatus::kSandboxError;
    r.sandbox_error = DescribeSetupError(*s.exit.setup_error);
  } else if (!s.exit.lost.empty()) {
    r.status = RunStatus::kSandboxError;
    r.sandbox_error = s.exit.lost;
  } else if (s.cancelled) {
    r.status = RunStatus::kSandboxError;
    r.sandbox_error = "cancelled by the caller";
  } else if (s.killed_for_output) {
    r.status = RunStatus::kOutputLimit;
  } else if (s.killed_for_time || r.cpu_ms > limits.cpu_ms ||
             (WIFSIGNALED(ws) && WTERMSIG(ws) == SIGXCPU)) {
    r.status = RunStatus::kTimeLimit;
  } else if (slot != nullptr && slot->OomKilled()) {
    r.status = RunStatus::kMemoryLimit;
  } else if (WIFEXITED(ws) && WEXITSTATUS(ws) == 0) {
    r.status = RunStatus::kOk;
  } else if ((slot == nullptr || !slot->has_memory()) &&
             s.exit.maxrss_kb * 10 >= limits.memory_mb * 1024 * 9) {
    // No memory cgroup: RLIMIT_AS made an allocation fail near the cap.
    r.status = RunStatus::kMemoryLimit;
  } else {
    r.status = RunStatus::kRuntimeError;
  }
  return r;
}

}  // namespace rlvr::sandbox
