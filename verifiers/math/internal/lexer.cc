#include "verifiers/math/internal/lexer.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>
#include <forward_list>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status_macros.h"
#include "verifiers/math/expr.h"
#include "verifiers/math/internal/word_set.h"

namespace rlvr::math::internal {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// A one-character text for a token, in static storage.
struct AllBytes {
  char bytes[256];
  constexpr AllBytes() : bytes() {
    for (int k = 0; k < 256; ++k) bytes[k] = static_cast<char>(k);
  }
};
constexpr AllBytes kAllBytes;
std::string_view OneChar(char c) {
  return std::string_view(&kAllBytes.bytes[static_cast<unsigned char>(c)], 1);
}
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// Commands whose name after a doubled backslash ("\\frac") marks a double-escaped input rather than a
// row separator followed by text.
constexpr std::string_view kKnownCommands[] = {
    "Big",       "Bigg",     "Biggl",     "Biggr",     "Bigl",      "Bigr",     "alpha",
    "approx",    "arccos",   "arcsin",    "arctan",    "begin",     "beta",     "big",
    "bigg",      "biggl",    "biggr",     "bigl",      "bigr",      "binom",    "boxed",
    "cap",       "cdot",     "ceil",      "cfrac",     "circ",      "cos",      "cot",
    "csc",       "cup",      "dbinom",    "delta",     "dfrac",     "displaystyle", "div",
    "emph",      "end",      "epsilon",   "exp",       "frac",      "gamma",    "ge",
    "geq",       "geqslant", "gt",        "in",        "infty",     "lambda",   "lceil",
    "ldots",     "le",       "left",      "leq",       "leqslant",  "lfloor",   "ln",
    "log",       "lt",       "mathbf",    "mathrm",    "mbox",      "mp",       "mu",
    "ne",        "neq",      "omega",     "operatorname", "overline", "phi",    "pi",
    "pm",        "qquad",    "quad",      "rceil",     "rfloor",    "rho",      "right",
    "sec",       "sigma",    "sin",       "sqrt",      "tan",       "tau",      "text",
    "textbf",    "textit",   "textnormal", "textrm",   "tfrac",     "theta",    "times",
    "vec",       "mathit",   "overrightarrow", "hat",  "bar",       "sum",      "prod",
    "infin",     "setminus", "lvert",     "rvert",     "cot"};

bool IsKnownCommand(std::string_view name) {
  static const WordSet kSet(kKnownCommands);
  return kSet.contains(name);
}

// Spacing and sizing commands that carry no meaning for the value.
bool IsNoiseCommand(std::string_view n) {
  static constexpr std::array<std::string_view, 29> kNoise = {
      "quad",   "qquad",  "displaystyle", "textstyle", "scriptstyle", "limits", "nolimits",
      "left",   "right",  "big",          "Big",       "bigg",        "Bigg",   "bigl",
      "bigr",   "Bigl",   "Bigr",         "biggl",     "biggr",       "Biggl",  "Biggr",
      "middle", "enspace", "thinspace",   "medspace",  "thickspace",  "hline",  "nonumber",
      "n"};  // "\n": an escaped newline that survived JSON decoding
  static const WordSet kSet(kNoise);
  return kSet.contains(n);
}

bool IsTextCommand(std::string_view n) {
  static constexpr std::array<std::string_view, 14> kText = {
      "text",   "textbf", "textit", "textrm", "textnormal", "textsf", "texttt",
      "mbox",   "mathrm", "mathsf", "mathtt", "emph",       "hbox",   "textup"};
  static const WordSet kSet(kText);
  return kSet.contains(n);
}

// Commands that lex to something other than a command token of their own name: delimiters and
// relations, each to one token (kind, one char of text).
struct SpecialToken {
  TokKind kind;
  char text;
};

const absl::flat_hash_map<std::string_view, SpecialToken>& SpecialCommands() {
  static const auto* const kMap = new absl::flat_hash_map<std::string_view, SpecialToken>{
      {"lvert", {TokKind::kChar, '|'}},        {"rvert", {TokKind::kChar, '|'}},
      {"vert", {TokKind::kChar, '|'}},         {"mid", {TokKind::kChar, '|'}},
      {"lbrace", {TokKind::kCommand, '{'}},    {"rbrace", {TokKind::kCommand, '}'}},
      {"lbrack", {TokKind::kChar, '['}},       {"rbrack", {TokKind::kChar, ']'}},
      {"le", {TokKind::kRel, kRelLe}},         {"leq", {TokKind::kRel, kRelLe}},
      {"leqslant", {TokKind::kRel, kRelLe}},   {"leqq", {TokKind::kRel, kRelLe}},
      {"ge", {TokKind::kRel, kRelGe}},         {"geq", {TokKind::kRel, kRelGe}},
      {"geqslant", {TokKind::kRel, kRelGe}},   {"geqq", {TokKind::kRel, kRelGe}},
      {"lt", {TokKind::kRel, kRelLt}},         {"gt", {TokKind::kRel, kRelGt}},
      {"ne", {TokKind::kRel, kRelNe}},         {"neq", {TokKind::kRel, kRelNe}},
      {"approx", {TokKind::kRel, kRelApprox}}, {"simeq", {TokKind::kRel, kRelApprox}},
      {"sim", {TokKind::kRel, kRelApprox}},    {"equiv", {TokKind::kRel, kRelApprox}},
      {"cong", {TokKind::kRel, kRelApprox}},   {"in", {TokKind::kRel, kRelIn}},
  };
  return *kMap;
}

class Lexer {
 public:
  Lexer(std::string_view in, int64_t max_tokens, std::forward_list<std::string>* arena)
      : in_(in), max_tokens_(max_tokens), arena_(arena) {
    out_.reserve(std::min<size_t>(in.size(), static_cast<size_t>(std::max<int64_t>(max_tokens, 0))) + 2);
  }

