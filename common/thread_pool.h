// A fixed-size thread pool with a bounded queue: the place where services do their real work.
#ifndef RLVR_COMMON_THREAD_POOL_H_
#define RLVR_COMMON_THREAD_POOL_H_

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"

namespace rlvr {

// Runs submitted tasks on `num_threads` workers. The queue holds at most `max_queue` tasks waiting
// to start; TrySubmit never blocks and answers RESOURCE_EXHAUSTED when it is full (backpressure).
// Thread-safe. The destructor stops accepting work, runs every task already queued, then joins.
class ThreadPool {
 public:
  // `on_thread_exit`, if set, runs on each worker just before it exits (to free thread-local caches).
  ThreadPool(size_t num_threads, size_t max_queue, std::function<void()> on_thread_exit = {});
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // Queues `task`. RESOURCE_EXHAUSTED when the queue is full, UNAVAILABLE after shutdown began.
  absl::Status TrySubmit(std::function<void()> task);

  // Tasks waiting to start (for a queue-depth gauge).
  size_t queue_depth() const;
  size_t num_threads() const { return workers_.size(); }
  size_t max_queue() const { return max_queue_; }

 private:
  void WorkerLoop();

  const size_t max_queue_;
  const std::function<void()> on_thread_exit_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> workers_;
};

}  // namespace rlvr

#endif  // RLVR_COMMON_THREAD_POOL_H_
