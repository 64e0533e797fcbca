// The error pipe protocol: which step of the child-side setup failed, and with which errno.
//
// Every setup step in the child (setup_recipe.cc, zygote_main.cc) is one value of SetupStep. On
// failure the child writes one SetupError to a CLOEXEC pipe and exits; a successful execve closes
// the pipe, so the parent reads either EOF (the program is running) or the exact failing step.
#ifndef RLVR_SANDBOX_SETUP_STEP_H_
#define RLVR_SANDBOX_SETUP_STEP_H_

#include <cstdint>
#include <string>

namespace rlvr::sandbox {

enum class SetupStep : int32_t {
  kNone = 0,
  kWaitForParent,
  kWaitForCgroup,
  kSignals,
  kUnshareCgroup,
  kMountPrivate,
  kMountRootTmpfs,
  kMakeRootTree,
  kBindMount,
  kRemountBindReadOnly,
  kWriteEtc,
  kMountScratch,
  kPivotRoot,
  kMountProc,
  kRemountRootReadOnly,
  kSetHostname,
  kRedirectStdio,
  kCloseFds,
  kDropBoundingSet,
  kSetGroups,
  kSetGid,
  kSetUid,
  kChdirWork,
  kPlaceFiles,
  kSetRlimits,
  kDropCapabilities,
  kNoNewPrivs,
  kLandlock,
  kSeccomp,
  kExec,
  kReadSpec,
  kStartInterpreter,
  kJoinCgroup,
  kWriteIdMaps,
};

struct SetupError {
  SetupStep step = SetupStep::kNone;
  int32_t err = 0;  // errno
};

// "mount /proc" style name of a step, for error messages.
const char* SetupStepName(SetupStep step);

// "<step>: <strerror>", e.g. "pivot_root: Operation not permitted".
std::string DescribeSetupError(const SetupError& e);

// Async-signal-safe: writes `e` to `fd` (ignoring failures) and _exit(127)s. Used by children.
[[noreturn]] void ReportSetupErrorAndExit(int fd, SetupStep step, int err);

}  // namespace rlvr::sandbox

#endif  // RLVR_SANDBOX_SETUP_STEP_H_
