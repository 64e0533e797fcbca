// The paged KV cache's bookkeeping (the storage lives in the backend): a pool of fixed-size
// pages with reference counts, and per-sequence block tables. n samples of one prompt share the
// prompt's pages (Fork adds a reference); a shared, partly filled last page is copied before a
// sequence writes into it (copy-on-write), so forks never see each other's tokens.
// Not thread-safe: owned by the engine's scheduler thread.
#ifndef RLVR_SAMPLER_KV_CACHE_H_
#define RLVR_SAMPLER_KV_CACHE_H_

#include <cstdint>
#include <functional>
#include <vector>

#include "absl/status/status.h"

namespace rlvr::sampler {

class PagePool {
 public:
  PagePool(int64_t num_pages, int64_t page_size);

  // A free page with reference count 1, or -1 when none is free.
  int32_t Allocate();
  void Ref(int32_t page);
  // Drops a reference; the page is free again at zero.
  void Unref(int32_t page);
  int32_t refcount(int32_t page) const { return refs_[page]; }

  int64_t page_size() const { return page_size_; }
  int64_t total() const { return static_cast<int64_t>(refs_.size()); }
  int64_t free_count() const { return static_cast<int64_t>(free_.size()); }
  int64_t used() const { return total() - free_count(); }
  // Pages needed to hold `positions` positions.
  int64_t PagesFor(int64_t positions) const { return (positions + page_size_ - 1) / page_size_; }

 private:
  int64_t page_size_;
  std::vector<int32_t> refs_;
  std::vector<int32_t> free_;
};

// One sequence's cached positions [0, length) and the pages that hold them.
struct SequenceKv {
  std::vector<int32_t> pages;
  int64_t length = 0;
};

// Makes `seq` able to hold `new_length` positions (new_length >= seq.length): allocates pages,
// and copies a shared last page that the new positions will be written into (calling
// `copy_page(from, to)` for the backend). `seq.length` is left to the caller, who sets it once the
// positions are written. RESOURCE_EXHAUSTED when the pool runs out; `seq` is
// then unchanged apart from pages already added (still owned by it, released by Release).
absl::Status Reserve(PagePool& pool, SequenceKv& seq, int64_t new_length,
                     const std::function<void(int32_t, int32_t)>& copy_page);

// A new sequence sharing every page of `seq` (one more reference each).
SequenceKv Fork(PagePool& pool, const SequenceKv& seq);

// Drops `seq`'s references and empties it.
void Release(PagePool& pool, SequenceKv& seq);

}  // namespace rlvr::sampler

#endif  // RLVR_SAMPLER_KV_CACHE_H_
