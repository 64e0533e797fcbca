#include "verifiers/code/compile_cache.h"

#include <atomic>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace rlvr::code {
namespace {

CompileOutcome Ok(std::string artifact) {
  CompileOutcome o;
  o.kind = CompileOutcome::kOk;
  o.artifact = std::move(artifact);
  return o;
}

TEST(CompileCacheTest, CompilesOnceUnderConcurrency) {
  CompileCache cache(1 << 20);
  std::atomic<int> compiles{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      auto out = cache.GetOrCompile("k", [&] {
        ++compiles;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        return Ok("bin");
      });
      EXPECT_EQ(out->artifact, "bin");
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(compiles.load(), 1);
  EXPECT_EQ(cache.misses(), 1);
  EXPECT_EQ(cache.hits(), 7);
}

TEST(CompileCacheTest, EvictsLeastRecentlyUsedAndSkipsSandboxErrors) {
  CompileCache cache(250);
  int compiles = 0;
  auto get = [&](const std::string& k) {
    return cache.GetOrCompile(k, [&] {
      ++compiles;
      return Ok(std::string(100, 'x'));
    });
  };
  get("a");
  get("b");
  get("a");  // hit; b is now the oldest
  get("c");  // evicts b
  EXPECT_EQ(compiles, 3);
  get("a");
  EXPECT_EQ(compiles, 3);
  get("b");
  EXPECT_EQ(compiles, 4);
  int errors = 0;
  for (int i = 0; i < 2; ++i) {
    cache.GetOrCompile("e", [&] {
      ++errors;
      return CompileOutcome{};  // kSandboxError
    });
  }
  EXPECT_EQ(errors, 2);
}

}  // namespace
}  // namespace rlvr::code
