// libFuzzer target for the user-input side of reward specs: an arbitrary pattern compiled as a format
// term, then matched against an arbitrary response. The input is "<pattern>\0<response>". Invariants:
// Create never crashes (bad patterns are INVALID_ARGUMENT) and a created function scores every response
// with one finite component per term.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "rewards/reward_spec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t split = input.find('\0');
  const std::string_view pattern = input.substr(0, split);
  const std::string_view response = split == std::string_view::npos ? "" : input.substr(split + 1);

  rlvr::rewards::RewardSpec spec;
  spec.format.push_back({"full", std::string(pattern), rlvr::rewards::FormatTerm::Anchor::kFull});
  spec.format.push_back({"partial", std::string(pattern), rlvr::rewards::FormatTerm::Anchor::kPartial});
  spec.overlong.push_back({"overlong", 64, 16, 1.0});
  auto fn = rlvr::rewards::RewardFunction::Create(spec);
  if (!fn.ok()) {
    if (fn.status().code() != absl::StatusCode::kInvalidArgument) std::abort();
    return 0;
  }
  auto r = fn->Compute({true, 1.0, response, static_cast<int64_t>(response.size())});
  if (!r.ok() || r->components.size() != 4 || !std::isfinite(r->total)) std::abort();
  return 0;
}
