#include "verifiers/math/extract.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <immintrin.h>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace rlvr::math {
namespace {

constexpr size_t kNpos = std::string_view::npos;
// The most a single delimited group (a box, a math environment, an answer tag) may span.
constexpr size_t kMaxGroupBytes = size_t{1} << 16;
// The most anchors / closing delimiters one rule examines, so a hostile text full of "\boxed{" or
// unmatched "$" costs O(kMaxProbes * kMaxGroupBytes) at worst.
constexpr int kMaxProbes = 64;
// How many candidates one rule contributes.
constexpr int kPerRule = 3;
// The most boxes / environments joined into one answer.
constexpr int kMaxJoined = 16;
// How far before a box an earlier box may start and still enclose it or be joined to it.
constexpr size_t kNearBoxBytes = 4096;
// "I hope it is correct" counts only when it starts this close to the end of the text.
constexpr size_t kHopeTailBytes = 4096;
// Text after an anchor is cut at the end of its sentence, and at this length.
constexpr size_t kMaxTailBytes = 1024;
// kWholeText applies to texts up to this length.
constexpr size_t kMaxWholeTextBytes = 1024;

bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlnum(char c) { return IsAlpha(c) || IsDigit(c); }
bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

bool StartsWithCI(std::string_view s, size_t pos, std::string_view lower_needle) {
  if (pos > s.size() || s.size() - pos < lower_needle.size()) return false;
  for (size_t k = 0; k < lower_needle.size(); ++k) {
    if (Lower(s[pos + k]) != lower_needle[k]) return false;
  }
  return true;
}

// The last position of byte `c` in s[lo, hi); kNpos if none. memrchr is vectorised; it is called on
// windows of kWindow bytes because sanitizers check a call's whole range, which would make repeated
// searches over a long text quadratic.
size_t RFindByte(std::string_view s, char c, size_t lo, size_t hi) {
  constexpr size_t kWindow = 512;
  while (hi > lo) {
    const size_t from = hi - lo > kWindow ? hi - kWindow : lo;
    const void* p = memrchr(s.data() + from, c, hi - from);
    if (p != nullptr) return static_cast<size_t>(static_cast<const char*>(p) - s.data());
    hi = from;
  }
  return kNpos;
}

// How common a byte is in English text (higher is more common); the searches below look for a
// needle's rarest byte so that long runs of a common letter cost few memrchr calls.
struct CommonnessTable {
  std::array<int, 256> rank{};
  constexpr CommonnessTable() {
    for (int& r : rank) r = -1;
    constexpr std::string_view kByFrequency = "zqxjkvbpygfwmucldrhsnioate";  // rare -> common
    for (size_t k = 0; k < kByFrequency.size(); ++k) {
      rank[static_cast<unsigned char>(kByFrequency[k])] = static_cast<int>(k);
      rank[static_cast<unsigned char>(kByFrequency[k] - 32)] = static_cast<int>(k);
    }
    rank[static_cast<unsigned char>(' ')] = 100;
    rank[static_cast<unsigned char>('\\')] = 60;  // LaTeX is full of backslashes and braces
    rank[static_cast<unsigned char>('{')] = 55;
    rank[static_cast<unsigned char>('}')] = 55;
    rank[static_cast<unsigned char>('$')] = 55;
  }
};
constexpr CommonnessTable kCommonness;

int Commonness(char c) { return kCommonness.rank[static_cast<unsigned char>(c)]; }

size_t RarestIndex(std::string_view needle) {
  size_t best = 0;
  for (size_t k = 1; k < needle.size(); ++k) {
    if (Commonness(needle[k]) < Commonness(needle[best])) best = k;
  }
  return best;
}

// Two bytes that every match has: `first` at the start and `second` at `offset` after it, each
// compared after OR-ing its `_or` bits into the text (0x20: a letter in either case).
struct BytePair {
  char first, first_or, second, second_or;
  size_t offset;
};

// The pair for `needle` (length >= 2): its first and last bytes, letters case-folded when `fold`.
BytePair NeedlePair(std::string_view needle, bool fold) {
  auto fold_bits = [&](char c) { return static_cast<char>(fold && IsAlpha(c) ? 0x20 : 0); };
  return BytePair{needle.front(), fold_bits(needle.front()), needle.back(),
                  fold_bits(needle.back()), needle.size() - 1};
}

// The 32-bit mask of starts in [at, at + 32) where `pair` matches.
struct PairMask {
  BytePair pair;
  __attribute__((target("avx2"))) uint32_t operator()(const char* at) const {
    const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(at));
    const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(at + pair.offset));
    const __m256i eq = _mm256_and_si256(
        _mm256_cmpeq_epi8(_mm256_or_si256(a, _mm256_set1_epi8(pair.first_or)),
                          _mm256_set1_epi8(pair.first)),
        _mm256_cmpeq_epi8(_mm256_or_si256(b, _mm256_set1_epi8(pair.second_or)),
                          _mm256_set1_epi8(pair.second)));
    return static_cast<uint32_t>(_mm256_movemask_epi8(eq));
  }
};

// The mask for both box commands at once: a backslash with 'd' 5 bytes on ("\boxed") or 'x' 4
// bytes on ("\fbox").
struct BoxCommandMask {
  __attribute__((target("avx2"))) uint32_t operator()(const char* at) const {
    const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(at));
    const __m256i b4 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(at + 4));
    const __m256i b5 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(at + 5));
    const __m256i eq = _mm256_and_si256(
        _mm256_cmpeq_epi8(a, _mm256_set1_epi8('\\')),
        _mm256_or_si256(_mm256_cmpeq_epi8(b5, _mm256_set1_epi8('d')),
                        _mm256_cmpeq_epi8(b4, _mm256_set1_epi8('x'))));
    return static_cast<uint32_t>(_mm256_movemask_epi8(eq));
  }
};

// The last start in [lo, top) where `mask_of` marks a candidate and `confirm` agrees, scanning 32
// starts at a time from the top (the text must extend past top - 1 as far as `mask_of` reads).
// Leaves the starts below the last full block to the caller: returns kNpos with *rest set to the
// first start not scanned.
template <typename Mask, typename Confirm>
__attribute__((target("avx2"))) size_t RFindBlocksAvx2(std::string_view s, const Mask& mask_of,
                                                       size_t lo, size_t top, size_t* rest,
                                                       const Confirm& confirm) {
  size_t p = top;
  while (p >= lo + 32) {
    p -= 32;
    uint32_t mask = mask_of(s.data() + p);
    while (mask != 0) {
      const int bit = 31 - __builtin_clz(mask);
      if (confirm(p + static_cast<size_t>(bit))) return p + static_cast<size_t>(bit);
      mask &= ~(uint32_t{1} << bit);
    }
  }
  *rest = p;
  return kNpos;
}

bool HasAvx2() {
  static const bool has = __builtin_cpu_supports("avx2");
  return has;
}

