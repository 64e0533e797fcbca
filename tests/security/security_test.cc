// The sandbox against hostile programs. Each test is one attack and asserts both the verdict and
// that the host is untouched. Python attacks run cold and warm (forked from the zygote); C++
// attacks compile inside the sandbox. As root every mechanism is expected; as another user the
// weaker mode (no cgroups) is detected and the affected assertions say so.
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <atomic>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gtest/gtest.h"
#include "sandbox/sandbox.h"
#include "sandbox/test_sandboxes.h"

namespace rlvr::sandbox {
namespace {

// Planted before the sandbox exists, so a leak through the environment would show.
constexpr char kEnvSecret[] = "rlvr-env-secret-7d1f";

std::string& CreateError() {
  static std::string* e = new std::string;
  return *e;
}

// The process-wide sandbox, or null when it cannot be created (then every test skips with the
// reason: e.g. user namespaces disabled for this unprivileged user).
Sandbox* MaybeShared() {
  static Sandbox* s = []() -> Sandbox* {
    setenv("RLVR_SERVER_SECRET", kEnvSecret, 1);
    absl::StatusOr<std::unique_ptr<Sandbox>> sb = Sandbox::Create({});
    if (!sb.ok()) {
      CreateError() = std::string(sb.status().message());
      std::fprintf(stderr, "cannot create sandbox: %s\n", CreateError().c_str());
      return nullptr;
    }
    return sb->release();
  }();
  return s;
}

Sandbox& Shared() { return *MaybeShared(); }

#define SKIP_WITHOUT_SANDBOX()                                                    \
  if (MaybeShared() == nullptr) {                                                 \
    GTEST_SKIP() << "no sandbox in this environment (weaker mode unavailable): " \
                 << CreateError();                                                \
  }

bool IsRoot() { return geteuid() == 0; }
bool HasCgroups() { return Shared().mechanisms().cgroup_memory && Shared().mechanisms().cgroup_pids; }

std::string Token(const char* what) { return absl::StrCat("rlvr", what, getpid(), rand() % 100000); }

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Processes descending from this test process, except the warm zygote (a direct child).
std::vector<pid_t> SandboxLeftovers() {
  std::map<pid_t, pid_t> parent;
  std::map<pid_t, std::string> comm;
  DIR* d = opendir("/proc");
  while (dirent* e = readdir(d)) {
    pid_t pid = atoi(e->d_name);
    if (pid <= 0) continue;
    std::string stat = ReadFile(absl::StrCat("/proc/", pid, "/stat"));
    size_t close_paren = stat.rfind(')');
    if (close_paren == std::string::npos) continue;
    std::istringstream rest(stat.substr(close_paren + 2));
    char state;
    pid_t ppid;
    rest >> state >> ppid;
    parent[pid] = ppid;
    comm[pid] = ReadFile(absl::StrCat("/proc/", pid, "/comm"));
  }
  closedir(d);
  std::vector<pid_t> out;
  const pid_t self = getpid();
  auto is_zygote = [&](pid_t pid) {
    return parent.count(pid) && parent[pid] == self && comm[pid].rfind(".rlvr-pyzygote", 0) == 0;
  };
  int ready = 0;
  for (const auto& [pid, ppid] : parent) {
    // The warm zygote is our direct child and stays, with its (at most 2) pre-started runs that
    // have not been handed work yet; everything else below us is a leftover.
    if (is_zygote(pid)) continue;
    if (is_zygote(ppid) && comm[pid].rfind("rlvr-pyready", 0) == 0 && ++ready <= 2) continue;
    for (pid_t p = ppid; p > 1; p = parent.count(p) ? parent[p] : 0) {
      if (p == self) {
        out.push_back(pid);
        break;
      }
    }
  }
  return out;
}

// Host processes whose name (comm) is `token`.
int HostProcessesNamed(const std::string& token) {
  int n = 0;
  DIR* d = opendir("/proc");
  while (dirent* e = readdir(d)) {
    if (atoi(e->d_name) <= 0) continue;
    std::string c = ReadFile(absl::StrCat("/proc/", e->d_name, "/comm"));
    if (c.find(token.substr(0, 15)) != std::string::npos) ++n;
  }
  closedir(d);
  return n;
}

enum class Mode { kCold, kColdFromScratch, kWarm };

class Attack : public ::testing::TestWithParam<Mode> {
 protected:
  void SetUp() override {
    SKIP_WITHOUT_SANDBOX();
    if (GetParam() == Mode::kColdFromScratch && !Shared().mechanisms().prebuilt_root) {
      GTEST_SKIP() << "cold runs are built from scratch here already (Cold covers it)";
    }
  }

