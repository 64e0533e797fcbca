// The seccomp policy: allow by default, deny what a test program (Python 3, a C++17 binary, the
// compiler driving cc1plus/as/ld) never needs and what would widen its reach. Denied calls fail
// with EPERM rather than killing, so runtimes that probe (e.g. io_uring, clone3) fall back
// cleanly and a test can assert on errno. Calls for any other architecture (i386 `int 0x80`, x32)
// kill the process: the filter is built for the native ABI only.
//
// Namespaces and mounts are already unreachable through the user namespace (we own none of the
// host's); the filter is the second wall, and it also shrinks the kernel surface reachable by a
// local exploit.
#include "sandbox/seccomp_policy.h"

#include <errno.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <mutex>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"

namespace rlvr::sandbox {
namespace {

struct Denied {
  const char* name;
  const char* why;
};

// Denied outright with EPERM.
constexpr Denied kDenied[] = {
    // Looking into or steering other processes.
    {"ptrace", "debugging other processes (and escaping seccomp through them)"},
    {"process_vm_readv", "reading another process's memory"},
    {"process_vm_writev", "writing another process's memory"},
    {"kcmp", "comparing kernel objects of other processes"},
    {"pidfd_getfd", "stealing another process's file descriptors"},
    // Changing the filesystem view or namespaces.
    {"mount", "mounting"},
    {"umount2", "unmounting (e.g. revealing what a mount hides)"},
    {"pivot_root", "changing the root"},
    {"chroot", "changing the root"},
    {"unshare", "new namespaces (user namespaces give back capabilities)"},
    {"setns", "joining other namespaces"},
    {"open_tree", "new mount API"},
    {"move_mount", "new mount API"},
    {"fsopen", "new mount API"},
    {"fsconfig", "new mount API"},
    {"fsmount", "new mount API"},
    {"fspick", "new mount API"},
    {"mount_setattr", "new mount API"},
    {"open_by_handle_at", "opening files by handle, bypassing path lookup (shocker)"},
    {"name_to_handle_at", "file handles"},
    {"quotactl", "quota administration"},
    {"swapon", "swap administration"},
    {"swapoff", "swap administration"},
    // Kernel surface a test program never needs, frequent home of local exploits.
    {"bpf", "loading BPF programs"},
    {"perf_event_open", "performance counters (side channels, exploits)"},
    {"userfaultfd", "stalling the kernel on page faults (exploit primitive)"},
    {"io_uring_setup", "io_uring (bypasses this filter for the I/O it performs)"},
    {"io_uring_enter", "io_uring"},
    {"io_uring_register", "io_uring"},
    {"keyctl", "kernel keyrings (shared across namespaces)"},
    {"add_key", "kernel keyrings"},
    {"request_key", "kernel keyrings"},
    {"kexec_load", "replacing the kernel"},
    {"kexec_file_load", "replacing the kernel"},
    {"init_module", "loading kernel modules"},
    {"finit_module", "loading kernel modules"},
    {"delete_module", "unloading kernel modules"},
    {"reboot", "rebooting"},
    {"acct", "process accounting"},
    {"syslog", "reading the kernel log"},
    {"settimeofday", "setting the clock"},
    {"clock_settime", "setting the clock"},
    {"clock_adjtime", "setting the clock"},
    {"adjtimex", "setting the clock"},
    {"sethostname", "host name (already a private uts namespace)"},
    {"setdomainname", "domain name"},
    {"iopl", "raw port I/O"},
    {"ioperm", "raw port I/O"},
    {"lookup_dcookie", "profiling internals"},
    {"fanotify_init", "watching the filesystem"},
    {"vhangup", "terminal hangup"},
    {"uselib", "obsolete loader entry point"},
    {"personality", "changing the ABI personality (e.g. disabling ASLR)"},
    {"nfsservctl", "obsolete"},
    {"clone3", "clone3 cannot be filtered on flags; glibc falls back to clone (ENOSYS below)"},
    // System V IPC and POSIX message queues: a channel between runs that share an ipc namespace
    // (spawner.h). POSIX semaphores and shared memory (sem_open, shm_open) are files, not syscalls.
    {"shmget", "System V shared memory"},
    {"shmat", "System V shared memory"},
    {"shmdt", "System V shared memory"},
    {"shmctl", "System V shared memory"},
    {"msgget", "System V message queues"},
    {"msgsnd", "System V message queues"},
    {"msgrcv", "System V message queues"},
    {"msgctl", "System V message queues"},
    {"semget", "System V semaphores"},
    {"semop", "System V semaphores"},
    {"semtimedop", "System V semaphores"},
    {"semctl", "System V semaphores"},
    {"mq_open", "POSIX message queues"},
    {"mq_unlink", "POSIX message queues"},
    {"mq_timedsend", "POSIX message queues"},
    {"mq_timedreceive", "POSIX message queues"},
    {"mq_notify", "POSIX message queues"},
    {"mq_getsetattr", "POSIX message queues"},
};

}  // namespace

sock_fprog SeccompProgram::Fprog() const {
  sock_fprog p;
  p.len = static_cast<unsigned short>(filter.size());
  p.filter = const_cast<sock_filter*>(filter.data());
  return p;
}

bool IsSetupRule(const char* name) {
  for (const char* setup : {"mount", "umount2", "pivot_root", "unshare", "setns", "sethostname", "clone",
                            "clone3"}) {
    if (std::strcmp(name, setup) == 0) return true;
  }
  return false;
}

absl::StatusOr<SeccompProgram> BuildSeccompProgram(SeccompRules rules) {
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (ctx == nullptr) return absl::InternalError("seccomp_init failed");
  absl::Cleanup release = [ctx] { seccomp_release(ctx); };
  // We set PR_SET_NO_NEW_PRIVS ourselves, explicitly, before loading.
  seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
  seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);

  seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);  // a binary tree: shorter paths, cheaper load

  auto add = [&](uint32_t action, const char* name, unsigned count,
                 const scmp_arg_cmp* args) -> absl::Status {
    if (rules != SeccompRules::kAll && IsSetupRule(name) != (rules == SeccompRules::kSetup)) {
      return absl::OkStatus();
    }
    int nr = seccomp_syscall_resolve_name(name);
    if (nr == __NR_SCMP_ERROR) return absl::OkStatus();  // not on this architecture
    int rc = seccomp_rule_add_array(ctx, action, nr, count, args);
    if (rc != 0) {
      return absl::InternalError(absl::StrCat("seccomp rule for ", name, ": ", strerror(-rc)));
    }
    return absl::OkStatus();
  };

  for (const Denied& d : kDenied) {
    uint32_t action = std::strcmp(d.name, "clone3") == 0 ? SCMP_ACT_ERRNO(ENOSYS)
                                                         : SCMP_ACT_ERRNO(EPERM);
    absl::Status s = add(action, d.name, 0, nullptr);
    if (!s.ok()) return s;
  }
  // clone: threads and fork yes, new namespaces no.
  const uint64_t ns_flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET |
                            CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP | CLONE_NEWTIME;
  // Rule: deny when (flags & ns_flags) != 0. libseccomp matches the listed comparisons, so we
  // add one rule per flag bit.
  for (uint64_t bit = 1; bit != 0; bit <<= 1) {
    if ((ns_flags & bit) == 0) continue;
    scmp_arg_cmp c = SCMP_A0(SCMP_CMP_MASKED_EQ, bit, bit);
    absl::Status s = add(SCMP_ACT_ERRNO(EPERM), "clone", 1, &c);
    if (!s.ok()) return s;
  }
  // Sockets: only AF_UNIX (socketpair, local IPC inside the run). No IP, no netlink, no packet
  // sockets — the net namespace is empty anyway; this closes the kernel's protocol code too.
  {
    scmp_arg_cmp c = SCMP_A0(SCMP_CMP_NE, AF_UNIX);
    absl::Status s = add(SCMP_ACT_ERRNO(EACCES), "socket", 1, &c);
    if (!s.ok()) return s;
    s = add(SCMP_ACT_ERRNO(EACCES), "socketpair", 1, &c);
    if (!s.ok()) return s;
  }
  // ioctl(TIOCSTI) pushes input into a terminal; there is none, deny it anyway.
  {
    scmp_arg_cmp c = SCMP_A1(SCMP_CMP_EQ, 0x5412 /* TIOCSTI */);
    absl::Status s = add(SCMP_ACT_ERRNO(EPERM), "ioctl", 1, &c);
    if (!s.ok()) return s;
  }

  int fd = memfd_create("rlvr-seccomp", MFD_CLOEXEC);
  if (fd < 0) return absl::InternalError(absl::StrCat("memfd_create: ", strerror(errno)));
  absl::Cleanup close_fd = [fd] { close(fd); };
  int rc = seccomp_export_bpf(ctx, fd);
  if (rc != 0) return absl::InternalError(absl::StrCat("seccomp_export_bpf: ", strerror(-rc)));
  off_t size = lseek(fd, 0, SEEK_END);
  if (size <= 0 || size % sizeof(sock_filter) != 0) {
    return absl::InternalError("seccomp_export_bpf produced an empty program");
  }
  SeccompProgram prog;
  prog.filter.resize(static_cast<size_t>(size) / sizeof(sock_filter));
  if (pread(fd, prog.filter.data(), static_cast<size_t>(size), 0) != size) {
    return absl::InternalError(absl::StrCat("reading exported BPF: ", strerror(errno)));
  }
  return prog;
}

absl::StatusOr<const SeccompProgram*> SharedSeccompProgram(SeccompRules rules) {
  static absl::StatusOr<SeccompProgram>* const shared[3] = {
      new absl::StatusOr<SeccompProgram>(BuildSeccompProgram(SeccompRules::kAll)),
      new absl::StatusOr<SeccompProgram>(BuildSeccompProgram(SeccompRules::kSetup)),
      new absl::StatusOr<SeccompProgram>(BuildSeccompProgram(SeccompRules::kRest)),
  };
  const absl::StatusOr<SeccompProgram>* p = shared[static_cast<int>(rules)];
  if (!p->ok()) return p->status();
  return &p->value();
}

int LoadSeccompProgram(const sock_fprog& prog) {
  if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) != 0) return errno;
  return 0;
}

}  // namespace rlvr::sandbox
