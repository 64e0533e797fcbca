// Reward specs: how one verified response becomes a scalar reward.
//
// A RewardSpec is a weighted sum of named terms: the verifier's correctness score, format checks (RE2
// patterns over the response text) and length shaping (a target-length penalty, DAPO's soft overlong
// penalty). Every term is reported as its own component beside the total so a dashboard can show what
// moved the reward. The proto message RewardSpec has the same shape; the service converts it to these
// structs and calls RewardFunction::Create once per job.
#ifndef RLVR_REWARDS_REWARD_SPEC_H_
#define RLVR_REWARDS_REWARD_SPEC_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace re2 {
class RE2;
}  // namespace re2

namespace rlvr::rewards {

// Bounds on user-supplied specs (patterns are user input).
inline constexpr size_t kMaxPatternBytes = 4096;
inline constexpr size_t kMaxFormatTerms = 32;
inline constexpr size_t kMaxLengthTerms = 8;
// Memory budget handed to RE2 for each compiled pattern; a pattern whose program exceeds it is rejected.
inline constexpr int64_t kMaxPatternProgramBytes = 1 << 20;

// The verifier's verdict score (1 = correct, 0 = wrong, in between = partial credit, e.g. the fraction of
// unit tests passed). Raw value = score; component value = weight * score.
struct CorrectnessTerm {
  std::string name = "correctness";
  double weight = 1.0;
};

// A format check: raw value is `match_value` when `pattern` matches the response, else `miss_value`.
struct FormatTerm {
  enum class Anchor {
    kFull,     // the whole response must match (RE2::FullMatch)
    kPartial,  // the pattern may match anywhere (RE2::PartialMatch)
  };
  std::string name;
  std::string pattern;  // RE2 syntax; at most kMaxPatternBytes
  Anchor anchor = Anchor::kFull;
  double weight = 1.0;
  double match_value = 1.0;
  double miss_value = 0.0;
};

// Builds the common "reasoning, then an answer" check: the response is `think_open` … `think_close`
// followed by a non-empty answer; when `answer_open`/`answer_close` are non-empty the answer must be
// wrapped in them (e.g. "<answer>", "</answer>"). Tags are matched literally (RE2::QuoteMeta) and
// whitespace around the sections is allowed. A response that never closes its thinking, or has nothing
// after it, does not match.
FormatTerm ThinkAnswerFormat(std::string name, double weight, std::string_view think_open = "<think>",
                             std::string_view think_close = "</think>",
                             std::string_view answer_open = "", std::string_view answer_close = "");

// Penalty for straying from a target length: raw = −min(1, |L − target| / scale) where scale defaults to
// `target` (scale = 0 means "use target"). With `only_longer`, responses at or below target are not
// penalized.
struct TargetLengthTerm {
  std::string name = "target_length";
  int64_t target = 0;  // > 0, in tokens
  int64_t scale = 0;   // >= 0; 0 = target
  bool only_longer = false;
  double weight = 1.0;
};

// DAPO's soft overlong punishment ("DAPO: An Open-Source LLM Reinforcement Learning System at Scale"):
//   raw = 0                           if L <= Lmax − Lc
//       = (Lmax − Lc − L) / Lc        if Lmax − Lc < L <= Lmax
//       = −1                          if L > Lmax
// with L the response length, Lmax = max_length and Lc = buffer (0 <= Lc <= Lmax).
struct OverlongTerm {
  std::string name = "overlong";
  int64_t max_length = 0;  // > 0, in tokens
  int64_t buffer = 0;      // 0 <= buffer <= max_length
  double weight = 1.0;
};

struct RewardSpec {
  CorrectnessTerm correctness;
  std::vector<FormatTerm> format;
  std::vector<TargetLengthTerm> target_length;
  std::vector<OverlongTerm> overlong;
};

// What one response contributes. Only valid verdicts become rewards (an invalid verdict is masked by the
// group filter, never scored 0), so `valid == false` is an error here.
struct RewardInput {
  bool valid = true;
  double score = 0.0;              // verdict score in [0, 1]
  std::string_view response;       // the response text the format terms look at
  int64_t response_length = 0;     // in tokens, >= 0
};

struct RewardComponent {
  std::string name;
  double raw = 0.0;     // the term's value before weighting
  double weight = 0.0;
  double value = 0.0;   // weight * raw
};

struct RewardBreakdown {
  // In spec order: correctness, then format, target_length and overlong terms.
  std::vector<RewardComponent> components;
  double total = 0.0;  // sum of components' values
};

// Checks a spec: finite weights and values, non-empty unique names, patterns that are non-empty, within
// kMaxPatternBytes and compile (the error names the term and RE2's reason), positive lengths, an overlong
// buffer in [0, max_length], term counts within bounds. Returns INVALID_ARGUMENT naming the first problem.
absl::Status ValidateRewardSpec(const RewardSpec& spec);

// A validated spec with its patterns compiled once. Immutable after Create; Compute is thread-safe.
class RewardFunction {
 public:
  static absl::StatusOr<RewardFunction> Create(RewardSpec spec);

  RewardFunction(RewardFunction&&) noexcept;
  RewardFunction& operator=(RewardFunction&&) noexcept;
  ~RewardFunction();

  // Scores one response. INVALID_ARGUMENT when the verdict is invalid, the score is not a finite value in
  // [0, 1], or the length is negative.
  absl::StatusOr<RewardBreakdown> Compute(const RewardInput& input) const;

  const RewardSpec& spec() const { return spec_; }

 private:
  RewardFunction(RewardSpec spec, std::vector<std::unique_ptr<re2::RE2>> patterns);

  RewardSpec spec_;
  std::vector<std::unique_ptr<re2::RE2>> patterns_;  // one per spec_.format entry
};

// One-shot convenience: validates and compiles `spec`, then scores `input`. Prefer RewardFunction when
// scoring many responses with one spec.
absl::StatusOr<RewardBreakdown> ComputeReward(const RewardSpec& spec, const RewardInput& input);

// The pure length terms, exposed for tests and for callers that shape rewards themselves. Arguments are
// assumed valid (see ValidateRewardSpec).
double OverlongPenalty(int64_t length, int64_t max_length, int64_t buffer);
double TargetLengthPenalty(int64_t length, int64_t target, int64_t scale, bool only_longer);

}  // namespace rlvr::rewards

#endif  // RLVR_REWARDS_REWARD_SPEC_H_