// The last occurrence of `lower_needle` that lies inside [lo, hi), case-insensitively; kNpos if none.
// With AVX2, 32 starts are tested at a time (RFindBlocksAvx2); otherwise, and for what is left,
// candidates are found with memrchr on both cases of the needle's rarest byte; each case's last
// position is remembered until passed, so the search is linear.
size_t RFindCI(std::string_view s, std::string_view lower_needle, size_t lo, size_t hi) {
  hi = std::min(hi, s.size());
  if (lower_needle.empty() || hi < lo || hi - lo < lower_needle.size()) return kNpos;
  if (lower_needle.size() >= 2 && HasAvx2()) {
    size_t rest = 0;
    const size_t at = RFindBlocksAvx2(s, PairMask{NeedlePair(lower_needle, true)}, lo,
                                      hi - lower_needle.size() + 1, &rest,
                                      [&](size_t p) { return StartsWithCI(s, p, lower_needle); });
    if (at != kNpos) return at;
    hi = rest + lower_needle.size() - 1;  // the starts [lo, rest) remain
    if (hi - lo < lower_needle.size()) return kNpos;
  }
  const size_t k = RarestIndex(lower_needle);
  const char lower = lower_needle[k];
  const char upper = (lower >= 'a' && lower <= 'z') ? static_cast<char>(lower - 32) : lower;
  // A match starts in [lo, top), so its byte k lies in [lo + k, top + k).
  size_t top = hi - lower_needle.size() + 1;
  size_t pl = RFindByte(s, lower, lo + k, top + k);
  size_t pu = upper == lower ? kNpos : RFindByte(s, upper, lo + k, top + k);
  while (true) {
    if (pl != kNpos && pl >= top + k) pl = RFindByte(s, lower, lo + k, top + k);
    if (pu != kNpos && pu >= top + k) pu = RFindByte(s, upper, lo + k, top + k);
    const size_t p = pl == kNpos ? pu : (pu == kNpos ? pl : std::max(pl, pu));
    if (p == kNpos) return kNpos;
    if (StartsWithCI(s, p - k, lower_needle)) return p - k;
    top = p - k;
  }
}

// The last exact occurrence of `needle` starting in [lo, hi); kNpos if none.
size_t RFindExact(std::string_view s, std::string_view needle, size_t lo, size_t hi) {
  hi = std::min(hi, s.size());
  if (needle.empty() || hi <= lo || s.size() - lo < needle.size()) return kNpos;
  if (needle.size() >= 2 && HasAvx2()) {
    size_t rest = 0;
    const size_t top = std::min(hi, s.size() - needle.size() + 1);
    const size_t at = RFindBlocksAvx2(s, PairMask{NeedlePair(needle, false)}, lo, top, &rest,
                                      [&](size_t p) { return s.compare(p, needle.size(), needle) == 0; });
    if (at != kNpos) return at;
    hi = rest;  // the starts [lo, rest) remain
    if (hi <= lo) return kNpos;
  }
  const size_t k = RarestIndex(needle);
  size_t top = std::min(hi, s.size() - needle.size() + 1);  // a match starts in [lo, top)
  while (top > lo) {
    const size_t p = RFindByte(s, needle[k], lo + k, top + k);
    if (p == kNpos) return kNpos;
    if (s.compare(p - k, needle.size(), needle) == 0) return p - k;
    top = p - k;
  }
  return kNpos;
}

// The last "\boxed" or "\fbox" starting in [lo, hi), in one pass; *len is the command's length
// (6 or 5). kNpos if none.
size_t RFindBoxCommand(std::string_view s, size_t lo, size_t hi, size_t* len) {
  hi = std::min(hi, s.size());
  const auto is_cmd = [&](size_t p) {
    if (s[p] != '\\') return false;
    if (s.compare(p, 6, "\\boxed") == 0) {
      *len = 6;
      return true;
    }
    if (s.compare(p, 5, "\\fbox") == 0) {
      *len = 5;
      return true;
    }
    return false;
  };
  if (hi > lo && s.size() >= 6 && HasAvx2()) {
    const size_t top = std::max(lo, std::min(hi, s.size() - 5));
    for (size_t p = hi; p > top; --p) {  // the last starts, too near the end for a block
      if (is_cmd(p - 1)) return p - 1;
    }
    size_t rest = 0;
    const size_t at = RFindBlocksAvx2(s, BoxCommandMask{}, lo, top, &rest, is_cmd);
    if (at != kNpos) return at;
    // The starts [lo, rest) remain, fewer than one block: try each backslash.
    for (size_t p = rest; p > lo;) {
      p = RFindByte(s, '\\', lo, p);
      if (p == kNpos) return kNpos;
      if (is_cmd(p)) return p;
    }
    return kNpos;
  }
  const size_t a = RFindExact(s, "\\boxed", lo, hi);
  const size_t b = RFindExact(s, "\\fbox", lo, hi);
  if (a == kNpos && b == kNpos) return kNpos;
  const size_t at = a == kNpos ? b : (b == kNpos ? a : std::max(a, b));
  *len = at == a ? 6 : 5;
  return at;
}

// True when the character at `i` is preceded by an odd number of backslashes.
bool IsEscaped(std::string_view s, size_t i) {
  size_t n = 0;
  while (i > n && s[i - n - 1] == '\\') ++n;
  return n % 2 == 1;
}

// A word occurrence: not glued to letters on either side.
bool IsWordAt(std::string_view s, size_t pos, size_t len) {
  if (pos > 0 && IsAlpha(s[pos - 1])) return false;
  if (pos + len < s.size() && IsAlpha(s[pos + len])) return false;
  return true;
}

size_t SkipSpaces(std::string_view s, size_t i) {
  while (i < s.size() && IsSpace(s[i])) ++i;
  return i;
}

// A delimited group: [outer_begin, outer_end) with the delimiters, [content_begin, content_end)
// without.
struct Group {
  size_t outer_begin = 0;
  size_t outer_end = 0;
  size_t content_begin = 0;
  size_t content_end = 0;
};

// Words of three or more letters in `text` that are neither LaTeX commands nor common function
// names; counting stops at `stop_at`.
int CountWords(std::string_view text, int stop_at = 1 << 30);

// ---------------------------------------------------------------------------------------------------
// Numbers.

struct NumberToken {
  size_t begin = 0;
  size_t end = 0;  // after the digits and a following percent sign
  std::string text;
};