  bool warm() const { return GetParam() == Mode::kWarm; }
  // As root, cold runs start from a pre-built root (spawner.h); kColdFromScratch builds every
  // cold run's root from scratch instead. Both face every attack.
  Sandbox& Box() const { return GetParam() == Mode::kColdFromScratch ? FromScratchSandbox() : Shared(); }

  RunResult Py(const std::string& code, Limits limits = {}, std::vector<std::string> args = {}) {
    RunSpec spec;
    spec.language = Language::kPython;
    spec.warm = warm();
    spec.files.push_back({"main.py", code});
    spec.argv = {"main.py"};
    spec.argv.insert(spec.argv.end(), args.begin(), args.end());
    spec.limits = limits;
    absl::StatusOr<RunResult> r = Box().Run(spec);
    EXPECT_TRUE(r.ok()) << r.status();
    EXPECT_NE(r->status, RunStatus::kSandboxError) << r->sandbox_error;
    return r.ok() ? *r : RunResult{};
  }

  void ExpectHostClean() {
    std::vector<pid_t> left = SandboxLeftovers();
    EXPECT_TRUE(left.empty()) << "processes outlived the run: " << left.size();
  }
};

INSTANTIATE_TEST_SUITE_P(ColdAndWarm, Attack,
                         ::testing::Values(Mode::kCold, Mode::kColdFromScratch, Mode::kWarm),
                         [](const auto& info) {
                           return info.param == Mode::kWarm   ? "Warm"
                                  : info.param == Mode::kCold ? "Cold"
                                                              : "ColdFromScratch";
                         });

TEST_P(Attack, ForkBomb) {
  Limits l;
  l.wall_ms = 3000;
  l.max_processes = 32;
  RunResult r = Py("import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n", l);
  EXPECT_EQ(r.status, RunStatus::kTimeLimit);
  ExpectHostClean();
  // The host can still fork.
  pid_t p = fork();
  if (p == 0) _exit(0);
  ASSERT_GT(p, 0);
  waitpid(p, nullptr, 0);
}

TEST_P(Attack, ThreadBomb) {
  Limits l;
  l.max_processes = 16;
  RunResult r = Py(
      "import threading, time\nn = 0\ntry:\n    while True:\n"
      "        threading.Thread(target=time.sleep, args=(60,), daemon=True).start()\n        n += 1\n"
      "except RuntimeError:\n    print('stopped at', n)\n    raise\n",
      l);
  EXPECT_EQ(r.status, RunStatus::kRuntimeError);
  EXPECT_NE(r.stdout_data.find("stopped at"), std::string::npos);
  int threads = atoi(r.stdout_data.substr(r.stdout_data.find("at ") + 3).c_str());
  EXPECT_LT(threads, 16);
  ExpectHostClean();
}

TEST_P(Attack, MemoryBomb) {
  Limits l;
  l.memory_mb = 64;
  RunResult r = Py("x = []\nwhile True:\n    x.append(bytearray(1 << 20))\n", l);
  if (HasCgroups()) {
    EXPECT_EQ(r.status, RunStatus::kMemoryLimit) << r.stderr_data;
    EXPECT_LE(r.peak_memory_kb, 64 * 1024 + 1024);
  } else {
    // Weaker mode: RLIMIT_AS makes the allocation fail (MemoryError), near the cap.
    EXPECT_TRUE(r.status == RunStatus::kMemoryLimit || r.status == RunStatus::kRuntimeError);
    EXPECT_NE(r.stderr_data.find("MemoryError"), std::string::npos);
  }
  ExpectHostClean();
}

TEST_P(Attack, CpuSpin) {
  Limits l;
  l.cpu_ms = 500;
  l.wall_ms = 5000;
  RunResult r = Py("while True:\n    pass\n", l);
  EXPECT_EQ(r.status, RunStatus::kTimeLimit);
  EXPECT_GE(r.cpu_ms, 450);
  ExpectHostClean();
}

TEST_P(Attack, SleepForever) {
  Limits l;
  l.wall_ms = 500;
  RunResult r = Py("import time\ntime.sleep(10**6)\n", l);
  EXPECT_EQ(r.status, RunStatus::kTimeLimit);
  EXPECT_GE(r.wall_ms, 500);
  EXPECT_LT(r.wall_ms, 3000);
  ExpectHostClean();
}

TEST_P(Attack, StdoutFlood) {
  Limits l;
  l.stdout_bytes = 64 << 10;
  RunResult r = Py("import sys\nwhile True:\n    sys.stdout.write('x' * 65536)\n", l);
  EXPECT_EQ(r.status, RunStatus::kOutputLimit);
  EXPECT_TRUE(r.stdout_truncated);
  EXPECT_EQ(r.stdout_data.size(), 64u << 10);
  ExpectHostClean();
}

TEST_P(Attack, StderrFlood) {
  Limits l;
  l.stderr_bytes = 16 << 10;
  RunResult r = Py("import sys\nwhile True:\n    sys.stderr.write('e' * 4096)\n", l);
  EXPECT_EQ(r.status, RunStatus::kOutputLimit);
  EXPECT_TRUE(r.stderr_truncated);
  EXPECT_FALSE(r.stdout_truncated);
  EXPECT_EQ(r.stderr_data.size(), 16u << 10);
  ExpectHostClean();
}

TEST_P(Attack, DiskFill) {
  struct statvfs before;
  ASSERT_EQ(statvfs("/tmp", &before), 0);
  Limits l;
  l.scratch_mb = 8;
  RunResult r = Py(
      "import errno\nfor d in ('/work', '/tmp'):\n    n = 0\n    try:\n"
      "        with open(d + '/fill', 'wb') as f:\n            while True:\n"
      "                f.write(b'x' * 65536)\n                f.flush()\n                n += 65536\n"
      "    except OSError as e:\n        print(d, errno.errorcode[e.errno], n)\n",
      l);
  EXPECT_EQ(r.status, RunStatus::kOk) << r.stderr_data;
  EXPECT_NE(r.stdout_data.find("/work ENOSPC"), std::string::npos) << r.stdout_data;
  EXPECT_NE(r.stdout_data.find("/tmp ENOSPC"), std::string::npos) << r.stdout_data;
  struct statvfs after;
  ASSERT_EQ(statvfs("/tmp", &after), 0);
  // The host's /tmp did not lose the 16 MiB written inside.
  EXPECT_LT((before.f_bavail - std::min(before.f_bavail, after.f_bavail)) * before.f_frsize, 4u << 20);
  ExpectHostClean();
}

TEST_P(Attack, TooManyOpenFiles) {
  Limits l;
  l.open_files = 32;
  RunResult r = Py(
      "fs = []\ntry:\n    while True:\n        fs.append(open('/dev/null'))\n"
      "except OSError as e:\n    print(e.errno, len(fs))\n",
      l);
  EXPECT_EQ(r.status, RunStatus::kOk);
  EXPECT_EQ(r.stdout_data.substr(0, 3), "24 ") << r.stdout_data;  // EMFILE
  EXPECT_LE(atoi(r.stdout_data.substr(3).c_str()), 32);
  // The host can still open files.
  int fd = open("/dev/null", O_RDONLY);
  EXPECT_GE(fd, 0);
  close(fd);
}

TEST_P(Attack, ConnectToHostPort) {
  int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(listener, 16), 0);
  socklen_t len = sizeof(addr);
  getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  const int port = ntohs(addr.sin_port);
  // An abstract unix socket too: abstract names are per network namespace.
  const std::string abstract_name = Token("abs");
  int unix_listener = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
  sockaddr_un ua{};
  ua.sun_family = AF_UNIX;
  std::memcpy(ua.sun_path + 1, abstract_name.data(), abstract_name.size());
  socklen_t ulen = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + abstract_name.size());
  ASSERT_EQ(bind(unix_listener, reinterpret_cast<sockaddr*>(&ua), ulen), 0);
  ASSERT_EQ(listen(unix_listener, 16), 0);

