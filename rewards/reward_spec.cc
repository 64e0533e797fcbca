#include "rewards/reward_spec.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status_macros.h"
#include "re2/re2.h"

namespace rlvr::rewards {
namespace {

absl::Status CheckFinite(std::string_view term, std::string_view field, double v) {
  if (!std::isfinite(v)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("reward term '%s': %s is %f; it must be finite", term, field, v));
  }
  return absl::OkStatus();
}

absl::Status CheckName(std::string_view kind, std::string_view name,
                       absl::flat_hash_set<std::string>& seen) {
  if (name.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(std::string(kind), " term has an empty name"));
  }
  if (!seen.insert(std::string(name)).second) {
    return absl::InvalidArgumentError(
        absl::StrCat("reward term name '", std::string(name), "' is used twice; names must be unique"));
  }
  return absl::OkStatus();
}

RE2::Options PatternOptions() {
  RE2::Options options;
  options.set_log_errors(false);
  options.set_max_mem(kMaxPatternProgramBytes);
  return options;
}

// Compiles one format term's pattern, or says why it cannot be used.
absl::StatusOr<std::unique_ptr<RE2>> CompilePattern(const FormatTerm& term) {
  if (term.pattern.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("format term '", term.name, "': pattern is empty"));
  }
  if (term.pattern.size() > kMaxPatternBytes) {
    return absl::InvalidArgumentError(
        absl::StrFormat("format term '%s': pattern is %d bytes; limit is %d bytes", term.name,
                        term.pattern.size(), kMaxPatternBytes));
  }
  auto re = std::make_unique<RE2>(term.pattern, PatternOptions());
  if (!re->ok()) {
    // Quote at most a prefix of the pattern: it is user input and may be kilobytes long.
    constexpr size_t kQuoted = 80;
    const std::string quoted = term.pattern.size() <= kQuoted
                                   ? term.pattern
                                   : absl::StrCat(term.pattern.substr(0, kQuoted), "...");
    return absl::InvalidArgumentError(absl::StrCat("format term '", term.name, "': pattern '",
                                                   quoted, "' is invalid: ", re->error()));
  }
  return re;
}

absl::StatusOr<std::vector<std::unique_ptr<RE2>>> ValidateAndCompile(const RewardSpec& spec) {
  absl::flat_hash_set<std::string> names;
  RETURN_IF_ERROR(CheckName("correctness", spec.correctness.name, names));
  RETURN_IF_ERROR(CheckFinite(spec.correctness.name, "weight", spec.correctness.weight));

  if (spec.format.size() > kMaxFormatTerms) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "spec has %d format terms; limit is %d", spec.format.size(), kMaxFormatTerms));
  }
  if (spec.target_length.size() + spec.overlong.size() > kMaxLengthTerms) {
    return absl::InvalidArgumentError(
        absl::StrFormat("spec has %d length terms; limit is %d",
                        spec.target_length.size() + spec.overlong.size(), kMaxLengthTerms));
  }

  std::vector<std::unique_ptr<RE2>> patterns;
  patterns.reserve(spec.format.size());
  for (const FormatTerm& t : spec.format) {
    RETURN_IF_ERROR(CheckName("format", t.name, names));
    RETURN_IF_ERROR(CheckFinite(t.name, "weight", t.weight));
    RETURN_IF_ERROR(CheckFinite(t.name, "match_value", t.match_value));
    RETURN_IF_ERROR(CheckFinite(t.name, "miss_value", t.miss_value));
    ASSIGN_OR_RETURN(auto re, CompilePattern(t));
    patterns.push_back(std::move(re));
  }
  for (const TargetLengthTerm& t : spec.target_length) {
    RETURN_IF_ERROR(CheckName("target_length", t.name, names));
    RETURN_IF_ERROR(CheckFinite(t.name, "weight", t.weight));
    if (t.target <= 0) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "target_length term '%s': target is %d; it must be positive", t.name, t.target));
    }
    if (t.scale < 0) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "target_length term '%s': scale is %d; it must be >= 0 (0 = target)", t.name, t.scale));
    }
  }
  for (const OverlongTerm& t : spec.overlong) {
    RETURN_IF_ERROR(CheckName("overlong", t.name, names));
    RETURN_IF_ERROR(CheckFinite(t.name, "weight", t.weight));
    if (t.max_length <= 0) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "overlong term '%s': max_length is %d; it must be positive", t.name, t.max_length));
    }
    if (t.buffer < 0) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "overlong term '%s': buffer is %d; it must be >= 0", t.name, t.buffer));
    }
    if (t.buffer > t.max_length) {
      return absl::InvalidArgumentError(
          absl::StrFormat("overlong term '%s': buffer %d exceeds max_length %d", t.name, t.buffer,
                          t.max_length));
    }
  }
  return patterns;
}

}  // namespace