// Normalises the separators of a number: thousands separators (",", " ", "{,}", ",\!") go when every
// group after the first has exactly three digits; otherwise one decimal comma becomes a point when
// `decimal_comma` is set. Returns the number unchanged when neither applies.
std::string NormalizeNumber(std::string_view raw, bool decimal_comma) {
  if (raw.size() > 4096) return std::string(raw);
  // Split into sign, digit groups with their separators, fraction, and suffix.
  std::string digits;           // all digits and the decimal point
  std::vector<size_t> groups;   // lengths of the integer digit groups
  std::string prefix;           // "-" and/or "."
  std::string suffix;           // "%" or "/denominator"
  bool saw_point = false;
  bool saw_comma_space = false;  // ", " between groups: a list, not a number
  size_t i = 0;
  if (i < raw.size() && raw[i] == '-') prefix += raw[i++];
  size_t group = 0;
  for (; i < raw.size(); ++i) {
    const char c = raw[i];
    if (IsDigit(c)) {
      digits += c;
      if (!saw_point) ++group;
      continue;
    }
    if (c == '.' && !saw_point) {
      if (group > 0 || !groups.empty()) groups.push_back(group);
      group = 0;
      saw_point = true;
      digits += '.';
      continue;
    }
    if (saw_point) break;  // separators after the decimal point end the number
    if (c == ',' || c == ' ' || c == '{' || c == '}' || c == '\\' || c == '!') {
      if (c == ',' && i + 1 < raw.size() && raw[i + 1] == ' ') saw_comma_space = true;
      if (group > 0) {
        groups.push_back(group);
        group = 0;
      }
      continue;
    }
    break;
  }
  if (!saw_point && group > 0) groups.push_back(group);
  suffix = std::string(raw.substr(i));
  if (saw_comma_space || groups.size() <= 1) {
    return std::string(raw);
  }
  // Several integer groups: thousands separators if groups after the first are all three digits
  // and the first is 1-3 digits and not "0".
  bool thousands = groups.front() >= 1 && groups.front() <= 3 && digits[0] != '0';
  for (size_t g = 1; g < groups.size() && thousands; ++g) thousands = groups[g] == 3;
  if (thousands) return prefix + digits + suffix;
  // One comma between two groups and no point: a decimal comma.
  if (decimal_comma && groups.size() == 2 && !saw_point &&
      std::count(raw.begin(), raw.end(), ',') == 1 &&
      raw.find_first_of(" {\\") == kNpos) {
    std::string out = prefix + digits.substr(0, groups[0]) + "." + digits.substr(groups[0]);
    return out + suffix;
  }
  return std::string(raw);
}

// The last number in s[lo, hi), scanning backwards. Numbers glued to a letter, "_", "^" or "\" on
// the left (a name like "AZYUK2A", a subscript) are skipped. Accepts thousands separators
// (",", "{,}", ",\!", a space before a group of three digits), a decimal point or comma, a leading
// "." or "-", a simple fraction "a/b" and a trailing "%" / "\%". With `stop`, a number whose last
// digit lies before `stop` is not wanted: the search gives up there.
std::optional<NumberToken> PrevNumber(std::string_view s, size_t lo, size_t hi, bool decimal_comma,
                                      size_t stop = 0) {
  size_t i = std::min(hi, s.size());
  while (i > lo) {
    --i;
    if (i < stop) return std::nullopt;
    if (!IsDigit(s[i])) continue;
    size_t end = i + 1;
    size_t b = i;
    while (true) {
      while (b > lo && IsDigit(s[b - 1])) --b;
      // Separators between digit groups.
      if (b >= lo + 2 && (s[b - 1] == '.' || s[b - 1] == ',') && IsDigit(s[b - 2])) {
        b -= 1;
        continue;
      }
      if (b >= lo + 4 && s.substr(b - 3, 3) == "{,}" && IsDigit(s[b - 4])) {
        b -= 3;
        continue;
      }
      if (b >= lo + 4 && s.substr(b - 3, 3) == ",\\!" && IsDigit(s[b - 4])) {
        b -= 3;
        continue;
      }
      if (b >= lo + 5 && s.substr(b - 4, 4) == ",\\! " && IsDigit(s[b - 5])) {
        b -= 4;
        continue;
      }
      if (b >= lo + 2 && s[b - 1] == ' ' && IsDigit(s[b - 2])) {
        // "1 000": only before a group of exactly three digits.
        size_t g = b;
        while (g < s.size() && IsDigit(s[g])) ++g;
        if (g - b == 3 && (g >= s.size() || !IsDigit(s[g]))) {
          b -= 1;
          continue;
        }
      }
      break;
    }
    // Simple fraction "a/b".
    if (b >= lo + 2 && s[b - 1] == '/' && IsDigit(s[b - 2])) {
      b -= 1;
      while (b > lo && IsDigit(s[b - 1])) --b;
    }
    if (b > lo && s[b - 1] == '.' && (b - 1 == lo || !IsDigit(s[b - 2]))) --b;  // ".4"
    if (b > lo && s[b - 1] == '-' && (b - 1 == lo || !IsAlnum(s[b - 2]))) --b;
    const char before = b > lo ? s[b - 1] : ' ';
    const bool script = before == '{' && b >= lo + 2 && (s[b - 2] == '^' || s[b - 2] == '_');
    if (IsAlpha(before) || before == '_' || before == '^' || before == '\\' || script) {
      i = b;
      continue;
    }
    // Trailing separators are not part of the number.
    size_t e = end;
    if (e < hi && s[e] == '%') {
      ++e;
    } else if (e + 1 < hi && s[e] == '\\' && s[e + 1] == '%') {
      e += 2;
    }
    std::string_view raw = s.substr(b, end - b);
    // "(7,6)" and "[0,1)" are pairs, not decimal commas.
    const char after = end < s.size() ? s[end] : ' ';
    const bool listy = before == '(' || before == '[' || before == '{' || before == ',' ||
                       after == ',' || after == ')' || after == ']' || after == '}';
    NumberToken tok;
    tok.begin = b;
    tok.end = e;
    tok.text = NormalizeNumber(raw, decimal_comma && !listy);
    if (e > end) tok.text += "%";
    return tok;
  }
  return std::nullopt;
}

// When `text` is exactly one number, its normalised form; otherwise `text` unchanged.
std::string NormalizeIfNumber(std::string_view text, bool decimal_comma) {
  if (text.size() > 4096) return std::string(text);  // nobody writes such a number with separators
  // Quick reject: a number starts with a digit, "-" or "." and ends with a digit or "%".
  if (text.empty() || !(IsDigit(text.front()) || text.front() == '-' || text.front() == '.') ||
      !(IsDigit(text.back()) || text.back() == '%')) {
    return std::string(text);
  }
  // A number (PrevNumber's forms) has only these bytes; anything else and the text is not one.
  // Digits, points and minus signs alone have nothing to normalise: the text stays as it is.
  bool separators = false;
  for (const char c : text) {
    if (IsDigit(c) || c == '.' || c == '-') continue;
    if (c != ',' && c != '{' && c != '}' && c != '\\' && c != '!' && c != ' ' && c != '/' &&
        c != '%') {
      return std::string(text);
    }
    separators = true;
  }
  if (!separators) return std::string(text);
  std::optional<NumberToken> tok = PrevNumber(text, 0, text.size(), decimal_comma);
  if (tok && tok->begin == 0 && tok->end == text.size()) return tok->text;
  return std::string(text);
}

// ---------------------------------------------------------------------------------------------------
// Boxes.

