#include "sandbox/setup_step.h"

#include <unistd.h>

#include <cstring>

namespace rlvr::sandbox {

const char* SetupStepName(SetupStep step) {
  switch (step) {
    case SetupStep::kNone: return "none";
    case SetupStep::kWaitForParent: return "wait for parent (uid/gid map)";
    case SetupStep::kWaitForCgroup: return "wait for parent (cgroup)";
    case SetupStep::kSignals: return "reset signal dispositions";
    case SetupStep::kUnshareCgroup: return "unshare cgroup namespace";
    case SetupStep::kJoinCgroup: return "join run cgroup";
    case SetupStep::kWriteIdMaps: return "write own uid/gid map";
    case SetupStep::kMountPrivate: return "make mounts private";
    case SetupStep::kMountRootTmpfs: return "mount root tmpfs";
    case SetupStep::kMakeRootTree: return "create root directories";
    case SetupStep::kBindMount: return "bind mount";
    case SetupStep::kRemountBindReadOnly: return "remount bind read-only";
    case SetupStep::kWriteEtc: return "write /etc files";
    case SetupStep::kMountScratch: return "mount /work and /tmp tmpfs";
    case SetupStep::kPivotRoot: return "pivot_root";
    case SetupStep::kMountProc: return "mount /proc";
    case SetupStep::kRemountRootReadOnly: return "remount / read-only";
    case SetupStep::kSetHostname: return "sethostname";
    case SetupStep::kRedirectStdio: return "redirect stdio";
    case SetupStep::kCloseFds: return "close inherited fds";
    case SetupStep::kDropBoundingSet: return "drop capability bounding set";
    case SetupStep::kSetGroups: return "setgroups";
    case SetupStep::kSetGid: return "setresgid";
    case SetupStep::kSetUid: return "setresuid";
    case SetupStep::kChdirWork: return "chdir /work";
    case SetupStep::kPlaceFiles: return "place files in /work";
    case SetupStep::kSetRlimits: return "setrlimit";
    case SetupStep::kDropCapabilities: return "drop capabilities";
    case SetupStep::kNoNewPrivs: return "PR_SET_NO_NEW_PRIVS";
    case SetupStep::kLandlock: return "landlock scopes";
    case SetupStep::kSeccomp: return "load seccomp filter";
    case SetupStep::kExec: return "execve";
    case SetupStep::kReadSpec: return "read warm-run spec";
    case SetupStep::kStartInterpreter: return "start interpreter";
  }
  return "unknown step";
}

std::string DescribeSetupError(const SetupError& e) {
  return std::string(SetupStepName(e.step)) + ": " + std::strerror(e.err);
}

void ReportSetupErrorAndExit(int fd, SetupStep step, int err) {
  SetupError e{step, err};
  ssize_t n = write(fd, &e, sizeof(e));
  (void)n;
  _exit(127);
}

}  // namespace rlvr::sandbox
