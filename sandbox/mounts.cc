#include "sandbox/mounts.h"

#include <algorithm>

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "sandbox/namespaces.h"

namespace rlvr::sandbox {
namespace {

// Where the new root may be assembled, inside the child's private mount namespace: the first of
// these that exists and holds none of the host paths the root binds (a tmpfs mounted on it hides
// them). The host never sees the mount.
constexpr const char* kStages[] = {"/tmp", "/mnt", "/media", "/srv", "/run"};

bool IsUnder(const std::string& path, const std::string& dir) {
  return path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 && path[dir.size()] == '/';
}

unsigned long LockedFlags(const std::string& path) {
  struct statvfs st;
  if (statvfs(path.c_str(), &st) != 0) return 0;
  unsigned long flags = 0;
  if (st.f_flag & ST_NOSUID) flags |= MS_NOSUID;
  if (st.f_flag & ST_NODEV) flags |= MS_NODEV;
  if (st.f_flag & ST_NOEXEC) flags |= MS_NOEXEC;
  if (st.f_flag & ST_RDONLY) flags |= MS_RDONLY;
  return flags;
}

int WriteWholeFile(const char* path, const std::string& content, mode_t mode) {
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return errno;
  size_t off = 0;
  while (off < content.size()) {
    ssize_t n = write(fd, content.data() + off, content.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      close(fd);
      return err;
    }
    off += static_cast<size_t>(n);
  }
  close(fd);
  return 0;
}

}  // namespace

void AddFileBind(MountPlan* plan, const std::string& source, const std::string& inside) {
  plan->binds.push_back({source, plan->stage + inside, true, false, LockedFlags(source)});
}

std::string ScratchOptions(uint64_t bytes, bool sticky_world_writable) {
  return absl::StrCat("size=", bytes, ",nr_inodes=4096,mode=", sticky_world_writable ? "1777" : "0755",
                      ",uid=", kSandboxUid, ",gid=", kSandboxGid);
}

absl::StatusOr<MountPlan> MakeMountPlan(uint64_t scratch_bytes,
                                        const std::vector<std::string>& extra_ro_binds,
                                        const std::vector<std::string>& keep_visible) {
  MountPlan p;
  std::vector<std::string> visible = extra_ro_binds;
  visible.insert(visible.end(), keep_visible.begin(), keep_visible.end());
  for (const char* stage : kStages) {
    struct stat st;
    if (stat(stage, &st) != 0 || !S_ISDIR(st.st_mode)) continue;
    if (std::any_of(visible.begin(), visible.end(), [&](const std::string& v) { return IsUnder(v, stage); })) {
      continue;
    }
    p.stage = stage;
    break;
  }
  if (p.stage.empty()) {
    return absl::FailedPreconditionError(
        "no staging directory for the sandbox root: /tmp, /mnt, /media, /srv and /run are missing or hold "
        "paths the root must bind");
  }
  const std::string s = p.stage;
  p.root_options = "size=1m,nr_inodes=256,mode=0755";
  p.work_options = ScratchOptions(scratch_bytes, false);
  p.tmp_options = ScratchOptions(scratch_bytes, true);
  p.stage_work = s + "/work";
  p.stage_tmp = s + "/tmp";
  p.stage_proc = s + "/proc";
  for (const char* d : {"/usr", "/etc", "/dev", "/proc", "/work", "/tmp"}) p.dirs.push_back(s + d);

  p.binds.push_back({"/usr", s + "/usr", false, false, LockedFlags("/usr")});
  // /bin, /lib, … : mirror the host (symlinks on a usr-merged system, read-only binds otherwise).
  for (const char* d : {"/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"}) {
    struct stat lst;
    if (lstat(d, &lst) != 0) continue;
    if (S_ISLNK(lst.st_mode)) {
      char buf[256];
      ssize_t n = readlink(d, buf, sizeof(buf) - 1);
      if (n <= 0) continue;
      p.symlinks.push_back({std::string(buf, static_cast<size_t>(n)), s + d});
    } else if (S_ISDIR(lst.st_mode)) {
      p.dirs.push_back(s + d);
      p.binds.push_back({d, s + d, false, false, LockedFlags(d)});
    }
  }
  for (const std::string& extra : extra_ro_binds) {
    struct stat est;
    if (stat(extra.c_str(), &est) != 0) {
      return absl::InvalidArgumentError(absl::StrCat("extra bind ", extra, " does not exist"));
    }
    if (extra.empty() || extra[0] != '/' || extra.find("..") != std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat("extra bind ", extra, " is not a clean absolute path"));
    }
    for (size_t i = 1; i < extra.size(); ++i) {
      if (extra[i] == '/') p.dirs.push_back(s + extra.substr(0, i));
    }
    if (S_ISDIR(est.st_mode)) p.dirs.push_back(s + extra);
    p.binds.push_back({extra, s + extra, !S_ISDIR(est.st_mode), false, LockedFlags(extra)});
  }
  if (access("/etc/ld.so.cache", R_OK) == 0) {
    p.binds.push_back({"/etc/ld.so.cache", s + "/etc/ld.so.cache", true, false,
                       LockedFlags("/etc/ld.so.cache")});
  }
  for (const char* dev : {"/dev/null", "/dev/zero", "/dev/urandom"}) {
    p.binds.push_back({dev, s + dev, true, true, LockedFlags(dev) & ~MS_RDONLY});
  }
  p.symlinks.push_back({"/proc/self/fd", s + "/dev/fd"});
  p.symlinks.push_back({"/proc/self/fd/0", s + "/dev/stdin"});
  p.symlinks.push_back({"/proc/self/fd/1", s + "/dev/stdout"});
  p.symlinks.push_back({"/proc/self/fd/2", s + "/dev/stderr"});
  p.files.push_back({s + "/etc/passwd",
                     absl::StrCat("root:x:0:0:root:/:/bin/false\nsandbox:x:", kSandboxUid, ":",
                                  kSandboxGid, ":sandbox:/work:/bin/sh\n")});
  p.files.push_back({s + "/etc/group", absl::StrCat("root:x:0:\nsandbox:x:", kSandboxGid, ":\n")});
  p.files.push_back({s + "/etc/hosts", "127.0.0.1 localhost sandbox\n"});
  return p;
}

