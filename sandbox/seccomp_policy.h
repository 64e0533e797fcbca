// The seccomp-bpf policy of sandboxed code (see seccomp_policy.cc for the reasoning per syscall).
#ifndef RLVR_SANDBOX_SECCOMP_POLICY_H_
#define RLVR_SANDBOX_SECCOMP_POLICY_H_

#include <linux/filter.h>

#include <vector>

#include "absl/status/statusor.h"

namespace rlvr::sandbox {

// The compiled BPF program. Built once with libseccomp in the parent, loaded in the child
// without allocating.
struct SeccompProgram {
  std::vector<sock_filter> filter;
  sock_fprog Fprog() const;
};

// Builds the policy. Errors: INTERNAL when libseccomp rejects a rule.
absl::StatusOr<SeccompProgram> BuildSeccompProgram();

// The process-wide program, built on first use (thread-safe). Never null after an OK status.
absl::StatusOr<const SeccompProgram*> SharedSeccompProgram();

// Child side, async-signal-safe: installs `prog` (needs PR_SET_NO_NEW_PRIVS first).
// Returns errno or 0.
int LoadSeccompProgram(const sock_fprog& prog);

}  // namespace rlvr::sandbox

#endif  // RLVR_SANDBOX_SECCOMP_POLICY_H_
