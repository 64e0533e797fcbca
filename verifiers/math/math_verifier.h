// The math verifier: extracts the final answer from a response, parses it and the gold answer with
// our own parser (compare.h) and decides whether they are equivalent.
//
// Outcomes and what they mean for the reward (DESIGN.md: a verifier failure is not a reward of 0):
//   kCorrect         score 1, valid.
//   kIncorrect       score 0, valid.
//   kNoAnswer        nothing in the response parses as an answer: score 0, valid.
//   kInvalidGold     the gold answer cannot be parsed: valid=false (a data error, never a silent 0).
//   kBudgetExceeded  the response is over the size limit, or parsing / comparison ran out of its
//                    work budget before a decision: valid=false, the reason says which.
//   kError           an internal error: valid=false.
#ifndef RLVR_VERIFIERS_MATH_MATH_VERIFIER_H_
#define RLVR_VERIFIERS_MATH_MATH_VERIFIER_H_

#include <optional>
#include <string>
#include <string_view>

#include "verifiers/math/compare.h"
#include "verifiers/math/extract.h"

namespace rlvr::math {

enum class Outcome { kCorrect, kIncorrect, kNoAnswer, kInvalidGold, kBudgetExceeded, kError };

// "correct", "incorrect", "no_answer", "invalid_gold", "budget_exceeded", "error".
std::string_view OutcomeName(Outcome outcome);

struct MathVerdict {
  Outcome outcome = Outcome::kError;
  double score = 0.0;   // 1.0 for kCorrect, else 0.0
  bool valid = false;   // false for kInvalidGold, kBudgetExceeded, kError
  std::string extracted;  // the response's answer that was compared (at most 1 KiB), or ""
  std::string reason;     // short, for logs and the wire
};

struct MathVerifyOptions {
  CompareOptions compare;
  // Applied to responses and gold answers alike.
  ExtractOptions extract;
};

// A gold answer parsed once, for verifying many responses against it (a group). Immutable;
// safe to share across threads.
struct PreparedGold {
  std::optional<ParsedAnswer> parsed;  // empty when the gold could not be used
  std::string text;                    // the gold answer text that was parsed
  WorkBudget parse_budget;             // the budget it was parsed under
  MathVerdict failure;                 // the verdict every response gets when `parsed` is empty
};

// Extracts and parses the gold answer. A bare gold string ("12000023", "10/9") is used as is;
// gold in "$...$" or a full solution with \boxed{} goes through extraction. Thread-safe.
PreparedGold PrepareGold(std::string_view gold, const MathVerifyOptions& options);

// Verifies one response against a prepared gold. Never throws; thread-safe; no mutable global
// state.
MathVerdict VerifyMath(std::string_view response, const PreparedGold& gold,
                       const MathVerifyOptions& options);

// PrepareGold + VerifyMath.
MathVerdict VerifyMath(std::string_view response, std::string_view gold,
                       const MathVerifyOptions& options);

}  // namespace rlvr::math

#endif  // RLVR_VERIFIERS_MATH_MATH_VERIFIER_H_