int BuildRootTree(const MountPlan& p, SetupStep* failed) {
  // Stop our mounts from propagating back to the host (and the host's into us).
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    *failed = SetupStep::kMountPrivate;
    return errno;
  }
  if (mount("tmpfs", p.stage.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, p.root_options.c_str()) != 0) {
    *failed = SetupStep::kMountRootTmpfs;
    return errno;
  }
  *failed = SetupStep::kMakeRootTree;
  for (const std::string& d : p.dirs) {
    if (mkdir(d.c_str(), 0755) != 0 && errno != EEXIST) return errno;
  }
  for (const auto& l : p.symlinks) {
    if (symlink(l.target.c_str(), l.path.c_str()) != 0) return errno;
  }
  for (const auto& b : p.binds) {
    if (b.is_file) {
      int fd = open(b.target.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
      if (fd < 0) return errno;
      close(fd);
    }
    if (mount(b.source.c_str(), b.target.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) {
      *failed = SetupStep::kBindMount;
      return errno;
    }
    unsigned long flags = MS_BIND | MS_REMOUNT | MS_NOSUID | b.locked_flags;
    if (!b.writable) flags |= MS_RDONLY | MS_NODEV;
    if (mount(nullptr, b.target.c_str(), nullptr, flags, nullptr) != 0) {
      *failed = SetupStep::kRemountBindReadOnly;
      return errno;
    }
    *failed = SetupStep::kMakeRootTree;
  }
  *failed = SetupStep::kWriteEtc;
  for (const auto& f : p.files) {
    int err = WriteWholeFile(f.path.c_str(), f.content, 0644);
    if (err != 0) return err;
  }
  *failed = SetupStep::kNone;
  return 0;
}

int EnterRoot(const MountPlan& p, SetupStep* failed) {
  *failed = SetupStep::kMountScratch;
  if (mount("tmpfs", p.stage_work.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, p.work_options.c_str()) != 0 ||
      mount("tmpfs", p.stage_tmp.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, p.tmp_options.c_str()) != 0) {
    return errno;
  }
  // procfs may only be mounted in a user namespace while another, fully visible, one is in the
  // mount namespace: mount ours before the host's goes away with the old root.
  *failed = SetupStep::kMountProc;
  if (mount("proc", p.stage_proc.c_str(), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0) {
    return errno;
  }
  // pivot_root(".", ".") stacks the old root on top of the new one; detaching it leaves only the
  // new root, with no path back to the host tree.
  *failed = SetupStep::kPivotRoot;
  if (chdir(p.stage.c_str()) != 0) return errno;
  if (syscall(SYS_pivot_root, ".", ".") != 0) return errno;
  if (umount2(".", MNT_DETACH) != 0) return errno;
  if (chdir("/") != 0) return errno;
  *failed = SetupStep::kRemountRootReadOnly;
  if (mount(nullptr, "/", nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, nullptr) != 0) {
    return errno;
  }
  *failed = SetupStep::kNone;
  return 0;
}

int ApplyMountPlan(const MountPlan& p, SetupStep* failed) {
  if (int err = BuildRootTree(p, failed); err != 0) return err;
  return EnterRoot(p, failed);
}

int SealRootTemplate(const MountPlan& p) {
  unsigned long flags = MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV;
  if (mount(nullptr, p.stage.c_str(), nullptr, flags, nullptr) != 0) return errno;
  return 0;
}

int EnterRootTemplate(const MountPlan& p, SetupStep* failed) {
  // The template's mounts came into this namespace locked (it belongs to a less privileged user
  // namespace), and pivot_root refuses a locked new root: a recursive bind of the stage onto
  // itself is an unlocked copy of the whole tree, still read-only.
  *failed = SetupStep::kBindMount;
  if (mount(p.stage.c_str(), p.stage.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) return errno;
  return EnterRoot(p, failed);
}

int MountScratch(const char* work_options, const char* tmp_options) {
  if (mount("tmpfs", "/work", "tmpfs", MS_NOSUID | MS_NODEV, work_options) != 0) return errno;
  if (mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, tmp_options) != 0) return errno;
  return 0;
}

int ResizeScratch(uint64_t bytes) {
  char options[64];
  // snprintf is not async-signal-safe in general, but this format (integers only) does not allocate.
  std::snprintf(options, sizeof(options), "size=%llu,nr_inodes=4096", static_cast<unsigned long long>(bytes));
  for (const char* dir : {"/work", "/tmp"}) {
    if (mount(nullptr, dir, nullptr, MS_REMOUNT | MS_NOSUID | MS_NODEV, options) != 0) return errno;
  }
  return 0;
}

int MountProc() {
  if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0) return errno;
  return 0;
}

}  // namespace rlvr::sandbox
