// BatchPlan: one Forward's chunks flattened into the row-indexed int32 metadata the kernels read
// (token, position and block-table offset per row; each chunk's last row), in one array so that it
// reaches the device in one copy. Also the choice of how attention splits long contexts.
#ifndef RLVR_SAMPLER_CUDA_BATCH_PLAN_H_
#define RLVR_SAMPLER_CUDA_BATCH_PLAN_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "sampler/backend.h"
#include "sampler/cuda/paged_kv.h"

namespace rlvr::sampler::cuda {

struct BatchPlan {
  int rows = 0;  // tokens of every chunk
  int chunks = 0;
  int max_len = 0;  // the longest row's position + 1
  // tokens [rows] | positions [rows] | row_tables [rows] | page_table | last_rows [chunks]
  std::vector<int32_t> ints;
  int64_t positions_at = 0, row_tables_at = 0, page_table_at = 0,
          last_rows_at = 0;  // offsets into ints
};

// Checks and flattens `chunks`. INVALID_ARGUMENT names the chunk and the value: an empty chunk, a
// negative start, a token outside [0, vocab), a block table too short for the chunk's last
// position or naming a page outside [0, num_pages), more rows or positions than int32 holds.
absl::StatusOr<BatchPlan> BuildBatchPlan(const std::vector<SequenceChunk>& chunks, int64_t vocab,
                                         int64_t page_size, int64_t num_pages);

// `plan`'s metadata where `ints` is the device (or host) copy of plan.ints.
BatchRows RowsOf(const BatchPlan& plan, const int32_t* ints);

// How attention cuts positions [0, max_len) into num_splits ranges of split_size (a multiple of
// kMinAttentionSplit): one range when rows * heads blocks already fill the device, otherwise enough
// ranges to give about two blocks per multiprocessor, each at least kMinAttentionSplit long.
struct AttentionSplit {
  int num_splits = 1;
  int split_size = kMinAttentionSplit;
};
AttentionSplit ChooseAttentionSplit(int64_t row_heads, int max_len, int multiprocessors);

}  // namespace rlvr::sampler::cuda

#endif  // RLVR_SAMPLER_CUDA_BATCH_PLAN_H_
