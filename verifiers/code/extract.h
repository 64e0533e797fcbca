// Code extraction: finds the program in a model's response (a Markdown fenced block).
#ifndef RLVR_VERIFIERS_CODE_EXTRACT_H_
#define RLVR_VERIFIERS_CODE_EXTRACT_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rlvr::code {

struct ExtractOptions {
  // Which block wins when several match: the last (default; models often draft first) or the first.
  bool take_last = true;
  // With no block tagged with the language, take the last untagged block (```\n…```).
  bool untagged_fallback = true;
  // With no fence at all, take the whole response as the program.
  bool whole_response_fallback = false;
  // A block left open at the end of the response (a truncated generation) counts.
  bool accept_unclosed = true;
};

// One fenced block: its info-string tag (lower-cased first word, may be empty) and its body.
struct FencedBlock {
  std::string tag;
  std::string body;
  bool closed = true;
};

// All fenced blocks (``` or ~~~, three or more, up to three spaces of indent) in order.
std::vector<FencedBlock> FindFencedBlocks(std::string_view text);

// The program for a language whose fence tags are `tags` (lower case: {"python", "py", …}), or
// nullopt when the response holds none. Never fails otherwise.
std::optional<std::string> ExtractCode(std::string_view response, const std::vector<std::string>& tags,
                                       const ExtractOptions& options);

}  // namespace rlvr::code

#endif  // RLVR_VERIFIERS_CODE_EXTRACT_H_