  RunResult r = Py(absl::StrCat(
      "import socket, sys\n"
      "try:\n    s = socket.create_connection(('127.0.0.1', ", port, "), timeout=1)\n    print('CONNECTED')\n"
      "except OSError as e:\n    print('inet', e.errno)\n"
      "try:\n    u = socket.socket(socket.AF_UNIX)\n    u.connect('\\0", abstract_name, "')\n"
      "    print('CONNECTED')\nexcept OSError as e:\n    print('unix', e.errno)\n"));
  EXPECT_EQ(r.status, RunStatus::kOk) << r.stderr_data;
  EXPECT_EQ(r.stdout_data.find("CONNECTED"), std::string::npos) << r.stdout_data;
  EXPECT_NE(r.stdout_data.find("inet "), std::string::npos) << r.stdout_data;
  EXPECT_NE(r.stdout_data.find("unix 111"), std::string::npos) << r.stdout_data;  // ECONNREFUSED
  EXPECT_LT(accept(listener, nullptr, nullptr), 0);  // nobody connected
  EXPECT_EQ(errno, EAGAIN);
  EXPECT_LT(accept(unix_listener, nullptr, nullptr), 0);
  EXPECT_EQ(errno, EAGAIN);
  close(listener);
  close(unix_listener);
}

TEST_P(Attack, ReadPlantedHostFile) {
  const std::string secret = Token("secret");
  const std::string path = absl::StrCat("/tmp/", secret, ".txt");
  { std::ofstream(path) << secret; }
  chmod(path.c_str(), 0644);
  RunResult r = Py(absl::StrCat(
      "import os\nfor p in ['", path, "', '/proc/1/root", path, "', '/etc/shadow', '/root/.bashrc',"
      " '/home', '/run', '/sys/kernel', '/var/run/docker.sock']:\n"
      "    try:\n        print(open(p).read())\n    except OSError as e:\n        print(p, e.errno)\n"
      "print(sorted(set(os.listdir('/')) - {'.rlvr-pyzygote'}))\nprint(sorted(os.listdir('/tmp')))\n"));
  EXPECT_EQ(r.status, RunStatus::kOk) << r.stderr_data;
  EXPECT_EQ(r.stdout_data.find(absl::StrCat(secret, "\n")), std::string::npos) << r.stdout_data;
  EXPECT_NE(r.stdout_data.find("['bin', 'dev', 'etc', 'lib', 'lib32', 'lib64', 'proc', 'sbin', 'tmp', 'usr', 'work']"),
            std::string::npos) << r.stdout_data;
  EXPECT_NE(r.stdout_data.find("\n[]\n"), std::string::npos) << "sandbox /tmp is not empty: " << r.stdout_data;
  unlink(path.c_str());
}

