#include "sampler/parallel_for.h"

#include <algorithm>

namespace rlvr::sampler {
namespace {

void Range(int64_t n, int parts, int index, int64_t* begin, int64_t* end) {
  const int64_t chunk = n / parts, extra = n % parts;
  *begin = index * chunk + std::min<int64_t>(index, extra);
  *end = *begin + chunk + (index < extra ? 1 : 0);
}

}  // namespace

WorkerGroup::WorkerGroup(int threads) {
  for (int i = 1; i < std::max(threads, 1); ++i) workers_.emplace_back([this, i] { Loop(i); });
}

WorkerGroup::~WorkerGroup() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  for (std::thread& t : workers_) t.join();
}

void WorkerGroup::For(int64_t n, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  const int parts = size();
  if (parts == 1 || n == 1) {
    fn(0, n);
    return;
  }
  {
    absl::MutexLock lock(&mu_);
    n_ = n;
    fn_ = &fn;
    pending_ = parts - 1;
    ++generation_;
  }
  int64_t begin, end;
  Range(n, parts, 0, &begin, &end);
  if (begin < end) fn(begin, end);
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](int* pending) { return *pending == 0; }, &pending_));
  fn_ = nullptr;
}

void WorkerGroup::Loop(int index) {
  uint64_t seen = 0;
  while (true) {
    const std::function<void(int64_t, int64_t)>* fn;
    int64_t n;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stop_ || generation_ != seen; };
      mu_.Await(absl::Condition(&ready));
      if (stop_) return;
      seen = generation_;
      fn = fn_;
      n = n_;
    }
    int64_t begin, end;
    Range(n, size(), index, &begin, &end);
    if (begin < end) (*fn)(begin, end);
    absl::MutexLock lock(&mu_);
    --pending_;
  }
}

}  // namespace rlvr::sampler
