// Answer extraction: finds the final answer in a model's completion (or in a gold solution) and
// returns it as a short list of candidate strings for the parser, most preferred first.
//
// Priority order (each rule can be switched off in ExtractOptions):
//   1. kFinalAnswerHope  "The final answer is $X$. I hope it is correct."   (Minerva format)
//   2. kBoxed            the last \boxed{...} / \fbox{...} (nested braces; also `\boxed 5`). Boxes
//                        separated only by a short connector ("and", ",", "\quad \text{and} \quad",
//                        at most 4 words, no digits) are joined with ", " — Math-Verify does the same.
//   3. kAnswerTag        the last <answer>...</answer>
//   4. kFinalAnswer      "final answer: X", "The final answer is X", "Final Answer: ... is X"
//   5. kAnswerPrefix     "answer: X", "the answer is X", "Answer $X$"
//   6. kGsm8k            "#### X"
//   7. kChoice           multiple-choice letters: "answer is (B)", "answer: C", a trailing "(B)"
//   8. kWholeText        the whole text, when it is short and not prose ("\frac{10}{9}", "1 000")
//   9. kLatexEnv /       the last math environment ($..$, $$..$$, \(..\), \[..\]; environments joined
//      kLastNumber       by "and"/"or" are joined) and the last number in the text: these two are
//                        unanchored, so whichever ends later comes first (as in Math-Verify).
// Within a rule, later occurrences come first. A rule's text after an anchor ("answer is ...") is cut
// at the end of its sentence; when that text reads as prose, the math inside it (the last math
// environment, else the last number) is used instead.
//
// Numbers written with separators are normalised when a candidate is exactly one number:
// "7,425,000", "1 000", "14{,}916", "11,\!111" lose their thousands separators. A decimal comma
// ("2,74", "1000,99") is read as a decimal point only in plain prose (rules kWholeText on text with no
// LaTeX, and kLastNumber); inside LaTeX "-2,1" stays a list.
//
// Cost: every rule scans from the end of the text, a bounded number of anchors per rule and a bounded
// window (64 KiB) per delimited group, so extraction is linear in the text and fast on multi-megabyte
// completions. No std::regex. Thread-safe (pure function).
#ifndef RLVR_VERIFIERS_MATH_EXTRACT_H_
#define RLVR_VERIFIERS_MATH_EXTRACT_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace rlvr::math {

enum class ExtractRule {
  kFinalAnswerHope,
  kBoxed,
  kAnswerTag,
  kFinalAnswer,
  kAnswerPrefix,
  kGsm8k,
  kChoice,
  kWholeText,
  kLatexEnv,
  kLastNumber,
};

// "final_answer_hope", "boxed", "answer_tag", "final_answer", "answer_prefix", "gsm8k", "choice",
// "whole_text", "latex_env", "last_number".
std::string_view ExtractRuleName(ExtractRule rule);

struct ExtractOptions {
  bool final_answer = true;  // kFinalAnswerHope and kFinalAnswer
  bool boxed = true;
  bool answer_tag = true;
  bool answer_prefix = true;
  bool gsm8k = true;
  bool choice = true;
  bool whole_text = true;
  bool latex_env = true;
  bool last_number = true;  // the last-number fallback
  // Longer texts are refused with RESOURCE_EXHAUSTED.
  int64_t max_input_bytes = int64_t{16} << 20;
  // At most this many candidates are returned (the verifier tries them in order).
  int max_candidates = 12;
  // Stop after the first rule that yields a candidate (the verifier extracts this way first, and
  // extracts everything only when none of those candidates parses).
  bool stop_at_first_rule = false;
};

struct Candidate {
  ExtractRule rule;
  std::string text;  // the answer text, delimiters and anchors stripped
  size_t begin = 0;  // where the text it came from starts and ends in the input (bytes)
  size_t end = 0;
};

// Candidates for the final answer in `text`, most preferred first; empty when nothing looks like an
// answer. RESOURCE_EXHAUSTED when `text` is longer than options.max_input_bytes. Thread-safe.
absl::StatusOr<std::vector<Candidate>> ExtractCandidates(std::string_view text,
                                                         const ExtractOptions& options);

// True when `text` reads as English prose rather than math: two or more words of three or more
// letters that are neither LaTeX commands nor common function names. Exposed for tests.
bool LooksLikeProse(std::string_view text);

}  // namespace rlvr::math

#endif  // RLVR_VERIFIERS_MATH_EXTRACT_H_
