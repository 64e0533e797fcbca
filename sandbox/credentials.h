// Credentials: from the capable creator of the namespaces to an unprivileged uid/gid with no
// capabilities (effective, permitted, inheritable, ambient, bounding) and PR_SET_NO_NEW_PRIVS, so
// no execve — setuid binaries included — can give any back.
#ifndef RLVR_SANDBOX_CREDENTIALS_H_
#define RLVR_SANDBOX_CREDENTIALS_H_

#include "sandbox/setup_step.h"

namespace rlvr::sandbox {

// Async-signal-safe. Empties the capability bounding set (needs CAP_SETPCAP, so call it while
// still capable). Returns errno or 0.
int DropBoundingSet();

// Async-signal-safe. Drops supplementary groups (when `can_setgroups`; an unprivileged creator
// had to deny setgroups and keeps its own, which are unmapped inside) and switches real,
// effective and saved ids to the sandbox uid/gid. Capabilities stay until DropCapabilities.
int SwitchToSandboxIds(bool can_setgroups, SetupStep* failed);

// Async-signal-safe. Clears ambient, effective, permitted and inheritable capabilities.
int DropCapabilities();

// Async-signal-safe. PR_SET_NO_NEW_PRIVS.
int SetNoNewPrivs();

}  // namespace rlvr::sandbox

#endif  // RLVR_SANDBOX_CREDENTIALS_H_
