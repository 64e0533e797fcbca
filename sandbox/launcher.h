// Launch and reap: the parent side of a cold start. Creates the child with clone3 in fresh
// namespaces, writes its id maps, puts it in its cgroup, lets it run the setup recipe and
// reads the error pipe: EOF means the program is running; a SetupError names the failed step.
#ifndef RLVR_SANDBOX_LAUNCHER_H_
#define RLVR_SANDBOX_LAUNCHER_H_

#include <sys/types.h>

#include <optional>

#include "absl/status/statusor.h"
#include "sandbox/cgroups.h"
#include "sandbox/setup_recipe.h"
#include "sandbox/setup_step.h"

namespace rlvr::sandbox {

struct Launched {
  pid_t pid = -1;
  int pidfd = -1;  // owned by the caller
  // Set when the child failed before execve; it has exited (not yet reaped: call Reap).
  std::optional<SetupError> setup_error;
};

// `plan` must have stdin/stdout/stderr (and extra_fd) set; Launch fills in the sync and error
// pipes. The child joins `slot` when not null (by itself for v1, see cgroups.h). Errors: INTERNAL / PERMISSION_DENIED when
// the host-side steps (pipes, clone3, id maps, cgroup) fail; the child is then killed and reaped.
absl::StatusOr<Launched> Launch(ChildPlan plan, CgroupSlot* slot);

// Async-signal-safe-free helper: SIGKILL through the pidfd (no pid reuse race).
void KillByPidfd(int pidfd);

}  // namespace rlvr::sandbox

#endif  // RLVR_SANDBOX_LAUNCHER_H_
