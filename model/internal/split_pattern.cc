#include "model/internal/split_pattern.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "re2/re2.h"

namespace rlvr::model::internal {
namespace {

constexpr size_t kNone = std::string_view::npos;

// White_Space as class bodies (usable inside [...]), and the complement of it.
constexpr char kSpaceBody[] =
    R"(\x{9}-\x{d}\x{20}\x{85}\x{a0}\x{1680}\x{2000}-\x{200a})"
    R"(\x{2028}\x{2029}\x{202f}\x{205f}\x{3000})";
constexpr char kNonSpaceBody[] =
    R"(\x{0}-\x{8}\x{e}-\x{1f}\x{21}-\x{84}\x{86}-\x{9f}\x{a1}-\x{167f}\x{1681}-\x{1fff})"
    R"(\x{200b}-\x{2027}\x{202a}-\x{202e}\x{2030}-\x{205e}\x{2060}-\x{2fff}\x{3001}-\x{10ffff})";
// Oniguruma's Unicode \w: letters, marks, decimal digits, connector punctuation.
constexpr char kWordBody[] = R"(\p{L}\p{M}\p{Nd}\p{Pc})";
// The one lookahead alternative that is emulated.
constexpr std::string_view kLookaheadAlternative = R"(\s+(?!\S))";

struct Alternative {
  std::string original;          // as written
  std::string translated;        // for RE2
  size_t lookaround_at = kNone;  // offset in the pattern of the first (?= (?! (?<= (?<!
};

absl::string_view Sv(std::string_view s) { return absl::string_view(s.data(), s.size()); }

absl::Status PatternError(std::string_view pattern, std::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("split regex \"", Sv(pattern), "\": ", Sv(what)));
}

// Splits `pattern` into its top-level alternatives, translating the Unicode-aware escapes.
absl::StatusOr<std::vector<Alternative>> Translate(std::string_view pattern) {
  std::vector<Alternative> alternatives(1);
  size_t alternative_start = 0;
  int depth = 0;
  bool in_class = false;
  size_t i = 0;
  while (i < pattern.size()) {
    Alternative& alt = alternatives.back();
    std::string& out = alt.translated;
    const char c = pattern[i];
    if (c == '\\') {
      if (i + 1 == pattern.size()) return PatternError(pattern, "ends with a lone backslash");
      const char e = pattern[i + 1];
      i += 2;
      switch (e) {
        case 's':
          absl::StrAppend(&out, in_class ? "" : "[", kSpaceBody, in_class ? "" : "]");
          break;
        case 'S':
          absl::StrAppend(&out, in_class ? "" : "[", kNonSpaceBody, in_class ? "" : "]");
          break;
        case 'd':
          out += R"(\p{Nd})";
          break;
        case 'D':
          out += R"(\P{Nd})";
          break;
        case 'w':
          absl::StrAppend(&out, in_class ? "" : "[", kWordBody, in_class ? "" : "]");
          break;
        case 'W':
          if (in_class) {
            return PatternError(pattern, absl::StrCat("\\W inside a character class (offset ",
                                                      i - 2, ") is not supported"));
          }
          absl::StrAppend(&out, "[^", kWordBody, "]");
          break;
        case 'u':  // Oniguruma's \uHHHH; RE2 spells it \x{HHHH}
          if (i + 4 > pattern.size() ||
              !std::all_of(pattern.begin() + i, pattern.begin() + i + 4, absl::ascii_isxdigit)) {
            return PatternError(
                pattern, absl::StrCat("\\u at offset ", i - 2, " is not followed by 4 hex digits"));
          }
          absl::StrAppend(&out, "\\x{", Sv(pattern.substr(i, 4)), "}");
          i += 4;
          break;
        default:
          out += '\\';
          out += e;
      }
      continue;
    }
    if (in_class) {
      if (c == ']') {
        in_class = false;
      } else if (c == '[') {
        if (i + 1 < pattern.size() && pattern[i + 1] == ':') {  // POSIX class [:alpha:]
          const size_t close = pattern.find(":]", i + 2);
          if (close == std::string_view::npos) {
            return PatternError(pattern, absl::StrCat("unterminated [: at offset ", i));
          }
          out.append(pattern.substr(i, close + 2 - i));
          i = close + 2;
          continue;
        }
        return PatternError(
            pattern, absl::StrCat("nested character class at offset ", i, " is not supported"));
      }
      out += c;
      ++i;
      continue;
    }
    if (c == '[') {
      in_class = true;
      out += c;
      ++i;
      if (i < pattern.size() && pattern[i] == '^') out += pattern[i++];
      if (i < pattern.size() && pattern[i] == ']') out += pattern[i++];  // a literal ']'
      continue;
    }
    if (c == '(') {
      const std::string_view rest = pattern.substr(i);
      if (alt.lookaround_at == kNone && (rest.starts_with("(?=") || rest.starts_with("(?!") ||
                                         rest.starts_with("(?<=") || rest.starts_with("(?<!"))) {
        alt.lookaround_at = i;
      }
      ++depth;
    } else if (c == ')') {
      if (depth > 0) --depth;
    } else if (c == '|' && depth == 0) {
      alt.original = std::string(pattern.substr(alternative_start, i - alternative_start));
      alternatives.emplace_back();
      alternative_start = ++i;
      continue;
    }
    out += c;
    ++i;
  }
  alternatives.back().original = std::string(pattern.substr(alternative_start));
  return alternatives;
}

absl::StatusOr<std::unique_ptr<re2::RE2>> CompileRe2(std::string_view pattern,
                                                     const std::vector<std::string>& parts) {
  const std::string joined = absl::StrJoin(parts, "|");
  re2::RE2::Options options;
  options.set_log_errors(false);
  options.set_never_capture(true);
  options.set_max_mem(int64_t{64} << 20);
  auto re = std::make_unique<re2::RE2>(joined, options);
  if (!re->ok()) {
    return PatternError(pattern,
                        absl::StrCat("RE2 cannot compile it (as \"", joined, "\"): ", re->error()));
  }
  return re;
}

// Finds where `\s+(?!\S)` can match. Starting positions only move forward, so the scan resumes
// where the previous one stopped.
class LookaheadScanner {
 public:
  explicit LookaheadScanner(std::string_view text) : text_(text) {}

