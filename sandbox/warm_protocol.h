// The warm-start protocol between the host (zygote_client.cc) and the zygote (zygote_main.cc).
//
// Control socket (SOCK_SEQPACKET, one per zygote):
//   zygote -> host  'r'                      ready (interpreter loaded)
//   host -> zygote  'R' + SCM_RIGHTS[stdin, stdout, stderr, status socket, spec memfd,
//                        0-3 cgroup `tasks` descriptors the run writes "0" to (cgroups.h)]
// The zygote forwards the 'R' message, descriptors unchanged, to a pre-started run over that
// run's own SOCK_SEQPACKET socket, and keeps only the status socket.
// Status socket (SOCK_SEQPACKET, one per run):
//   run  -> host    'P'                      the host reads the run's host pid (SO_PASSCRED)
//   host -> run     'G'                      the run is in its cgroup (moved by the host when
//                                            it sent no `tasks` descriptors; the run sets up
//                                            meanwhile, and waits for this before limits)
//   run  -> host    'E' + SetupError         a setup step failed (then 'X' follows)
//   zygote -> host  'X' + ExitMessage        the run's pid namespace is gone
// The run closes its end of the status socket before any user code runs, so user code cannot
// forge messages; the spec arrives in a sealed memfd, never through the zygote's memory.
#ifndef RLVR_SANDBOX_WARM_PROTOCOL_H_
#define RLVR_SANDBOX_WARM_PROTOCOL_H_

#include <sys/resource.h>

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sandbox/rlimits.h"

namespace rlvr::sandbox {

struct WarmSpec {
  struct WarmFile {
    std::string path;  // relative to /work (validated by the host)
    std::string content;
    uint32_t mode = 0644;
  };
  std::vector<std::string> argv;  // argv[0] is the script, relative to /work
  std::vector<WarmFile> files;
  RlimitInputs rlimits{};
  uint64_t scratch_bytes = 0;
};

// The most descriptors one 'R' message carries (5 run descriptors + 3 cgroup ones).
inline constexpr int kMaxPassedFds = 8;

// Sends a one-byte `tag` with `count` (<= kMaxPassedFds) descriptors (SCM_RIGHTS). Retries on
// EINTR; returns sendmsg's result (1 on success). Allocates nothing.
ssize_t SendTagWithFds(int socket, char tag, const int* fds, int count);
// Receives one message into *tag and up to kMaxPassedFds descriptors (O_CLOEXEC) into fds, their
// number into *count. Retries on EINTR (unless `dontwait`); returns recvmsg's result (0 at EOF).
// Descriptors that arrive are always reported, even when the tag is not the expected one.
ssize_t RecvTagWithFds(int socket, char* tag, int* fds, int* count, bool dontwait = false);

std::string EncodeWarmSpec(const WarmSpec& spec);
// nullopt if `data` is malformed.
std::optional<WarmSpec> DecodeWarmSpec(std::string_view data);

struct ExitMessage {
  int32_t wait_status = 0;  // as from wait4
  int64_t utime_us = 0, stime_us = 0;
  int64_t maxrss_kb = 0;
};

}  // namespace rlvr::sandbox

#endif  // RLVR_SANDBOX_WARM_PROTOCOL_H_
