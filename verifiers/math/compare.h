// Parsing and comparison of math answers: the contract between answer extraction (extract.h,
// math_verifier.h) and the parser / exact evaluator. Model output is parsed by our own parser into an
// expression tree; nothing is ever eval'd.
#ifndef RLVR_VERIFIERS_MATH_COMPARE_H_
#define RLVR_VERIFIERS_MATH_COMPARE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace rlvr::math {

// How percentages are matched: "28\%" against 28 and 0.28.
enum class PercentMode {
  kFlexible,  // 28% equals both 0.28 and 28 (Math-Verify's default behaviour).
  kExact,     // 28% equals 0.28 only.
};

// Work limits for one comparison. Every parse/compare finishes within these whatever the input;
// exceeding one yields RESOURCE_EXHAUSTED (never a hang, never a crash).
struct WorkBudget {
  int64_t max_input_bytes = 1 << 16;   // one answer string, after extraction
  int max_depth = 200;                 // expression nesting
  int64_t max_nodes = 20000;           // expression tree size
  int64_t max_integer_bits = 1 << 16;  // exact integers/rationals larger than this fall back to MPFR
  int64_t max_steps = 2'000'000;       // arithmetic/evaluation steps across the whole comparison

  bool operator==(const WorkBudget&) const = default;
};

struct CompareOptions {
  // A decimal answer against an exact value: both are rounded to this many decimal places (after
  // the decimal point) and compared; Math-Verify uses 6. Also the relative tolerance 10^-precision
  // used for transcendental values and random-point evaluation of expressions in variables.
  int precision = 6;
  PercentMode percent = PercentMode::kFlexible;
  // Strict: variable names must match ("x=2" vs "y=2" differ; "f(x)=1" vs "1" is allowed only
  // when not strict). Mirrors Math-Verify's `strict`.
  bool strict = true;
  // Allow "x<=2" to equal the interval (-inf,2] and "x \in [0,1)" the interval, and a set to equal a
  // tuple/list with the same members. Mirrors Math-Verify's `allow_set_relation_comp`.
  bool allow_set_relation_comp = false;
  WorkBudget budget;
};

// An answer string parsed once into an expression tree (opaque). Cheap to copy; immutable; safe to
// share across threads.
class ParsedAnswer {
 public:
  struct Impl;
  explicit ParsedAnswer(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  const Impl& impl() const { return *impl_; }
  // The canonical text of the parsed answer, for logs and the `extracted` field.
  std::string DebugString() const;

 private:
  std::shared_ptr<const Impl> impl_;
};

// Parses LaTeX or plain-text math (one answer; `$`, `\(`, `\[` delimiters and `\boxed{}` already
// stripped or not, both accepted). INVALID_ARGUMENT with the offending position and text when it is
// not math; RESOURCE_EXHAUSTED when a budget limit is hit. Thread-safe.
absl::StatusOr<ParsedAnswer> ParseAnswer(std::string_view text, const CompareOptions& options);

struct CompareResult {
  bool equivalent = false;
  std::string reason;  // short, e.g. "equal as exact rationals", "tuples differ at position 2"
};

// Decides whether `pred` is mathematically equivalent to `gold`, gold-first where it matters (the
// gold's form decides e.g. whether an equation's right-hand side or a set's order counts).
// RESOURCE_EXHAUSTED when the budget is exceeded before a decision. Thread-safe.
absl::StatusOr<CompareResult> Compare(const ParsedAnswer& gold, const ParsedAnswer& pred,
                                      const CompareOptions& options);

}  // namespace rlvr::math

#endif  // RLVR_VERIFIERS_MATH_COMPARE_H_