  // The leftmost start in [pos, limit] (limit may be kNone), or kNone.
  size_t Next(size_t pos, size_t limit) {
    if (found_ != kNone && found_ >= pos) return found_ <= limit ? found_ : kNone;
    found_ = kNone;
    size_t p = std::max(pos, cursor_);
    while (p < text_.size() && p <= limit) {
      char32_t cp = 0;
      const size_t len = DecodeUtf8(text_, p, &cp);
      // A whitespace character starts a match unless it is the last of a run that a non-space
      // follows (then the lookahead fails after every shorter run too).
      if (IsUnicodeSpace(cp)) {
        const size_t q = p + len;
        char32_t next = 0;
        if (q == text_.size() || (DecodeUtf8(text_, q, &next) > 0 && IsUnicodeSpace(next))) {
          found_ = p;
          break;
        }
      }
      p += std::max<size_t>(len, 1);
    }
    cursor_ = p;
    return found_;
  }

  // End of the match that starts at `begin` (a position Next returned).
  size_t MatchEnd(size_t begin) const {
    size_t p = begin;
    size_t last = begin;
    while (p < text_.size()) {
      char32_t cp = 0;
      const size_t len = DecodeUtf8(text_, p, &cp);
      if (len == 0 || !IsUnicodeSpace(cp)) return last;  // the run less its last character
      last = p;
      p += len;
    }
    return p;
  }

 private:
  std::string_view text_;
  size_t cursor_ = 0;     // no match starts in [pos of the last call, cursor_) except found_
  size_t found_ = kNone;  // the last start found
};

}  // namespace

size_t DecodeUtf8(std::string_view s, size_t pos, char32_t* cp) {
  if (pos >= s.size()) return 0;
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(s[i]); };
  const uint8_t b0 = byte(pos);
  if (b0 < 0x80) {
    *cp = b0;
    return 1;
  }
  size_t len;
  char32_t value;
  uint8_t lo = 0x80;  // allowed range of the second byte
  uint8_t hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
    value = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    value = b0 & 0x0F;
    if (b0 == 0xE0) lo = 0xA0;  // overlong
    if (b0 == 0xED) hi = 0x9F;  // surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    value = b0 & 0x07;
    if (b0 == 0xF0) lo = 0x90;  // overlong
    if (b0 == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    return 0;
  }
  if (pos + len > s.size()) return 0;
  for (size_t i = 1; i < len; ++i) {
    const uint8_t b = byte(pos + i);
    if (i == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF)) return 0;
    value = (value << 6) | (b & 0x3F);
  }
  *cp = value;
  return len;
}

