#include "sandbox/sandbox.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "sandbox/test_sandboxes.h"

namespace rlvr::sandbox {
namespace {

Sandbox& Shared() {
  static Sandbox* s = [] {
    absl::StatusOr<std::unique_ptr<Sandbox>> sb = Sandbox::Create({});
    if (!sb.ok()) {
      fprintf(stderr, "%s\n", std::string(sb.status().message()).c_str());
      abort();
    }
    return sb->release();
  }();
  return *s;
}

RunSpec Python(std::string code, bool warm = true) {
  RunSpec spec;
  spec.language = Language::kPython;
  spec.files.push_back({"main.py", std::move(code)});
  spec.warm = warm;
  return spec;
}

TEST(SandboxTest, ExecTrue) {
  RunSpec spec;
  spec.argv = {"/bin/true"};
  absl::StatusOr<RunResult> r = Shared().Run(spec);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, RunStatus::kOk) << r->sandbox_error << r->stderr_data;
  EXPECT_EQ(r->exit_code, 0);
}

TEST(SandboxTest, ExitCodeAndStdin) {
  RunSpec spec;
  spec.argv = {"/bin/sh", "-c", "cat; echo err >&2; exit 3"};
  spec.stdin_data = "hello";
  absl::StatusOr<RunResult> r = Shared().Run(spec);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, RunStatus::kRuntimeError);
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_EQ(r->stdout_data, "hello");
  EXPECT_EQ(r->stderr_data, "err\n");
}

TEST(SandboxTest, LargeStdinRoundTrips) {
  RunSpec spec;
  spec.argv = {"/bin/cat"};
  spec.stdin_data = std::string(3 << 20, 'x');
  spec.limits.stdout_bytes = 4 << 20;
  absl::StatusOr<RunResult> r = Shared().Run(spec);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, RunStatus::kOk);
  EXPECT_EQ(r->stdout_data.size(), spec.stdin_data.size());
}

TEST(SandboxTest, PythonColdAndWarmAgree) {
  for (bool warm : {false, true}) {
    RunSpec spec = Python("import sys\nprint(input()[::-1], sys.argv[1:])\n", warm);
    spec.argv = {"main.py", "a1"};
    spec.stdin_data = "abc\n";
    absl::StatusOr<RunResult> r = Shared().Run(spec);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->status, RunStatus::kOk) << warm << r->sandbox_error << r->stderr_data;
    EXPECT_EQ(r->stdout_data, "cba ['a1']\n") << warm;
  }
}

// Our descendants named `comm` (pre-started warm runs are "rlvr-pyready").
std::vector<pid_t> DescendantsNamed(const std::string& comm) {
  std::map<pid_t, pid_t> parent;
  std::map<pid_t, std::string> name;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    pid_t pid = std::atoi(entry.path().filename().c_str());
    if (pid <= 0) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    std::getline(stat, line);
    size_t paren = line.rfind(')');
    if (paren == std::string::npos) continue;
    std::istringstream rest(line.substr(paren + 2));
    char state;
    rest >> state >> parent[pid];
    std::ifstream c(entry.path() / "comm");
    std::getline(c, name[pid]);
  }
  std::vector<pid_t> out;
  for (const auto& [pid, ppid] : parent) {
    if (name[pid] != comm) continue;
    for (pid_t p = ppid; p > 1; p = parent.count(p) ? parent[p] : 0) {
      if (p == getpid()) {
        out.push_back(pid);
        break;
      }
    }
  }
  return out;
}

// A warm run reports the name the zygote gives its runs; a cold one is plain python3.
constexpr char kWhoAmI[] = "print(open('/proc/self/comm').read().strip())\n";

