// rlvr-sandbox-pyzygote: the warm Python start. Started by the host inside a full sandbox (its
// own namespaces and minimal root, unprivileged, no capabilities), it loads the interpreter and
// common modules once, then for every request clones a run into fresh user, pid, mount, net, ipc
// and uts namespaces nested in its own. The run mounts a fresh /work, /tmp and /proc, applies
// the same limits, capabilities drop and seccomp filter as a cold run, and executes the script
// in its copy of the interpreter. The zygote never sees a run's files or output: they travel as
// file descriptors from the host straight to the run (see warm_protocol.h).
#include <Python.h>
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

// Modules loaded once in the zygote. Deterministic and side-effect free on import; nothing that
// seeds a generator (random, tempfile, secrets) so runs never share random state.
constexpr const char* kPreimport =
    "import abc, array, bisect, collections, copy, dataclasses, decimal, enum, fractions, "
    "functools, heapq, io, itertools, json, math, operator, os, re, string, sys, typing\n";

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

// Runs /work/<argv[0]> as __main__, like `python3 main.py`, and returns the exit code.
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
  PyObject* result = PyRun_FileExFlags(fp, script.c_str(), Py_file_input, globals, globals, 1, nullptr);
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

// The run, as pid 1 of its namespaces. Never returns.
[[noreturn]] void RunChildOfZygote(int sync_fd, int status_fd, int stdin_fd, int stdout_fd,
                                   int stderr_fd, int spec_fd, const int* join_fds, int join_count,
                                   const sock_fprog* seccomp, bool landlock) {
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  // The status socket becomes fd 3 (reports), everything else is closed but our inputs.
  if (dup2(status_fd, 100) < 0 || dup2(stdin_fd, 101) < 0 || dup2(stdout_fd, 102) < 0 ||
      dup2(stderr_fd, 103) < 0 || dup2(spec_fd, 104) < 0 || dup2(sync_fd, 105) < 0) {
    _exit(127);
  }
  int joins[kMaxJoinFds];
  for (int k = 0; k < join_count; ++k) {
    joins[k] = 106 + k;
    if (dup2(join_fds[k], joins[k]) < 0) _exit(127);
  }
  syscall(SYS_close_range, 0, 99, 0);
  syscall(SYS_close_range, 106 + join_count, ~0U, 0);
  if (dup2(100, kStatusFd) < 0) _exit(127);
  close(100);
  // Into the run cgroup before anything is charged (the host's descriptors; see cgroups.h).
  if (int err = JoinSelf(joins, join_count); err != 0) RunFail(SetupStep::kJoinCgroup, err);

  char byte = 0;
  if (read(105, &byte, 1) != 1) RunFail(SetupStep::kWaitForParent, EPIPE);  // our id maps
  close(105);
  // The host reads our pid from the credentials and moves us into the run cgroup while we set up.
  SendMessage(kStatusFd, "P", 1);
  std::optional<WarmSpec> spec = DecodeWarmSpec(ReadAll(104));
  close(104);
  if (!spec.has_value()) RunFail(SetupStep::kReadSpec, EINVAL);

  const std::string work_opts = ScratchOptions(spec->scratch_bytes, false);
  const std::string tmp_opts = ScratchOptions(spec->scratch_bytes, true);
  if (int err = MountScratch(work_opts.c_str(), tmp_opts.c_str()); err != 0) {
    RunFail(SetupStep::kMountScratch, err);
  }
  if (int err = MountProc(); err != 0) RunFail(SetupStep::kMountProc, err);
  if (sethostname("sandbox", 7) != 0) RunFail(SetupStep::kSetHostname, errno);

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

  PyOS_AfterFork_Child();
  int code = RunScript(spec->argv);
  _exit(code & 0xff);
}

struct Pending {
  int status_fd;
  pid_t pid;
};

int ZygoteMain() {
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
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
  if (PyRun_SimpleString(kPreimport) != 0) return 1;
  SendMessage(kControlFd, "r", 1);

  std::map<int, Pending> running;  // pidfd -> run
  for (;;) {
    std::vector<pollfd> fds;
    fds.push_back({kControlFd, POLLIN, 0});
    for (const auto& [pidfd, run] : running) fds.push_back({pidfd, POLLIN, 0});
    if (poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      return 1;
    }
    for (size_t i = 1; i < fds.size(); ++i) {
      if (fds[i].revents == 0) continue;
      Pending run = running[fds[i].fd];
      running.erase(fds[i].fd);
      int status = 0;
      rusage ru{};
      while (wait4(run.pid, &status, 0, &ru) < 0 && errno == EINTR) {
      }
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
    }
    if (fds[0].revents == 0) continue;
    char tag = 0;
    int in[kRunFds + kMaxJoinFds];
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(in))];
    iovec iov{&tag, 1};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    ssize_t n = recvmsg(kControlFd, &msg, MSG_CMSG_CLOEXEC);
    if (n == 0) return 0;  // the host closed the control socket: shut down
    if (n < 0) {
      if (errno == EINTR) continue;
      return 1;
    }
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    const int count = c != nullptr && c->cmsg_type == SCM_RIGHTS
                          ? static_cast<int>((c->cmsg_len - CMSG_LEN(0)) / sizeof(int))
                          : 0;
    if (tag != 'R' || count < kRunFds || count > kRunFds + kMaxJoinFds) {
      for (int k = 0; k < count; ++k) close(reinterpret_cast<int*>(CMSG_DATA(c))[k]);
      continue;
    }
    std::memcpy(in, CMSG_DATA(c), sizeof(int) * static_cast<size_t>(count));
    auto close_inputs = [&] {
      for (int k = 0; k < count; ++k) {
        if (k != 3) close(in[k]);  // the status socket is the run's record (closed on exit)
      }
    };
    int sync[2];
    if (pipe2(sync, O_CLOEXEC) != 0) {
      close_inputs();
      close(in[3]);
      continue;
    }
    int pidfd = -1;
    pid_t pid = CloneWithPidfd(run_flags, &pidfd);
    if (pid == 0) {
      close(sync[1]);
      RunChildOfZygote(sync[0], in[3], in[0], in[1], in[2], in[4], in + kRunFds, count - kRunFds,
                       &fprog, landlock);
    }
    close(sync[0]);
    if (pid > 0) {
      // Our own uid is the only one we may map; setgroups must be denied first.
      absl::Status maps = WriteIdMaps(pid, {kSandboxUid, kSandboxGid, true});
      if (maps.ok()) {
        (void)!write(sync[1], "g", 1);
      } else {
        std::fprintf(stderr, "zygote: %s\n", std::string(maps.message()).c_str());
      }
      running[pidfd] = {in[3], pid};
    } else {
      char err[1 + sizeof(SetupError)];
      err[0] = 'E';
      SetupError e{SetupStep::kWaitForParent, errno};
      std::memcpy(err + 1, &e, sizeof(e));
      SendMessage(in[3], err, sizeof(err));
      close(in[3]);
    }
    close(sync[1]);
    close_inputs();
  }
}

}  // namespace
}  // namespace rlvr::sandbox

int main() { return rlvr::sandbox::ZygoteMain(); }
