// The pre-tokenizer's split regex with the semantics of Hugging Face `tokenizers`, which runs it
// with Oniguruma: leftmost match, top-level alternatives tried in order (Perl/Python style, not
// POSIX longest), Unicode \s \d \w, and the negative lookahead in `\s+(?!\S)`.
//
// RE2 has no lookaround, so the pattern is translated: \s \S \d \D \w \W become explicit Unicode
// classes (RE2's own are ASCII-only), and a top-level alternative that is exactly `\s+(?!\S)` is
// taken out of the RE2 program and emulated. With backtracking, `\s+(?!\S)` at a whitespace
// character matches the whitespace run up to the end of the text, or the run minus its last
// character when a non-space follows; it cannot match a single space before a non-space. At each
// start position the emulated alternative keeps its place in the alternation: it loses to an
// earlier alternative that matches there and wins over later ones. Other lookarounds are rejected.
//
// Also here: the strict UTF-8 decoding and the Unicode White_Space set the tokenizer shares.
#ifndef RLVR_MODEL_INTERNAL_SPLIT_PATTERN_H_
#define RLVR_MODEL_INTERNAL_SPLIT_PATTERN_H_

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace re2 {
class RE2;
}  // namespace re2

namespace rlvr::model::internal {

// The split regexes of the model families (from their tokenizer.json files).
inline constexpr char kLlama3SplitRegex[] =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3})"
    R"(| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
inline constexpr char kQwen2SplitRegex[] =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N})"
    R"(| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
// What the ByteLevel pre-tokenizer splits with when its use_regex is true.
inline constexpr char kGpt2SplitRegex[] =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

// Length of the UTF-8 character at `pos` of `s`, storing its code point in `*cp`; 0 when the
// bytes there are not a valid character (overlong forms, surrogates and values above U+10FFFF
// are invalid, as in Rust's str) or `pos` is at the end.
size_t DecodeUtf8(std::string_view s, size_t pos, char32_t* cp);
// UTF-8 of a code point below 0x110000.
std::string EncodeUtf8(char32_t cp);
// Unicode White_Space: Oniguruma's \s and Rust's char::is_whitespace.
bool IsUnicodeSpace(char32_t cp);

class SplitPattern {
 public:
  // Compiles an Oniguruma-syntax regex. INVALID_ARGUMENT, naming the pattern, when it uses a
  // lookaround other than the `\s+(?!\S)` alternative, a nested character class, or anything
  // RE2 does not compile.
  static absl::StatusOr<std::unique_ptr<SplitPattern>> Create(std::string_view pattern);
  // A pattern that matches `literal` verbatim.
  static absl::StatusOr<std::unique_ptr<SplitPattern>> Literal(std::string_view literal);
  ~SplitPattern();

  // Appends the [begin, end) byte ranges of the successive non-overlapping matches in `text`, as
  // Oniguruma's search loop finds them; empty matches are left out. `text` must be valid UTF-8.
  // Thread-safe.
  void FindMatches(std::string_view text, std::vector<std::pair<size_t, size_t>>* matches) const;

  const std::string& pattern() const { return pattern_; }

 private:
  SplitPattern() = default;

  std::string pattern_;               // as given
  std::unique_ptr<re2::RE2> all_;     // every alternative but `\s+(?!\S)`; null when none
  std::unique_ptr<re2::RE2> before_;  // the alternatives before `\s+(?!\S)`; null when none
  bool has_lookahead_ = false;        // whether the pattern has the `\s+(?!\S)` alternative
};

}  // namespace rlvr::model::internal

#endif  // RLVR_MODEL_INTERNAL_SPLIT_PATTERN_H_