TEST(SandboxTest, WarmRunsSurviveLostPreStartedRuns) {
  absl::StatusOr<RunResult> first = Shared().Run(Python(kWhoAmI));  // the zygote is up
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->stdout_data, "rlvr-pyrun\n") << first->sandbox_error << first->stderr_data;
  std::vector<pid_t> ready = DescendantsNamed("rlvr-pyready");
  EXPECT_FALSE(ready.empty());
  EXPECT_LE(ready.size(), 2u);
  for (pid_t pid : ready) kill(pid, SIGKILL);
  // Once the zygote has noticed (reaped them), runs are warm again at once.
  auto gone = [](pid_t pid) { return !std::filesystem::exists("/proc/" + std::to_string(pid)); };
  for (int i = 0; i < 200 && !std::all_of(ready.begin(), ready.end(), gone); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<RunResult> r = Shared().Run(Python(kWhoAmI));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->status, RunStatus::kOk) << r->sandbox_error << r->stderr_data;
    EXPECT_EQ(r->stdout_data, "rlvr-pyrun\n");  // still warm
  }
  // The zygote refills its pre-started runs.
  for (int i = 0; i < 200 && DescendantsNamed("rlvr-pyready").size() < ready.size(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(DescendantsNamed("rlvr-pyready").size(), ready.size());
}

// More concurrent warm runs than pre-started ones: the rest start on demand, all stay warm, and
// each run sees its own stdin and files.
TEST(SandboxTest, ConcurrentWarmRunsBeyondThePool) {
  constexpr int kThreads = 6, kRunsEach = 3;
  std::vector<std::string> failures[kThreads];
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t, &failures] {
      for (int i = 0; i < kRunsEach; ++i) {
        RunSpec spec = Python(std::string(kWhoAmI) + "print(input(), open('mine.txt').read())\n");
        spec.files.push_back({"mine.txt", "file" + std::to_string(t)});
        spec.stdin_data = "in" + std::to_string(t) + "." + std::to_string(i) + "\n";
        absl::StatusOr<RunResult> r = Shared().Run(spec);
        const std::string want = "rlvr-pyrun\nin" + std::to_string(t) + "." + std::to_string(i) +
                                 " file" + std::to_string(t) + "\n";
        if (!r.ok() || r->status != RunStatus::kOk || r->stdout_data != want) {
          failures[t].push_back(r.ok() ? r->stdout_data + r->stderr_data + r->sandbox_error
                                       : std::string(r.status().message()));
        }
      }
    });
  }
  for (std::thread& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_TRUE(failures[t].empty()) << t << ": " << failures[t][0];
}

// Whether `pid` is gone (or a zombie: dead, waiting for a reaper that may never come here).
bool Dead(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return true;
  size_t paren = line.rfind(')');
  return paren == std::string::npos || line.substr(paren + 2, 1) == "Z";
}

