// rlvr-sandbox-pyzygote: the warm Python start. Started by the host inside a full sandbox (its
// own namespaces and minimal root, unprivileged, no capabilities), it loads the interpreter and
// common modules once and keeps pre-started runs waiting: each a clone into fresh user, pid,
// mount, ipc and uts namespaces (and net, without Landlock) nested in its own, with /proc, /work
// and /tmp mounted and the interpreter warmed up. A run handed to one applies the same limits,
// capabilities drop and seccomp filter as a cold run and executes the script in its copy of the
// interpreter. The zygote never sees a run's files or output: they travel as file descriptors
// from the host straight to the run (see warm_protocol.h).
#include <Python.h>
#include <marshal.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "sandbox/cgroups.h"
#include "sandbox/credentials.h"
#include "sandbox/landlock.h"
#include "sandbox/mounts.h"
#include "sandbox/namespaces.h"
#include "sandbox/seccomp_policy.h"
#include "sandbox/setup_recipe.h"
#include "sandbox/setup_step.h"
#include "sandbox/warm_protocol.h"

namespace rlvr::sandbox {
namespace {

constexpr int kControlFd = 3;
constexpr int kStatusFd = 3;  // in a run, after the control socket is closed
constexpr int kRunFds = 5;     // stdin, stdout, stderr, status socket, spec memfd
constexpr int kMaxJoinFds = 3;  // then up to one cgroup `tasks` descriptor per v1 controller
static_assert(kRunFds + kMaxJoinFds == kMaxPassedFds);

// The process name of a pre-started run still waiting for its work (tests tell them apart).
constexpr char kReadyName[] = "rlvr-pyready";

void KillChild(int pidfd) { syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, nullptr, 0); }

// Modules loaded once in the zygote. Deterministic and side-effect free on import; nothing that
// seeds a generator (random, tempfile, secrets) so runs never share random state.
constexpr const char* kPreimport =
    "import abc, array, bisect, collections, copy, dataclasses, decimal, enum, fractions, "
    "functools, heapq, io, itertools, json, math, operator, os, re, string, sys, typing, "
    "signal, threading, linecache, importlib, traceback, types, _ctypes\n";

void SendMessage(int fd, const void* data, size_t size) {
  ssize_t n;
  do n = send(fd, data, size, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
}

[[noreturn]] void RunFail(SetupStep step, int err) {
  char msg[1 + sizeof(SetupError)];
  msg[0] = 'E';
  SetupError e{step, err};
  std::memcpy(msg + 1, &e, sizeof(e));
  SendMessage(kStatusFd, msg, sizeof(msg));
  _exit(127);
}

std::string ReadAll(int fd) {
  std::string out;
  char buf[65536];
  off_t off = 0;
  for (;;) {
    ssize_t n = pread(fd, buf, sizeof(buf), off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
    off += n;
  }
  return out;
}

bool IsPyc(const std::string& path) { return path.size() > 4 && path.compare(path.size() - 4, 4, ".pyc") == 0; }

// Runs a compiled file (16-byte header, then the marshalled code) as `python3 main.pyc` would:
// refuses a file made by another interpreter version. Closes `fp`. Returns the result, or null with
// a Python exception set.
PyObject* RunPyc(FILE* fp, const std::string& path, PyObject* globals) {
  std::string data;
  char buf[65536];
  for (size_t n; (n = std::fread(buf, 1, sizeof(buf), fp)) > 0;) data.append(buf, n);
  std::fclose(fp);
  const long magic = PyImport_GetMagicNumber();
  unsigned char want[4];
  for (int i = 0; i < 4; ++i) want[i] = static_cast<unsigned char>((magic >> (8 * i)) & 0xff);
  if (data.size() < 16 || std::memcmp(data.data(), want, 4) != 0) {
    PyErr_Format(PyExc_RuntimeError, "Bad magic number in .pyc file %s", path.c_str());
    return nullptr;
  }
  PyObject* code = PyMarshal_ReadObjectFromString(data.data() + 16, static_cast<Py_ssize_t>(data.size() - 16));
  if (code == nullptr) return nullptr;
  if (!PyCode_Check(code)) {
    Py_DECREF(code);
    PyErr_Format(PyExc_RuntimeError, "%s holds no code object", path.c_str());
    return nullptr;
  }
  PyObject* result = PyEval_EvalCode(code, globals, globals);
  Py_DECREF(code);
  return result;
}

// Runs /work/<argv[0]> as __main__, like `python3 main.py` (or `python3 main.pyc`), and returns
// the exit code.
int RunScript(const std::vector<std::string>& argv) {
  PyObject* sys_argv = PyList_New(0);
  for (const std::string& a : argv) {
    PyObject* s = PyUnicode_DecodeFSDefaultAndSize(a.data(), static_cast<Py_ssize_t>(a.size()));
    PyList_Append(sys_argv, s);
    Py_DECREF(s);
  }
  PySys_SetObject("argv", sys_argv);
  Py_DECREF(sys_argv);
  PyObject* path = PySys_GetObject("path");  // borrowed
  PyObject* work = PyUnicode_FromString("/work");
  PyList_Insert(path, 0, work);
  Py_DECREF(work);

  const std::string script = "/work/" + argv[0];
  int code = 0;
  FILE* fp = std::fopen(script.c_str(), "rb");
  if (fp == nullptr) {
    std::fprintf(stderr, "python3: can't open file '%s': [Errno %d] %s\n", script.c_str(), errno,
                 std::strerror(errno));
    std::fflush(stderr);
    return 2;
  }
  PyObject* main_module = PyImport_AddModule("__main__");  // borrowed
  PyObject* globals = PyModule_GetDict(main_module);       // borrowed
  PyObject* file = PyUnicode_FromString(script.c_str());
  PyDict_SetItemString(globals, "__file__", file);
  Py_DECREF(file);
  PyDict_SetItemString(globals, "__cached__", Py_None);
  PyObject* result = IsPyc(script) ? RunPyc(fp, script, globals)
                                   : PyRun_FileExFlags(fp, script.c_str(), Py_file_input, globals, globals, 1, nullptr);
  if (result != nullptr) {
    Py_DECREF(result);
  } else if (PyErr_ExceptionMatches(PyExc_SystemExit)) {
    // SystemExit(None) -> 0, SystemExit(int) -> int, anything else printed -> 1.
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    PyObject* arg = value != nullptr ? PyObject_GetAttrString(value, "code") : nullptr;
    if (arg == nullptr || arg == Py_None) {
      code = 0;
    } else if (PyLong_Check(arg)) {
      code = static_cast<int>(PyLong_AsLong(arg));
    } else {
      PyObject* str = PyObject_Str(arg);
      if (str != nullptr) {
        PySys_WriteStderr("%s\n", PyUnicode_AsUTF8(str));
        Py_DECREF(str);
      }
      code = 1;
    }
    PyErr_Clear();
    Py_XDECREF(arg);
    Py_XDECREF(type);
    Py_XDECREF(value);
    Py_XDECREF(tb);
  } else {
    PyErr_Print();
    code = 1;
  }
  // What Py_Finalize would do for the user: atexit handlers, then flush the streams.
  if (PyRun_SimpleString("import atexit as _a; _a._run_exitfuncs()\n") != 0) code = code ? code : 1;
  if (PyRun_SimpleString("import sys as _s\nfor _f in (_s.stdout, _s.stderr):\n  _f.flush()\n") != 0) {
    code = code ? code : 120;
  }
  return code;
}

// Runs `code` with a fresh globals dict (not __main__'s); false, with the error printed, if it
// raised.
bool RunInScratchNamespace(const char* code) {
  PyObject* globals = PyDict_New();
  if (globals == nullptr) return false;
  PyDict_SetItemString(globals, "__builtins__", PyEval_GetBuiltins());
  PyObject* r = PyRun_String(code, Py_file_input, globals, globals);
  if (r == nullptr) PyErr_Print();
  Py_XDECREF(r);
  Py_DECREF(globals);
  return r != nullptr;
}

// Compiles and runs a trivial script in a scratch namespace, the way RunScript runs a real one,
// so that the pages a run touches (code objects, the import system, the streams) are copied on
// write before the run arrives rather than while it is timed. Leaves no trace in __main__.
void WarmUp() {
  PyObject* globals = PyDict_New();
  if (globals == nullptr) return;
  PyDict_SetItemString(globals, "__builtins__", PyEval_GetBuiltins());
  PyObject* r = PyRun_String(
      "import atexit as _a, sys as _s\n"
      "_c = compile('pass\\n', '/work/main.py', 'exec')\n"
      "exec(_c, {'__name__': '__warmup__'})\n"
      "_a._run_exitfuncs()\n",
      Py_file_input, globals, globals);
  Py_XDECREF(r);
  PyErr_Clear();
  Py_DECREF(globals);
}

// A pre-started run, as pid 1 of its namespaces. Never returns. Before it has a run it mounts its
// /proc, re-initializes the interpreter after the fork and warms up (WarmUp), then waits on `ctl`
// for the run: 'R' + [stdin, stdout, stderr, status socket, spec memfd, cgroup `tasks` fds...].
// A failure before the run arrives is reported once it does (there is no status socket before).
[[noreturn]] void RunChildOfZygote(int ctl_fd, int sync_fd, const sock_fprog* seccomp, bool landlock) {
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  prctl(PR_SET_NAME, kReadyName, 0, 0, 0);
  // Nothing of the zygote's descriptors stays but our control socket (100) and id-map pipe (105).
  if (dup2(ctl_fd, 100) < 0 || dup2(sync_fd, 105) < 0) _exit(127);
  syscall(SYS_close_range, 0, 99, 0);
  syscall(SYS_close_range, 101, 104, 0);
  syscall(SYS_close_range, 106, ~0U, 0);

  SetupError early{SetupStep::kNone, 0};
  auto note = [&early](SetupStep step, int err) {
    if (early.step == SetupStep::kNone) early = {step, err};
  };
  char byte = 0;
  if (read(105, &byte, 1) != 1) note(SetupStep::kWaitForParent, EPIPE);  // our id maps
  close(105);
  if (early.step == SetupStep::kNone) {
    if (int err = MountProc(); err != 0) note(SetupStep::kMountProc, err);
  }
  // /work and /tmp now, at a nominal size; the run resizes them (a remount is cheaper than a mount).
  if (early.step == SetupStep::kNone) {
    const std::string work = ScratchOptions(1 << 20, false), tmp = ScratchOptions(1 << 20, true);
    if (int err = MountScratch(work.c_str(), tmp.c_str()); err != 0) note(SetupStep::kMountScratch, err);
  }
  if (early.step == SetupStep::kNone && sethostname("sandbox", 7) != 0) {
    note(SetupStep::kSetHostname, errno);
  }
  PyOS_AfterFork_Child();
  if (early.step == SetupStep::kNone) WarmUp();

  // The run: its descriptors land on 101.. (stdin 101, stdout 102, stderr 103, spec 104, the
  // cgroup descriptors from 106); the status socket becomes fd 3.
  int in[kMaxPassedFds];
  int count = 0;
  const ssize_t n = RecvTagWithFds(100, &byte, in, &count);
  if (n != 1 || byte != 'R') count = 0;
  if (count < kRunFds) _exit(0);  // the zygote is shutting down (or sent garbage)
  // Received descriptors take the lowest free numbers (below 100): move each to its place first.
  const int join_count = count - kRunFds;
  int joins[kMaxJoinFds];
  constexpr int kStatusTemp = 110;
  bool moved = dup2(in[0], 101) >= 0 && dup2(in[1], 102) >= 0 && dup2(in[2], 103) >= 0 &&
               dup2(in[4], 104) >= 0 && dup2(in[3], kStatusTemp) >= 0;
  for (int k = 0; moved && k < join_count; ++k) {
    joins[k] = 106 + k;
    moved = dup2(in[kRunFds + k], joins[k]) >= 0;
  }
  if (!moved) _exit(127);
  syscall(SYS_close_range, 0, 99, 0);
  if (dup2(kStatusTemp, kStatusFd) < 0) _exit(127);
  close(kStatusTemp);
  close(100);
  prctl(PR_SET_NAME, "rlvr-pyrun", 0, 0, 0);
  if (early.step != SetupStep::kNone) RunFail(early.step, early.err);
  // Into the run cgroup before the run charges anything (the host's descriptors; cgroups.h).
  if (int err = JoinSelf(joins, join_count); err != 0) RunFail(SetupStep::kJoinCgroup, err);

  // The host reads our pid from the credentials (to kill us on a limit) and answers 'G'.
  SendMessage(kStatusFd, "P", 1);
  std::optional<WarmSpec> spec = DecodeWarmSpec(ReadAll(104));
  close(104);
  if (!spec.has_value()) RunFail(SetupStep::kReadSpec, EINVAL);

  if (int err = ResizeScratch(spec->scratch_bytes); err != 0) RunFail(SetupStep::kMountScratch, err);

  if (dup2(101, 0) < 0 || dup2(102, 1) < 0 || dup2(103, 2) < 0) RunFail(SetupStep::kRedirectStdio, errno);
  syscall(SYS_close_range, 101, 103, 0);

  if (int err = DropBoundingSet(); err != 0) RunFail(SetupStep::kDropBoundingSet, err);
  SetupStep failed;
  if (int err = SwitchToSandboxIds(false, &failed); err != 0) RunFail(failed, err);
  if (chdir("/work") != 0) RunFail(SetupStep::kChdirWork, errno);
  std::vector<ChildPlan::PlacedFile> placed;
  for (const auto& f : spec->files) {
    size_t slash = f.path.rfind('/');
    placed.push_back({slash == std::string::npos ? "" : "/work/" + f.path.substr(0, slash),
                      "/work/" + f.path, &f.content, f.mode});
  }
  if (int err = PlaceFiles(placed); err != 0) RunFail(SetupStep::kPlaceFiles, err);
  if (recv(kStatusFd, &byte, 1, 0) != 1 || byte != 'G') RunFail(SetupStep::kWaitForCgroup, EPIPE);
  if (unshare(CLONE_NEWCGROUP) != 0) RunFail(SetupStep::kUnshareCgroup, errno);
  if (int err = ApplyRlimits(MakeRlimitPlan(spec->rlimits)); err != 0) RunFail(SetupStep::kSetRlimits, err);
  if (int err = DropCapabilities(); err != 0) RunFail(SetupStep::kDropCapabilities, err);
  if (int err = SetNoNewPrivs(); err != 0) RunFail(SetupStep::kNoNewPrivs, err);
  if (landlock) {
    if (int err = ApplyLandlockScopes(); err != 0) RunFail(SetupStep::kLandlock, err);
  }
  if (int err = LoadSeccompProgram(*seccomp); err != 0) RunFail(SetupStep::kSeccomp, err);
  close(kStatusFd);  // from here on, user code: it must not be able to talk to the host

  int code = RunScript(spec->argv);
  _exit(code & 0xff);
}

struct Pending {
  int status_fd;
  pid_t pid;
  // The run's mount namespace, held so that its teardown (unmounting /work, /tmp, /proc and the
  // root's binds waits for an RCU grace period, up to milliseconds) happens after we have
  // reported the exit rather than inside it. -1 if it could not be opened.
  int mount_ns;
};

// A pre-started run waiting for its work (see RunChildOfZygote).
struct ReadyRun {
  pid_t pid;
  int pidfd;
  int ctl;
};

// How many runs wait pre-started. Each costs a few MiB of copied pages; two cover a 2-core host.
constexpr size_t kReadyRuns = 2;

int ZygoteMain() {
  // No death signal: we end when the host's control socket closes (see zygote_client.cc).
  absl::StatusOr<SeccompProgram> program = BuildSeccompProgram();
  if (!program.ok()) {
    std::fprintf(stderr, "zygote: %s\n", std::string(program.status().message()).c_str());
    return 1;
  }
  const sock_fprog fprog = program->Fprog();
  // With Landlock, runs share our (empty) network namespace; without, each gets its own.
  const bool landlock = ProbeLandlockScopes().ok();
  const uint64_t run_flags = landlock ? WarmRunNamespaceFlags() : RunNamespaceFlags();

  PyConfig config;
  PyConfig_InitPythonConfig(&config);
  config.parse_argv = 0;
  PyConfig_SetString(&config, &config.program_name, L"/usr/bin/python3");
  PyStatus st = Py_InitializeFromConfig(&config);
  PyConfig_Clear(&config);
  if (PyStatus_Exception(st)) {
    std::fprintf(stderr, "zygote: Python failed to start: %s\n", st.err_msg ? st.err_msg : "?");
    return 1;
  }
  // The preimports go to sys.modules only, not into __main__: a run's script sees the globals a
  // plain `python3 script.py` would. Then everything the runs inherit goes to the collector's
  // permanent generation, so that a run's collections never walk (and so never copy on write) the
  // zygote's objects. No collection first: the holes it leaves would put a run's new objects on
  // shared pages.
  if (!RunInScratchNamespace(kPreimport) ||
      !RunInScratchNamespace("import gc as _gc\n_gc.freeze()\n")) {
    return 1;
  }

  std::vector<ReadyRun> ready;
  // Clones one pre-started run into fresh namespaces and writes its id maps (our own uid is the
  // only one we may map; setgroups must be denied first). Returns the errno on failure.
  auto start_ready = [&]() -> int {
    int ctl[2], sync[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ctl) != 0) return errno;
    if (pipe2(sync, O_CLOEXEC) != 0) {
      int err = errno;
      close(ctl[0]);
      close(ctl[1]);
      return err;
    }
    int pidfd = -1;
    pid_t pid = CloneWithPidfd(run_flags, &pidfd);
    if (pid == 0) RunChildOfZygote(ctl[1], sync[0], &fprog, landlock);
    int err = pid < 0 ? errno : 0;
    close(ctl[1]);
    close(sync[0]);
    if (pid > 0) {
      absl::Status maps = WriteIdMaps(pid, {kSandboxUid, kSandboxGid, true});
      if (maps.ok()) {
        (void)!write(sync[1], "g", 1);
      } else {
        std::fprintf(stderr, "zygote: %s\n", std::string(maps.message()).c_str());
      }
      ready.push_back({pid, pidfd, ctl[0]});  // a failed one reports when it gets its run
    } else {
      close(ctl[0]);
    }
    close(sync[1]);
    return err;
  };
  auto reap = [](pid_t pid, rusage* ru) {
    int status = 0;
    while (wait4(pid, &status, 0, ru) < 0 && errno == EINTR) {
    }
    return status;
  };
  while (ready.size() < kReadyRuns && start_ready() == 0) {
  }
  SendMessage(kControlFd, "r", 1);

  std::map<int, Pending> running;  // pidfd -> run
  for (;;) {
    std::vector<pollfd> fds;
    fds.push_back({kControlFd, POLLIN, 0});
    for (const auto& [pidfd, run] : running) fds.push_back({pidfd, POLLIN, 0});
    const size_t first_ready = fds.size();
    for (const ReadyRun& r : ready) fds.push_back({r.pidfd, POLLIN, 0});
    if (poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      return 1;
    }
    // A pre-started run that died before it had work (killed from outside): forget it.
    for (size_t i = fds.size(); i-- > first_ready;) {
      if (fds[i].revents == 0) continue;
      ReadyRun& r = ready[i - first_ready];
      reap(r.pid, nullptr);
      close(r.pidfd);
      close(r.ctl);
      ready.erase(ready.begin() + static_cast<std::ptrdiff_t>(i - first_ready));
    }
    for (size_t i = 1; i < first_ready; ++i) {
      if (fds[i].revents == 0) continue;
      Pending run = running[fds[i].fd];
      running.erase(fds[i].fd);
      rusage ru{};
      const int status = reap(run.pid, &ru);
      char msg[1 + sizeof(ExitMessage)];
      msg[0] = 'X';
      ExitMessage e;
      e.wait_status = status;
      e.utime_us = ru.ru_utime.tv_sec * 1000000LL + ru.ru_utime.tv_usec;
      e.stime_us = ru.ru_stime.tv_sec * 1000000LL + ru.ru_stime.tv_usec;
      e.maxrss_kb = ru.ru_maxrss;
      std::memcpy(msg + 1, &e, sizeof(e));
      SendMessage(run.status_fd, msg, sizeof(msg));
      close(run.status_fd);
      close(fds[i].fd);
      if (run.mount_ns >= 0) close(run.mount_ns);  // the namespace is torn down now
    }
    if (fds[0].revents == 0) continue;
    char tag = 0;
    int in[kMaxPassedFds];
    int count = 0;
    const ssize_t n = RecvTagWithFds(kControlFd, &tag, in, &count);
    if (n == 0) return 0;  // the host closed the control socket: shut down
    if (n < 0) return 1;
    if (tag != 'R' || count < kRunFds || count > kRunFds + kMaxJoinFds) {
      for (int k = 0; k < count; ++k) close(in[k]);
      continue;
    }
    // Hand the run to a pre-started child (starting one now if none waits), forwarding the
    // host's descriptors as they are; we keep only the status socket, to report the exit.
    bool handed = false;
    int err = 0;
    while (!handed) {
      if (ready.empty() && (err = start_ready()) != 0) break;
      ReadyRun r = ready.front();
      ready.erase(ready.begin());
      pollfd dead{r.pidfd, POLLIN, 0};
      if (poll(&dead, 1, 0) == 1) {  // it died unused: reap it, take the next
        reap(r.pid, nullptr);
        close(r.pidfd);
        close(r.ctl);
        continue;
      }
      const ssize_t sent = SendTagWithFds(r.ctl, 'R', in, count);
      close(r.ctl);
      if (sent == 1) {
        const std::string ns = "/proc/" + std::to_string(r.pid) + "/ns/mnt";
        running[r.pidfd] = {in[3], r.pid, open(ns.c_str(), O_RDONLY | O_CLOEXEC)};
        handed = true;
      } else {  // it died meanwhile: reap it, try the next
        KillChild(r.pidfd);
        reap(r.pid, nullptr);
        close(r.pidfd);
      }
    }
    if (!handed) {
      char e[1 + sizeof(SetupError)];
      e[0] = 'E';
      SetupError se{SetupStep::kWaitForParent, err};
      std::memcpy(e + 1, &se, sizeof(se));
      SendMessage(in[3], e, sizeof(e));
      close(in[3]);
    }
    for (int k = 0; k < count; ++k) {
      if (k != 3) close(in[k]);
    }
    while (ready.size() < kReadyRuns && start_ready() == 0) {
    }
  }
}

}  // namespace
}  // namespace rlvr::sandbox

int main() { return rlvr::sandbox::ZygoteMain(); }