// The \boxed / \fbox group whose command starts at `cmd` (command name length `len`).
std::optional<Group> BoxAt(std::string_view s, size_t cmd, size_t len) {
  size_t i = cmd + len;
  if (i < s.size() && IsAlpha(s[i])) return std::nullopt;  // \boxedfoo is another command
  size_t j = i;
  while (j < s.size() && (s[j] == ' ' || s[j] == '\t')) ++j;
  if (j < s.size() && s[j] == '{') {
    int depth = 0;
    const size_t limit = std::min(s.size(), j + kMaxGroupBytes);
    for (size_t k = j; k < limit; ++k) {
      const char c = s[k];
      if (c == '\\') {
        ++k;  // \{ \} \\ do not count
        continue;
      }
      if (c == '{') {
        ++depth;
      } else if (c == '}' && --depth == 0) {
        return Group{cmd, k + 1, j + 1, k};
      }
    }
    return std::nullopt;
  }
  // "\boxed 5": one token after whitespace (or digits directly).
  if (j == i && !(j < s.size() && IsDigit(s[j]))) return std::nullopt;
  size_t k = j;
  while (k < s.size() && k - j < 256 && !IsSpace(s[k]) && s[k] != '$' && s[k] != '}' &&
         !(s[k] == '\\' && k + 1 < s.size() && (s[k + 1] == ')' || s[k + 1] == ']'))) {
    ++k;
  }
  size_t e = k;
  while (e > j && (s[e - 1] == '.' || s[e - 1] == ',' || s[e - 1] == ';')) --e;
  if (e == j) return std::nullopt;
  return Group{cmd, k, j, e};
}

// True when `gap`, the text between two boxes, is a short connector: spacing and punctuation only
// ("}, \\boxed{", "} \\quad \\boxed{"), or at most four words one of which is "and" / "or"
// ("} papers and \\boxed{", "} \\) and \\( y_2 = \\boxed{"); no blank line. Digits and "=" are
// allowed only beside such a connector.
bool IsBoxJoinGap(std::string_view gap) {
  if (gap.size() > 80 || gap.find("\n\n") != kNpos) return false;
  int words = 0;
  bool connector = false;
  bool math = false;
  for (size_t i = 0; i < gap.size();) {
    const char c = gap[i];
    if (IsDigit(c) || c == '=') math = true;
    if (c == '\\') {  // a command such as \quad or \text: not a word
      ++i;
      if (i < gap.size() && !IsAlpha(gap[i])) {
        ++i;
        continue;
      }
      while (i < gap.size() && IsAlpha(gap[i])) ++i;
      continue;
    }
    if (IsAlpha(c)) {
      size_t j = i;
      while (j < gap.size() && IsAlpha(gap[j])) ++j;
      ++words;
      connector |= (j - i == 3 && StartsWithCI(gap, i, "and")) ||
                   (j - i == 2 && StartsWithCI(gap, i, "or"));
      i = j;
      continue;
    }
    ++i;
  }
  if (connector) return words <= 4;
  return words == 0 && !math;
}

// Boxes in s[lo, hi), last first, not nested in one another (an enclosing box replaces the one it
// encloses, if it starts at most kNearBoxBytes before it). At most `max_boxes`. With `near_only`,
// the search stops where no box could start within kNearBoxBytes of the earliest box found: the
// boxes that can be joined into the first candidate, without scanning a long text to its start.
std::vector<Group> LastBoxes(std::string_view s, size_t lo, size_t hi, size_t max_boxes,
                             bool near_only) {
  std::vector<Group> boxes;
  size_t pos = hi;
  // Each step searches below the command found before, so the whole scan is one pass.
  for (int probes = 0; probes < kMaxProbes && pos > lo; ++probes) {
    size_t floor = lo;
    if (near_only && !boxes.empty() && boxes.back().outer_begin > lo + kNearBoxBytes) {
      floor = boxes.back().outer_begin - kNearBoxBytes;
    }
    size_t len = 0;
    const size_t cmd = RFindBoxCommand(s, floor, pos, &len);
    if (cmd == kNpos) break;
    pos = cmd;
    std::optional<Group> g = BoxAt(s, cmd, len);
    if (!g || g->outer_end > hi) continue;
    if (!boxes.empty() && g->outer_end > boxes.back().outer_begin) {
      // Encloses (or overlaps) the box found before: keep the outer one, when near enough.
      if (g->outer_end >= boxes.back().outer_end &&
          g->outer_begin + kNearBoxBytes >= boxes.back().outer_begin) {
        boxes.back() = *g;
      }
      continue;
    }
    if (boxes.size() >= max_boxes) break;
    boxes.push_back(*g);
  }
  return boxes;
}

// ---------------------------------------------------------------------------------------------------
// Math environments.

// The last math environment inside s[lo, hi): $..$ (one line), $$..$$, \(..\) (one line), \[..\].
// Each closing delimiter examined costs one of `*probes`.
std::optional<Group> PrevEnv(std::string_view s, size_t lo, size_t hi, int* probes) {
  size_t i = std::min(hi, s.size());
  while (i > lo && *probes > 0) {
    --i;
    const char c = s[i];
    if (c == '$') {
      if (IsEscaped(s, i)) continue;
      --*probes;
      if (i > lo && s[i - 1] == '$' && !IsEscaped(s, i - 1)) {
        // Display: closing "$$" at [i-1, i+1); look for the opening "$$".
        const size_t close = i - 1;
        const size_t stop = close - lo > kMaxGroupBytes ? close - kMaxGroupBytes : lo;
        for (size_t k = close; k >= stop + 2; --k) {
          // opening "$$" at [k-2, k)
          if (s[k - 1] == '$' && s[k - 2] == '$' && !IsEscaped(s, k - 2)) {
            if (!Trim(s.substr(k, close - k)).empty()) return Group{k - 2, close + 2, k, close};
            break;
          }
        }
        i = close;
        continue;
      }
      // Inline: the opening "$" on the same line.
      const size_t stop = i - lo > kMaxGroupBytes ? i - kMaxGroupBytes : lo;
      for (size_t k = i; k > stop;) {
        --k;
        if (s[k] == '\n') break;
        if (s[k] == '$' && !IsEscaped(s, k)) {
          if (k > lo && s[k - 1] == '$') break;  // a "$$", not an inline opener
          if (k + 1 < i && !Trim(s.substr(k + 1, i - k - 1)).empty()) {
            return Group{k, i + 1, k + 1, i};
          }
          break;
        }
      }
      continue;
    }
    if ((c == ')' || c == ']') && i > lo && s[i - 1] == '\\' && !IsEscaped(s, i - 1)) {
      --*probes;
      const size_t close = i - 1;
      const char open = c == ')' ? '(' : '[';
      const size_t stop = close - lo > kMaxGroupBytes ? close - kMaxGroupBytes : lo;
      for (size_t k = close; k > stop;) {
        --k;
        if (open == '(' && s[k] == '\n') break;
        if (s[k] == '\\' && k + 1 < close && s[k + 1] == open && !IsEscaped(s, k)) {
          if (!Trim(s.substr(k + 2, close - k - 2)).empty()) return Group{k, i + 1, k + 2, close};
          break;
        }
      }
      i = close;
      continue;
    }
  }
  return std::nullopt;
}

// True when `gap`, the text between two math environments, joins them: only spaces, commas,
// semicolons and at least one "and" / "or".
bool IsEnvJoinGap(std::string_view gap) {
  if (gap.size() > 40) return false;
  bool connector = false;
  for (size_t i = 0; i < gap.size();) {
    const char c = gap[i];
    if (IsSpace(c) || c == ',' || c == ';') {
      ++i;
      continue;
    }
    if (StartsWithCI(gap, i, "and") && IsWordAt(gap, i, 3)) {
      connector = true;
      i += 3;
      continue;
    }
    if (StartsWithCI(gap, i, "or") && IsWordAt(gap, i, 2)) {
      connector = true;
      i += 2;
      continue;
    }
    return false;
  }
  return connector;
}