FormatTerm ThinkAnswerFormat(std::string name, double weight, std::string_view think_open,
                             std::string_view think_close, std::string_view answer_open,
                             std::string_view answer_close) {
  // (?s) lets '.' cross newlines; the answer must hold at least one non-space character.
  std::string answer;
  if (answer_open.empty() && answer_close.empty()) {
    answer = R"(\S.*)";
  } else {
    answer = absl::StrCat(RE2::QuoteMeta(answer_open), R"(.*?\S.*?)", RE2::QuoteMeta(answer_close),
                          R"(\s*)");
  }
  FormatTerm term;
  term.name = std::move(name);
  term.weight = weight;
  term.anchor = FormatTerm::Anchor::kFull;
  term.pattern = absl::StrCat(R"((?s)\s*)", RE2::QuoteMeta(think_open), ".*?",
                              RE2::QuoteMeta(think_close), R"(\s*)", answer);
  return term;
}

double OverlongPenalty(int64_t length, int64_t max_length, int64_t buffer) {
  const int64_t soft_start = max_length - buffer;
  if (length <= soft_start) return 0.0;
  if (length > max_length) return -1.0;
  // Here buffer > 0, since soft_start < length <= max_length.
  return static_cast<double>(soft_start - length) / static_cast<double>(buffer);
}

double TargetLengthPenalty(int64_t length, int64_t target, int64_t scale, bool only_longer) {
  if (only_longer && length <= target) return 0.0;
  const double s = static_cast<double>(scale > 0 ? scale : target);
  const double dist = std::abs(static_cast<double>(length) - static_cast<double>(target));
  return -std::min(1.0, dist / s);
}

absl::Status ValidateRewardSpec(const RewardSpec& spec) {
  return ValidateAndCompile(spec).status();
}

RewardFunction::RewardFunction(RewardSpec spec, std::vector<std::unique_ptr<RE2>> patterns)
    : spec_(std::move(spec)), patterns_(std::move(patterns)) {}
RewardFunction::RewardFunction(RewardFunction&&) noexcept = default;
RewardFunction& RewardFunction::operator=(RewardFunction&&) noexcept = default;
RewardFunction::~RewardFunction() = default;

absl::StatusOr<RewardFunction> RewardFunction::Create(RewardSpec spec) {
  ASSIGN_OR_RETURN(auto patterns, ValidateAndCompile(spec));
  return RewardFunction(std::move(spec), std::move(patterns));
}

absl::StatusOr<RewardBreakdown> RewardFunction::Compute(const RewardInput& input) const {
  if (!input.valid) {
    return absl::InvalidArgumentError(
        "verdict is invalid; invalid verdicts are masked out of the group, never scored");
  }
  if (!std::isfinite(input.score) || input.score < 0.0 || input.score > 1.0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("verdict score is %f; it must be a finite value in [0, 1]", input.score));
  }
  if (input.response_length < 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "response_length is %d; it must be >= 0", input.response_length));
  }

  RewardBreakdown out;
  out.components.reserve(1 + spec_.format.size() + spec_.target_length.size() +
                         spec_.overlong.size());
  auto add = [&out](const std::string& name, double raw, double weight) {
    const double value = weight * raw;
    out.components.push_back(RewardComponent{name, raw, weight, value});
    out.total += value;
  };

  add(spec_.correctness.name, input.score, spec_.correctness.weight);
  const re2::StringPiece text(input.response.data(), input.response.size());
  for (size_t i = 0; i < spec_.format.size(); ++i) {
    const FormatTerm& t = spec_.format[i];
    const bool matched = t.anchor == FormatTerm::Anchor::kFull
                             ? RE2::FullMatch(text, *patterns_[i])
                             : RE2::PartialMatch(text, *patterns_[i]);
    add(t.name, matched ? t.match_value : t.miss_value, t.weight);
  }
  for (const TargetLengthTerm& t : spec_.target_length) {
    add(t.name, TargetLengthPenalty(input.response_length, t.target, t.scale, t.only_longer),
        t.weight);
  }
  for (const OverlongTerm& t : spec_.overlong) {
    add(t.name, OverlongPenalty(input.response_length, t.max_length, t.buffer), t.weight);
  }
  if (!std::isfinite(out.total)) {
    return absl::InvalidArgumentError(
        "reward total overflowed to a non-finite value; the spec's weights are too large");
  }
  return out;
}

absl::StatusOr<RewardBreakdown> ComputeReward(const RewardSpec& spec, const RewardInput& input) {
  ASSIGN_OR_RETURN(RewardFunction fn, RewardFunction::Create(spec));
  return fn.Compute(input);
}

}  // namespace rlvr::rewards
