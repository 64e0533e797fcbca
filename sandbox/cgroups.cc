#include "sandbox/cgroups.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/random/random.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace rlvr::sandbox {
namespace {

absl::Status WriteFile(const std::string& path, const std::string& value) {
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return absl::PermissionDeniedError(absl::StrCat("open ", path, ": ", strerror(errno)));
  ssize_t n = write(fd, value.data(), value.size());
  int err = errno;
  close(fd);
  if (n != static_cast<ssize_t>(value.size())) {
    return absl::PermissionDeniedError(
        absl::StrCat("write \"", value, "\" to ", path, ": ", n < 0 ? strerror(err) : "short"));
  }
  return absl::OkStatus();
}

std::string ReadSmallFile(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  char buf[4096];
  ssize_t n = read(fd, buf, sizeof(buf));
  close(fd);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

// Value of `key` in "key value" lines (memory.events, memory.oom_control, cpu.stat), or 0.
int64_t KeyedValue(const std::string& text, absl::string_view key) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    std::vector<absl::string_view> kv = absl::StrSplit(line, ' ');
    int64_t v;
    if (kv.size() == 2 && kv[0] == key && absl::SimpleAtoi(kv[1], &v)) return v;
  }
  return 0;
}

struct Mount {
  std::string path;
  std::string type;
  std::string options;  // super options (v1 controllers)
};

std::vector<Mount> CgroupMounts() {
  std::vector<Mount> out;
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    // id parent major:minor root mountpoint options [optional...] - fstype source superoptions
    size_t dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    std::vector<std::string> left = absl::StrSplit(line.substr(0, dash), ' ');
    std::vector<std::string> right = absl::StrSplit(line.substr(dash + 3), ' ');
    if (left.size() < 5 || right.size() < 3) continue;
    if (right[0] != "cgroup" && right[0] != "cgroup2") continue;
    out.push_back({left[4], right[0], right[2]});
  }
  return out;
}

// controller (or "" for the v2 entry) -> this process's path, from /proc/self/cgroup.
std::string OwnCgroupPath(const std::string& controller) {
  std::ifstream in("/proc/self/cgroup");
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> parts = absl::StrSplit(line, absl::MaxSplits(':', 2));
    if (parts.size() != 3) continue;
    if (controller.empty() ? parts[1].empty()
                           : absl::StrContains(absl::StrCat(",", parts[1], ","),
                                               absl::StrCat(",", controller, ","))) {
      return parts[2] == "/" ? "" : parts[2];
    }
  }
  return "";
}

bool MakeDir(const std::string& path, std::string* problem) {
  if (mkdir(path.c_str(), 0755) == 0) return true;
  *problem = absl::StrCat("mkdir ", path, ": ", strerror(errno));
  return false;
}

constexpr absl::string_view kLeafPrefix = "rlvr-sandbox-";

// Removes the base cgroups, under `parent`, of rlvr processes that are gone (killed, or exited
// without destroying their pool): their empty slot cgroups first, then the base. A cgroup that
// still holds a process cannot be removed and is left alone.
void SweepStale(const std::string& parent) {
  DIR* dir = opendir(parent.c_str());
  if (dir == nullptr) return;
  std::vector<std::string> stale;
  while (dirent* e = readdir(dir)) {
    absl::string_view name = e->d_name;
    if (!absl::ConsumePrefix(&name, kLeafPrefix)) continue;
    int64_t pid;
    if (!absl::SimpleAtoi(name.substr(0, name.find('-')), &pid) || pid <= 0) continue;
    if (kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;
    stale.push_back(parent + "/" + e->d_name);
  }
  closedir(dir);
  for (const std::string& base : stale) {
    if (DIR* d = opendir(base.c_str())) {
      std::vector<std::string> slots;
      while (dirent* e = readdir(d)) {
        int64_t id;
        if (absl::SimpleAtoi(e->d_name, &id)) slots.push_back(base + "/" + e->d_name);
      }
      closedir(d);
      for (const std::string& slot : slots) rmdir(slot.c_str());
    }
    rmdir(base.c_str());
  }
}

}  // namespace

CgroupSlot::~CgroupSlot() {
  for (int fd : join_fds_) close(fd);
  for (const OpenControl& c : controls_) close(c.fd);
}

