#include "sampler/cuda/batch_plan.h"

#include <algorithm>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace rlvr::sampler::cuda {

absl::StatusOr<BatchPlan> BuildBatchPlan(const std::vector<SequenceChunk>& chunks, int64_t vocab,
                                         int64_t page_size, int64_t num_pages) {
  constexpr int64_t kMaxInt32 = std::numeric_limits<int32_t>::max();
  int64_t rows = 0, table_entries = 0;
  for (size_t c = 0; c < chunks.size(); ++c) {
    const SequenceChunk& chunk = chunks[c];
    if (chunk.tokens.empty())
      return absl::InvalidArgumentError(absl::StrCat("chunk ", c, " has no tokens"));
    if (chunk.start_pos < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("chunk ", c, " starts at position ", chunk.start_pos));
    }
    const int64_t end = chunk.start_pos + static_cast<int64_t>(chunk.tokens.size());
    if (end > kMaxInt32) {
      return absl::InvalidArgumentError(absl::StrCat("chunk ", c, " reaches position ", end - 1,
                                                     "; positions are limited to ", kMaxInt32 - 1));
    }
    const int64_t pages_needed = (end + page_size - 1) / page_size;
    if (static_cast<int64_t>(chunk.pages.size()) < pages_needed) {
      return absl::InvalidArgumentError(absl::StrCat(
          "chunk ", c, " reaches position ", end - 1, " but its ", chunk.pages.size(), " pages of ",
          page_size, " positions hold ", chunk.pages.size() * page_size));
    }
    for (int64_t i = 0; i < pages_needed; ++i) {
      if (chunk.pages[i] < 0 || chunk.pages[i] >= num_pages) {
        return absl::InvalidArgumentError(absl::StrCat("chunk ", c, " names page ", chunk.pages[i],
                                                       "; the cache has ", num_pages, " pages"));
      }
    }
    for (size_t i = 0; i < chunk.tokens.size(); ++i) {
      if (chunk.tokens[i] < 0 || chunk.tokens[i] >= vocab) {
        return absl::InvalidArgumentError(absl::StrCat("chunk ", c, " token ", i, " is ",
                                                       chunk.tokens[i], "; the vocabulary has ",
                                                       vocab, " tokens"));
      }
    }
    rows += static_cast<int64_t>(chunk.tokens.size());
    table_entries += pages_needed;
  }
  if (3 * rows + table_entries + static_cast<int64_t>(chunks.size()) > kMaxInt32) {
    return absl::InvalidArgumentError(absl::StrCat("the batch has ", rows, " tokens and ",
                                                   table_entries,
                                                   " pages; too many for int32 indices"));
  }

  BatchPlan plan;
  plan.rows = static_cast<int>(rows);
  plan.chunks = static_cast<int>(chunks.size());
  plan.positions_at = rows;
  plan.row_tables_at = 2 * rows;
  plan.page_table_at = 3 * rows;
  plan.last_rows_at = 3 * rows + table_entries;
  plan.ints.resize(plan.last_rows_at + plan.chunks);
  int32_t* tokens = plan.ints.data();
  int32_t* positions = tokens + plan.positions_at;
  int32_t* row_tables = tokens + plan.row_tables_at;
  int32_t* page_table = tokens + plan.page_table_at;
  int32_t* last_rows = tokens + plan.last_rows_at;
  int32_t row = 0, table_at = 0;
  for (int c = 0; c < plan.chunks; ++c) {
    const SequenceChunk& chunk = chunks[c];
    const int64_t end = chunk.start_pos + static_cast<int64_t>(chunk.tokens.size());
    const int64_t pages_needed = (end + page_size - 1) / page_size;
    std::copy_n(chunk.pages.begin(), pages_needed, page_table + table_at);
    for (size_t i = 0; i < chunk.tokens.size(); ++i, ++row) {
      tokens[row] = chunk.tokens[i];
      positions[row] = static_cast<int32_t>(chunk.start_pos + static_cast<int64_t>(i));
      row_tables[row] = table_at;
    }
    last_rows[c] = row - 1;
    table_at += static_cast<int32_t>(pages_needed);
    plan.max_len = std::max(plan.max_len, static_cast<int>(end));
  }
  return plan;
}

BatchRows RowsOf(const BatchPlan& plan, const int32_t* ints) {
  BatchRows rows;
  rows.positions = ints + plan.positions_at;
  rows.row_tables = ints + plan.row_tables_at;
  rows.page_table = ints + plan.page_table_at;
  rows.rows = plan.rows;
  return rows;
}

AttentionSplit ChooseAttentionSplit(int64_t row_heads, int max_len, int multiprocessors) {
  const int64_t tiles =
      std::max<int64_t>(1, (int64_t{max_len} + kMinAttentionSplit - 1) / kMinAttentionSplit);
  const int64_t wanted_blocks = 2 * int64_t{std::max(multiprocessors, 1)};
  const int64_t per_row_head =
      (wanted_blocks + std::max<int64_t>(row_heads, 1) - 1) / std::max<int64_t>(row_heads, 1);
  const int64_t splits = std::clamp<int64_t>(per_row_head, 1, tiles);
  AttentionSplit split;
  split.split_size = static_cast<int>((tiles + splits - 1) / splits * kMinAttentionSplit);
  split.num_splits = static_cast<int>((int64_t{max_len} + split.split_size - 1) / split.split_size);
  split.num_splits = std::max(split.num_splits, 1);
  return split;
}

}  // namespace rlvr::sampler::cuda
