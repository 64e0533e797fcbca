// Evaluates the scalar part of an expression tree to a `Scalar`: exact where the tree is rational,
// MPFR otherwise. Containers (tuples, sets, intervals, relations...) and unknown functions evaluate
// to kUndefined: the comparison handles structure itself. Symbols take their values from an
// optional environment (random-point evaluation).
#ifndef RLVR_VERIFIERS_MATH_EVALUATOR_H_
#define RLVR_VERIFIERS_MATH_EVALUATOR_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "verifiers/math/expr.h"
#include "verifiers/math/value.h"

namespace rlvr::math {

struct EvalEnv {
  // Symbol values, sorted by name.
  std::vector<std::pair<std::string, Scalar>> vars;
  // `28%` evaluates to 0.28 when true, to 28 when false.
  bool percent_as_fraction = true;
  // Max decimal exponent of a literal before it is read as MPFR instead of an exact rational.
  int64_t max_integer_bits = 1 << 16;
};

// Evaluates the subtree at `i`. RESOURCE_EXHAUSTED when `budget` runs out; every mathematical
// failure (division by zero, unknown function) is a kUndefined value, not an error.
absl::StatusOr<Scalar> Evaluate(const Tree& tree, int32_t i, const EvalEnv& env,
                                ArithBudget* budget);

}  // namespace rlvr::math

#endif  // RLVR_VERIFIERS_MATH_EVALUATOR_H_