// The zygote serves every thread, so it is not tied to the thread that started it (a thread
// exiting must not end other threads' warm runs); it ends with its host process instead, and
// its runs with it.
TEST(SandboxTest, ZygoteOutlivesItsStartingThreadButNotItsProcess) {
  std::unique_ptr<Sandbox> sandbox;
  std::thread([&] {
    absl::StatusOr<std::unique_ptr<Sandbox>> sb = Sandbox::Create({});
    ASSERT_TRUE(sb.ok()) << sb.status();
    sandbox = std::move(*sb);
  }).join();  // the creating thread is gone
  ASSERT_NE(sandbox, nullptr);
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<RunResult> r = sandbox->Run(Python(kWhoAmI));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->status, RunStatus::kOk) << r->sandbox_error;
    EXPECT_EQ(r->stdout_data, "rlvr-pyrun\n");
  }
  sandbox.reset();

  // A host process killed outright: its zygote and the warm run in flight do not survive it.
  // (Zygotes already running belong to other sandboxes of this process, e.g. Shared().)
  const std::vector<pid_t> earlier = DescendantsNamed(".rlvr-pyzygote");
  auto new_ones = [&](std::vector<pid_t> pids) {
    pids.erase(std::remove_if(pids.begin(), pids.end(),
                              [&](pid_t p) { return std::count(earlier.begin(), earlier.end(), p) > 0; }),
               pids.end());
    return pids;
  };
  pid_t host = fork();
  if (host == 0) {
    absl::StatusOr<std::unique_ptr<Sandbox>> sb = Sandbox::Create({});
    if (!sb.ok()) _exit(2);
    (void)(*sb)->Run(Python("import time\ntime.sleep(60)\n"));
    _exit(0);
  }
  ASSERT_GT(host, 0);
  std::vector<pid_t> zygote, run;
  for (int i = 0; i < 1000 && (zygote.empty() || run.empty()); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    zygote = new_ones(DescendantsNamed(".rlvr-pyzygote"));
    run = DescendantsNamed("rlvr-pyrun");
  }
  kill(host, SIGKILL);
  waitpid(host, nullptr, 0);
  ASSERT_FALSE(zygote.empty());
  ASSERT_FALSE(run.empty());
  auto all_dead = [&] {
    for (const auto* pids : {&zygote, &run}) {
      for (pid_t p : *pids) {
        if (!Dead(p)) return false;
      }
    }
    return true;
  };
  for (int i = 0; i < 300 && !all_dead(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_TRUE(all_dead()) << "the zygote or its run outlived the host process";
}

// A caller's cancel flag kills the run within a poll tick, cold or warm, and says so.
TEST(SandboxTest, CancelStopsTheRun) {
  for (bool warm : {false, true}) {
    std::atomic<bool> cancel{false};
    RunSpec spec = Python("import time\nprint('started', flush=True)\ntime.sleep(30)\n", warm);
    spec.cancel = &cancel;
    std::thread canceller([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      cancel.store(true);
    });
    const auto t0 = std::chrono::steady_clock::now();
    absl::StatusOr<RunResult> r = Shared().Run(spec);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    canceller.join();
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->status, RunStatus::kSandboxError) << warm;
    EXPECT_EQ(r->sandbox_error, "cancelled by the caller") << warm;
    EXPECT_LT(seconds, 5.0) << warm;
    // Not set: the same flag type, never raised, changes nothing.
    std::atomic<bool> idle{false};
    RunSpec ok = Python("print(6 * 7)\n", warm);
    ok.cancel = &idle;
    absl::StatusOr<RunResult> fine = Shared().Run(ok);
    ASSERT_TRUE(fine.ok());
    EXPECT_EQ(fine->status, RunStatus::kOk) << warm;
    EXPECT_EQ(fine->stdout_data, "42\n");
  }
}

// A compiled script (main.pyc, as `python3 main.pyc` takes it) runs warm and cold alike; one made
// by another interpreter version is refused, not run.
TEST(SandboxTest, CompiledScriptsRunWarmAndCold) {
  RunSpec compile = Python(
      "import importlib.util, marshal, sys\n"
      "code = compile('import sys\\nprint(\"pyc\", sys.argv[1:], __name__)\\n', 'main.py', 'exec')\n"
      "sys.stdout.buffer.write(importlib.util.MAGIC_NUMBER + bytes(12) + marshal.dumps(code))\n");
  absl::StatusOr<RunResult> pyc = Shared().Run(compile);
  ASSERT_TRUE(pyc.ok());
  ASSERT_EQ(pyc->status, RunStatus::kOk) << pyc->stderr_data;
  for (bool warm : {false, true}) {
    RunSpec spec;
    spec.language = Language::kPython;
    spec.warm = warm;
    spec.files.push_back({"main.pyc", pyc->stdout_data});
    spec.argv = {"main.pyc", "x"};
    absl::StatusOr<RunResult> r = Shared().Run(spec);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->status, RunStatus::kOk) << warm << r->stderr_data;
    EXPECT_EQ(r->stdout_data, "pyc ['x'] __main__\n") << warm;
    spec.files[0].content[0] ^= 0x55;  // another magic number
    r = Shared().Run(spec);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->status, RunStatus::kRuntimeError) << warm;
    EXPECT_NE(r->stderr_data.find("magic number"), std::string::npos) << warm << r->stderr_data;
  }
}

