// A bounded cache of compile outcomes keyed by (language, source): each distinct program is
// compiled once, however many tests and identical samples need it, even when they ask at the same
// moment (later callers wait for the first). Least recently used entries go first.
#ifndef RLVR_VERIFIERS_CODE_COMPILE_CACHE_H_
#define RLVR_VERIFIERS_CODE_COMPILE_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <string>
#include <unordered_map>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace rlvr::code {

struct CompileOutcome {
  enum Kind { kOk, kCompileError, kSandboxError };
  Kind kind = kSandboxError;
  std::string artifact;     // kOk: the compiled program
  std::string diagnostics;  // compiler stderr, or the sandbox error
  int64_t wall_ms = 0, cpu_ms = 0;
};

class CompileCache {
 public:
  // Holds at most `max_bytes` of artifacts, diagnostics and keys.
  explicit CompileCache(size_t max_bytes) : max_bytes_(max_bytes) {}

  // The outcome for `key`, computing it with `compile` when no one has. kSandboxError outcomes
  // are returned but not kept (the next caller tries again). Thread-safe; `compile` runs without
  // the lock held.
  std::shared_ptr<const CompileOutcome> GetOrCompile(const std::string& key,
                                                     const std::function<CompileOutcome()>& compile);

  int64_t hits() const;
  int64_t misses() const;

 private:
  struct Entry {
    std::shared_ptr<const CompileOutcome> outcome;  // null while compiling
    std::list<std::string>::iterator lru;
    size_t bytes = 0;
  };
  void EvictLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const size_t max_bytes_;
  mutable absl::Mutex mu_;
  absl::CondVar done_;
  std::unordered_map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
  std::list<std::string> lru_ ABSL_GUARDED_BY(mu_);  // front: most recent; compiled entries only
  size_t bytes_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t hits_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t misses_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace rlvr::code

#endif  // RLVR_VERIFIERS_CODE_COMPILE_CACHE_H_