TEST_P(Attack, WriteOutsideWorkDir) {
  const std::string token = Token("w");
  RunResult r = Py(absl::StrCat(
      "for p in ['/", token, "', '/usr/", token, "', '/etc/", token, "', '/dev/", token, "', '/proc/", token,
      "', '/usr/bin/python3']:\n"
      "    try:\n        open(p, 'a').write('x')\n        print('WROTE', p)\n"
      "    except OSError as e:\n        print(p, e.errno)\n"
      "open('/tmp/", token, "', 'w').write('private')\n"));
  EXPECT_EQ(r.status, RunStatus::kOk) << r.stderr_data;
  EXPECT_EQ(r.stdout_data.find("WROTE"), std::string::npos) << r.stdout_data;
  for (const char* dir : {"/", "/usr/", "/etc/", "/dev/", "/tmp/"}) {
    EXPECT_NE(access(absl::StrCat(dir, token).c_str(), F_OK), 0) << dir;
  }
}

TEST_P(Attack, ProcShowsOnlyTheRun) {
  RunResult r = Py(
      "import os\npids = [p for p in os.listdir('/proc') if p.isdigit()]\nprint(sorted(pids, key=int))\n"
      "for p in pids:\n    cmd = open('/proc/%s/cmdline' % p, 'rb').read()\n    if b'security_test' in cmd:\n"
      "        print('HOST PROCESS VISIBLE')\n"
      "print(open('/proc/1/cmdline', 'rb').read())\n"
      "print(open('/proc/self/cgroup').read().strip())\n");
  EXPECT_EQ(r.status, RunStatus::kOk) << r.stderr_data;
  EXPECT_EQ(r.stdout_data.substr(0, 6), "['1']\n") << r.stdout_data;
  EXPECT_EQ(r.stdout_data.find("HOST PROCESS VISIBLE"), std::string::npos);
}