// The content of a group, trimmed, with trailing punctuation removed.
std::string_view GroupContent(std::string_view s, const Group& g) {
  std::string_view c = Trim(s.substr(g.content_begin, g.content_end - g.content_begin));
  while (!c.empty() && (c.back() == ',' || c.back() == '.' || c.back() == ';')) {
    c.remove_suffix(1);
    c = Trim(c);
  }
  return c;
}

// A percent word right after position `pos` ("%", "\%", "percent", "pct"): "$28$ %" means 28%.
bool PercentFollows(std::string_view s, size_t pos) {
  size_t i = SkipSpaces(s, pos);
  if (i < s.size() && s[i] == '%') return true;
  if (i + 1 < s.size() && s[i] == '\\' && s[i + 1] == '%') return true;
  if (StartsWithCI(s, i, "percent")) return true;
  return StartsWithCI(s, i, "pct") && (i + 3 >= s.size() || !IsAlpha(s[i + 3]));
}

// Joins groups (given last first) into "a, b, c" in text order.
std::string JoinGroups(std::string_view s, const std::vector<Group>& last_first) {
  std::string out;
  for (size_t k = last_first.size(); k-- > 0;) {
    std::string_view c = GroupContent(s, last_first[k]);
    if (c.empty()) continue;
    if (!out.empty()) out += ", ";
    out += c;
  }
  return out;
}

// The last run of environments in s[lo, hi) joined by "and"/"or", last first.
std::vector<Group> LastEnvRun(std::string_view s, size_t lo, size_t hi, int* probes,
                              std::vector<Group>* also_seen) {
  std::vector<Group> run;
  std::optional<Group> g = PrevEnv(s, lo, hi, probes);
  while (g) {
    if (!run.empty() &&
        !IsEnvJoinGap(s.substr(g->outer_end, run.back().outer_begin - g->outer_end))) {
      if (also_seen != nullptr) also_seen->push_back(*g);
      break;
    }
    run.push_back(*g);
    if (run.size() >= static_cast<size_t>(kMaxJoined)) break;
    g = PrevEnv(s, lo, g->outer_begin, probes);
  }
  return run;
}

// ---------------------------------------------------------------------------------------------------
// Text after an anchor.

// The end of the sentence that starts at `start`: the first newline or ". " outside math, at most
// kMaxTailBytes on. Math delimiters ($, \(, \[) are tracked so "$x = 5.$" is not cut.
size_t SentenceEnd(std::string_view s, size_t start, size_t limit) {
  limit = std::min({limit, s.size(), start + kMaxTailBytes});
  bool dollar = false;
  int delim = 0;
  for (size_t i = start; i < limit; ++i) {
    const char c = s[i];
    if (c == '\\' && i + 1 < limit) {
      const char n = s[i + 1];
      if (n == '(' || n == '[') ++delim;
      if ((n == ')' || n == ']') && delim > 0) --delim;
      ++i;
      continue;
    }
    if (c == '$') {
      if (i + 1 < limit && s[i + 1] == '$') ++i;  // "$$" is one delimiter
      dollar = !dollar;
      continue;
    }
    if (dollar || delim > 0) continue;
    if (c == '\n') return i;
    if (c == '.' && (i + 1 >= limit || IsSpace(s[i + 1])) && !(i > start && IsDigit(s[i - 1]) &&
                                                                i + 1 < limit && IsDigit(s[i + 1]))) {
      return i;
    }
  }
  return limit;
}

// Strips markup around an answer: "**", ":", quotes, trailing punctuation.
std::string_view StripAnswerMarkup(std::string_view t) {
  bool changed = true;
  while (changed && !t.empty()) {
    changed = false;
    t = Trim(t);
    for (std::string_view m : {"**", "__", "\"", "`"}) {
      if (t.size() >= m.size() && t.substr(0, m.size()) == m) {
        t.remove_prefix(m.size());
        changed = true;
      }
      if (t.size() >= m.size() && t.substr(t.size() - m.size()) == m) {
        t.remove_suffix(m.size());
        changed = true;
      }
    }
    if (!t.empty() && (t.front() == ':')) {
      t.remove_prefix(1);
      changed = true;
    }
    if (!t.empty() && (t.back() == '.' || t.back() == ',' || t.back() == ';')) {
      t.remove_suffix(1);
      changed = true;
    }
  }
  return t;
}

struct Found {
  std::string text;
  size_t begin = 0;
  size_t end = 0;
};

// Candidates from the text after an anchor, s[begin, end): the text itself when it reads as math,
// else the math environments in it, else its last number.
std::vector<Found> FromTail(std::string_view s, size_t begin, size_t end) {
  std::vector<Found> out;
  std::string_view raw = s.substr(begin, end - begin);
  std::string_view t = StripAnswerMarkup(raw);
  if (t.empty()) return out;
  const size_t tb = static_cast<size_t>(t.data() - s.data());
  const size_t te = tb + t.size();
  int probes = 16;
  std::vector<Group> run = LastEnvRun(s, tb, te, &probes, nullptr);
  if (!run.empty()) {
    std::string joined = JoinGroups(s, run);
    if (run.size() == 1 && PercentFollows(s, run[0].outer_end)) joined += "%";
    if (!joined.empty()) {
      out.push_back({NormalizeIfNumber(joined, false), run.back().outer_begin, run.front().outer_end});
    }
    return out;
  }
  // Math delimiters that do not pair up ("$ \n 9 \n $") are not an answer.
  if (t.find('$') != kNpos || t.find("\\(") != kNpos || t.find("\\[") != kNpos) return out;
  if (!LooksLikeProse(t)) {
    const bool plain = t.find_first_of("\\$") == kNpos;
    out.push_back({NormalizeIfNumber(t, plain), tb, te});
    return out;
  }
  if (std::optional<NumberToken> n = PrevNumber(s, tb, te, true)) {
    out.push_back({n->text, n->begin, n->end});
  }
  return out;
}

