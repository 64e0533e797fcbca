// Output comparison, done in the verifier process (never by the candidate): stdout against the
// expected output for stdio tests, and serialized return values against the expected JSON for
// call tests.
#ifndef RLVR_VERIFIERS_CODE_COMPARE_H_
#define RLVR_VERIFIERS_CODE_COMPARE_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace rlvr::code {

enum class CompareMode {
  kTokens,           // whitespace-separated tokens, any amount of whitespace (default)
  kLines,            // line by line, trailing whitespace and trailing blank lines ignored
  kExact,            // byte for byte
  kCaseInsensitive,  // tokens, ASCII case folded
};

enum class FloatMode {
  kAbsOrRel,  // |a-b| <= tol or |a-b| <= tol*|b| (default)
  kAbs,       // |a-b| <= tol
  kRel,       // |a-b| <= tol*|b|
};

struct CompareOptions {
  CompareMode mode = CompareMode::kTokens;
  double float_tolerance = 0;  // 0: numbers compare as tokens/values exactly
  FloatMode float_mode = FloatMode::kAbsOrRel;
};

// Parses the proto spellings ("" and "tokens", "lines", "exact", "case_insensitive"; "" and
// "abs_or_rel", "abs", "rel"). INVALID_ARGUMENT names the value.
absl::StatusOr<CompareMode> ParseCompareMode(std::string_view name);
absl::StatusOr<FloatMode> ParseFloatMode(std::string_view name);

struct CompareResult {
  bool equal = false;
  std::string detail;  // where they first differ, e.g. "token 3: expected \"5\", got \"4\"" (short)
};

// stdio: the program's stdout against the expected output.
CompareResult CompareOutput(std::string_view expected, std::string_view got, const CompareOptions& options);

// Two numbers (as written) within tolerance. Exposed for tests.
bool NumbersClose(double expected, double got, double tolerance, FloatMode mode);

// call: values by value. Numbers compare numerically (1 == 1.0; floats within tolerance when it is
// set), booleans only with booleans, arrays elementwise, objects by key set and values.
CompareResult CompareValues(const nlohmann::json& expected, const nlohmann::json& got,
                            const CompareOptions& options);

}  // namespace rlvr::code

#endif  // RLVR_VERIFIERS_CODE_COMPARE_H_
