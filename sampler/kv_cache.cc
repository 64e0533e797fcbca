#include "sampler/kv_cache.h"

#include "absl/strings/str_cat.h"

namespace rlvr::sampler {

PagePool::PagePool(int64_t num_pages, int64_t page_size)
    : page_size_(page_size), refs_(static_cast<size_t>(num_pages), 0) {
  free_.reserve(refs_.size());
  for (int64_t p = num_pages - 1; p >= 0; --p) free_.push_back(static_cast<int32_t>(p));
}

int32_t PagePool::Allocate() {
  if (free_.empty()) return -1;
  int32_t page = free_.back();
  free_.pop_back();
  refs_[page] = 1;
  return page;
}

void PagePool::Ref(int32_t page) { ++refs_[page]; }

void PagePool::Unref(int32_t page) {
  if (--refs_[page] == 0) free_.push_back(page);
}

absl::Status Reserve(PagePool& pool, SequenceKv& seq, int64_t new_length,
                     const std::function<void(int32_t, int32_t)>& copy_page) {
  const int64_t ps = pool.page_size();
  // The page the next position goes into is shared and already holds positions: copy it.
  if (new_length > seq.length && seq.length % ps != 0) {
    int32_t& last = seq.pages[static_cast<size_t>(seq.length / ps)];
    if (pool.refcount(last) > 1) {
      int32_t fresh = pool.Allocate();
      if (fresh < 0) {
        return absl::ResourceExhaustedError(
            absl::StrCat("KV cache full: no page free for copy-on-write (", pool.total(), " pages)"));
      }
      copy_page(last, fresh);
      pool.Unref(last);
      last = fresh;
    }
  }
  while (static_cast<int64_t>(seq.pages.size()) < pool.PagesFor(new_length)) {
    int32_t page = pool.Allocate();
    if (page < 0) {
      return absl::ResourceExhaustedError(
          absl::StrCat("KV cache full: ", pool.total(), " pages of ", ps, " positions in use"));
    }
    seq.pages.push_back(page);
  }
  return absl::OkStatus();
}

SequenceKv Fork(PagePool& pool, const SequenceKv& seq) {
  for (int32_t page : seq.pages) pool.Ref(page);
  return seq;
}

void Release(PagePool& pool, SequenceKv& seq) {
  for (int32_t page : seq.pages) pool.Unref(page);
  seq.pages.clear();
  seq.length = 0;
}

}  // namespace rlvr::sampler