TEST_P(Attack, ServerEnvironmentDoesNotLeak) {
  ASSERT_STREQ(getenv("RLVR_SERVER_SECRET"), kEnvSecret);
  RunResult r = Py("import os\nprint(sorted(os.environ))\nprint(open('/proc/self/environ').read())\n");
  EXPECT_EQ(r.status, RunStatus::kOk);
  EXPECT_EQ(r.stdout_data.find(kEnvSecret), std::string::npos);
  EXPECT_EQ(r.stdout_data.find("RLVR_SERVER_SECRET"), std::string::npos);
  EXPECT_NE(r.stdout_data.find("'HOME', 'LANG', 'PATH'"), std::string::npos) << r.stdout_data;
}

TEST_P(Attack, KillEveryone) {
  if (!IsRoot()) GTEST_SKIP() << "needs root: the sentinel runs as the sandbox's host uid (nobody)";
  // A host process with the same host uid as sandboxed code: kill(-1) inside must not reach it.
  pid_t sentinel = fork();
  if (sentinel == 0) {
    if (setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0) _exit(1);
    pause();
    _exit(0);
  }
  ASSERT_GT(sentinel, 0);
  RunResult r = Py(
      "import os, signal, subprocess\nchild = subprocess.Popen(['sleep', '30'])\n"
      "os.kill(-1, signal.SIGKILL)\nprint('still here', child.wait())\n");
  EXPECT_EQ(r.status, RunStatus::kOk) << r.stderr_data;
  EXPECT_EQ(r.stdout_data, "still here -9\n");  // its own child died, nothing else
  EXPECT_EQ(kill(sentinel, 0), 0) << "the sentinel was killed";
  EXPECT_EQ(waitpid(sentinel, nullptr, WNOHANG), 0);
  kill(sentinel, SIGKILL);
  waitpid(sentinel, nullptr, 0);
}

TEST_P(Attack, Ptrace) {
  RunResult r = Py(
      "import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\n"
      "for target in (1, os.getppid(), 0):\n"
      "    rc = libc.ptrace(16, target, None, None)\n"  // PTRACE_ATTACH
      "    print(rc, ctypes.get_errno())\n"
      "print(libc.ptrace(0, 0, None, None), ctypes.get_errno())\n");  // PTRACE_TRACEME
  EXPECT_EQ(r.status, RunStatus::kOk) << r.stderr_data;
  EXPECT_EQ(r.stdout_data, "-1 1\n-1 1\n-1 1\n-1 1\n");  // EPERM, every time
}

TEST_P(Attack, UnshareMountSetns) {
  RunResult r = Py(
      "import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\n"
      "def show(name, rc):\n    print(name, rc, ctypes.get_errno())\n"
      "show('unshare-user', libc.unshare(0x10000000))\n"
      "show('unshare-ns', libc.unshare(0x00020000))\n"
      "show('mount', libc.mount(b'none', b'/work', b'tmpfs', 0, None))\n"
      "show('umount', libc.umount2(b'/proc', 2))\n"
      "fd = os.open('/proc/self/ns/net', os.O_RDONLY)\n"
      "show('setns', libc.setns(fd, 0))\n"
      "show('chroot', libc.chroot(b'/tmp'))\n"
      "show('clone-newuser', libc.syscall(56, 0x10000000 | 17, 0, 0, 0, 0))\n");
  EXPECT_EQ(r.status, RunStatus::kOk) << r.stderr_data;
  for (const char* what : {"unshare-user", "unshare-ns", "mount", "umount", "setns", "chroot", "clone-newuser"}) {
    EXPECT_NE(r.stdout_data.find(absl::StrCat(what, " -1 1\n")), std::string::npos) << what << "\n" << r.stdout_data;
  }
}

