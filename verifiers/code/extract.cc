#include "verifiers/code/extract.h"

#include <algorithm>
#include <cctype>

namespace rlvr::code {
namespace {

// If `line` opens or closes a fence, returns the fence character run length and char.
struct Fence {
  char ch = 0;
  size_t len = 0;
  std::string_view info;
};

std::optional<Fence> ParseFence(std::string_view line) {
  size_t i = 0;
  while (i < line.size() && i < 3 && line[i] == ' ') ++i;
  if (i >= line.size() || (line[i] != '`' && line[i] != '~')) return std::nullopt;
  Fence f;
  f.ch = line[i];
  size_t j = i;
  while (j < line.size() && line[j] == f.ch) ++j;
  f.len = j - i;
  if (f.len < 3) return std::nullopt;
  f.info = line.substr(j);
  return f;
}

std::string TagOf(std::string_view info) {
  size_t b = 0;
  while (b < info.size() && std::isspace(static_cast<unsigned char>(info[b]))) ++b;
  if (b < info.size() && info[b] == '{') ++b;  // ```{python}
  if (b < info.size() && info[b] == '.') ++b;  // ```{.python}
  size_t e = b;
  while (e < info.size() && !std::isspace(static_cast<unsigned char>(info[e])) && info[e] != '}' &&
         info[e] != '`') {
    ++e;
  }
  std::string tag(info.substr(b, e - b));
  std::transform(tag.begin(), tag.end(), tag.begin(), [](unsigned char c) { return std::tolower(c); });
  return tag;
}

}  // namespace

std::vector<FencedBlock> FindFencedBlocks(std::string_view text) {
  std::vector<FencedBlock> blocks;
  std::optional<Fence> open;
  FencedBlock current;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    const size_t end = nl == std::string_view::npos ? text.size() : nl;
    std::string_view line = text.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    std::optional<Fence> f = ParseFence(line);
    if (!open.has_value()) {
      // A backtick fence's info string may not contain a backtick (CommonMark).
      if (f.has_value() && !(f->ch == '`' && f->info.find('`') != std::string_view::npos)) {
        open = f;
        current = FencedBlock{TagOf(f->info), "", true};
      }
    } else if (f.has_value() && f->ch == open->ch && f->len >= open->len &&
               f->info.find_first_not_of(" \t") == std::string_view::npos) {
      blocks.push_back(std::move(current));
      open.reset();
    } else {
      current.body.append(line);
      current.body.push_back('\n');
    }
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  if (open.has_value()) {
    current.closed = false;
    blocks.push_back(std::move(current));
  }
  return blocks;
}

std::optional<std::string> ExtractCode(std::string_view response, const std::vector<std::string>& tags,
                                       const ExtractOptions& options) {
  std::vector<FencedBlock> blocks = FindFencedBlocks(response);
  auto pick = [&](auto&& pred) -> std::optional<std::string> {
    std::optional<std::string> found;
    for (FencedBlock& b : blocks) {
      if (!b.closed && !options.accept_unclosed) continue;
      if (!pred(b)) continue;
      found = b.body;
      if (!options.take_last) break;
    }
    return found;
  };
  std::optional<std::string> code = pick([&](const FencedBlock& b) {
    return std::find(tags.begin(), tags.end(), b.tag) != tags.end();
  });
  if (!code.has_value() && options.untagged_fallback) {
    code = pick([](const FencedBlock& b) { return b.tag.empty(); });
  }
  if (!code.has_value() && options.whole_response_fallback && blocks.empty()) {
    code = std::string(response);
  }
  if (code.has_value() && code->find_first_not_of(" \t\r\n") == std::string::npos) return std::nullopt;
  return code;
}

}  // namespace rlvr::code
