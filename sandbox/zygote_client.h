// The host side of warm Python starts: starts the zygote (rlvr-sandbox-pyzygote) inside a cold
// sandbox and hands it runs (see warm_protocol.h for the messages).
#ifndef RLVR_SANDBOX_ZYGOTE_CLIENT_H_
#define RLVR_SANDBOX_ZYGOTE_CLIENT_H_

#include <sys/types.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "sandbox/cgroups.h"
#include "sandbox/mounts.h"
#include "sandbox/supervisor.h"
#include "sandbox/warm_protocol.h"

namespace rlvr::sandbox {

class ZygoteClient {
 public:
  // Starts the zygote and waits until its interpreter is loaded. Errors: NOT_FOUND (no binary),
  // UNAVAILABLE (it failed to start; the message says which step).
  static absl::StatusOr<std::unique_ptr<ZygoteClient>> Start(const std::string& binary,
                                                             const MountPlan& mounts,
                                                             bool can_setgroups);
  // Closes the control socket; the zygote exits, and its pid namespace with it.
  ~ZygoteClient();

  // Hands a run to the zygote. The run's end is then reported through the returned watcher,
  // which also moves the run into `slot` when it announces itself. Thread-safe.
  // Errors: UNAVAILABLE when the zygote is gone.
  absl::StatusOr<std::unique_ptr<ExitWatcher>> StartRun(const WarmSpec& spec, int stdin_r,
                                                        int stdout_w, int stderr_w,
                                                        CgroupSlot* slot);

 private:
  ZygoteClient() = default;
  pid_t pid_ = -1;
  int pidfd_ = -1;
  int control_ = -1;
};

}  // namespace rlvr::sandbox

#endif  // RLVR_SANDBOX_ZYGOTE_CLIENT_H_
