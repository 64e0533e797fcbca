// The host side of a run, top to bottom: validate the spec, pick cold or warm, create pipes and a
// cgroup slot, launch (launcher.cc / zygote_client.cc), supervise (supervisor.cc), classify.
#include "sandbox/sandbox.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "common/status_macros.h"
#include "sandbox/cgroups.h"
#include "sandbox/landlock.h"
#include "sandbox/launcher.h"
#include "sandbox/mounts.h"
#include "sandbox/namespaces.h"
#include "sandbox/seccomp_policy.h"
#include "sandbox/setup_recipe.h"
#include "sandbox/spawner.h"
#include "sandbox/supervisor.h"
#include "sandbox/zygote_client.h"

#ifndef RLVR_SANDBOX_ZYGOTE_PATH
#define RLVR_SANDBOX_ZYGOTE_PATH ""
#endif

namespace rlvr::sandbox {

const char* RunStatusName(RunStatus s) {
  switch (s) {
    case RunStatus::kOk: return "ok";
    case RunStatus::kRuntimeError: return "runtime_error";
    case RunStatus::kTimeLimit: return "time_limit";
    case RunStatus::kMemoryLimit: return "memory_limit";
    case RunStatus::kOutputLimit: return "output_limit";
    case RunStatus::kCompileError: return "compile_error";
    case RunStatus::kSandboxError: return "sandbox_error";
  }
  return "unknown";
}

std::string Mechanisms::Describe() const {
  std::string out = absl::StrCat(
      "sandbox: running as ", root ? "root" : "non-root", "; namespaces ",
      namespaces ? "on" : "OFF", ", seccomp ", seccomp ? "on" : "OFF", ", cgroup ", cgroup_version,
      " (memory ", cgroup_memory ? "on" : "OFF", ", pids ", cgroup_pids ? "on" : "OFF", ", cpu ",
      cgroup_cpu ? "on" : "OFF", "), landlock ", landlock ? "on" : "OFF", ", warm python ", warm_python ? "on" : "OFF",
      ", cold start from ", prebuilt_root ? "a pre-built root" : "scratch",
      prebuilt_root ? (shared_cold_netns ? " (shared empty netns" : " (own netns") : "",
      prebuilt_root ? (shared_cold_ipc ? ", shared ipc ns)" : ", own ipc ns)") : "", "\n");
  for (const std::string& m : missing) absl::StrAppend(&out, "sandbox: not enabled: ", m, "\n");
  return out;
}

namespace {

constexpr const char* kEnv[] = {"PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8",
                                "HOME=/work", "TMPDIR=/tmp", "PYTHONDONTWRITEBYTECODE=1"};

absl::Status ValidatePath(const std::string& path) {
  if (path.empty() || path.size() > 255 || path[0] == '/') {
    return absl::InvalidArgumentError(absl::StrCat("file path \"", path, "\" must be relative, 1-255 chars"));
  }
  std::vector<std::string> parts = absl::StrSplit(path, '/');
  if (parts.size() > 2) {
    return absl::InvalidArgumentError(absl::StrCat("file path \"", path, "\" is nested deeper than one directory"));
  }
  for (const std::string& p : parts) {
    if (p.empty() || p == "." || p == ".." || p.find('\0') != std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat("file path \"", path, "\" has an empty, . or .. component"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateSpec(const RunSpec& spec) {
  const Limits& l = spec.limits;
  for (auto [name, v] : {std::pair{"cpu_ms", l.cpu_ms}, {"wall_ms", l.wall_ms}, {"memory_mb", l.memory_mb},
                         {"max_processes", l.max_processes}, {"file_size_mb", l.file_size_mb},
                         {"scratch_mb", l.scratch_mb}, {"open_files", l.open_files},
                         {"stdout_bytes", l.stdout_bytes}, {"stderr_bytes", l.stderr_bytes}}) {
    if (v <= 0) return absl::InvalidArgumentError(absl::StrCat("limit ", name, " is ", v, "; must be > 0"));
  }
  if (l.memory_mb > (1 << 20) || l.scratch_mb > (1 << 20) || l.file_size_mb > (1 << 20)) {
    return absl::InvalidArgumentError("a size limit is above 1 TiB");
  }
  uint64_t total = 0;
  for (const File& f : spec.files) {
    RETURN_IF_ERROR(ValidatePath(f.path));
    total += f.content.size();
  }
  if (total > static_cast<uint64_t>(l.scratch_mb) << 20) {
    return absl::InvalidArgumentError(absl::StrCat("files total ", total, " bytes; /work holds ",
                                                   l.scratch_mb, " MiB"));
  }
  if (spec.language == Language::kExec && spec.argv.empty()) {
    return absl::InvalidArgumentError("argv is empty");
  }
  for (const std::string& a : spec.argv) {
    if (a.find('\0') != std::string::npos) return absl::InvalidArgumentError("argv has a NUL byte");
  }
  if (spec.language == Language::kPython) {
    std::string script = spec.argv.empty() ? "main.py" : spec.argv[0];
    RETURN_IF_ERROR(ValidatePath(script));
    bool found = false;
    for (const File& f : spec.files) found |= f.path == script;
    if (!found) return absl::InvalidArgumentError(absl::StrCat("no file \"", script, "\" to run"));
  }
  if (spec.language == Language::kCpp) {
    bool found = false;
    for (const File& f : spec.files) found |= f.path == "main.cpp";
    if (!found) return absl::InvalidArgumentError("kCpp needs a file \"main.cpp\"");
  }
  return absl::OkStatus();
}

struct Pipe {
  int r = -1, w = -1;
  ~Pipe() { Close(); }
  void Close() {
    if (r >= 0) close(r);
    if (w >= 0) close(w);
    r = w = -1;
  }
};

absl::Status MakePipes(Pipe& in, Pipe& out, Pipe& err) {
  for (Pipe* p : {&in, &out, &err}) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return absl::InternalError(absl::StrCat("pipe2: ", strerror(errno)));
    p->r = fds[0];
    p->w = fds[1];
  }
  fcntl(in.w, F_SETFL, O_NONBLOCK);
  fcntl(out.r, F_SETFL, O_NONBLOCK);
  fcntl(err.r, F_SETFL, O_NONBLOCK);
  return absl::OkStatus();
}

RunResult SandboxErrorResult(std::string why) {
  RunResult r;
  r.status = RunStatus::kSandboxError;
  r.sandbox_error = std::move(why);
  return r;
}

class ColdWatcher : public ExitWatcher {
 public:
  ColdWatcher(pid_t pid, int pidfd) : pid_(pid), pidfd_(pidfd) {}
  ~ColdWatcher() override {
    if (!reaped_) {
      KillByPidfd(pidfd_);
      int st;
      while (waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
      }
    }
    close(pidfd_);
  }
  int fd() const override { return pidfd_; }
  bool OnReadable(ExitInfo* info) override {
    rusage ru{};
    int status = 0;
    pid_t r;
    do r = wait4(pid_, &status, WNOHANG, &ru);
    while (r < 0 && errno == EINTR);
    if (r != pid_) return false;
    reaped_ = true;
    info->done = true;
    info->wait_status = status;
    info->cpu_us = ru.ru_utime.tv_sec * 1000000LL + ru.ru_utime.tv_usec +
                   ru.ru_stime.tv_sec * 1000000LL + ru.ru_stime.tv_usec;
    info->maxrss_kb = ru.ru_maxrss;
    return true;
  }
  void Kill() override { KillByPidfd(pidfd_); }
  pid_t host_pid() const override { return pid_; }

 private:
  pid_t pid_;
  int pidfd_;
  bool reaped_ = false;
};

// Closes descriptors of finished runs' mount namespaces on a background thread. Holding a run's
// mount namespace until its result is in keeps the namespace's teardown (unmounting the root, its
// binds and tmpfs, which waits for an RCU grace period: up to milliseconds) out of the run's exit
// and off the caller's thread.
class NamespaceReleaser {
 public:
  NamespaceReleaser() : thread_([this] { Loop(); }) {}
  ~NamespaceReleaser() {
    {
      absl::MutexLock lock(&mu_);
      stop_ = true;
    }
    thread_.join();
  }
  // Takes ownership of `fd` (ignored when negative).
  void Release(int fd) {
    if (fd < 0) return;
    absl::MutexLock lock(&mu_);
    fds_.push_back(fd);
  }

 private:
  void Loop() {
    for (;;) {
      std::vector<int> batch;
      {
        absl::MutexLock lock(&mu_);
        mu_.Await(absl::Condition(
            +[](NamespaceReleaser* r) { return r->stop_ || !r->fds_.empty(); }, this));
        batch.swap(fds_);
        if (batch.empty() && stop_) return;
      }
      for (int fd : batch) close(fd);
    }
  }

  absl::Mutex mu_;
  std::vector<int> fds_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

// The mount namespace of `pid`, or -1 (best effort: the run works the same without it). Asked of
// the pidfd where the kernel can (6.11+: no path lookup in /proc), else through /proc.
int OpenMountNamespace(pid_t pid, int pidfd) {
  constexpr unsigned long kPidfdGetMntNamespace = _IO(0xFF, 3);  // PIDFD_GET_MNT_NAMESPACE
  int fd = ioctl(pidfd, kPidfdGetMntNamespace, 0);
  if (fd >= 0) return fd;
  const std::string path = absl::StrCat("/proc/", pid, "/ns/mnt");
  return open(path.c_str(), O_RDONLY | O_CLOEXEC);
}

// Releases a cgroup slot back to its pool at scope exit.
class SlotLease {
 public:
  SlotLease(CgroupPool* pool, std::unique_ptr<CgroupSlot> slot) : pool_(pool), slot_(std::move(slot)) {}
  SlotLease(SlotLease&& o) noexcept : pool_(o.pool_), slot_(std::move(o.slot_)) { o.pool_ = nullptr; }
  SlotLease& operator=(SlotLease&&) = delete;
  ~SlotLease() {
    if (pool_ != nullptr) pool_->Release(std::move(slot_));
  }
  CgroupSlot* get() const { return slot_.get(); }

 private:
  CgroupPool* pool_;
  std::unique_ptr<CgroupSlot> slot_;
};

class SandboxImpl : public Sandbox {
 public:
  absl::StatusOr<RunResult> Run(const RunSpec& spec) override {
    RETURN_IF_ERROR(ValidateSpec(spec));
    switch (spec.language) {
      case Language::kCpp:
        return RunCpp(spec);
      case Language::kPython: {
        std::vector<std::string> args = spec.argv;
        if (args.empty()) args.push_back("main.py");
        if (spec.warm && mech_.warm_python) {
          std::optional<RunResult> warm = RunWarm(spec, args);
          if (warm.has_value()) return *std::move(warm);
        }
        args.insert(args.begin(), "python3");
        return RunCold("/usr/bin/python3", args, spec.files, spec.stdin_data, spec.limits, spec.cancel);
      }
      case Language::kExec: {
        const std::string& a0 = spec.argv[0];
        std::string path = a0[0] == '/'                        ? a0
                           : a0.find('/') != std::string::npos ? "/work/" + a0
                                                               : "/usr/bin/" + a0;
        return RunCold(path, spec.argv, spec.files, spec.stdin_data, spec.limits, spec.cancel);
      }
    }
    return absl::InvalidArgumentError("unknown language");
  }

  const Mechanisms& mechanisms() const override { return mech_; }

  absl::Status Init(const Options& options) {
    mech_.root = geteuid() == 0;
    if (absl::Status s = ProbeNamespaces(); !s.ok()) return s;
    mech_.namespaces = true;
    absl::StatusOr<const SeccompProgram*> prog = SharedSeccompProgram();
    if (prog.ok()) {
      seccomp_ = (*prog)->Fprog();
      mech_.seccomp = true;
    } else {
      mech_.missing.push_back(absl::StrCat("seccomp: ", prog.status().message()));
    }
    if (absl::Status s = ProbeLandlockScopes(); s.ok()) {
      mech_.landlock = true;
    } else {
      mech_.missing.push_back(absl::StrCat("landlock scopes: ", s.message(),
                                           "; warm runs then pay for a network namespace each"));
    }
    cgroups_ = CgroupPool::Create();
    const CgroupPool::Availability& a = cgroups_->availability();
    mech_.cgroup_version = a.version;
    mech_.cgroup_memory = a.memory;
    mech_.cgroup_pids = a.pids;
    mech_.cgroup_cpu = a.cpu;
    for (const std::string& p : a.problems) mech_.missing.push_back(p);
    if (!a.memory) mech_.missing.push_back("memory limit: RLIMIT_AS only (per process, address space)");
    if (!a.pids) mech_.missing.push_back("process limit: RLIMIT_NPROC only (per user namespace)");
    if (!a.cpu) mech_.missing.push_back("CPU limit: RLIMIT_CPU per process (whole seconds) + wall clock");
    can_setgroups_ = !HostIdMapping().deny_setgroups;
    if (!can_setgroups_) {
      mech_.missing.push_back(
          "supplementary groups: kept (an unprivileged creator must deny setgroups); they are "
          "unmapped inside");
    }
    const std::string zygote_path =
        options.zygote_path.empty() ? RLVR_SANDBOX_ZYGOTE_PATH : options.zygote_path;
    ASSIGN_OR_RETURN(base_mounts_, MakeMountPlan(32 << 20, {}, {zygote_path}));
    if (options.prebuilt_root && mech_.root && a.version != "v2") {
      absl::StatusOr<std::unique_ptr<Spawner>> sp = Spawner::Create(base_mounts_, mech_.landlock, mech_.seccomp);
      if (sp.ok()) {
        spawner_ = *std::move(sp);
        mech_.prebuilt_root = true;
        mech_.shared_cold_netns = spawner_->shares_netns();
        mech_.shared_cold_ipc = spawner_->shares_ipcns();
      } else {
        std::fprintf(stderr, "sandbox: cold runs build their root from scratch: %s\n",
                     std::string(sp.status().message()).c_str());
      }
    }
    if (options.warm_python) {
      zygote_path_ = zygote_path;
      absl::StatusOr<std::unique_ptr<ZygoteClient>> z =
          ZygoteClient::Start(zygote_path_, base_mounts_, can_setgroups_);
      if (z.ok()) {
        zygote_ = std::shared_ptr<ZygoteClient>(std::move(*z));
        mech_.warm_python = true;
      } else {
        mech_.missing.push_back(absl::StrCat("warm python: ", z.status().message()));
      }
    }
    if (options.require_all && !mech_.missing.empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat("required sandbox mechanisms are missing: ", absl::StrJoin(mech_.missing, "; ")));
    }
    return absl::OkStatus();
  }

 private:
  absl::StatusOr<SlotLease> AcquireSlot(const Limits& l) {
    const auto& a = cgroups_->availability();
    if (!a.memory && !a.pids && !a.cpu) return SlotLease(nullptr, nullptr);
    CgroupLimits cl;
    cl.memory_bytes = static_cast<uint64_t>(l.memory_mb) << 20;
    cl.max_pids = l.max_processes;
    ASSIGN_OR_RETURN(std::unique_ptr<CgroupSlot> slot, cgroups_->Acquire(cl));
    return SlotLease(cgroups_.get(), std::move(slot));
  }

  RlimitInputs Rlimits(const Limits& l) const {
    const uint64_t mem = static_cast<uint64_t>(l.memory_mb) << 20;
    RlimitInputs in;
    in.cpu_ms = l.cpu_ms;
    in.address_space_bytes = cgroups_->availability().memory ? 2 * mem + (256 << 20) : mem;
    in.max_processes = l.max_processes;
    in.file_size_bytes = static_cast<uint64_t>(l.file_size_mb) << 20;
    in.open_files = l.open_files;
    return in;
  }

  absl::StatusOr<RunResult> RunCold(const std::string& exec_path, const std::vector<std::string>& argv,
                                    const std::vector<File>& files, const std::string& stdin_data,
                                    const Limits& limits, const std::atomic<bool>* cancel) {
    Pipe in, out, err;
    if (absl::Status s = MakePipes(in, out, err); !s.ok()) return SandboxErrorResult(std::string(s.message()));
    absl::StatusOr<SlotLease> lease = AcquireSlot(limits);
    if (!lease.ok()) return SandboxErrorResult(absl::StrCat("cgroup: ", lease.status().message()));

    MountPlan mounts = base_mounts_;
    const uint64_t scratch = static_cast<uint64_t>(limits.scratch_mb) << 20;
    mounts.work_options = ScratchOptions(scratch, false);
    mounts.tmp_options = ScratchOptions(scratch, true);

    ChildPlan plan;
    plan.stdin_fd = in.r;
    plan.stdout_fd = out.w;
    plan.stderr_fd = err.w;
    plan.can_setgroups = can_setgroups_;
    plan.mounts = &mounts;
    for (const File& f : files) {
      size_t slash = f.path.rfind('/');
      plan.files.push_back({slash == std::string::npos ? "" : "/work/" + f.path.substr(0, slash),
                            "/work/" + f.path, &f.content, f.executable ? 0755u : 0644u});
    }
    plan.rlimits = MakeRlimitPlan(Rlimits(limits));
    sock_fprog prog = seccomp_;
    plan.seccomp = mech_.seccomp ? &prog : nullptr;
    plan.landlock = mech_.landlock;
    plan.exec_path = exec_path.c_str();
    for (const std::string& a : argv) plan.argv.push_back(const_cast<char*>(a.c_str()));
    plan.argv.push_back(nullptr);
    for (const char* e : kEnv) plan.envp.push_back(const_cast<char*>(e));
    plan.envp.push_back(nullptr);

    const int64_t start = MonotonicNanos();
    CgroupSlot* slot = lease->get();
    const bool prebuilt = spawner_ != nullptr && (slot == nullptr || !slot->self_join_fds().empty());
    absl::StatusOr<Launched> launched = prebuilt ? spawner_->Spawn(plan, slot) : Launch(plan, slot);
    in.r = -1;  // closed below via the plan's copies
    close(plan.stdin_fd);
    close(out.w);
    out.w = -1;
    close(err.w);
    err.w = -1;
    if (!launched.ok()) return SandboxErrorResult(std::string(launched.status().message()));
    const int mount_ns = OpenMountNamespace(launched->pid, launched->pidfd);
    absl::Cleanup release_ns = [&] { releaser_.Release(mount_ns); };
    ColdWatcher watcher(launched->pid, launched->pidfd);
    if (launched->setup_error.has_value()) {
      RunResult r = SandboxErrorResult(DescribeSetupError(*launched->setup_error));
      return r;  // the watcher reaps the child
    }
    Supervised s = Supervise(in.w, stdin_data, out.r, err.r, watcher, lease->get(), limits, start, cancel);
    in.w = -1;  // Supervise closed it
    return Classify(std::move(s), lease->get(), limits);
  }

  // A warm run whose pre-started process was killed before it took the run (no user code ran)
  // is retried once, then goes cold.
  std::optional<RunResult> RunWarm(const RunSpec& spec, const std::vector<std::string>& args) {
    for (int attempt = 0; attempt < 2; ++attempt) {
      bool never_started = false;
      std::optional<RunResult> r = RunWarmOnce(spec, args, &never_started);
      if (!never_started) return r;
    }
    return std::nullopt;
  }

  std::optional<RunResult> RunWarmOnce(const RunSpec& spec, const std::vector<std::string>& args,
                                       bool* never_started) {
    std::shared_ptr<ZygoteClient> zygote;
    {
      absl::MutexLock lock(&zygote_mu_);
      zygote = zygote_;
    }
    if (zygote == nullptr) return std::nullopt;
    Pipe in, out, err;
    if (absl::Status s = MakePipes(in, out, err); !s.ok()) return SandboxErrorResult(std::string(s.message()));
    absl::StatusOr<SlotLease> lease = AcquireSlot(spec.limits);
    if (!lease.ok()) return SandboxErrorResult(absl::StrCat("cgroup: ", lease.status().message()));
    WarmSpec ws;
    ws.argv = args;
    for (const File& f : spec.files) ws.files.push_back({f.path, f.content, f.executable ? 0755u : 0644u});
    ws.rlimits = Rlimits(spec.limits);
    ws.scratch_bytes = static_cast<uint64_t>(spec.limits.scratch_mb) << 20;
    const int64_t start = MonotonicNanos();
    absl::StatusOr<std::unique_ptr<ExitWatcher>> watcher =
        zygote->StartRun(ws, in.r, out.w, err.w, lease->get());
    close(in.r);
    in.r = -1;
    close(out.w);
    out.w = -1;
    close(err.w);
    err.w = -1;
    if (!watcher.ok()) {
      RestartZygote(zygote);
      return std::nullopt;  // this run goes cold
    }
    Supervised s = Supervise(in.w, spec.stdin_data, out.r, err.r, **watcher, lease->get(), spec.limits, start,
                             spec.cancel);
    in.w = -1;
    *never_started = s.exit.never_started;
    return Classify(std::move(s), lease->get(), spec.limits);
  }

  void RestartZygote(const std::shared_ptr<ZygoteClient>& dead) {
    absl::MutexLock lock(&zygote_mu_);
    if (zygote_ != dead) return;  // someone else already did
    zygote_.reset();
    absl::StatusOr<std::unique_ptr<ZygoteClient>> z =
        ZygoteClient::Start(zygote_path_, base_mounts_, can_setgroups_);
    if (z.ok()) {
      zygote_ = std::shared_ptr<ZygoteClient>(std::move(*z));
    } else {
      std::fprintf(stderr, "sandbox: warm python restart failed: %s\n",
                   std::string(z.status().message()).c_str());
    }
  }

  absl::StatusOr<RunResult> RunCpp(const RunSpec& spec) {
    Limits cl;  // the compiler's own limits, independent of the program's
    cl.cpu_ms = 30000;
    cl.wall_ms = 60000;
    cl.memory_mb = 1024;
    cl.max_processes = 32;
    cl.file_size_mb = 128;
    cl.scratch_mb = 256;
    cl.open_files = 256;
    cl.stdout_bytes = 128 << 20;
    cl.stderr_bytes = spec.limits.stderr_bytes;
    std::vector<std::string> compile = {
        "sh", "-c", "g++ -std=c++17 -O2 -pipe -o /tmp/a.out main.cpp 1>&2 && cat /tmp/a.out"};
    ASSIGN_OR_RETURN(RunResult c, RunCold("/bin/sh", compile, spec.files, "", cl, spec.cancel));
    if (c.status == RunStatus::kSandboxError) return c;
    if (c.status != RunStatus::kOk) {
      c.status = RunStatus::kCompileError;
      c.stdout_data.clear();
      return c;
    }
    std::vector<File> files;
    files.push_back({"main", std::move(c.stdout_data), true});
    for (const File& f : spec.files) {
      if (f.path != "main.cpp" && f.path != "main") files.push_back(f);
    }
    std::vector<std::string> argv = spec.argv;
    argv.insert(argv.begin(), "./main");
    return RunCold("/work/main", argv, files, spec.stdin_data, spec.limits, spec.cancel);
  }

  NamespaceReleaser releaser_;
  std::unique_ptr<Spawner> spawner_;
  Mechanisms mech_;
  sock_fprog seccomp_{};
  bool can_setgroups_ = false;
  std::unique_ptr<CgroupPool> cgroups_;
  MountPlan base_mounts_;
  std::string zygote_path_;
  absl::Mutex zygote_mu_;
  std::shared_ptr<ZygoteClient> zygote_ ABSL_GUARDED_BY(zygote_mu_);
};

}  // namespace

absl::StatusOr<std::unique_ptr<Sandbox>> Sandbox::Create(const Options& options) {
  auto impl = std::make_unique<SandboxImpl>();
  RETURN_IF_ERROR(impl->Init(options));
  std::fputs(impl->mechanisms().Describe().c_str(), stderr);
  return std::unique_ptr<Sandbox>(std::move(impl));
}

absl::StatusOr<RunResult> Run(const RunSpec& spec) {
  static absl::StatusOr<std::unique_ptr<Sandbox>>* shared =
      new absl::StatusOr<std::unique_ptr<Sandbox>>(Sandbox::Create(Options{}));
  if (!shared->ok()) return shared->status();
  return (**shared)->Run(spec);
}

}  // namespace rlvr::sandbox
