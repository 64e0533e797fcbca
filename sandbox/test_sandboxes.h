// Test helper (header only, for the sandbox and security tests): process-wide sandboxes.
#ifndef RLVR_SANDBOX_TEST_SANDBOXES_H_
#define RLVR_SANDBOX_TEST_SANDBOXES_H_

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "sandbox/sandbox.h"

namespace rlvr::sandbox {

// A sandbox whose cold runs build their root and network namespace from scratch (the path taken
// without root or with cgroup v2 slots), without a zygote. Created on first use; aborts with the
// reason if it cannot be.
inline Sandbox& FromScratchSandbox() {
  static Sandbox* s = [] {
    Options o;
    o.warm_python = false;
    o.prebuilt_root = false;
    absl::StatusOr<std::unique_ptr<Sandbox>> sb = Sandbox::Create(o);
    if (!sb.ok()) {
      std::fprintf(stderr, "cannot create sandbox: %s\n", std::string(sb.status().message()).c_str());
      std::abort();
    }
    return sb->release();
  }();
  return *s;
}

}  // namespace rlvr::sandbox

#endif  // RLVR_SANDBOX_TEST_SANDBOXES_H_