// The final clean-up of every candidate: "\\frac" (a doubly escaped command) becomes "\frac";
// "\$" (a currency sign) and LaTeX thousands separators "{,}" go; "\text{ and }" becomes ", "; a
// lone choice letter "(C)" / "\text{(C)}" becomes "C"; a number loses its thousands separators.
std::string FinishCandidate(std::string_view text) {
  // Nothing this long parses (WorkBudget::max_input_bytes); the parser will say so.
  if (text.size() > kMaxGroupBytes) return std::string(text);
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    // Only a backslash or an opening brace starts anything to rewrite: copy the run up to one.
    if (text[i] != '\\' && text[i] != '{') {
      size_t j = i + 1;
      while (j < text.size() && text[j] != '\\' && text[j] != '{') ++j;
      out.append(text.substr(i, j - i));
      i = j;
      continue;
    }
    // "\text{ and }" / "\text{or}" between answers: a list separator.
    if (text.substr(i, 6) == "\\text{") {
      size_t k = SkipSpaces(text, i + 6);
      size_t w = StartsWithCI(text, k, "and") ? 3 : StartsWithCI(text, k, "or") ? 2 : 0;
      if (w > 0) {
        k = SkipSpaces(text, k + w);
        if (k < text.size() && text[k] == '}') {
          out += ", ";
          i = k + 1;
          continue;
        }
      }
    }
    if (text[i] == '\\' && i + 1 < text.size()) {
      if (text[i + 1] == '\\') {
        if (i + 2 < text.size() && IsAlpha(text[i + 2])) {
          out += '\\';
        } else {
          out += "\\\\";
        }
        i += 2;
        continue;
      }
      if (text[i + 1] == '$') {
        i += 2;
        continue;
      }
      out += text.substr(i, 2);
      i += 2;
      continue;
    }
    if (text.substr(i, 3) == "{,}") {
      i += 3;
      continue;
    }
    if (text.substr(i, 4) == "{, }") {
      i += 4;
      continue;
    }
    out += text[i++];
  }
  std::string_view t = Trim(out);
  for (std::string_view wrap : {"\\text{", "\\textbf{", "\\mathrm{", ""}) {
    if (t.size() == wrap.size() + 3 + (wrap.empty() ? 0 : 1) && t.substr(0, wrap.size()) == wrap &&
        t[wrap.size()] == '(' && t[wrap.size() + 1] >= 'A' && t[wrap.size() + 1] <= 'J' &&
        t[wrap.size() + 2] == ')' && (wrap.empty() || t.back() == '}')) {
      return std::string(1, t[wrap.size() + 1]);
    }
  }
  return NormalizeIfNumber(t, false);
}

// ---------------------------------------------------------------------------------------------------
// Rules. Each appends at most kPerRule candidates, best first.

// True when `s` has a capital A-J (every multiple-choice form ends in one). 32 bytes a step with
// AVX2.
__attribute__((target("avx2"))) bool HasChoiceLetterAvx2(std::string_view s) {
  size_t i = 0;
  for (; i + 32 <= s.size(); i += 32) {
    const __m256i x = _mm256_sub_epi8(
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s.data() + i)), _mm256_set1_epi8('A'));
    // x <= 9 as unsigned bytes: 'A'..'J'.
    const __m256i in_range = _mm256_cmpeq_epi8(_mm256_min_epu8(x, _mm256_set1_epi8(9)), x);
    if (_mm256_movemask_epi8(in_range) != 0) return true;
  }
  for (; i < s.size(); ++i) {
    if (s[i] >= 'A' && s[i] <= 'J') return true;
  }
  return false;
}

class Extractor {
 public:
  Extractor(std::string_view s, const ExtractOptions& options) : s_(s), options_(options) {
    out_.reserve(static_cast<size_t>(std::clamp(options.max_candidates, 0, 64)));
  }

  // Runs the rules in priority order, stopping once max_candidates are found (or after the first
  // rule that found any, with stop_at_first_rule).
  std::vector<Candidate> Run() {
    using Rule = void (Extractor::*)();
    const std::pair<bool, Rule> rules[] = {
        {options_.final_answer, &Extractor::FinalAnswerHope},
        {options_.boxed, &Extractor::Boxed},
        {options_.answer_tag, &Extractor::AnswerTag},
        {options_.final_answer, &Extractor::FinalAnswer},
        {options_.answer_prefix, &Extractor::AnswerPrefix},
        {options_.gsm8k, &Extractor::Gsm8k},
        {options_.choice, &Extractor::Choice},
        {options_.whole_text, &Extractor::WholeText},
        {options_.latex_env || options_.last_number, &Extractor::Unanchored},
    };
    for (const auto& [on, rule] : rules) {
      if (Full() || (options_.stop_at_first_rule && !out_.empty())) break;
      if (on) (this->*rule)();
    }
    return std::move(out_);
  }

 private:
  bool Full() const { return out_.size() >= static_cast<size_t>(options_.max_candidates); }

  // False when the text has no 'w' in either case: every anchor with "answer" is then absent, and
  // its search is skipped. Found once per text, with memchr.
  bool MayHaveAnswer() {
    if (has_w_ < 0) {
      has_w_ = (memchr(s_.data(), 'w', s_.size()) != nullptr ||
                memchr(s_.data(), 'W', s_.size()) != nullptr)
                   ? 1
                   : 0;
    }
    return has_w_ == 1;
  }

  // False when the text has no capital A-J, so the choice rule has nothing to find.
  bool MayHaveChoiceLetter() const {
    if (HasAvx2()) return HasChoiceLetterAvx2(s_);
    return std::any_of(s_.begin(), s_.end(), [](char c) { return c >= 'A' && c <= 'J'; });
  }

  void Add(ExtractRule rule, std::string text, size_t begin, size_t end) {
    if (Full()) return;
    std::string t = FinishCandidate(text);
    if (t.empty()) return;
    for (const Candidate& c : out_) {
      if (c.text == t) return;  // already tried
    }
    out_.push_back(Candidate{rule, std::move(t), begin, end});
  }

  void AddAll(ExtractRule rule, const std::vector<Found>& found) {
    for (const Found& f : found) Add(rule, f.text, f.begin, f.end);
  }

  // "final answer is X. I hope it is correct."
  // Minerva's closing sentence: only in the last kHopeTailBytes of the text (a long reasoning
  // that says it early and goes on is not finished; and a long text is not scanned to its start).
  void FinalAnswerHope() {
    if (!MayHaveAnswer()) return;  // the rule needs "final answer is"
    size_t hi = s_.size();
    const size_t floor = s_.size() > kHopeTailBytes ? s_.size() - kHopeTailBytes : 0;
    for (int n = 0; n < kPerRule; ++n) {
      const size_t hope = RFindCI(s_, "i hope it is correct", floor, hi);
      if (hope == kNpos) return;
      hi = hope;
      const size_t lo = hope > 4096 ? hope - 4096 : 0;
      const size_t fa = RFindCI(s_, "final answer is", lo, hope);
      if (fa == kNpos) continue;
      const size_t start = fa + 15;
      AddAll(ExtractRule::kFinalAnswerHope, FromTail(s_, start, hope));
      return;
    }
  }

  void Boxed() {
    // Only the first candidate wanted: the boxes that can join the last one are all near it.
    const bool near_only = options_.max_candidates <= 1;
    std::vector<Group> boxes = LastBoxes(s_, 0, s_.size(), kMaxJoined, near_only);
    if (boxes.empty()) return;
    size_t run = 1;
    while (run < boxes.size() && boxes[run].outer_begin + kNearBoxBytes >= boxes[run - 1].outer_begin &&
           IsBoxJoinGap(s_.substr(boxes[run].outer_end,
                                  boxes[run - 1].outer_begin - boxes[run].outer_end))) {
      ++run;
    }
    if (run > 1) {
      std::vector<Group> joined(boxes.begin(), boxes.begin() + static_cast<long>(run));
      Add(ExtractRule::kBoxed, JoinGroups(s_, joined), boxes[run - 1].outer_begin,
          boxes[0].outer_end);
    }
    for (size_t k = 0; k < boxes.size() && k < static_cast<size_t>(kPerRule); ++k) {
      std::string text(GroupContent(s_, boxes[k]));
      if (PercentFollows(s_, boxes[k].outer_end)) text += "%";
      Add(ExtractRule::kBoxed, NormalizeIfNumber(text, false), boxes[k].outer_begin,
          boxes[k].outer_end);
    }
  }