TEST_P(Attack, DaemonDoesNotOutliveTheRun) {
  const std::string name = Token("d").substr(0, 15);
  RunResult r = Py(absl::StrCat(
      "import ctypes, os, time\n"
      "if os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
      "        ctypes.CDLL(None).prctl(15, b'", name, "', 0, 0, 0)\n"  // PR_SET_NAME
      "        os.close(1); os.close(2)\n        time.sleep(60)\n    os._exit(0)\n"
      "time.sleep(0.2)\nprint('parent done')\n"));
  EXPECT_EQ(r.status, RunStatus::kOk) << r.stderr_data;
  EXPECT_EQ(HostProcessesNamed(name), 0) << "the daemon is still alive";
  ExpectHostClean();
}

TEST_P(Attack, SetuidChmodChown) {
  struct stat before;
  ASSERT_EQ(stat("/usr/bin/python3.11", &before), 0);
  RunResult r = Py(
      "import os, shutil\n"
      "def t(name, f):\n    try:\n        f()\n        print(name, 'OK')\n    except OSError as e:\n"
      "        print(name, e.errno)\n"
      "t('setuid0', lambda: os.setuid(0))\n"
      "t('setgid0', lambda: os.setgid(0))\n"
      "t('chmod-system', lambda: os.chmod('/usr/bin/python3.11', 0o6777))\n"
      "t('chown-system', lambda: os.chown('/usr/bin/python3.11', 1000, 1000))\n"
      "shutil.copy('/usr/bin/id', '/work/id')\n"
      "t('chown-root', lambda: os.chown('/work/id', 0, 0))\n"
      "t('chmod-suid', lambda: os.chmod('/work/id', 0o4755))\n"
      "print(os.popen('/work/id -u').read().strip(), os.getuid(), os.geteuid())\n"
      "print(open('/proc/self/status').read().split('CapEff:')[1].split()[0])\n"
      "print(open('/proc/self/status').read().split('NoNewPrivs:')[1].split()[0])\n");
  EXPECT_EQ(r.status, RunStatus::kOk) << r.stderr_data;
  const std::string& o = r.stdout_data;
  EXPECT_NE(o.find("setuid0 22\n"), std::string::npos) << o;  // uid 0 does not exist inside
  EXPECT_NE(o.find("setgid0 22\n"), std::string::npos) << o;
  EXPECT_NE(o.find("chmod-system 30\n"), std::string::npos) << o;   // EROFS
  EXPECT_NE(o.find("chown-system 30\n"), std::string::npos) << o;
  EXPECT_NE(o.find("chown-root 22\n"), std::string::npos) << o;     // uid 0 unmapped: EINVAL
  EXPECT_NE(o.find("1000 1000 1000\n"), std::string::npos) << o;    // suid bit gave nothing
  EXPECT_NE(o.find("0000000000000000\n1\n"), std::string::npos) << o;
  struct stat after;
  ASSERT_EQ(stat("/usr/bin/python3.11", &after), 0);
  EXPECT_EQ(before.st_mode, after.st_mode);
  EXPECT_EQ(before.st_uid, after.st_uid);
}

TEST_P(Attack, NothingPassesBetweenRuns) {
  const std::string token = Token("carry");
  RunResult first = Py(absl::StrCat(
      "import os, subprocess, sys, json\n"
      "open('/work/", token, "', 'w').write('x')\nopen('/tmp/", token, "', 'w').write('x')\n"
      "os.environ['", token, "'] = '1'\njson.", token, " = 1\n"
      "subprocess.Popen(['sleep', '30'])\nprint('planted')\n"));
  EXPECT_EQ(first.status, RunStatus::kOk) << first.stderr_data;
  RunResult second = Py(absl::StrCat(
      "import os, json\n"
      "print(os.path.exists('/work/", token, "'), os.path.exists('/tmp/", token, "'),"
      " '", token, "' in os.environ, hasattr(json, '", token, "'),"
      " [p for p in os.listdir('/proc') if p.isdigit()])\n"));
  EXPECT_EQ(second.status, RunStatus::kOk) << second.stderr_data;
  EXPECT_EQ(second.stdout_data, "False False False False ['1']\n");
  ExpectHostClean();
}

