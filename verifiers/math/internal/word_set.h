// A fixed list of words with O(1) membership: the lexer and parser look words up for every
// command and identifier token, and a linear scan of a 90-entry list showed up in profiles.
#ifndef RLVR_VERIFIERS_MATH_INTERNAL_WORD_SET_H_
#define RLVR_VERIFIERS_MATH_INTERNAL_WORD_SET_H_

#include <iterator>
#include <string_view>

#include "absl/container/flat_hash_set.h"

namespace rlvr::math::internal {

class WordSet {
 public:
  // `words` must outlive the set (string literals do).
  template <typename List>
  explicit WordSet(const List& words) : set_(std::begin(words), std::end(words)) {}

  bool contains(std::string_view word) const { return set_.contains(word); }

 private:
  absl::flat_hash_set<std::string_view> set_;
};

}  // namespace rlvr::math::internal

#endif  // RLVR_VERIFIERS_MATH_INTERNAL_WORD_SET_H_
