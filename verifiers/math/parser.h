// Recursive-descent parser from LaTeX / plain-text math to an expression tree (expr.h). Recursion is
// bounded by `WorkBudget::max_depth` and tree size by `max_nodes`, so hostile input yields
// RESOURCE_EXHAUSTED instead of a stack overflow. After parsing, answers are normalized: relation
// chains reduced to their final statement ("x = 5+6 = 11" -> "x = 11", trailing "\approx" parts
// dropped), "x \in S" reduced to S, and "±" expanded into the set of its values.
#ifndef RLVR_VERIFIERS_MATH_PARSER_H_
#define RLVR_VERIFIERS_MATH_PARSER_H_

#include <string_view>

#include "absl/status/status.h"
#include "verifiers/math/compare.h"
#include "verifiers/math/expr.h"

namespace rlvr::math {

// Parses `text` into `tree` (whose root is set on success). INVALID_ARGUMENT names the position and
// token that could not be parsed; RESOURCE_EXHAUSTED when the input, depth or node budget is hit.
absl::Status ParseMath(std::string_view text, const WorkBudget& budget, Tree* tree);

// Whether a subtree can be the name side of an assignment ("x", "a_3", "f(x)", "|AB|", "A:B",
// "(p,q)"): built only from symbols, products, quotients, ratios, abs and function applications.
bool IsAssignTarget(const Tree& tree, int32_t i);

}  // namespace rlvr::math

#endif  // RLVR_VERIFIERS_MATH_PARSER_H_