  absl::StatusOr<std::vector<Token>> Run() {
    while (i_ < in_.size()) {
      if (static_cast<int64_t>(out_.size()) > max_tokens_) {
        return absl::ResourceExhaustedError(
            absl::StrCat("answer has more than ", max_tokens_, " tokens"));
      }
      const char c = in_[i_];
      const unsigned char uc = static_cast<unsigned char>(c);
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' ||
          c == '$' || c == '~' || c == '"' || c == '`') {
        ++i_;
        continue;
      }
      if (uc < 0x20 || uc == 0x7f) {
        return absl::InvalidArgumentError(
            absl::StrFormat("control character 0x%02x at position %d is not math", uc, i_));
      }
      if (uc >= 0x80) {
        RETURN_IF_ERROR(Unicode());
        continue;
      }
      if (IsDigit(c) || (c == '.' && i_ + 1 < in_.size() && IsDigit(in_[i_ + 1]))) {
        Number();
        continue;
      }
      if (IsAlpha(c)) {
        size_t j = i_;
        while (j < in_.size() && IsAlpha(in_[j])) ++j;
        // "1orW(x)": a joined "or"/"and" before a capitalized name.
        for (std::string_view w : {std::string_view("or"), std::string_view("and")}) {
          if (j - i_ > w.size() && in_[i_] == w[0] && in_.substr(i_, w.size()) == w &&
              std::isupper(static_cast<unsigned char>(in_[i_ + w.size()]))) {
            Emit(TokKind::kIdent, w, i_);
            i_ += w.size();
          }
        }
        Emit(TokKind::kIdent, in_.substr(i_, j - i_), i_);
        i_ = j;
        continue;
      }
      if (c == '\\') {
        RETURN_IF_ERROR(Backslash());
        continue;
      }
      const int32_t pos = static_cast<int32_t>(i_);
      auto next = [&](size_t k) { return i_ + k < in_.size() ? in_[i_ + k] : '\0'; };
      switch (c) {
        case '<':
          if (next(1) == '=') {
            Emit(TokKind::kRel, OneChar(kRelLe), pos);
            i_ += 2;
          } else if (next(1) == '>') {
            Emit(TokKind::kRel, OneChar(kRelNe), pos);
            i_ += 2;
          } else {
            Emit(TokKind::kRel, OneChar(kRelLt), pos);
            ++i_;
          }
          continue;
        case '>':
          if (next(1) == '=') {
            Emit(TokKind::kRel, OneChar(kRelGe), pos);
            i_ += 2;
          } else {
            Emit(TokKind::kRel, OneChar(kRelGt), pos);
            ++i_;
          }
          continue;
        case '=':
          Emit(TokKind::kRel, OneChar(kRelEq), pos);
          i_ += (next(1) == '=') ? 2 : 1;
          continue;
        case '!':
          if (next(1) == '=') {
            Emit(TokKind::kRel, OneChar(kRelNe), pos);
            i_ += 2;
            continue;
          }
          break;
        case '(':
        case '[':
          ++paren_depth_;
          break;
        case ')':
        case ']':
          if (paren_depth_ > 0) --paren_depth_;
          break;
        default:
          break;
      }
      Emit(TokKind::kChar, OneChar(c), pos);
      ++i_;
    }
    Emit(TokKind::kEnd, "", i_);
    return std::move(out_);
  }

