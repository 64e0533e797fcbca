#include "sandbox/landlock.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace rlvr::sandbox {
namespace {

// From linux/landlock.h (6.12); Debian 12's headers predate the `scoped` field.
struct RulesetAttr {
  uint64_t handled_access_fs;
  uint64_t handled_access_net;
  uint64_t scoped;
};
constexpr uint64_t kScopeAbstractUnixSocket = 1ULL << 0;
constexpr uint64_t kScopeSignal = 1ULL << 1;
constexpr uint32_t kCreateRulesetVersion = 1U << 0;
constexpr long kSysCreateRuleset = 444;
constexpr long kSysRestrictSelf = 446;
constexpr long kMinAbi = 6;

}  // namespace

absl::Status ProbeLandlockScopes() {
  long abi = syscall(kSysCreateRuleset, nullptr, 0, kCreateRulesetVersion);
  if (abi < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("landlock unavailable (", strerror(errno), "); is it in the lsm= list?"));
  }
  if (abi < kMinAbi) {
    return absl::FailedPreconditionError(
        absl::StrCat("landlock ABI ", abi, " has no abstract-socket scoping (needs ", kMinAbi, ")"));
  }
  return absl::OkStatus();
}

int ApplyLandlockScopes() {
  RulesetAttr attr;
  std::memset(&attr, 0, sizeof(attr));
  attr.scoped = kScopeAbstractUnixSocket | kScopeSignal;
  long fd = syscall(kSysCreateRuleset, &attr, sizeof(attr), 0);
  if (fd < 0) return errno;
  long rc = syscall(kSysRestrictSelf, fd, 0);
  int err = errno;
  close(static_cast<int>(fd));
  return rc == 0 ? 0 : err;
}

}  // namespace rlvr::sandbox
