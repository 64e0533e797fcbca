// The supervisor: one poll loop per run that feeds stdin, captures stdout and stderr up to their
// caps, enforces the wall clock and the total CPU budget (from the cgroup), and waits for the
// end of the run. It kills the run's pid namespace (through its init) for any limit; the kernel
// then kills every process in it before the wait returns.
#ifndef RLVR_SANDBOX_SUPERVISOR_H_
#define RLVR_SANDBOX_SUPERVISOR_H_

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sandbox/cgroups.h"
#include "sandbox/sandbox.h"
#include "sandbox/setup_step.h"

namespace rlvr::sandbox {

struct ExitInfo {
  bool done = false;
  int wait_status = 0;
  int64_t cpu_us = 0;     // from rusage: the init and every descendant it reaped
  int64_t maxrss_kb = 0;  // from rusage
  std::optional<SetupError> setup_error;
  std::string lost;  // set when the end was never reported (e.g. the zygote died)
  bool never_started = false;  // warm: the process died before it took the run (no user code ran)
};

// How the supervisor learns that the run ended and how it kills it. Cold runs watch the pidfd of
// the namespace's init; warm runs the status socket the zygote reports on.
class ExitWatcher {
 public:
  virtual ~ExitWatcher() = default;
  virtual int fd() const = 0;
  // fd() is readable. Fills *info and returns true once the run is over.
  virtual bool OnReadable(ExitInfo* info) = 0;
  virtual void Kill() = 0;
  // The host pid of the run's init, or -1 while unknown.
  virtual pid_t host_pid() const = 0;
};

struct Supervised {
  ExitInfo exit;
  std::string stdout_data, stderr_data;
  bool stdout_truncated = false, stderr_truncated = false;
  bool killed_for_time = false, killed_for_output = false, cancelled = false;
  int64_t wall_ms = 0;
};

// `start_ns` is the CLOCK_MONOTONIC time the run was created. Takes ownership of nothing; the
// three fds must be non-blocking.
// `cancel` (may be null): when it becomes true the run is killed (Supervised::cancelled).
Supervised Supervise(int stdin_fd, std::string_view stdin_data, int stdout_fd, int stderr_fd,
                     ExitWatcher& watcher, const CgroupSlot* slot, const Limits& limits,
                     int64_t start_ns, const std::atomic<bool>* cancel = nullptr);

// The verdict from what the supervisor saw and the cgroup's counters.
RunResult Classify(Supervised s, const CgroupSlot* slot, const Limits& limits);

int64_t MonotonicNanos();

}  // namespace rlvr::sandbox

#endif  // RLVR_SANDBOX_SUPERVISOR_H_