 private:
  // `text` must outlive the tokens: a slice of the input, a literal, or Own()ed.
  void Emit(TokKind kind, std::string_view text, size_t pos) {
    out_.push_back(Token{kind, text, static_cast<int32_t>(pos)});
  }

  // Keeps a text the lexer made up (a number without its separators, "op:name") for the tokens.
  std::string_view Own(std::string text) { return arena_->emplace_front(std::move(text)); }

  // Length of a thousands separator at `j` ("," "{,}" "\," "\!" ",\!" " " ...), 0 if none.
  size_t ThousandsSep(size_t j) const {
    if (j >= in_.size()) return 0;
    const char first = in_[j];  // every separator starts with one of these bytes
    if (first != ',' && first != ' ' && first != '{' && first != '\\' && first != '\xc2' &&
        first != '\xe2') {
      return 0;
    }
    std::string_view rest = in_.substr(j);
    static constexpr std::array<std::string_view, 9> kSeps = {
        "{,}", ",\\! ", ",\\!", ", \\!", "\\,", "\\!", "\\ ", ",", " "};
    for (std::string_view s : kSeps) {
      if (s[0] == first && rest.substr(0, s.size()) == s) {
        if (s == "," && paren_depth_ > 0) continue;
        return s.size();
      }
    }
    if (rest.substr(0, 2) == "\xc2\xa0") return 2;                  // no-break space
    if (rest.substr(0, 3) == "\xe2\x80\x89" || rest.substr(0, 3) == "\xe2\x80\xaf") return 3;
    return 0;
  }

  bool ThreeDigitsAt(size_t j) const {
    return j + 3 <= in_.size() && IsDigit(in_[j]) && IsDigit(in_[j + 1]) && IsDigit(in_[j + 2]) &&
           (j + 3 == in_.size() || !IsDigit(in_[j + 3]));
  }

  void Number() {
    const size_t start = i_;
    while (i_ < in_.size() && IsDigit(in_[i_])) ++i_;
    std::string s(in_.substr(start, i_ - start));
    // Thousands groups: only after a 1-3 digit leading group that does not start with 0.
    if (!s.empty() && s.size() <= 3 && s[0] != '0') {
      while (true) {
        const size_t sep = ThousandsSep(i_);
        if (sep == 0 || !ThreeDigitsAt(i_ + sep)) break;
        s.append(in_.substr(i_ + sep, 3));
        i_ += sep + 3;
      }
    }
    if (i_ < in_.size() && in_[i_] == '.') {
      if (i_ + 1 < in_.size() && IsDigit(in_[i_ + 1])) {
        s += '.';
        ++i_;
        while (i_ < in_.size() && IsDigit(in_[i_])) s += in_[i_++];
      } else if (in_.substr(i_ + 1, 9) == "\\overline" || in_.substr(i_ + 1, 10) == "\\\\overline") {
        s += '.';
        ++i_;
      }
    }
    // Scientific notation: 1e5, 2.5E-3 (not "2e" = 2·e, not "2ex").
    if (i_ < in_.size() && (in_[i_] == 'e' || in_[i_] == 'E')) {
      size_t j = i_ + 1;
      if (j < in_.size() && (in_[j] == '+' || in_[j] == '-')) ++j;
      if (j < in_.size() && IsDigit(in_[j])) {
        size_t k = j;
        while (k < in_.size() && IsDigit(in_[k])) ++k;
        if (k == in_.size() || !IsAlpha(in_[k])) {
          s += 'e';
          s.append(in_.substr(i_ + 1, k - i_ - 1));
          i_ = k;
        }
      }
    }
    // Most numbers are written as read: then the token is a slice of the input.
    const std::string_view written = in_.substr(start, i_ - start);
    Emit(TokKind::kNumber, s == written ? written : Own(std::move(s)), start);
  }

