#include "common/thread_pool.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace rlvr {

ThreadPool::ThreadPool(size_t num_threads, size_t max_queue, std::function<void()> on_thread_exit)
    : max_queue_(max_queue), on_thread_exit_(std::move(on_thread_exit)) {
  if (num_threads == 0) num_threads = 1;
  workers_.reserve(num_threads);
  for (size_t i = 0; i < num_threads; ++i) workers_.emplace_back([this] { WorkerLoop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (std::thread& worker : workers_) worker.join();
}

absl::Status ThreadPool::TrySubmit(std::function<void()> task) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return absl::UnavailableError("thread pool is shutting down");
    if (queue_.size() >= max_queue_) {
      return absl::ResourceExhaustedError(
          absl::StrCat("work queue is full (", queue_.size(), " of ", max_queue_, " tasks waiting)"));
    }
    queue_.push_back(std::move(task));
  }
  cv_.notify_one();
  return absl::OkStatus();
}

size_t ThreadPool::queue_depth() const {
  std::lock_guard<std::mutex> lock(mu_);
  return queue_.size();
}

void ThreadPool::WorkerLoop() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) break;  // stopping and drained
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task();
  }
  if (on_thread_exit_) on_thread_exit_();
}

}  // namespace rlvr