std::string EncodeUtf8(char32_t cp) {
  std::string out;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return out;
}

bool IsUnicodeSpace(char32_t cp) {
  if (cp <= 0x20) return cp == 0x20 || (cp >= 0x09 && cp <= 0x0D);
  if (cp < 0x85) return false;
  return cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) ||
         cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

SplitPattern::~SplitPattern() = default;

absl::StatusOr<std::unique_ptr<SplitPattern>> SplitPattern::Literal(std::string_view literal) {
  return Create(re2::RE2::QuoteMeta(re2::StringPiece(literal.data(), literal.size())));
}

absl::StatusOr<std::unique_ptr<SplitPattern>> SplitPattern::Create(std::string_view pattern) {
  auto alternatives = Translate(pattern);
  if (!alternatives.ok()) return alternatives.status();
  std::unique_ptr<SplitPattern> split(new SplitPattern);
  split->pattern_ = std::string(pattern);
  std::vector<std::string> all;
  std::vector<std::string> before;
  for (const Alternative& alt : *alternatives) {
    if (alt.original == kLookaheadAlternative && !split->has_lookahead_) {
      split->has_lookahead_ = true;
      continue;
    }
    if (alt.lookaround_at != kNone) {
      return PatternError(pattern, absl::StrCat("lookaround at offset ", alt.lookaround_at,
                                                " is not supported (only a top-level ",
                                                Sv(kLookaheadAlternative), " alternative is)"));
    }
    all.push_back(alt.translated);
    if (!split->has_lookahead_) before.push_back(alt.translated);
  }
  if (!all.empty()) {
    auto re = CompileRe2(pattern, all);
    if (!re.ok()) return re.status();
    split->all_ = *std::move(re);
  }
  if (split->has_lookahead_ && !before.empty()) {
    auto re = CompileRe2(pattern, before);
    if (!re.ok()) return re.status();
    split->before_ = *std::move(re);
  }
  return split;
}

void SplitPattern::FindMatches(std::string_view text,
                               std::vector<std::pair<size_t, size_t>>* matches) const {
  const size_t n = text.size();
  const re2::StringPiece whole(text.data(), n);
  LookaheadScanner lookahead(text);
  // RE2's leftmost match found from an earlier position stays the leftmost one from any later
  // position up to its start, so it is searched for again only once it lies behind.
  bool re2_done = all_ == nullptr;
  size_t re2_begin = 0;
  size_t re2_end = 0;
  bool re2_valid = false;
  size_t pos = 0;
  while (pos < n) {
    if (!re2_done && !(re2_valid && re2_begin >= pos)) {
      re2::StringPiece m;
      if (all_->Match(whole, pos, n, re2::RE2::UNANCHORED, &m, 1)) {
        re2_begin = static_cast<size_t>(m.data() - text.data());
        re2_end = re2_begin + m.size();
        re2_valid = true;
      } else {
        re2_done = true;
      }
    }
    const size_t s1 = re2_done ? kNone : re2_begin;
    const size_t s2 = has_lookahead_ ? lookahead.Next(pos, s1) : kNone;
    size_t begin;
    size_t end;
    if (s2 != kNone && (s1 == kNone || s2 < s1 || before_ == nullptr ||
                        !before_->Match(whole, s2, n, re2::RE2::ANCHOR_START, nullptr, 0))) {
      begin = s2;
      end = lookahead.MatchEnd(s2);
    } else if (s1 != kNone) {
      begin = s1;
      end = re2_end;
    } else {
      break;
    }
    if (begin == end) {  // Oniguruma steps one character past an empty match
      char32_t cp = 0;
      pos = begin + std::max<size_t>(DecodeUtf8(text, begin, &cp), 1);
      continue;
    }
    matches->emplace_back(begin, end);
    pos = end;
  }
}

}  // namespace rlvr::model::internal
