// Mounts: the minimal root a run sees.
//
//   /            tmpfs (1 MiB), read-only once built; owned by the host, so not writable inside
//   /usr         read-only bind of the host /usr (language runtimes, compilers)
//   /bin /lib…   symlinks into /usr, as on the (usr-merged) host; read-only binds otherwise
//   /etc         passwd, group, hosts written here; ld.so.cache bound read-only
//   /dev         null, zero, urandom bound from the host; fd, stdin, stdout, stderr symlinks
//   /proc        a fresh procfs of the run's own pid namespace
//   /work        size-capped tmpfs owned by the sandbox uid: the working directory
//   /tmp         size-capped tmpfs, mode 1777
//
// Nothing else of the host — /tmp, /root, /home, /run, sockets, /sys — exists in it. The root
// is switched with pivot_root and the old root detached, so no path leads back to the host.
//
// The plan is computed in the parent (allocations allowed); Apply* run in the child after clone
// and are async-signal-safe (only syscalls on precomputed strings).
#ifndef RLVR_SANDBOX_MOUNTS_H_
#define RLVR_SANDBOX_MOUNTS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "sandbox/setup_step.h"

namespace rlvr::sandbox {

struct MountPlan {
  struct Bind {
    std::string source;       // host path
    std::string target;       // absolute path under `stage`
    bool is_file = false;
    bool writable = false;    // /dev/null must stay writable
    unsigned long locked_flags = 0;  // MS_NOSUID/NODEV/NOEXEC the host mount has; must be kept
  };
  struct Symlink {
    std::string target;  // what the link points to
    std::string path;    // absolute path under `stage`
  };
  struct FileContent {
    std::string path;    // absolute path under `stage`
    std::string content;
  };
  std::string stage;                  // host directory the new root is mounted on (in our ns)
  std::vector<std::string> dirs;      // absolute paths under `stage`, created in order
  std::vector<Bind> binds;
  std::vector<Symlink> symlinks;
  std::vector<FileContent> files;
  std::string root_options;           // tmpfs options of /
  std::string work_options;           // tmpfs options of /work
  std::string tmp_options;            // tmpfs options of /tmp
  std::string stage_work, stage_tmp, stage_proc;  // `stage`/work, /tmp, /proc
};

// The plan for a run root. `scratch_bytes` caps /work and /tmp each. `extra_ro_binds` are host
// paths made visible read-only at the same path (e.g. a compiler outside /usr); they must exist.
// `keep_visible`: host paths bound later (AddFileBind), e.g. the zygote binary; the staging
// directory is chosen so that neither these nor the extra binds lie under it.
absl::StatusOr<MountPlan> MakeMountPlan(uint64_t scratch_bytes,
                                        const std::vector<std::string>& extra_ro_binds,
                                        const std::vector<std::string>& keep_visible = {});

// Adds a read-only bind of the host file `source` at `inside` (absolute, directly under /).
void AddFileBind(MountPlan* plan, const std::string& source, const std::string& inside);

// tmpfs options for a scratch mount of `bytes` owned by the sandbox uid ("size=…,mode=…").
std::string ScratchOptions(uint64_t bytes, bool sticky_world_writable);

// Child side: builds the root and pivots into it. On failure sets *failed and returns errno.
// The same as BuildRootTree then EnterRoot.
int ApplyMountPlan(const MountPlan& plan, SetupStep* failed);

// The two halves of ApplyMountPlan. BuildRootTree: a private mount tree, the root tmpfs on
// `stage` with its directories, binds, links and /etc files. EnterRoot: /work, /tmp and /proc,
// pivot_root into `stage`, the old root detached, / read-only.
int BuildRootTree(const MountPlan& plan, SetupStep* failed);
int EnterRoot(const MountPlan& plan, SetupStep* failed);

// Pre-built roots (spawner.h). SealRootTemplate, once, after BuildRootTree in the template's
// mount namespace: the stage becomes read-only. EnterRootTemplate, per run, in a copy of that
// namespace: an unlocked bind of the stage, then EnterRoot.
int SealRootTemplate(const MountPlan& plan);
int EnterRootTemplate(const MountPlan& plan, SetupStep* failed);

// Child side, in a fresh mount namespace of an already pivoted root (warm runs): fresh tmpfs on
// /work and /tmp. Returns errno or 0.
int MountScratch(const char* work_options, const char* tmp_options);
// Async-signal-safe: sets the size of the (empty) /work and /tmp tmpfs mounted by MountScratch.
int ResizeScratch(uint64_t bytes);

// Child side, as pid 1 of a new pid namespace: a fresh /proc. Returns errno or 0.
int MountProc();

}  // namespace rlvr::sandbox

#endif  // RLVR_SANDBOX_MOUNTS_H_