  void AnswerTag() {
    if (!MayHaveAnswer()) return;
    const size_t open = RFindCI(s_, "<answer>", 0, s_.size());
    if (open == kNpos) return;
    const size_t begin = open + 8;
    size_t end = RFindCI(s_, "</answer>", begin, std::min(s_.size(), begin + kMaxGroupBytes));
    if (end == kNpos) end = std::min(s_.size(), begin + kMaxGroupBytes);
    AddAll(ExtractRule::kAnswerTag, FromTail(s_, begin, end));
  }

  // After an anchor ending at `pos`: skips spaces, "**", ":" and returns where the answer starts.
  size_t SkipAnchorMarkup(size_t pos) const {
    while (pos < s_.size()) {
      if (IsSpace(s_[pos]) || s_[pos] == ':' || s_[pos] == '*') {
        ++pos;
      } else {
        break;
      }
    }
    return pos;
  }

  // True when an answer visibly starts at `pos`: a colon was skipped, or math / a number / a
  // delimiter comes next.
  bool AnswerStartsAt(size_t anchor_end, size_t pos) const {
    if (pos >= s_.size()) return false;
    if (s_.substr(anchor_end, pos - anchor_end).find(':') != kNpos) return true;
    const char c = s_[pos];
    return IsDigit(c) || c == '$' || c == '\\' || c == '-' || c == '(' || c == '[' || c == '{' ||
           c == '.';
  }

  // "final answer: X" / "The final answer is X" / "Final Answer: The largest $n$ is 34."
  void FinalAnswer() {
    if (!MayHaveAnswer()) return;
    size_t hi = s_.size();
    for (int n = 0; n < kPerRule * 2 && !Full(); ++n) {
      const size_t fa = RFindCI(s_, "final answer", 0, hi);
      if (fa == kNpos) return;
      hi = fa;
      if (!IsWordAt(s_, fa, 12)) continue;
      size_t pos = SkipAnchorMarkup(fa + 12);
      // "is" right after the anchor, or within the first sentence ("Final Answer: The largest $n$
      // is 34").
      const size_t end = SentenceEnd(s_, pos, s_.size());
      size_t start = kNpos;
      if (StartsWithCI(s_, pos, "is") && IsWordAt(s_, pos, 2)) {
        start = pos + 2;
      } else {
        const size_t lim = std::min(end, pos + 100);
        for (size_t k = pos; k + 2 <= lim; ++k) {
          if (StartsWithCI(s_, k, "is") && IsWordAt(s_, k, 2) && k > pos && IsSpace(s_[k - 1]) &&
              (k + 2 >= s_.size() || IsSpace(s_[k + 2]) || s_[k + 2] == ':')) {
            start = k + 2;
            break;
          }
        }
        if (start == kNpos && s_.substr(fa + 12, pos - fa - 12).find(':') != kNpos) start = pos;
      }
      if (start == kNpos) continue;
      start = SkipAnchorMarkup(start);
      const std::vector<Found> found = FromTail(s_, start, SentenceEnd(s_, start, s_.size()));
      if (found.empty()) continue;
      AddAll(ExtractRule::kFinalAnswer, found);
      return;
    }
  }

  // "answer: X", "the answer is X", "Answer $X$".
  void AnswerPrefix() {
    if (!MayHaveAnswer()) return;
    size_t hi = s_.size();
    for (int n = 0; n < kPerRule * 2 && !Full(); ++n) {
      const size_t a = RFindCI(s_, "answer", 0, hi);
      if (a == kNpos) return;
      hi = a;
      if (!IsWordAt(s_, a, 6)) continue;
      size_t pos = SkipAnchorMarkup(a + 6);
      if (StartsWithCI(s_, pos, "is") && IsWordAt(s_, pos, 2)) {
        pos = SkipAnchorMarkup(pos + 2);
      } else if (!AnswerStartsAt(a + 6, pos)) {
        continue;
      }
      const std::vector<Found> found = FromTail(s_, pos, SentenceEnd(s_, pos, s_.size()));
      if (found.empty()) continue;
      AddAll(ExtractRule::kAnswerPrefix, found);
      return;
    }
  }

  void Gsm8k() {
    if (memchr(s_.data(), '#', s_.size()) == nullptr) return;
    const size_t h = RFindExact(s_, "####", 0, s_.size());
    if (h == kNpos) return;
    const size_t pos = SkipAnchorMarkup(h + 4);
    size_t end = s_.find('\n', pos);
    if (end == kNpos) end = s_.size();
    end = std::min(end, pos + kMaxTailBytes);
    AddAll(ExtractRule::kGsm8k, FromTail(s_, pos, end));
  }

  // Multiple-choice letters A-J: "answer is (B)", "answer: C", "option D", or a trailing "(B)".
  void Choice() {
    if (!MayHaveChoiceLetter()) return;  // every form ends in a capital A-J
    auto letter_at = [&](size_t pos, size_t* end) -> char {
      size_t i = pos;
      if (StartsWithCI(s_, i, "\\text{") || StartsWithCI(s_, i, "\\mathrm{")) {
        i = s_.find('{', i) + 1;
      } else if (StartsWithCI(s_, i, "\\textbf{")) {
        i += 8;
      }
      const bool paren = i < s_.size() && s_[i] == '(';
      if (paren) ++i;
      if (i >= s_.size() || s_[i] < 'A' || s_[i] > 'J') return 0;
      const char letter = s_[i++];
      if (paren) {
        if (i >= s_.size() || s_[i] != ')') return 0;
        ++i;
      }
      if (i < s_.size() && s_[i] == '}') ++i;
      if (i < s_.size() && IsAlnum(s_[i])) return 0;
      *end = i;
      return letter;
    };
    // Anchored forms.
    for (std::string_view anchor : {"answer is", "answer:", "option is", "choice is"}) {
      if (anchor.substr(0, 6) == "answer" && !MayHaveAnswer()) continue;
      const size_t a = RFindCI(s_, anchor, 0, s_.size());
      if (a == kNpos) continue;
      size_t pos = SkipAnchorMarkup(a + anchor.size());
      if (pos < s_.size() && s_[pos] == '$') pos = SkipAnchorMarkup(pos + 1);
      size_t end = 0;
      if (const char l = letter_at(pos, &end)) {
        Add(ExtractRule::kChoice, std::string(1, l), a, end);
        return;
      }
    }
    // A trailing "(B)" / "B." alone at the end.
    std::string_view t = StripAnswerMarkup(s_.substr(s_.size() > 64 ? s_.size() - 64 : 0));
    while (!t.empty() && (t.back() == '$' || t.back() == '}' || IsSpace(t.back()))) t.remove_suffix(1);
    if (t.size() >= 3 && t.back() == ')' && t[t.size() - 3] == '(') {
      const size_t pos = static_cast<size_t>(t.data() - s_.data()) + t.size() - 3;
      size_t end = 0;
      if ((pos == 0 || !IsAlnum(s_[pos - 1])) && letter_at(pos, &end) != 0) {
        Add(ExtractRule::kChoice, std::string(1, s_[pos + 1]), pos, end);
      }
    }
  }

