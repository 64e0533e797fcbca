// Landlock scoping (Linux 6.12+, ABI 6): a run may not connect to abstract unix sockets nor
// signal processes created outside its own Landlock domain. Every run creates its own domain, so
// runs that share a network namespace (warm runs share the zygote's empty one, to skip the cost
// of a fresh one) still cannot talk to each other — or to the host — over abstract sockets.
#ifndef RLVR_SANDBOX_LANDLOCK_H_
#define RLVR_SANDBOX_LANDLOCK_H_

#include "absl/status/status.h"

namespace rlvr::sandbox {

// OK when the kernel supports the scopes; FAILED_PRECONDITION with the reason otherwise.
absl::Status ProbeLandlockScopes();

// Async-signal-safe. Needs PR_SET_NO_NEW_PRIVS (or CAP_SYS_ADMIN). Returns errno or 0.
int ApplyLandlockScopes();

}  // namespace rlvr::sandbox

#endif  // RLVR_SANDBOX_LANDLOCK_H_