// A warm run's script starts with the globals of a plain `python3 script.py`: the zygote's
// preimported modules are cached, not bound in __main__.
TEST(SandboxTest, WarmGlobalsAreThoseOfAPlainInterpreter) {
  const std::string code =
      "print(sorted(k for k in globals() if not k.startswith('__')))\n"
      "import json\nprint(json.dumps([1]))\n";
  for (bool warm : {false, true}) {
    absl::StatusOr<RunResult> r = Shared().Run(Python(code, warm));
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->status, RunStatus::kOk) << warm << r->sandbox_error << r->stderr_data;
    EXPECT_EQ(r->stdout_data, "[]\n[1]\n") << warm;
  }
}

TEST(SandboxTest, PythonExceptionAndSystemExit) {
  for (bool warm : {false, true}) {
    absl::StatusOr<RunResult> r = Shared().Run(Python("raise ValueError('boom')\n", warm));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->status, RunStatus::kRuntimeError);
    EXPECT_EQ(r->exit_code, 1);
    EXPECT_NE(r->stderr_data.find("ValueError: boom"), std::string::npos) << r->stderr_data;
    r = Shared().Run(Python("import sys\nprint('x')\nsys.exit(4)\n", warm));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->exit_code, 4) << warm;
    EXPECT_EQ(r->stdout_data, "x\n") << warm;
  }
}

TEST(SandboxTest, CppCompilesAndRuns) {
  RunSpec spec;
  spec.language = Language::kCpp;
  spec.files.push_back({"main.cpp",
                        "#include <iostream>\nint main(){int a,b;std::cin>>a>>b;std::cout<<a+b<<'\\n';}\n"});
  spec.stdin_data = "2 40\n";
  absl::StatusOr<RunResult> r = Shared().Run(spec);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, RunStatus::kOk) << r->sandbox_error << r->stderr_data;
  EXPECT_EQ(r->stdout_data, "42\n");
}

TEST(SandboxTest, CppCompileError) {
  RunSpec spec;
  spec.language = Language::kCpp;
  spec.files.push_back({"main.cpp", "int main() { return undefined_name; }\n"});
  absl::StatusOr<RunResult> r = Shared().Run(spec);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, RunStatus::kCompileError);
  EXPECT_NE(r->stderr_data.find("undefined_name"), std::string::npos);
}

TEST(SandboxTest, SetupErrorNamesTheStep) {
  RunSpec spec;
  spec.argv = {"/usr/bin/does-not-exist"};
  absl::StatusOr<RunResult> r = Shared().Run(spec);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, RunStatus::kSandboxError);
  EXPECT_EQ(r->sandbox_error, "execve: No such file or directory");
}

TEST(SandboxTest, InvalidSpecs) {
  RunSpec spec;
  EXPECT_EQ(Shared().Run(spec).status().code(), absl::StatusCode::kInvalidArgument);  // no argv
  spec.argv = {"/bin/true"};
  spec.files.push_back({"../escape", "x"});
  EXPECT_EQ(Shared().Run(spec).status().code(), absl::StatusCode::kInvalidArgument);
  spec.files = {{"/abs", "x"}};
  EXPECT_EQ(Shared().Run(spec).status().code(), absl::StatusCode::kInvalidArgument);
  spec.files.clear();
  spec.limits.cpu_ms = 0;
  EXPECT_EQ(Shared().Run(spec).status().code(), absl::StatusCode::kInvalidArgument);
  RunSpec py;
  py.language = Language::kPython;
  EXPECT_EQ(Shared().Run(py).status().code(), absl::StatusCode::kInvalidArgument);  // no main.py
}

TEST(SandboxTest, FilesArePlaced) {
  RunSpec spec;
  spec.argv = {"/bin/sh", "-c", "cat d/in.txt; ./run.sh"};
  spec.files = {{"d/in.txt", "data\n"}, {"run.sh", "#!/bin/sh\necho ran\n", true}};
  absl::StatusOr<RunResult> r = Shared().Run(spec);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, RunStatus::kOk) << r->sandbox_error << r->stderr_data;
  EXPECT_EQ(r->stdout_data, "data\nran\n");
}

