// libFuzzer target over extraction + parsing + comparison: the input is split at the first NUL byte
// (or in the middle when there is none) into a response and a gold answer; a flag byte picks options.
// Any crash, sanitizer report, hang or kError verdict is a finding.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "verifiers/math/extract.h"
#include "verifiers/math/math_verifier.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t flags = data[0];
  std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  size_t cut = in.find('\0');
  if (cut == std::string_view::npos) cut = in.size() / 2;
  const std::string_view response = in.substr(0, cut);
  const std::string_view gold = cut < in.size() ? in.substr(cut + 1) : std::string_view();

  rlvr::math::MathVerifyOptions options;
  options.compare.precision = 1 + flags % 8;
  options.compare.strict = (flags & 0x10) != 0;
  options.compare.allow_set_relation_comp = (flags & 0x20) != 0;
  options.compare.percent =
      (flags & 0x40) != 0 ? rlvr::math::PercentMode::kExact : rlvr::math::PercentMode::kFlexible;
  options.extract.last_number = (flags & 0x80) == 0;

  // Extraction alone: every candidate must point inside the input.
  absl::StatusOr<std::vector<rlvr::math::Candidate>> candidates =
      rlvr::math::ExtractCandidates(response, options.extract);
  if (candidates.ok()) {
    for (const rlvr::math::Candidate& c : *candidates) {
      if (c.begin > c.end || c.end > response.size()) std::abort();
    }
  }
  const rlvr::math::MathVerdict v = rlvr::math::VerifyMath(response, gold, options);
  if (v.outcome == rlvr::math::Outcome::kError) {
    std::fprintf(stderr, "error verdict: %s\n", v.reason.c_str());
    std::abort();
  }
  if (v.valid != (v.outcome == rlvr::math::Outcome::kCorrect ||
                  v.outcome == rlvr::math::Outcome::kIncorrect ||
                  v.outcome == rlvr::math::Outcome::kNoAnswer)) {
    std::abort();
  }
  return 0;
}
