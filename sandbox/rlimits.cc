#include "sandbox/rlimits.h"

#include <cerrno>

namespace rlvr::sandbox {
namespace {

void Add(RlimitPlan& p, int resource, rlim_t soft, rlim_t hard) {
  p.entries[p.count++] = {resource, {soft, hard}};
}

}  // namespace

RlimitPlan MakeRlimitPlan(const RlimitInputs& in) {
  RlimitPlan p;
  rlim_t cpu_s = static_cast<rlim_t>((in.cpu_ms + 999) / 1000);
  Add(p, RLIMIT_CPU, cpu_s, cpu_s + 1);
  rlim_t as = in.address_space_bytes == 0 ? RLIM_INFINITY : in.address_space_bytes;
  Add(p, RLIMIT_AS, as, as);
  Add(p, RLIMIT_NPROC, static_cast<rlim_t>(in.max_processes), static_cast<rlim_t>(in.max_processes));
  Add(p, RLIMIT_FSIZE, in.file_size_bytes, in.file_size_bytes);
  Add(p, RLIMIT_NOFILE, static_cast<rlim_t>(in.open_files), static_cast<rlim_t>(in.open_files));
  Add(p, RLIMIT_CORE, 0, 0);
  Add(p, RLIMIT_MEMLOCK, 0, 0);
  Add(p, RLIMIT_MSGQUEUE, 0, 0);
  return p;
}

int ApplyRlimits(const RlimitPlan& plan) {
  for (int i = 0; i < plan.count; ++i) {
    if (setrlimit(plan.entries[i].resource, &plan.entries[i].value) != 0) return errno;
  }
  return 0;
}

}  // namespace rlvr::sandbox