TEST(SandboxTest, MechanismsAreReported) {
  const Mechanisms& m = Shared().mechanisms();
  EXPECT_TRUE(m.namespaces);
  EXPECT_TRUE(m.seccomp);
  EXPECT_FALSE(m.Describe().empty());
  if (geteuid() == 0 && m.cgroup_version != "v2") {
    EXPECT_TRUE(m.prebuilt_root);
    EXPECT_EQ(m.shared_cold_netns, m.landlock);
    EXPECT_EQ(m.shared_cold_ipc, m.seccomp);
    EXPECT_NE(m.Describe().find("cold start from a pre-built root"), std::string::npos) << m.Describe();
  }
  if (geteuid() != 0) {
    EXPECT_FALSE(m.prebuilt_root);
  }
}

// What a program can observe of its environment, minus what differs by design between a root
// built per run and a pre-built one (mount ids, the owner of the root's files, groups).
constexpr char kProbe[] = R"(
import os, socket
def err(f):
    try:
        f()
        return 'ok'
    except OSError as e:
        return os.strerror(e.errno)
def status(key):
    return [l.split(':')[1].strip() for l in open('/proc/self/status') if l.startswith(key + ':')][0]
mounts = sorted((l.split()[4], l.split(' - ')[1].split()[0], l.split()[5].split(',')[0])
                for l in open('/proc/self/mountinfo'))
print('ids', os.getuid(), os.geteuid(), os.getgid(), os.getegid())
print('uid_map', open('/proc/self/uid_map').read().split())
print('gid_map', open('/proc/self/gid_map').read().split())
print('host', socket.gethostname(), os.getcwd(), os.getpid())
print('mounts', mounts)
for d in ['/', '/etc', '/dev', '/work', '/tmp']:
    print(d, sorted(os.listdir(d)), oct(os.stat(d).st_mode))
print('procs', sorted(p for p in os.listdir('/proc') if p.isdigit()))
print('caps', status('CapEff'), status('CapPrm'), status('CapBnd'), status('NoNewPrivs'), status('Seccomp'))
print('net', sorted(l.split(':')[0].strip() for l in list(open('/proc/net/dev'))[2:]))
# Appending to /etc/passwd: EACCES from a pre-built root (the file belongs to an unmapped id),
# EROFS from one built per run (the sandbox uid created it): denied either way.
appended = err(lambda: open('/etc/passwd', 'a'))
print('append', 'denied' if appended in (os.strerror(13), os.strerror(30)) else appended)
print('writes', err(lambda: open('/x', 'w')), err(lambda: open('/etc/x', 'w')),
      err(lambda: os.mkdir('/usr/x')), err(lambda: open('/dev/x', 'w')), err(lambda: open('/work/x', 'w')))
print('env', sorted(os.environ.items()))
print('passwd', open('/etc/passwd').read().split())
)";

TEST(SandboxTest, PrebuiltRootLooksLikeARootBuiltFromScratch) {
  if (!Shared().mechanisms().prebuilt_root) GTEST_SKIP() << "no pre-built root here (not root, or cgroup v2)";
  std::string seen[2];
  for (int i = 0; i < 2; ++i) {
    Sandbox& box = i == 0 ? Shared() : FromScratchSandbox();
    absl::StatusOr<RunResult> r = box.Run(Python(kProbe, /*warm=*/false));
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->status, RunStatus::kOk) << r->sandbox_error << r->stderr_data;
    seen[i] = r->stdout_data;
  }
  EXPECT_EQ(seen[0], seen[1]);
  EXPECT_NE(seen[0].find("ids 1000 1000 1000 1000\n"), std::string::npos) << seen[0];
  EXPECT_NE(seen[0].find("caps 0000000000000000 0000000000000000 0000000000000000 1 2\n"), std::string::npos)
      << seen[0];
  EXPECT_NE(seen[0].find("net ['lo']\n"), std::string::npos) << seen[0];
  EXPECT_NE(seen[0].find("append denied\n"), std::string::npos) << seen[0];
  EXPECT_NE(seen[0].find("writes Read-only file system Read-only file system Read-only file system "
                         "Read-only file system ok\n"),
            std::string::npos)
      << seen[0];
  // Supplementary groups: none from a pre-built root (the spawner dropped them), the sandbox gid
  // when the parent wrote the maps.
  absl::StatusOr<RunResult> groups = Shared().Run(Python("import os\nprint(os.getgroups())\n", false));
  ASSERT_TRUE(groups.ok());
  EXPECT_EQ(groups->stdout_data, "[]\n") << groups->stderr_data;
}

