// WorkerGroup: a fixed set of threads that run one parallel loop at a time (the calling thread
// takes part). For the CPU backend's per-step work; not a general task queue.
#ifndef RLVR_SAMPLER_PARALLEL_FOR_H_
#define RLVR_SAMPLER_PARALLEL_FOR_H_

#include <cstdint>
#include <functional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace rlvr::sampler {

class WorkerGroup {
 public:
  // `threads` >= 1 participants in total (threads - 1 are started).
  explicit WorkerGroup(int threads);
  ~WorkerGroup();

  int size() const { return static_cast<int>(workers_.size()) + 1; }

  // Calls fn(begin, end) over [0, n) split into contiguous ranges, one per participant, and
  // returns when all are done. Which range a participant gets is fixed by (n, size()), so
  // results that depend only on the range are deterministic. One call at a time.
  void For(int64_t n, const std::function<void(int64_t, int64_t)>& fn);

 private:
  void Loop(int index);

  std::vector<std::thread> workers_;
  absl::Mutex mu_;
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
  int pending_ ABSL_GUARDED_BY(mu_) = 0;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  int64_t n_ ABSL_GUARDED_BY(mu_) = 0;
  const std::function<void(int64_t, int64_t)>* fn_ ABSL_GUARDED_BY(mu_) = nullptr;
};

}  // namespace rlvr::sampler

#endif  // RLVR_SAMPLER_PARALLEL_FOR_H_