// The root is read-only, whoever built it: a run cannot leave anything in it for the next one
// (from a pre-built root, every run starts from the same template).
TEST_P(Attack, RootStaysUnchangedAcrossRuns) {
  const std::string token = Token("root");
  const std::string listing =
      "import os\nprint(sorted(os.listdir('/')), sorted(os.listdir('/etc')), sorted(os.listdir('/dev')))\n";
  RunResult before = Py(listing);
  RunResult attempt = Py(absl::StrCat(
      "import os\n"
      "def tr(f):\n    try:\n        f()\n        return 'DONE'\n    except OSError:\n        return 'no'\n"
      "print(tr(lambda: open('/", token, "', 'w')), tr(lambda: os.mkdir('/etc/", token, "')),"
      " tr(lambda: os.symlink('/work', '/dev/", token, "')), tr(lambda: open('/etc/hosts', 'a')),"
      " tr(lambda: os.chmod('/etc/passwd', 0o666)), tr(lambda: os.rename('/etc/group', '/etc/g2')),"
      " tr(lambda: os.unlink('/etc/ld.so.cache')), tr(lambda: os.rmdir('/tmp')))\n"));
  EXPECT_EQ(attempt.stdout_data, "no no no no no no no no\n") << attempt.stderr_data;
  RunResult after = Py(listing);
  EXPECT_EQ(before.status, RunStatus::kOk) << before.stderr_data;
  EXPECT_EQ(after.stdout_data, before.stdout_data);
  EXPECT_EQ(after.stdout_data.find(token), std::string::npos);
}

// Two runs at once cannot talk: warm runs share the zygote's empty network namespace, and cold
// runs from a pre-built root share one too, where an abstract unix socket would otherwise be a
// channel between them (Landlock scopes close it).
TEST_P(Attack, ConcurrentRunsCannotTalk) {
  const std::string name = Token("xrun");
  RunResult listener_result;
  std::thread listener([&] {
    listener_result = Py(absl::StrCat(
        "import socket\ns = socket.socket(socket.AF_UNIX)\ns.bind('\\0", name, "')\ns.listen()\n"
        "s.settimeout(2)\ntry:\n    s.accept()\n    print('ACCEPTED')\nexcept OSError:\n    print('alone')\n"));
  });
  usleep(400000);
  RunResult r = Py(absl::StrCat(
      "import socket\nu = socket.socket(socket.AF_UNIX)\ntry:\n    u.connect('\\0", name, "')\n"
      "    print('CONNECTED')\nexcept OSError as e:\n    print('refused', e.errno)\n"));
  listener.join();
  EXPECT_EQ(r.status, RunStatus::kOk) << r.stderr_data;
  EXPECT_EQ(r.stdout_data.find("CONNECTED"), std::string::npos) << r.stdout_data;
  const bool shared_netns = warm() || (GetParam() == Mode::kCold && Shared().mechanisms().shared_cold_netns);
  if (shared_netns && Shared().mechanisms().landlock) {
    // Same network namespace: the name is visible, and Landlock refuses it (EPERM).
    EXPECT_EQ(r.stdout_data, "refused 1\n");
  }
  EXPECT_EQ(listener_result.stdout_data, "alone\n") << listener_result.stderr_data;
}

// System V IPC and POSIX message queues would be a channel between cold runs, which share one ipc
// namespace (spawner.h): every entry point is denied (EPERM), in every mode. The host name is
// "sandbox" and cannot be changed.
TEST_P(Attack, SysVIpcMessageQueuesAndHostName) {
  RunResult r = Py(
      "import ctypes, socket\nlibc = ctypes.CDLL(None, use_errno=True)\n"
      "def show(name, rc):\n    print(name, rc, ctypes.get_errno())\n"
      "show('shmget', libc.shmget(0x1234, 4096, 0o1666))\n"  // IPC_CREAT | 0666
      "show('shmat', libc.syscall(30, 0, 0, 0))\n"
      "show('msgget', libc.msgget(0x1234, 0o1666))\n"
      "show('semget', libc.semget(0x1234, 1, 0o1666))\n"
      "show('semop', libc.syscall(65, 0, 0, 0))\n"
      "show('mq_open', libc.syscall(240, b'rlvr', 0o100 | 2, 0o600, 0))\n"  // O_CREAT | O_RDWR
      "show('sethostname', libc.sethostname(b'mine', 4))\n"
      "print(socket.gethostname())\n");
  EXPECT_EQ(r.status, RunStatus::kOk) << r.stderr_data;
  for (const char* what : {"shmget", "shmat", "msgget", "semget", "semop", "mq_open", "sethostname"}) {
    EXPECT_NE(r.stdout_data.find(absl::StrCat(what, " -1 1\n")), std::string::npos) << what << "\n" << r.stdout_data;
  }
  EXPECT_NE(r.stdout_data.find("\nsandbox\n"), std::string::npos) << r.stdout_data;
}

