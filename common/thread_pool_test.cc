#include "common/thread_pool.h"

#include <atomic>
#include <chrono>
#include <future>

#include "gtest/gtest.h"

namespace rlvr {
namespace {

TEST(ThreadPoolTest, RunsEveryTask) {
  std::atomic<int> ran{0};
  {
    ThreadPool pool(2, 1000);
    for (int i = 0; i < 500; ++i) ASSERT_TRUE(pool.TrySubmit([&] { ran++; }).ok());
  }  // destructor drains
  EXPECT_EQ(ran.load(), 500);
}

TEST(ThreadPoolTest, FullQueueAnswersResourceExhausted) {
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  std::promise<void> started;
  ThreadPool pool(1, 2);
  ASSERT_TRUE(pool.TrySubmit([&] { started.set_value(); gate.wait(); }).ok());
  started.get_future().wait();  // the single worker is busy
  ASSERT_TRUE(pool.TrySubmit([gate] { gate.wait(); }).ok());
  ASSERT_TRUE(pool.TrySubmit([gate] { gate.wait(); }).ok());
  EXPECT_EQ(pool.queue_depth(), 2u);
  absl::Status full = pool.TrySubmit([] {});
  EXPECT_EQ(full.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(full.message().find("2 of 2"), std::string::npos) << full.message();
  release.set_value();
}

TEST(ThreadPoolTest, ExitHookRunsOnEveryWorker) {
  std::atomic<int> exited{0};
  { ThreadPool pool(3, 10, [&] { exited++; }); }
  EXPECT_EQ(exited.load(), 3);
}

TEST(ThreadPoolTest, ZeroThreadsStillRuns) {
  std::promise<int> result;
  ThreadPool pool(0, 1);
  ASSERT_TRUE(pool.TrySubmit([&] { result.set_value(7); }).ok());
  EXPECT_EQ(result.get_future().get(), 7);
}

}  // namespace
}  // namespace rlvr
