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

// Which rules of the policy a program holds. kAll is the policy. It is also the union of the
// other two: kSetup has the rules of what the sandbox's own set-up needs between clone and exec
// (mount, umount2, pivot_root, unshare, setns, sethostname, namespace flags of clone, clone3);
// kRest has everything else, which a spawner thread (spawner.h) installs on itself once, so
// that its children inherit it and load only kSetup each (a filter's load costs ~40 us plus
// ~1 us per rule).
enum class SeccompRules { kAll, kSetup, kRest };

// Builds the policy. Errors: INTERNAL when libseccomp rejects a rule.
absl::StatusOr<SeccompProgram> BuildSeccompProgram(SeccompRules rules = SeccompRules::kAll);

// The process-wide programs, built on first use (thread-safe). Never null after an OK status.
absl::StatusOr<const SeccompProgram*> SharedSeccompProgram(SeccompRules rules = SeccompRules::kAll);

// Child side, async-signal-safe: installs `prog` (needs PR_SET_NO_NEW_PRIVS first).
// Returns errno or 0.
int LoadSeccompProgram(const sock_fprog& prog);

}  // namespace rlvr::sandbox

#endif  // RLVR_SANDBOX_SECCOMP_POLICY_H_
