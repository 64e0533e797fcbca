#include "verifiers/code/compile_cache.h"

#include <utility>

namespace rlvr::code {

std::shared_ptr<const CompileOutcome> CompileCache::GetOrCompile(
    const std::string& key, const std::function<CompileOutcome()>& compile) {
  {
    absl::MutexLock lock(&mu_);
    while (true) {
      auto it = entries_.find(key);
      if (it == entries_.end()) break;
      if (it->second.outcome != nullptr) {
        ++hits_;
        lru_.splice(lru_.begin(), lru_, it->second.lru);
        return it->second.outcome;
      }
      done_.Wait(&mu_);  // someone is compiling it
    }
    ++misses_;
    entries_.emplace(key, Entry{nullptr, lru_.end(), 0});
  }
  auto outcome = std::make_shared<const CompileOutcome>(compile());
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(key);
  const size_t bytes = key.size() + outcome->artifact.size() + outcome->diagnostics.size();
  if (outcome->kind == CompileOutcome::kSandboxError || bytes > max_bytes_) {
    entries_.erase(it);
  } else {
    lru_.push_front(key);
    it->second.outcome = outcome;
    it->second.lru = lru_.begin();
    it->second.bytes = bytes;
    bytes_ += bytes;
    EvictLocked();
  }
  done_.SignalAll();
  return outcome;
}

void CompileCache::EvictLocked() {
  while (bytes_ > max_bytes_ && !lru_.empty()) {
    auto it = entries_.find(lru_.back());
    bytes_ -= it->second.bytes;
    entries_.erase(it);
    lru_.pop_back();
  }
}

int64_t CompileCache::hits() const {
  absl::MutexLock lock(&mu_);
  return hits_;
}

int64_t CompileCache::misses() const {
  absl::MutexLock lock(&mu_);
  return misses_;
}

}  // namespace rlvr::code