// C++: the include path is evaluated inside the sandbox, where host files do not exist.
TEST(CppAttack, IncludeHostFileAtCompileTime) {
  SKIP_WITHOUT_SANDBOX();
  const std::string secret = Token("inc");
  const std::string header = absl::StrCat("/tmp/", secret, ".h");
  { std::ofstream(header) << "const char* leaked = \"" << secret << "\";\n"; }
  chmod(header.c_str(), 0644);
  RunSpec spec;
  spec.language = Language::kCpp;
  spec.files.push_back({"main.cpp", absl::StrCat("#include \"", header, "\"\n#include <cstdio>\n"
                                                 "int main() { std::puts(leaked); }\n")});
  absl::StatusOr<RunResult> r = Shared().Run(spec);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, RunStatus::kCompileError);
  EXPECT_NE(r->stderr_data.find("No such file or directory"), std::string::npos) << r->stderr_data;
  EXPECT_EQ(r->stdout_data.find(secret), std::string::npos);
  spec.files[0].content = "#include \"/etc/shadow\"\nint main() {}\n";
  r = Shared().Run(spec);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, RunStatus::kCompileError);
  unlink(header.c_str());
}

TEST(CppAttack, ForkBombInCpp) {
  SKIP_WITHOUT_SANDBOX();
  RunSpec spec;
  spec.language = Language::kCpp;
  spec.files.push_back({"main.cpp", "#include <unistd.h>\nint main() { for (;;) fork(); }\n"});
  spec.limits.wall_ms = 2000;
  spec.limits.max_processes = 32;
  absl::StatusOr<RunResult> r = Shared().Run(spec);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, RunStatus::kTimeLimit);
  EXPECT_TRUE(SandboxLeftovers().empty());
}

// Ordinary runs keep completing correctly while attacks run beside them.
TEST(Concurrency, OrdinaryRunsSurviveAttacksInParallel) {
  SKIP_WITHOUT_SANDBOX();
  std::vector<std::thread> threads;
  std::atomic<int> good{0}, bad{0};
  auto attack = [](const std::string& code, Limits l) {
    RunSpec spec;
    spec.language = Language::kPython;
    spec.files.push_back({"main.py", code});
    spec.limits = l;
    (void)Shared().Run(spec);
  };
  Limits bomb;
  bomb.wall_ms = 2000;
  bomb.max_processes = 32;
  bomb.memory_mb = 64;
  threads.emplace_back(attack, "import os\nwhile True:\n    try: os.fork()\n    except OSError: pass\n", bomb);
  threads.emplace_back(attack, "x=[]\nwhile True: x.append(bytearray(1<<20))\n", bomb);
  threads.emplace_back(attack, "import sys\nwhile True: sys.stdout.write('x'*65536)\n", bomb);
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 8; ++i) {
        RunSpec spec;
        spec.language = Language::kPython;
        spec.warm = (i % 2) == 0;
        spec.files.push_back({"main.py", "import sys\nn = int(input())\nprint(sum(range(n)))\n"});
        spec.stdin_data = absl::StrCat(1000 * t + i, "\n");
        spec.limits.wall_ms = 20000;
        spec.limits.cpu_ms = 10000;
        absl::StatusOr<RunResult> r = Shared().Run(spec);
        const int64_t n = 1000 * t + i;
        if (r.ok() && r->status == RunStatus::kOk && r->stdout_data == absl::StrCat(n * (n - 1) / 2, "\n")) {
          ++good;
        } else {
          ++bad;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(good, 24);
  EXPECT_EQ(bad, 0);
  EXPECT_TRUE(SandboxLeftovers().empty());
}

}  // namespace
}  // namespace rlvr::sandbox

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (!::testing::GTEST_FLAG(list_tests)) rlvr::sandbox::MaybeShared();  // report mechanisms first
  return RUN_ALL_TESTS();
}
