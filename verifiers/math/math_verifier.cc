#include "verifiers/math/math_verifier.h"

#include <algorithm>
#include <array>
#include <exception>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace rlvr::math {
namespace {

constexpr size_t kMaxExtractedBytes = 1024;

std::string Truncate(std::string_view s, size_t n) {
  if (s.size() <= n) return std::string(s);
  return std::string(s.substr(0, n)) + "...";
}

MathVerdict Make(Outcome outcome, std::string_view extracted, std::string reason) {
  MathVerdict v;
  v.outcome = outcome;
  v.score = outcome == Outcome::kCorrect ? 1.0 : 0.0;
  v.valid = outcome == Outcome::kCorrect || outcome == Outcome::kIncorrect ||
            outcome == Outcome::kNoAnswer;
  v.extracted = Truncate(extracted, kMaxExtractedBytes);
  v.reason = std::move(reason);
  return v;
}

// The text without whitespace and "$": the last-resort string comparison when nothing parses.
std::string Squeeze(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '$') out += c;
  }
  return out;
}

std::string_view TrimView(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' ||
                        s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

bool IsDelimited(std::string_view s) {
  for (std::string_view m : {"$", "\\boxed", "\\fbox", "\\(", "\\[", "<answer>", "####"}) {
    if (s.find(m) != std::string_view::npos) return true;
  }
  return false;
}

// Digits with at most a sign, a decimal point and an exponent: what the whole-text rule normalises
// a bare numeric gold to.
bool IsPlainNumber(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E')) {
      return false;
    }
  }
  return true;
}

// Extraction in widening stages, each list of candidates a prefix of the next: the first
// candidate alone (cheap on long texts), then the first rule's candidates, then everything.
std::array<ExtractOptions, 3> ExtractionStages(const ExtractOptions& options) {
  std::array<ExtractOptions, 3> stages = {options, options, options};
  stages[0].stop_at_first_rule = true;
  stages[0].max_candidates = std::min(options.max_candidates, 1);
  stages[1].stop_at_first_rule = true;
  return stages;
}

PreparedGold PrepareGoldImpl(std::string_view gold, const MathVerifyOptions& options) {
  PreparedGold out;
  const std::string_view trimmed = TrimView(gold);
  if (trimmed.empty()) {
    out.failure = Make(Outcome::kInvalidGold, "", "gold answer is empty");
    return out;
  }
  // Each stage's list of texts is a prefix of the next one's, so the texts tried are the same.
  const std::array<ExtractOptions, 3> stages = ExtractionStages(options.extract);
  size_t stage = 0;
  absl::StatusOr<std::vector<Candidate>> extracted = ExtractCandidates(gold, stages[stage]);
  if (!extracted.ok()) {
    out.failure = Make(Outcome::kInvalidGold, "", absl::StrCat("gold: ", extracted.status().message()));
    return out;
  }
  const bool bare = !IsDelimited(trimmed) && !LooksLikeProse(trimmed);
  const auto texts_of = [&](const std::vector<Candidate>& candidates) {
    std::vector<std::string> texts;
    if (bare) {
      // A bare gold is used as is; a normalised number from the whole-text rule goes first.
      // Only a plain number goes first ("1,000" -> "1000"); anything else parses better as
      // written (the whole-text rule would otherwise flatten e.g. a bare matrix).
      if (!candidates.empty() && candidates.front().rule == ExtractRule::kWholeText &&
          IsPlainNumber(candidates.front().text)) {
        texts.push_back(candidates.front().text);
      }
      texts.emplace_back(trimmed);
    }
    for (const Candidate& c : candidates) {
      // A bare gold that does not parse is a data error, not its last number ("\\frac{1}{" is
      // not 1).
      if (bare && c.rule == ExtractRule::kLastNumber) continue;
      texts.push_back(c.text);
    }
    return texts;
  };
  std::vector<std::string> texts = texts_of(*extracted);
  if (texts.empty()) {
    out.failure = Make(Outcome::kInvalidGold, "", "no answer found in the gold answer");
    return out;
  }
  std::string first_error;
  for (size_t i = 0; i < texts.size(); ++i) {
    const std::string& text = texts[i];
    absl::StatusOr<ParsedAnswer> parsed = ParseAnswer(text, options.compare);
    if (parsed.ok()) {
      out.parsed = *std::move(parsed);
      out.text = text;
      out.parse_budget = options.compare.budget;
      return out;
    }
    if (parsed.status().code() == absl::StatusCode::kResourceExhausted) {
      out.failure = Make(Outcome::kBudgetExceeded, "",
                         absl::StrCat("gold answer \"", Truncate(text, 80),
                                      "\" exceeds the work budget: ", parsed.status().message()));
      return out;
    }
    if (first_error.empty()) {
      first_error = absl::StrCat("\"", Truncate(text, 80), "\": ", parsed.status().message());
    }
    while (i + 1 == texts.size() && stage + 1 < stages.size()) {
      absl::StatusOr<std::vector<Candidate>> wider = ExtractCandidates(gold, stages[++stage]);
      if (!wider.ok()) break;
      std::vector<std::string> more = texts_of(*wider);
      if (more.size() > texts.size()) texts = std::move(more);
    }
  }
  out.failure = Make(Outcome::kInvalidGold, "",
                     absl::StrCat("gold answer does not parse: ", first_error));
  return out;
}

