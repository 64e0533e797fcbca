#include "sampler/kv_cache.h"

#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace rlvr::sampler {
namespace {

TEST(PagePoolTest, AllocatesEveryPageOnceAndFreesAtZeroReferences) {
  PagePool pool(3, 4);
  std::vector<int32_t> got;
  for (int i = 0; i < 3; ++i) got.push_back(pool.Allocate());
  EXPECT_EQ(pool.Allocate(), -1);
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<int32_t>{0, 1, 2}));
  pool.Ref(1);
  pool.Unref(1);
  EXPECT_EQ(pool.free_count(), 0);
  pool.Unref(1);
  EXPECT_EQ(pool.free_count(), 1);
  EXPECT_EQ(pool.Allocate(), 1);
  EXPECT_EQ(pool.PagesFor(0), 0);
  EXPECT_EQ(pool.PagesFor(4), 1);
  EXPECT_EQ(pool.PagesFor(5), 2);
}

TEST(KvCacheTest, ForkSharesAndCopiesThePartlyFilledLastPageOnWrite) {
  PagePool pool(8, 4);
  std::vector<std::pair<int32_t, int32_t>> copies;
  auto copy = [&](int32_t from, int32_t to) { copies.emplace_back(from, to); };
  SequenceKv prompt;
  ASSERT_TRUE(Reserve(pool, prompt, 6, copy).ok());  // 6 positions: 2 pages, the last half full
  prompt.length = 6;
  ASSERT_EQ(prompt.pages.size(), 2u);
  SequenceKv a = Fork(pool, prompt), b = Fork(pool, prompt);
  EXPECT_EQ(pool.refcount(prompt.pages[0]), 3);
  EXPECT_EQ(pool.used(), 2);

  ASSERT_TRUE(Reserve(pool, a, 7, copy).ok());
  a.length = 7;
  ASSERT_EQ(copies.size(), 1u);  // a writes into the shared page: it gets its own copy
  EXPECT_EQ(copies[0].first, prompt.pages[1]);
  EXPECT_NE(a.pages[1], prompt.pages[1]);
  EXPECT_EQ(a.pages[0], prompt.pages[0]);  // full pages stay shared
  ASSERT_TRUE(Reserve(pool, a, 8, copy).ok());  // its own page now: no copy
  EXPECT_EQ(copies.size(), 1u);

  Release(pool, prompt);
  ASSERT_TRUE(Reserve(pool, b, 7, copy).ok());  // b is now the only owner of the old last page
  EXPECT_EQ(copies.size(), 1u);
  Release(pool, a);
  Release(pool, b);
  EXPECT_EQ(pool.used(), 0);
}

TEST(KvCacheTest, FullPageBoundaryNeedsNoCopy) {
  PagePool pool(4, 4);
  int copies = 0;
  auto copy = [&](int32_t, int32_t) { ++copies; };
  SequenceKv prompt;
  ASSERT_TRUE(Reserve(pool, prompt, 4, copy).ok());
  prompt.length = 4;
  SequenceKv a = Fork(pool, prompt);
  ASSERT_TRUE(Reserve(pool, a, 5, copy).ok());
  EXPECT_EQ(copies, 0);
  EXPECT_EQ(a.pages.size(), 2u);
}

TEST(KvCacheTest, ExhaustionIsAClearError) {
  PagePool pool(2, 4);
  auto copy = [](int32_t, int32_t) {};
  SequenceKv s;
  absl::Status st = Reserve(pool, s, 12, copy);
  EXPECT_EQ(st.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(st.message().find("KV cache full"), absl::string_view::npos) << st;
  Release(pool, s);
  EXPECT_EQ(pool.used(), 0);
}

}  // namespace
}  // namespace rlvr::sampler
