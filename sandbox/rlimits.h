// Resource limits (setrlimit) of a run. They are per process (except RLIMIT_NPROC, counted per
// user namespace and uid), so they back up the cgroup limits rather than replace them:
//   RLIMIT_CPU     seconds of CPU, rounded up; SIGXCPU then SIGKILL. The exact budget over all
//                  processes is enforced by the supervisor from the cgroup's cpuacct.
//   RLIMIT_AS      address space: the memory cap when no memory cgroup is available, a loose
//                  backstop (2x + 256 MiB) otherwise.
//   RLIMIT_NPROC   processes/threads of the sandbox uid in the run's user namespace.
//   RLIMIT_FSIZE   largest file a process may write (SIGXFSZ beyond).
//   RLIMIT_NOFILE  open files.
//   RLIMIT_CORE    0: no core dumps.
//   RLIMIT_MEMLOCK 0, RLIMIT_MSGQUEUE 0: nothing pinned, no POSIX queues.
#ifndef RLVR_SANDBOX_RLIMITS_H_
#define RLVR_SANDBOX_RLIMITS_H_

#include <sys/resource.h>

#include <cstdint>

namespace rlvr::sandbox {

struct RlimitPlan {
  struct Entry {
    int resource;
    rlimit value;
  };
  Entry entries[8];
  int count = 0;
};

struct RlimitInputs {
  int64_t cpu_ms;
  uint64_t address_space_bytes;  // 0: unlimited
  int64_t max_processes;
  uint64_t file_size_bytes;
  int64_t open_files;
};

RlimitPlan MakeRlimitPlan(const RlimitInputs& in);

// Async-signal-safe. Returns errno or 0.
int ApplyRlimits(const RlimitPlan& plan);

}  // namespace rlvr::sandbox

#endif  // RLVR_SANDBOX_RLIMITS_H_