int CgroupSlot::ControlFd(const std::string& path, int flags) const {
  for (const OpenControl& c : controls_) {
    if (c.flags == flags && c.path == path) return c.fd;
  }
  int fd = open(path.c_str(), flags | O_CLOEXEC);
  if (fd >= 0) controls_.push_back({path, flags, fd});
  return fd;
}

std::string CgroupSlot::ReadControl(const std::string& path) const {
  int fd = ControlFd(path, O_RDONLY);
  if (fd < 0) return "";
  char buf[4096];
  ssize_t n = pread(fd, buf, sizeof(buf), 0);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

int64_t CgroupSlot::ReadControlInt(const std::string& path) const {
  int64_t v = -1;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(ReadControl(path)), &v)) return -1;
  return v;
}

int64_t CgroupSlot::ReadControlKeyed(const std::string& path, const char* key) const {
  return KeyedValue(ReadControl(path), key);
}

absl::Status CgroupSlot::WriteControl(const std::string& path, const std::string& value) const {
  int fd = ControlFd(path, O_WRONLY);
  if (fd < 0) return absl::PermissionDeniedError(absl::StrCat("open ", path, ": ", strerror(errno)));
  ssize_t n = pwrite(fd, value.data(), value.size(), 0);
  if (n != static_cast<ssize_t>(value.size())) {
    return absl::PermissionDeniedError(
        absl::StrCat("write \"", value, "\" to ", path, ": ", n < 0 ? strerror(errno) : "short"));
  }
  return absl::OkStatus();
}

int JoinSelf(const int* fds, int count) {
  int result = 0;
  for (int i = 0; i < count; ++i) {
    ssize_t n;
    do n = write(fds[i], "0", 1);
    while (n < 0 && errno == EINTR);
    if (n != 1 && result == 0) result = n < 0 ? errno : EIO;
    close(fds[i]);
  }
  return result;
}