  // Reads a balanced {...} group starting at `i_` (which must be '{'); returns its content.
  std::string_view BraceContent() {
    size_t j = i_ + 1;
    int depth = 1;
    while (j < in_.size()) {
      if (in_[j] == '\\' && j + 1 < in_.size()) {
        j += 2;
        continue;
      }
      if (in_[j] == '{') ++depth;
      if (in_[j] == '}' && --depth == 0) break;
      ++j;
    }
    const std::string_view content = in_.substr(i_ + 1, std::min(j, in_.size()) - i_ - 1);
    i_ = std::min(j + 1, in_.size());
    return content;
  }

  void SkipSpaces() {
    while (i_ < in_.size() && (in_[i_] == ' ' || in_[i_] == '\n' || in_[i_] == '\t')) ++i_;
  }

  absl::Status Backslash() {
    const size_t start = i_;
    ++i_;  // the backslash
    if (i_ >= in_.size()) return absl::OkStatus();
    if (in_[i_] == '\\') {
      // "\\": a row separator, or a doubled escape of a command / brace.
      size_t j = i_ + 1;
      size_t k = j;
      while (k < in_.size() && IsAlpha(in_[k])) ++k;
      if (k > j && IsKnownCommand(in_.substr(j, k - j))) {
        return Backslash();  // i_ now points at the second backslash
      }
      if (j < in_.size() && (in_[j] == '{' || in_[j] == '}' || in_[j] == '%' || in_[j] == '$')) {
        return Backslash();
      }
      Emit(TokKind::kRowSep, "", start);
      i_ = j;
      return absl::OkStatus();
    }
    if (!IsAlpha(in_[i_])) {
      const char c = in_[i_++];
      switch (c) {
        case '{':
        case '}':
          Emit(TokKind::kCommand, OneChar(c), start);
          break;
        case '%':
          Emit(TokKind::kChar, "%", start);
          break;
        case '|':
          Emit(TokKind::kChar, "|", start);
          break;
        case '#':
        case '&':
        case '_':
          Emit(TokKind::kChar, OneChar(c), start);
          break;
        default:  // \, \; \! \: \  \$ and friends: spacing or currency
          break;
      }
      return absl::OkStatus();
    }
    size_t j = i_;
    while (j < in_.size() && IsAlpha(in_[j])) ++j;
    std::string_view name = in_.substr(i_, j - i_);
    // "\quadx" (no space after a spacing command): split off the known prefix.
    if (!IsKnownCommand(name) && !IsNoiseCommand(name)) {
      for (std::string_view p : {std::string_view("qquad"), std::string_view("quad"),
                                 std::string_view("cdot"), std::string_view("times")}) {
        if (name.size() > p.size() && name.substr(0, p.size()) == p) {
          name = p;
          j = i_ + p.size();
          break;
        }
      }
    }
    i_ = j;
    if (IsNoiseCommand(name)) {
      // \left. and \right. are invisible delimiters.
      if (i_ < in_.size() && in_[i_] == '.') ++i_;
      if (name == "left" || name == "right" || name.substr(0, 3) == "big" ||
          name.substr(0, 3) == "Big") {
        // \left\{ -> the brace command; \left| -> '|'; other delimiters lex normally.
        if (in_.substr(i_, 2) == "\\|") {
          Emit(TokKind::kChar, "|", i_);
          i_ += 2;
        }
      }
      return absl::OkStatus();
    }
    if (IsTextCommand(name) || name == "operatorname") {
      SkipSpaces();
      if (i_ < in_.size() && in_[i_] == '{') {
        const std::string_view content = BraceContent();
        Emit(name == "operatorname" ? TokKind::kCommand : TokKind::kText,
             name == "operatorname" ? Own(absl::StrCat("op:", std::string(content))) : content,
             start);
      }
      return absl::OkStatus();
    }
    if (const auto it = SpecialCommands().find(name); it != SpecialCommands().end()) {
      Emit(it->second.kind, OneChar(it->second.text), start);
    } else {
      Emit(TokKind::kCommand, name, start);
    }
    return absl::OkStatus();
  }

