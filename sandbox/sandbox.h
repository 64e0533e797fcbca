// rlvr sandbox: runs untrusted programs (model-written Python 3 and C++17) isolated from the host
// and from each other, with per-run limits and exact accounting.
//
//   auto sandbox = rlvr::sandbox::Sandbox::Create({});   // once per process
//   RunSpec spec;
//   spec.language = Language::kPython;
//   spec.files.push_back({"main.py", "print(input())"});
//   spec.stdin_data = "hi\n";
//   absl::StatusOr<RunResult> r = (*sandbox)->Run(spec);  // r->status == RunStatus::kOk
//
// Every run gets fresh user, pid, mount, net, ipc, uts and cgroup namespaces, a minimal read-only
// root with a size-capped tmpfs /work, no capabilities, a seccomp filter and cgroup/rlimit limits
// (see sandbox/README.md). Python runs can start warm: forked from a zygote that has the
// interpreter loaded, each run still in its own fresh namespaces.
#ifndef RLVR_SANDBOX_SANDBOX_H_
#define RLVR_SANDBOX_SANDBOX_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace rlvr::sandbox {

enum class Language {
  kExec,    // argv[0] is run as given (a path inside the sandbox: /usr/bin/..., ./prog in /work)
  kPython,  // files must hold argv[0] (default "main.py"), run as `python3 main.py args…`
  kCpp,     // files must hold "main.cpp": compiled with g++ -std=c++17 -O2 in a sandbox, then run
};

struct Limits {
  int64_t cpu_ms = 2000;            // CPU over all processes of the run
  int64_t wall_ms = 5000;           // wall clock; the whole pid namespace is killed after it
  int64_t memory_mb = 256;          // cgroup memory (RSS + tmpfs + kernel), or RLIMIT_AS fallback
  int64_t max_processes = 64;       // processes and threads
  int64_t file_size_mb = 16;        // largest file written
  int64_t scratch_mb = 32;          // size of /work and of /tmp (each a tmpfs)
  int64_t open_files = 64;
  int64_t stdout_bytes = 1 << 20;   // captured up to this; more is output_limit
  int64_t stderr_bytes = 64 << 10;
};

struct File {
  std::string path;  // relative to /work, no "..", at most one directory level deep
  std::string content;
  bool executable = false;
};

struct RunSpec {
  Language language = Language::kExec;
  // kExec: the command. kPython: the script (default "main.py") and its arguments.
  // kCpp: arguments of the compiled program (argv[0] is supplied).
  std::vector<std::string> argv;
  std::string stdin_data;
  std::vector<File> files;  // placed in /work before the program starts
  Limits limits;
  // kPython only: fork from the warm zygote when the sandbox has one (default).
  bool warm = true;
  // When set and it becomes true, the run is killed within ~10 ms and reported as kSandboxError
  // "cancelled" (e.g. the caller is shutting down). Must outlive the Run call.
  const std::atomic<bool>* cancel = nullptr;
};

enum class RunStatus {
  kOk,            // exited 0
  kRuntimeError,  // non-zero exit or a signal
  kTimeLimit,     // CPU or wall limit
  kMemoryLimit,   // the memory cgroup OOM-killed it (or, without one, it died near the cap)
  kOutputLimit,   // stdout or stderr passed its cap; the run was killed
  kCompileError,  // kCpp: the compiler rejected main.cpp (its diagnostics are in stderr)
  kSandboxError,  // the sandbox itself failed (see RunResult::sandbox_error); not the program's fault
};
const char* RunStatusName(RunStatus s);  // "ok", "runtime_error", …

struct RunResult {
  RunStatus status = RunStatus::kSandboxError;
  int exit_code = -1;  // -1 when killed by a signal
  int signal = 0;      // the terminating signal, 0 if it exited
  int64_t wall_ms = 0;
  int64_t cpu_ms = 0;
  int64_t peak_memory_kb = 0;
  std::string stdout_data, stderr_data;
  bool stdout_truncated = false, stderr_truncated = false;
  std::string sandbox_error;  // kSandboxError: which setup step failed, e.g. "pivot_root: EPERM"
};

// Which isolation mechanisms are in force in this process.
struct Mechanisms {
  bool namespaces = false;      // user, pid, mount, net, ipc, uts, cgroup
  bool seccomp = false;
  bool landlock = false;        // abstract-socket and signal scoping per run
  std::string cgroup_version;   // "v2", "v1" or "none"
  bool cgroup_memory = false, cgroup_pids = false, cgroup_cpu = false;
  bool warm_python = false;
  bool prebuilt_root = false;   // cold runs start from a pre-built root (spawner.h)
  bool shared_cold_netns = false;  // … and share one empty network namespace (needs landlock)
  bool shared_cold_ipc = false;    // … and one ipc namespace (needs seccomp, which denies SysV IPC)
  bool root = false;            // started as uid 0
  std::vector<std::string> missing;  // one line per mechanism not enabled, with the reason
  std::string Describe() const;      // multi-line summary for start-up logs
};

struct Options {
  // Fail Create() unless every mechanism (cgroup memory, pids and cpu included) is enabled.
  bool require_all = false;
  // Start a warm Python zygote.
  bool warm_python = true;
  // The zygote binary; empty: the one built beside this library.
  std::string zygote_path;
  // Cold runs as root start from a root built once (spawner.h); false: every cold run builds its
  // root and network namespace from scratch (slower; what the benchmark compares against).
  bool prebuilt_root = true;
};

class Sandbox {
 public:
  // Probes the kernel, builds the seccomp policy, sets up cgroups and (optionally) the zygote.
  // Errors: FAILED_PRECONDITION when namespaces cannot be created at all, or when require_all and
  // a mechanism is missing (the message lists which and why).
  static absl::StatusOr<std::unique_ptr<Sandbox>> Create(const Options& options);
  virtual ~Sandbox() = default;

  // Runs one program to completion. Thread-safe: any number of runs may proceed at once.
  // Errors: INVALID_ARGUMENT for a bad spec (bad file path, empty argv, non-positive limits).
  // Everything else — including the sandbox failing to set up — is a RunResult; its status says
  // whose fault it was (kSandboxError is never the program's).
  virtual absl::StatusOr<RunResult> Run(const RunSpec& spec) = 0;

  virtual const Mechanisms& mechanisms() const = 0;
};

// Runs `spec` in a process-wide Sandbox created with default Options on first use.
absl::StatusOr<RunResult> Run(const RunSpec& spec);

}  // namespace rlvr::sandbox

#endif  // RLVR_SANDBOX_SANDBOX_H_