absl::Status CgroupSlot::AddProcess(pid_t pid) {
  std::string p = absl::StrCat(pid);
  for (const std::string* dir : {&memory_, &pids_, &cpu_}) {
    if (dir->empty()) continue;
    if (v2_ && dir != &memory_) continue;  // one directory holds every controller
    absl::Status s = WriteFile(*dir + "/cgroup.procs", p);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

int64_t CgroupSlot::CpuNanos() const {
  if (cpu_.empty()) return -1;
  if (v2_) return ReadControlKeyed(cpu_ + "/cpu.stat", "usage_usec") * 1000;
  return ReadControlInt(cpu_ + "/cpuacct.usage");
}

int64_t CgroupSlot::PeakMemoryBytes() const {
  if (memory_.empty()) return -1;
  if (v2_) return ReadControlInt(memory_ + "/memory.peak");
  int64_t peak = ReadControlInt(memory_ + "/memory.max_usage_in_bytes");
  return peak < 0 ? -1 : std::max<int64_t>(0, peak - memory_baseline_);
}

bool CgroupSlot::OomKilled() const {
  if (memory_.empty()) return false;
  if (v2_) return ReadControlKeyed(memory_ + "/memory.events", "oom_kill") > oom_baseline_;
  return ReadControlKeyed(memory_ + "/memory.oom_control", "oom_kill") > oom_baseline_;
}

std::unique_ptr<CgroupPool> CgroupPool::Create() {
  std::unique_ptr<CgroupPool> pool(new CgroupPool);
  Availability& a = pool->avail_;
  // pid plus a random tag: a pid the kernel reuses never meets a stale directory of its own.
  const std::string leaf =
      absl::StrCat("/", kLeafPrefix, getpid(), "-", absl::Hex(absl::Uniform<uint32_t>(absl::BitGen())));
  std::vector<Mount> mounts = CgroupMounts();

  // cgroup v2 first, where our cgroup has the controllers delegated.
  for (const Mount& m : mounts) {
    if (m.type != "cgroup2") continue;
    std::string own = m.path + OwnCgroupPath("");
    std::string controllers = ReadSmallFile(own + "/cgroup.controllers");
    std::vector<std::string> have = absl::StrSplit(absl::StripAsciiWhitespace(controllers), ' ');
    auto has = [&](const char* c) { return std::find(have.begin(), have.end(), c) != have.end(); };
    if (!has("memory") || !has("pids")) {
      a.problems.push_back(absl::StrCat("cgroup v2 at ", own, " has no memory+pids controllers "
                                        "delegated (has \"", absl::StripAsciiWhitespace(controllers),
                                        "\")"));
      break;
    }
    SweepStale(own);
    std::string problem;
    std::string base = own + leaf;
    if (!MakeDir(base, &problem)) {
      a.problems.push_back("cgroup v2: " + problem);
      break;
    }
    std::string enable = has("cpu") ? "+memory +pids +cpu" : "+memory +pids";
    if (absl::Status s = WriteFile(base + "/cgroup.subtree_control", enable); !s.ok()) {
      a.problems.push_back(absl::StrCat("cgroup v2: ", s.message()));
      rmdir(base.c_str());
      break;
    }
    pool->v2_ = true;
    pool->memory_base_ = base;
    a.version = "v2";
    a.memory = a.pids = true;
    a.cpu = true;  // cpu.stat usage is there even without the cpu controller
    return pool;
  }

  // cgroup v1: one hierarchy per controller.
  auto v1 = [&](const char* controller, std::string* base) {
    for (const Mount& m : mounts) {
      if (m.type != "cgroup") continue;
      if (!absl::StrContains(absl::StrCat(",", m.options, ","), absl::StrCat(",", controller, ","))) {
        continue;
      }
      SweepStale(m.path + OwnCgroupPath(controller));
      std::string dir = m.path + OwnCgroupPath(controller) + leaf;
      std::string problem;
      if (!MakeDir(dir, &problem)) {
        a.problems.push_back(absl::StrCat("cgroup v1 ", controller, ": ", problem));
        return false;
      }
      *base = dir;
      return true;
    }
    a.problems.push_back(absl::StrCat("cgroup v1 ", controller, ": hierarchy not mounted"));
    return false;
  };
  a.memory = v1("memory", &pool->memory_base_);
  a.pids = v1("pids", &pool->pids_base_);
  a.cpu = v1("cpuacct", &pool->cpu_base_);
  a.version = (a.memory || a.pids || a.cpu) ? "v1" : "none";
  return pool;
}

CgroupPool::~CgroupPool() {
  absl::MutexLock lock(&mu_);
  for (auto it = created_.rbegin(); it != created_.rend(); ++it) rmdir(it->c_str());
  for (const std::string* base : {&memory_base_, &pids_base_, &cpu_base_}) {
    if (!base->empty()) rmdir(base->c_str());
  }
}

absl::StatusOr<std::unique_ptr<CgroupSlot>> CgroupPool::NewSlot() {
  int64_t id;
  {
    absl::MutexLock lock(&mu_);
    id = next_id_++;
  }
  auto slot = std::make_unique<CgroupSlot>();
  slot->v2_ = v2_;
  const std::string name = absl::StrCat("/", id);
  std::string problem;
  std::vector<std::string> made;
  auto make = [&](const std::string& base, std::string* out) -> absl::Status {
    if (base.empty()) return absl::OkStatus();
    std::string dir = base + name;
    if (mkdir(dir.c_str(), 0755) != 0) {
      return absl::InternalError(absl::StrCat("mkdir ", dir, ": ", strerror(errno)));
    }
    made.push_back(dir);
    *out = dir;
    return absl::OkStatus();
  };
  absl::Status s = make(memory_base_, &slot->memory_);
  if (s.ok() && !v2_) s = make(pids_base_, &slot->pids_);
  if (s.ok() && !v2_) s = make(cpu_base_, &slot->cpu_);
  if (v2_) slot->pids_ = slot->cpu_ = slot->memory_;
  if (s.ok() && !v2_) {
    for (const std::string* dir : {&slot->memory_, &slot->pids_, &slot->cpu_}) {
      if (dir->empty()) continue;
      std::string tasks = *dir + "/tasks";
      int fd = open(tasks.c_str(), O_WRONLY | O_CLOEXEC);
      if (fd < 0) {
        s = absl::InternalError(absl::StrCat("open ", tasks, ": ", strerror(errno)));
        break;
      }
      slot->join_fds_.push_back(fd);
    }
  }
  absl::MutexLock lock(&mu_);
  created_.insert(created_.end(), made.begin(), made.end());
  if (!s.ok()) return s;
  return slot;
}

absl::StatusOr<std::unique_ptr<CgroupSlot>> CgroupPool::Acquire(const CgroupLimits& limits) {
  std::unique_ptr<CgroupSlot> slot;
  {
    absl::MutexLock lock(&mu_);
    if (!free_.empty()) {
      slot = std::move(free_.back());
      free_.pop_back();
    }
  }
  if (slot == nullptr) {
    absl::StatusOr<std::unique_ptr<CgroupSlot>> fresh = NewSlot();
    if (!fresh.ok()) return fresh.status();
    slot = std::move(*fresh);
  }
  auto cleanup_on_error = [&](absl::Status s) -> absl::Status {
    Release(std::move(slot));
    return s;
  };
  if (!slot->memory_.empty()) {
    const uint64_t bytes = limits.memory_bytes == 0 ? (uint64_t{1} << 62) : limits.memory_bytes;
    const std::string limit = absl::StrCat(bytes);
    if (v2_) {
      if (limit != slot->memory_limit_set_) {
        if (absl::Status s = slot->WriteControl(slot->memory_ + "/memory.max", limit); !s.ok()) {
          return cleanup_on_error(s);
        }
        slot->WriteControl(slot->memory_ + "/memory.swap.max", "0").IgnoreError();  // absent without swap
      }
      slot->oom_baseline_ = slot->ReadControlKeyed(slot->memory_ + "/memory.events", "oom_kill");
    } else {
      if (limit != slot->memory_limit_set_) {
        if (absl::Status s = slot->WriteControl(slot->memory_ + "/memory.limit_in_bytes", limit); !s.ok()) {
          return cleanup_on_error(s);
        }
      }
      slot->WriteControl(slot->memory_ + "/memory.max_usage_in_bytes", "0").IgnoreError();
      slot->memory_baseline_ = std::max<int64_t>(0, slot->ReadControlInt(slot->memory_ + "/memory.usage_in_bytes"));
      slot->oom_baseline_ = slot->ReadControlKeyed(slot->memory_ + "/memory.oom_control", "oom_kill");
    }
    slot->memory_limit_set_ = limit;
  }
  if (!slot->pids_.empty()) {
    std::string max = limits.max_pids > 0 ? absl::StrCat(limits.max_pids) : "max";
    if (max != slot->pids_max_set_) {
      if (absl::Status s = slot->WriteControl(slot->pids_ + "/pids.max", max); !s.ok()) {
        return cleanup_on_error(s);
      }
      slot->pids_max_set_ = max;
    }
  }
  if (!slot->cpu_.empty() && !v2_) {
    if (absl::Status s = slot->WriteControl(slot->cpu_ + "/cpuacct.usage", "0"); !s.ok()) {
      return cleanup_on_error(s);
    }
  }
  return slot;
}

void CgroupPool::Release(std::unique_ptr<CgroupSlot> slot) {
  if (slot == nullptr) return;
  // A slot still holding processes (should not happen: the pid namespace is gone) is not reused.
  // A run's processes are in every controller's cgroup of the slot, so one of them tells.
  for (const std::string* dir : {&slot->pids_, &slot->memory_, &slot->cpu_}) {
    if (dir->empty()) continue;
    if (!absl::StripAsciiWhitespace(slot->ReadControl(*dir + "/cgroup.procs")).empty()) return;
    break;
  }
  if (v2_) {
    // v2 counters (memory.peak) do not reset: remove the cgroup; a fresh one is made next time.
    absl::MutexLock lock(&mu_);
    if (rmdir(slot->memory_.c_str()) == 0) {
      created_.erase(std::remove(created_.begin(), created_.end(), slot->memory_), created_.end());
    }
    return;
  }
  // Page cache the run charged stays charged to the slot: reclaiming it (memory.force_empty)
  // would evict the interpreter's files for every later run. The next run's peak is measured
  // above the baseline it starts with, and cache is reclaimed before any OOM kill.
  absl::MutexLock lock(&mu_);
  free_.push_back(std::move(slot));
}

}  // namespace rlvr::sandbox