MathVerdict VerifyImpl(std::string_view response, const PreparedGold& gold,
                       const MathVerifyOptions& options) {
  if (!gold.parsed) return gold.failure;
  // A stage runs only when none of the candidates before it parses.
  const std::array<ExtractOptions, 3> stages = ExtractionStages(options.extract);
  std::vector<Candidate> candidates;
  std::string first_error;
  size_t tried = 0;
  for (const ExtractOptions& stage : stages) {
    absl::StatusOr<std::vector<Candidate>> extracted = ExtractCandidates(response, stage);
    if (!extracted.ok()) {
      return Make(Outcome::kBudgetExceeded, "",
                  absl::StrCat("response: ", extracted.status().message()));
    }
    if (extracted->size() <= tried) continue;
    candidates = *std::move(extracted);
    for (; tried < candidates.size(); ++tried) {
      const Candidate& c = candidates[tried];
      const std::string rule(ExtractRuleName(c.rule));
      // A candidate written exactly as the gold parses to the same tree (parsing depends only on
      // the text and the budget): the gold's is reused.
      absl::StatusOr<ParsedAnswer> parsed =
          c.text == gold.text && gold.parse_budget == options.compare.budget
              ? *gold.parsed
              : ParseAnswer(c.text, options.compare);
      if (!parsed.ok()) {
        if (parsed.status().code() == absl::StatusCode::kResourceExhausted) {
          return Make(Outcome::kBudgetExceeded, c.text,
                      absl::StrCat(rule, ": answer exceeds the work budget: ",
                                   parsed.status().message()));
        }
        if (first_error.empty()) {
          first_error = absl::StrCat(rule, " \"", Truncate(c.text, 80), "\": ",
                                     parsed.status().message());
        }
        continue;
      }
      absl::StatusOr<CompareResult> result = Compare(*gold.parsed, *parsed, options.compare);
      if (!result.ok()) {
        if (result.status().code() == absl::StatusCode::kResourceExhausted) {
          return Make(Outcome::kBudgetExceeded, c.text,
                      absl::StrCat(rule, ": comparison exceeds the work budget: ",
                                   result.status().message()));
        }
        return Make(Outcome::kError, c.text,
                    absl::StrCat(rule, ": comparison failed: ", result.status().ToString()));
      }
      return Make(result->equivalent ? Outcome::kCorrect : Outcome::kIncorrect, c.text,
                  absl::StrCat(rule, ": ", result->reason));
    }
  }
  if (candidates.empty()) return Make(Outcome::kNoAnswer, "", "no answer found in the response");
  // Nothing parses: the same text as the gold still counts (Math-Verify's string fallback).
  const std::string gold_text = Squeeze(gold.text);
  for (const Candidate& c : candidates) {
    if (Squeeze(c.text) == gold_text) {
      return Make(Outcome::kCorrect, c.text,
                  std::string(ExtractRuleName(c.rule)) + ": same text as the gold answer");
    }
  }
  return Make(Outcome::kNoAnswer, candidates.front().text,
              absl::StrCat(candidates.size(), " candidate answer(s), none parses; first: ",
                           first_error));
}

}  // namespace

std::string_view OutcomeName(Outcome outcome) {
  switch (outcome) {
    case Outcome::kCorrect:
      return "correct";
    case Outcome::kIncorrect:
      return "incorrect";
    case Outcome::kNoAnswer:
      return "no_answer";
    case Outcome::kInvalidGold:
      return "invalid_gold";
    case Outcome::kBudgetExceeded:
      return "budget_exceeded";
    case Outcome::kError:
      return "error";
  }
  return "error";
}

PreparedGold PrepareGold(std::string_view gold, const MathVerifyOptions& options) {
  try {
    return PrepareGoldImpl(gold, options);
  } catch (const std::exception& e) {
    PreparedGold out;
    out.failure = Make(Outcome::kError, "", absl::StrCat("internal error preparing gold: ", e.what()));
    return out;
  }
}

MathVerdict VerifyMath(std::string_view response, const PreparedGold& gold,
                       const MathVerifyOptions& options) {
  try {
    return VerifyImpl(response, gold, options);
  } catch (const std::exception& e) {
    return Make(Outcome::kError, "", absl::StrCat("internal error: ", e.what()));
  }
}

MathVerdict VerifyMath(std::string_view response, std::string_view gold,
                       const MathVerifyOptions& options) {
  return VerifyMath(response, PrepareGold(gold, options), options);
}

}  // namespace rlvr::math
