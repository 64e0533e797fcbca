// Tokenizer for LaTeX / plain-text math answers. Folds away the noise the parser never needs to see:
// `$` delimiters, spacing commands (\, \; \! \quad ~), \left/\right and \big sizing, \displaystyle,
// currency signs; maps Unicode math (√ π − × ÷ ½ ≤ ≥ ≠ ∞ ∈ ∪ ²) to their LaTeX tokens; accepts
// double-escaped backslashes (`\\frac`); reads numbers with thousands separators (1,000  1{,}000
// 1\,000  1 000) and resolves \text{...}-like commands into a single text token.
#ifndef RLVR_VERIFIERS_MATH_INTERNAL_LEXER_H_
#define RLVR_VERIFIERS_MATH_INTERNAL_LEXER_H_

#include <cstdint>
#include <forward_list>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace rlvr::math::internal {

enum class TokKind : uint8_t {
  kNumber,   // text: digits, at most one '.', optionally "e[+-]digits"
  kIdent,    // a run of ASCII letters
  kCommand,  // text: command name without the backslash ("frac", "{", "}", "|")
  kText,     // \text{...} and friends; text: the inner content, trimmed
  kChar,     // one punctuation char in text[0]
  kRel,      // relation; text[0] one of the kRel* chars from expr.h
  kRowSep,   // "\\" (matrix row separator)
  kEnd,
};

struct Token {
  TokKind kind;
  std::string_view text;  // into the input, into the arena given to Lex, or static
  int32_t pos;            // byte offset into the input
};

// Tokenizes `input`. INVALID_ARGUMENT for bytes that cannot be math (control characters, unknown
// non-ASCII symbols) naming the position; RESOURCE_EXHAUSTED past `max_tokens`. Token texts point
// into `input` and into *arena (texts the lexer rewrote), which must both outlive the tokens.
absl::StatusOr<std::vector<Token>> Lex(std::string_view input, int64_t max_tokens,
                                       std::forward_list<std::string>* arena);

}  // namespace rlvr::math::internal

#endif  // RLVR_VERIFIERS_MATH_INTERNAL_LEXER_H_