  absl::Status Unicode() {
    const size_t start = i_;
    const unsigned char b0 = static_cast<unsigned char>(in_[i_]);
    int len = (b0 >= 0xf0) ? 4 : (b0 >= 0xe0) ? 3 : (b0 >= 0xc0) ? 2 : 1;
    if (len == 1 || i_ + static_cast<size_t>(len) > in_.size()) {
      return absl::InvalidArgumentError(
          absl::StrFormat("invalid UTF-8 byte 0x%02x at position %d", b0, i_));
    }
    uint32_t cp = b0 & (0xff >> (len + 1));
    for (int k = 1; k < len; ++k) {
      const unsigned char b = static_cast<unsigned char>(in_[i_ + static_cast<size_t>(k)]);
      if ((b & 0xc0) != 0x80) {
        return absl::InvalidArgumentError(
            absl::StrFormat("invalid UTF-8 sequence at position %d", i_));
      }
      cp = (cp << 6) | (b & 0x3f);
    }
    i_ += static_cast<size_t>(len);
    auto cmd = [&](const char* n) { Emit(TokKind::kCommand, n, start); };
    auto ch = [&](const char* c) { Emit(TokKind::kChar, c, start); };
    auto rel = [&](char r) { Emit(TokKind::kRel, OneChar(r), start); };
    auto frac = [&](const char* n, const char* d) {
      ch("(");
      Emit(TokKind::kNumber, n, start);
      ch("/");
      Emit(TokKind::kNumber, d, start);
      ch(")");
    };
    switch (cp) {
      case 0x221a: cmd("sqrt"); break;
      case 0x03c0: cmd("pi"); break;
      case 0x2212: case 0x2013: case 0x2014: ch("-"); break;
      case 0x00d7: case 0x2217: cmd("times"); break;
      case 0x00f7: case 0x2215: ch("/"); break;
      case 0x00b7: case 0x22c5: case 0x2219: cmd("cdot"); break;
      case 0x00bd: frac("1", "2"); break;
      case 0x00bc: frac("1", "4"); break;
      case 0x00be: frac("3", "4"); break;
      case 0x2153: frac("1", "3"); break;
      case 0x2154: frac("2", "3"); break;
      case 0x2264: case 0x2a7d: rel(kRelLe); break;
      case 0x2265: case 0x2a7e: rel(kRelGe); break;
      case 0x2260: rel(kRelNe); break;
      case 0x2248: rel(kRelApprox); break;
      case 0x2208: rel(kRelIn); break;
      case 0x221e: cmd("infty"); break;
      case 0x222a: cmd("cup"); break;
      case 0x2229: cmd("cap"); break;
      case 0x00b1: cmd("pm"); break;
      case 0x2213: cmd("mp"); break;
      case 0x00b2: ch("^"); Emit(TokKind::kNumber, "2", start); break;
      case 0x00b3: ch("^"); Emit(TokKind::kNumber, "3", start); break;
      case 0x00b0: break;                       // degree sign
      case 0x00a0: case 0x2009: case 0x202f: case 0x2002: case 0x2003: break;  // spaces
      case 0x03b1: cmd("alpha"); break;
      case 0x03b2: cmd("beta"); break;
      case 0x03b8: cmd("theta"); break;
      case 0x03bb: cmd("lambda"); break;
      default:
        // Currency signs, letters of other scripts, emoji: words, kept as text (units/noise).
        Emit(TokKind::kText, in_.substr(start, i_ - start), start);
        break;
    }
    return absl::OkStatus();
  }

  std::string_view in_;
  int64_t max_tokens_;
  std::forward_list<std::string>* arena_;
  size_t i_ = 0;
  int paren_depth_ = 0;
  std::vector<Token> out_;
};

}  // namespace

absl::StatusOr<std::vector<Token>> Lex(std::string_view input, int64_t max_tokens,
                                       std::forward_list<std::string>* arena) {
  return Lexer(input, max_tokens, arena).Run();
}

}  // namespace rlvr::math::internal
