#include "sampler/cuda/batch_plan.h"

#include <vector>

#include "gtest/gtest.h"

namespace rlvr::sampler::cuda {
namespace {

SequenceChunk Chunk(std::vector<int32_t> tokens, int64_t start, std::vector<int32_t> pages) {
  SequenceChunk chunk;
  chunk.tokens = std::move(tokens);
  chunk.start_pos = start;
  chunk.pages = std::move(pages);
  return chunk;
}

TEST(BatchPlanTest, FlattensChunksIntoRows) {
  // A prompt chunk of 3 tokens at positions 4..6 (page size 4: pages 7 and 2) and a decode token
  // at position 0 (page 5). Unneeded trailing pages are not copied.
  auto plan = BuildBatchPlan({Chunk({10, 11, 12}, 4, {7, 2, 9}), Chunk({13}, 0, {5})}, 100, 4, 10);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->rows, 4);
  EXPECT_EQ(plan->chunks, 2);
  EXPECT_EQ(plan->max_len, 7);
  const std::vector<int32_t> want = {10, 11, 12, 13,  // tokens
                                     4,  5,  6,  0,   // positions
                                     0,  0,  0,  2,   // row tables
                                     7,  2,  5,       // page table
                                     2,  3};          // last rows
  EXPECT_EQ(plan->ints, want);
  const BatchRows rows = RowsOf(*plan, plan->ints.data());
  EXPECT_EQ(rows.rows, 4);
  EXPECT_EQ(rows.positions[1], 5);
  EXPECT_EQ(rows.row_tables[3], 2);
  EXPECT_EQ(rows.page_table[rows.row_tables[3]], 5);
  EXPECT_EQ(plan->ints[plan->last_rows_at + 1], 3);
}

TEST(BatchPlanTest, EmptyBatch) {
  auto plan = BuildBatchPlan({}, 100, 4, 10);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->rows, 0);
  EXPECT_TRUE(plan->ints.empty());
}

TEST(BatchPlanTest, RejectsBadChunks) {
  struct Case {
    SequenceChunk chunk;
    const char* message;
  };
  const Case cases[] = {
      {Chunk({}, 0, {0}), "chunk 1 has no tokens"},
      {Chunk({1}, -1, {0}), "chunk 1 starts at position -1"},
      {Chunk({100}, 0, {0}), "chunk 1 token 0 is 100; the vocabulary has 100 tokens"},
      {Chunk({-1}, 0, {0}), "token 0 is -1"},
      {Chunk({1, 2}, 3, {0}), "reaches position 4 but its 1 pages of 4 positions hold 4"},
      {Chunk({1}, 4, {0, 10}), "names page 10; the cache has 10 pages"},
      {Chunk({1}, 0, {-2}), "names page -2"},
      {Chunk({1}, int64_t{1} << 31, {}), "positions are limited to"},
  };
  for (const Case& c : cases) {
    auto plan = BuildBatchPlan({Chunk({1}, 0, {0}), c.chunk}, 100, 4, 10);
    ASSERT_FALSE(plan.ok()) << c.message;
    EXPECT_EQ(plan.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(plan.status().message().find(c.message), absl::string_view::npos) << plan.status();
  }
}

TEST(AttentionSplitTest, OneSplitWhenBlocksFillTheDevice) {
  const AttentionSplit split = ChooseAttentionSplit(/*row_heads=*/512 * 12, /*max_len=*/4000, 132);
  EXPECT_EQ(split.num_splits, 1);
  EXPECT_GE(split.split_size, 4000);
}

TEST(AttentionSplitTest, SplitsLongContextsOfSmallBatches) {
  // 4 blocks want 66 splits each, but 300 positions make 3 tiles of 128.
  const AttentionSplit split = ChooseAttentionSplit(4, 300, 132);
  EXPECT_EQ(split.num_splits, 3);
  EXPECT_EQ(split.split_size, kMinAttentionSplit);
}

TEST(AttentionSplitTest, CoversEveryPositionWithWholeTiles) {
  for (int64_t row_heads : {1, 7, 12, 100, 264, 5000}) {
    for (int max_len : {1, 127, 128, 129, 1000, 4097, 32768}) {
      const AttentionSplit s = ChooseAttentionSplit(row_heads, max_len, 132);
      SCOPED_TRACE(testing::Message() << row_heads << " blocks, " << max_len << " positions");
      EXPECT_EQ(s.split_size % kMinAttentionSplit, 0);
      EXPECT_GE(s.num_splits, 1);
      EXPECT_GE(int64_t{s.num_splits} * s.split_size, max_len);
      EXPECT_LT(int64_t{s.num_splits - 1} * s.split_size, max_len);  // no empty split
      EXPECT_LT(row_heads * (s.num_splits - 1),
                2 * 132);  // about two blocks per multiprocessor at most
    }
  }
}

}  // namespace
}  // namespace rlvr::sampler::cuda
