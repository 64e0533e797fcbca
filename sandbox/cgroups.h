// Cgroups: per-run memory limit, process limit and exact CPU / peak-memory accounting over every
// process of a run (rlimits only see one process at a time).
//
// cgroup v2 is used where this process's cgroup has the memory and pids controllers delegated;
// otherwise the v1 hierarchies (memory, pids, cpuacct), each under this process's own cgroup.
// v1 slots are pooled: creating and removing three v1 cgroups costs ~300 us, more than the rest of
// a cold start, so a finished slot is reset (counters zeroed, peak re-based) and reused.
// What is unavailable (e.g. not root, nothing delegated) is recorded, not fatal: the caller
// reports it and falls back to rlimits.
#ifndef RLVR_SANDBOX_CGROUPS_H_
#define RLVR_SANDBOX_CGROUPS_H_

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace rlvr::sandbox {

struct CgroupLimits {
  uint64_t memory_bytes = 0;  // 0: no memory controller for this run
  int64_t max_pids = 0;       // 0: no pids limit
};

// One run's cgroup(s). Not thread-safe; owned by one run.
class CgroupSlot {
 public:
  ~CgroupSlot();
  CgroupSlot() = default;
  CgroupSlot(const CgroupSlot&) = delete;
  CgroupSlot& operator=(const CgroupSlot&) = delete;

  // Moves `pid` (host pid) into every controller's cgroup. A move by pid takes the kernel's global
  // threadgroup lock, which waits for an RCU grace period: milliseconds, most of a cold start.
  absl::Status AddProcess(pid_t pid);
  // v1 only: descriptors (O_CLOEXEC, owned by the slot, opened by this process) of the slot's
  // `tasks` files. A single-threaded child moves itself by writing "0" to each (JoinSelf): the
  // kernel checks the opener's credentials, and moving oneself takes no global lock. Empty for
  // v2, where the parent calls AddProcess.
  const std::vector<int>& self_join_fds() const { return join_fds_; }
  // Total CPU of all processes of the run so far, or -1 if not accounted.
  int64_t CpuNanos() const;
  // Peak memory of the run (charged pages, tmpfs included), or -1.
  int64_t PeakMemoryBytes() const;
  // Whether the kernel OOM-killed a process of this run.
  bool OomKilled() const;
  bool has_memory() const { return !memory_.empty(); }
  bool has_cpu() const { return !cpu_.empty(); }

 private:
  friend class CgroupPool;
  bool v2_ = false;
  // The slot's control files stay open between runs (read and written at offset 0): a path
  // lookup in cgroupfs costs as much as the read itself.
  int ControlFd(const std::string& path, int flags) const;
  std::string ReadControl(const std::string& path) const;
  int64_t ReadControlInt(const std::string& path) const;
  int64_t ReadControlKeyed(const std::string& path, const char* key) const;
  absl::Status WriteControl(const std::string& path, const std::string& value) const;

  std::string memory_, pids_, cpu_;  // directories; empty when not used
  std::vector<int> join_fds_;         // see self_join_fds()
  struct OpenControl {
    std::string path;
    int flags;
    int fd;
  };
  mutable std::vector<OpenControl> controls_;
  std::string memory_limit_set_, pids_max_set_;  // last values written (skipped when unchanged)
  int64_t oom_baseline_ = 0;
  int64_t memory_baseline_ = 0;
};

// Async-signal-safe, for a single-threaded child: moves the caller into the cgroup of every
// descriptor from CgroupSlot::self_join_fds() and closes them. Returns 0 or an errno.
int JoinSelf(const int* fds, int count);

class CgroupPool {
 public:
  struct Availability {
    std::string version;  // "v2", "v1" or "none"
    bool memory = false, pids = false, cpu = false;
    std::vector<std::string> problems;  // what could not be enabled, and why
  };

  // Probes the hierarchies and creates this process's base directories. Never fails: missing
  // controllers are listed in availability().problems.
  static std::unique_ptr<CgroupPool> Create();
  ~CgroupPool();

  const Availability& availability() const { return avail_; }

  // A slot with `limits` applied. Thread-safe.
  absl::StatusOr<std::unique_ptr<CgroupSlot>> Acquire(const CgroupLimits& limits);
  // Returns a slot whose processes have all exited. Thread-safe.
  void Release(std::unique_ptr<CgroupSlot> slot);

 private:
  CgroupPool() = default;
  absl::StatusOr<std::unique_ptr<CgroupSlot>> NewSlot();

  Availability avail_;
  bool v2_ = false;
  std::string memory_base_, pids_base_, cpu_base_;  // v1 bases, or v2 base in memory_base_
  absl::Mutex mu_;
  std::vector<std::unique_ptr<CgroupSlot>> free_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> created_ ABSL_GUARDED_BY(mu_);  // every slot dir, for cleanup
  int64_t next_id_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace rlvr::sandbox

#endif  // RLVR_SANDBOX_CGROUPS_H_