  void WholeText() {
    std::string_view t = Trim(s_);
    if (t.empty() || t.size() > kMaxWholeTextBytes) return;
    // Delimited math is the environment rule's.
    if (t.find('$') != kNpos || t.find("\\(") != kNpos || t.find("\\[") != kNpos) return;
    if (CountWords(t, 1) > 0) return;
    const size_t b = static_cast<size_t>(t.data() - s_.data());
    const bool plain = t.find_first_of("\\$") == kNpos;
    Add(ExtractRule::kWholeText, NormalizeIfNumber(t, plain), b, b + t.size());
  }

  // The candidate of a run of environments (last first): their contents joined, a following
  // percent sign kept when the run is one environment.
  Candidate RunCandidate(const std::vector<Group>& run) const {
    std::string text = JoinGroups(s_, run);
    if (run.size() == 1 && PercentFollows(s_, run[0].outer_end)) text += "%";
    return Candidate{ExtractRule::kLatexEnv, NormalizeIfNumber(text, false), run.back().outer_begin,
                     run.front().outer_end};
  }

  // The last math environments and the last numbers, whichever end later first.
  void Unanchored() {
    if (out_.size() + 1 == static_cast<size_t>(options_.max_candidates) && UnanchoredFirst())
      return;
    std::vector<Candidate> found;
    found.reserve(5);
    if (options_.latex_env) {
      int probes = kMaxProbes;
      std::vector<Group> others;
      std::vector<Group> run = LastEnvRun(s_, 0, s_.size(), &probes, &others);
      if (!run.empty()) {
        found.push_back(RunCandidate(run));
        if (run.size() > 1) {
          found.push_back(Candidate{ExtractRule::kLatexEnv, std::string(GroupContent(s_, run[0])),
                                    run[0].outer_begin, run[0].outer_end});
        }
        // One earlier environment as a further fallback.
        std::optional<Group> prev =
            others.empty() ? PrevEnv(s_, 0, run.back().outer_begin, &probes) : others[0];
        if (prev) {
          found.push_back(Candidate{ExtractRule::kLatexEnv, std::string(GroupContent(s_, *prev)),
                                    prev->outer_begin, prev->outer_end});
        }
      }
    }
    if (options_.last_number) {
      size_t hi = s_.size();
      for (int n = 0; n < 2; ++n) {
        std::optional<NumberToken> tok = PrevNumber(s_, 0, hi, true);
        if (!tok) break;
        found.push_back(Candidate{ExtractRule::kLastNumber, tok->text, tok->begin, tok->end});
        hi = tok->begin;
      }
    }
    // Stable insertion sort, latest end first: at most five elements, and no buffer to allocate.
    for (size_t i = 1; i < found.size(); ++i) {
      for (size_t j = i; j > 0 && found[j - 1].end < found[j].end; --j) {
        std::swap(found[j - 1], found[j]);
      }
    }
    for (Candidate& c : found) Add(c.rule, std::move(c.text), c.begin, c.end);
  }

  // Unanchored() when one candidate is still wanted (the verifier's first extraction stage): the
  // last environment run or the last number, whichever ends later, without searching for the
  // earlier ones. False, having added nothing, when that candidate is rejected (empty, or found
  // already): the full search then takes the next one.
  bool UnanchoredFirst() {
    std::optional<Candidate> env;
    if (options_.latex_env) {
      int probes = kMaxProbes;
      const std::vector<Group> run = LastEnvRun(s_, 0, s_.size(), &probes, nullptr);
      if (!run.empty()) env = RunCandidate(run);
    }
    std::optional<NumberToken> number;
    if (options_.last_number) {
      // A number whose last digit is inside the environment ends before it closes; on equal ends
      // the environment goes first.
      number = PrevNumber(s_, 0, s_.size(), true, env ? env->end : 0);
      if (number && env && number->end <= env->end) number.reset();
    }
    const size_t before = out_.size();
    if (number) {
      Add(ExtractRule::kLastNumber, std::move(number->text), number->begin, number->end);
    } else if (env) {
      Add(env->rule, std::move(env->text), env->begin, env->end);
    } else {
      return true;  // nothing to find
    }
    return out_.size() > before;
  }

  std::string_view s_;
  const ExtractOptions& options_;
  int has_w_ = -1;  // MayHaveAnswer's memo: -1 not yet known
  std::vector<Candidate> out_;
};

}  // namespace

std::string_view ExtractRuleName(ExtractRule rule) {
  switch (rule) {
    case ExtractRule::kFinalAnswerHope:
      return "final_answer_hope";
    case ExtractRule::kBoxed:
      return "boxed";
    case ExtractRule::kAnswerTag:
      return "answer_tag";
    case ExtractRule::kFinalAnswer:
      return "final_answer";
    case ExtractRule::kAnswerPrefix:
      return "answer_prefix";
    case ExtractRule::kGsm8k:
      return "gsm8k";
    case ExtractRule::kChoice:
      return "choice";
    case ExtractRule::kWholeText:
      return "whole_text";
    case ExtractRule::kLatexEnv:
      return "latex_env";
    case ExtractRule::kLastNumber:
      return "last_number";
  }
  return "unknown";
}

namespace {
int CountWords(std::string_view text, int stop_at) {
  static constexpr std::array<std::string_view, 24> kMathWords = {
      "and",  "sqrt", "sin",  "cos",  "tan", "sec",  "csc", "cot", "log", "exp", "max",   "min",
      "gcd",  "lcm",  "mod",  "det",  "inf", "infty", "arcsin", "arccos", "arctan", "sinh",
      "cosh", "tanh"};
  int words = 0;
  for (size_t i = 0; i < text.size();) {
    if (!IsAlpha(text[i])) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < text.size() && IsAlpha(text[j])) ++j;
    const bool command = i > 0 && text[i - 1] == '\\';
    // "\begin{pmatrix}" / "\end{pmatrix}": an environment name, not a word.
    const bool environment = i > 0 && text[i - 1] == '{' &&
                             ((i >= 7 && text.substr(i - 7, 6) == "\\begin") ||
                              (i >= 5 && text.substr(i - 5, 4) == "\\end"));
    if (!command && !environment && j - i >= 3) {
      std::string lower;
      for (size_t k = i; k < j; ++k) lower += Lower(text[k]);
      if (std::find(kMathWords.begin(), kMathWords.end(), lower) == kMathWords.end() &&
          ++words >= stop_at) {
        return words;
      }
    }
    i = j;
  }
  return words;
}
}  // namespace

bool LooksLikeProse(std::string_view text) { return CountWords(text, 2) >= 2; }

absl::StatusOr<std::vector<Candidate>> ExtractCandidates(std::string_view text,
                                                         const ExtractOptions& options) {
  if (options.max_input_bytes >= 0 && static_cast<int64_t>(text.size()) > options.max_input_bytes) {
    return absl::ResourceExhaustedError(absl::StrCat("text is ", text.size(), " bytes; limit is ",
                                                     options.max_input_bytes, " bytes"));
  }
  return Extractor(text, options).Run();
}

}  // namespace rlvr::math