// A host that made itself undumpable keeps it: its cold runs are built from scratch, and work.
TEST(SandboxTest, UndumpableHostKeepsItsChoice) {
  if (geteuid() != 0) GTEST_SKIP() << "the pre-built root is for root hosts";
  pid_t child = fork();
  if (child == 0) {
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    Options o;
    o.warm_python = false;
    absl::StatusOr<std::unique_ptr<Sandbox>> sb = Sandbox::Create(o);
    if (!sb.ok()) _exit(2);
    if ((*sb)->mechanisms().prebuilt_root) _exit(3);
    RunSpec spec;
    spec.argv = {"/bin/sh", "-c", "echo ok"};
    absl::StatusOr<RunResult> r = (*sb)->Run(spec);
    if (!r.ok() || r->status != RunStatus::kOk || r->stdout_data != "ok\n") _exit(4);
    _exit(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 0 ? 0 : 5);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

// The host's own descriptors (many, in a busy server) are closed in the child before its limits
// apply: a run with a small RLIMIT_NOFILE still sets up and sees only its standard streams.
TEST(SandboxTest, HostDescriptorsDoNotCountAgainstTheRunsLimit) {
  std::vector<int> host_fds;
  for (int i = 0; i < 300; ++i) host_fds.push_back(open("/dev/null", O_RDONLY | O_CLOEXEC));
  for (bool warm : {false, true}) {
    RunSpec spec = Python("import os\nprint(sorted(os.listdir('/proc/self/fd')))\n", warm);
    spec.limits.open_files = 16;
    absl::StatusOr<RunResult> r = Shared().Run(spec);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->status, RunStatus::kOk) << r->sandbox_error << r->stderr_data;
    EXPECT_EQ(r->stdout_data, "['0', '1', '2', '3']\n") << "warm " << warm;  // 3: listdir's own
  }
  for (int fd : host_fds) close(fd);
}

// Cold runs from many threads at once: every run is its own, and the threads that asked for them
// keep their identity and namespaces (the spawner changes only its own threads).
TEST(SandboxTest, ConcurrentColdRunsLeaveTheCallersAlone) {
  auto ns = [](const char* which) { return std::filesystem::read_symlink(std::string("/proc/thread-self/ns/") + which); };
  const auto net = ns("net"), mnt = ns("mnt"), user = ns("user");
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        RunSpec spec;
        spec.argv = {"/bin/sh", "-c", "cat in.txt; echo $$; echo /proc/[0-9]*"};
        const std::string token = std::to_string(t * 100 + i);
        spec.files = {{"in.txt", token + "\n"}};
        absl::StatusOr<RunResult> r = Shared().Run(spec);
        if (r.ok() && r->status == RunStatus::kOk && r->stdout_data == token + "\n1\n/proc/1\n") {
          ++good;
        } else {
          ADD_FAILURE() << (r.ok() ? r->sandbox_error + r->stderr_data + r->stdout_data : r.status().ToString());
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(good.load(), 40);
  EXPECT_EQ(ns("net"), net);
  EXPECT_EQ(ns("mnt"), mnt);
  EXPECT_EQ(ns("user"), user);
  uid_t r, e, s;
  getresuid(&r, &e, &s);
  EXPECT_EQ(e, geteuid());
  EXPECT_EQ(r, e);
  EXPECT_EQ(prctl(PR_GET_DUMPABLE), 1);
}

}  // namespace
}  // namespace rlvr::sandbox
