#include "verifiers/math/parser.h"

#include <algorithm>
#include <array>
#include <forward_list>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "verifiers/math/internal/lexer.h"
#include "verifiers/math/internal/word_set.h"

namespace rlvr::math {
namespace {

using internal::Token;
using internal::TokKind;

// Function names (LaTeX command or plain word) -> canonical evaluator name.
const char* FunctionName(std::string_view w) {
  static constexpr std::array<std::pair<std::string_view, const char*>, 40> kFuncs = {{
      {"sin", "sin"},       {"cos", "cos"},       {"tan", "tan"},       {"sec", "sec"},
      {"csc", "csc"},       {"cot", "cot"},       {"arcsin", "asin"},   {"arccos", "acos"},
      {"arctan", "atan"},   {"arccot", "acot"},   {"arcsec", "asec"},   {"arccsc", "acsc"},
      {"asin", "asin"},     {"acos", "acos"},     {"atan", "atan"},     {"sinh", "sinh"},
      {"cosh", "cosh"},     {"tanh", "tanh"},     {"log", "log"},       {"ln", "ln"},
      {"lg", "lg"},         {"exp", "exp"},       {"sqrt", "sqrt"},     {"abs", "abs"},
      {"floor", "floor"},   {"ceil", "ceil"},     {"min", "min"},       {"max", "max"},
      {"gcd", "gcd"},       {"lcm", "lcm"},       {"tg", "tan"},        {"ctg", "cot"},
      {"arctg", "atan"},    {"cosec", "csc"},     {"det", "det"},       {"deg", "deg"},
      {"sgn", "sgn"},       {"Re", "Re"},         {"Im", "Im"},         {"arg", "arg"},
  }};
  for (const auto& [k, v] : kFuncs) {
    if (k == w) return v;
  }
  return nullptr;
}

bool IsUnitWord(std::string_view w) {
  static constexpr std::array<std::string_view, 64> kUnits = {
      "cm",      "mm",      "km",      "m",       "kg",     "mg",     "g",       "s",
      "ms",      "h",       "hr",      "hrs",     "min",    "sec",    "ft",      "in",
      "inch",    "inches",  "feet",    "foot",    "yd",     "yards",  "mile",    "miles",
      "meter",   "meters",  "metre",   "metres",  "units",  "unit",   "degrees", "degree",
      "dollars", "dollar",  "cents",   "cent",    "yuan",   "euros",  "euro",    "hours",
      "hour",    "minutes", "minute",  "seconds", "second", "days",   "day",     "weeks",
      "years",   "year",    "liters",  "liter",   "ml",     "L",      "sq",      "square",
      "cubic",   "grams",   "gram",    "kilograms", "pounds", "lbs",  "mph",     "rad"};
  static const internal::WordSet kSet(kUnits);
  return kSet.contains(w);
}

bool IsPercentWord(std::string_view w) {
  return w == "percent" || w == "pct" || w == "percentage" || w == "percents";
}

bool IsSeparatorWord(std::string_view w) { return w == "and" || w == "or"; }

std::string Trimmed(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && absl::ascii_isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && absl::ascii_isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

// Commands that denote a symbol decorated by its argument (\vec{v}, \overline{AB}, \mathbf{n}).
bool IsDecoration(std::string_view n) {
  static constexpr std::array<std::string_view, 20> kDeco = {
      "mathbf",   "boldsymbol", "vec",       "overrightarrow", "overline", "hat",  "bar",
      "tilde",    "mathcal",    "mathbb",    "mathfrak",       "underline", "widehat",
      "overleftrightarrow", "dot", "ddot",  "mathit",          "bm",       "check", "breve"};
  static const internal::WordSet kSet(kDeco);
  return kSet.contains(n);
}

bool IsMatrixEnv(std::string_view n) {
  return n == "pmatrix" || n == "bmatrix" || n == "vmatrix" || n == "Bmatrix" ||
         n == "Vmatrix" || n == "matrix" || n == "smallmatrix" || n == "array" ||
         n == "psmallmatrix" || n == "bsmallmatrix";
}

// Commands that never start an operand (binary operators, closers, relations).
bool IsOperatorCommand(std::string_view n) {
  static constexpr std::array<std::string_view, 18> kOps = {
      "cdot", "times", "div", "pm", "mp", "cup", "cap", "setminus", "end", "}", "rfloor",
      "rceil", "rangle", "circ", "ast", "to", "implies", "iff"};
  static const internal::WordSet kSet(kOps);
  return kSet.contains(n);
}

class Parser {
 public:
  Parser(std::vector<Token> toks, const WorkBudget& budget, Tree* tree)
      : toks_(std::move(toks)), budget_(budget), tree_(tree) {
    if (toks_.empty() || toks_.back().kind != TokKind::kEnd)
      toks_.push_back(Token{TokKind::kEnd, "", 0});
  }

  absl::Status ParseTop() {
    std::vector<Kids> groups;
    ASSIGN_OR_RETURN(groups, ParseGroups(/*top=*/true));
    // Trailing sentence punctuation: "x = 5." / "(1, 2);".
    while (AtChar('.') || AtChar(',') || AtChar(';') || AtChar(':') || AtChar('}') ||
           AtCmd("end")) {
      if (AtCmd("end")) {
        Next();
        RawArg();
      } else {
        Next();
      }
    }
    if (Peek().kind != TokKind::kEnd) return Unexpected("");
    Kids items;
    bool any_multi = false;
    for (const auto& g : groups) any_multi = any_multi || g.size() > 1;
    if (groups.size() > 1 && any_multi) {
      for (auto& g : groups) {
        if (g.size() == 1) {
          items.push_back(g[0]);
        } else {
          ASSIGN_OR_RETURN(int32_t t, New(NodeKind::kTuple, "", std::move(g)));
          items.push_back(t);
        }
      }
    } else {
      for (auto& g : groups) items.insert(items.end(), g.begin(), g.end());
    }
    if (items.empty()) return absl::InvalidArgumentError("answer is empty");
    int32_t root = items[0];
    if (items.size() > 1) {
      ASSIGN_OR_RETURN(root, New(NodeKind::kList, "", std::move(items)));
    }
    tree_->set_root(root);
    return absl::OkStatus();
  }

 private:
  // ---- token helpers -------------------------------------------------------------------------
  // The token stream always ends in kEnd and pos_ never passes it. These run for every token at
  // every grammar level, so they are forced inline.
  [[gnu::always_inline]] const Token& Peek() const { return toks_[pos_]; }
  [[gnu::always_inline]] const Token& Peek(size_t k) const {
    return toks_[std::min(pos_ + k, toks_.size() - 1)];
  }
  Token& Mutable() { return toks_[pos_]; }
  [[gnu::always_inline]] void Next() {
    if (pos_ + 1 < toks_.size()) ++pos_;
  }
  [[gnu::always_inline]] static bool IsChar(const Token& t, char c) {
    return t.kind == TokKind::kChar && t.text[0] == c;
  }
  [[gnu::always_inline]] static bool IsCmd(const Token& t, std::string_view n) {
    return t.kind == TokKind::kCommand && t.text == n;
  }
  [[gnu::always_inline]] bool AtChar(char c) const { return IsChar(Peek(), c); }
  [[gnu::always_inline]] bool AtCmd(std::string_view n) const { return IsCmd(Peek(), n); }

  absl::Status Unexpected(std::string_view expected) const {
    const Token& t = Peek();
    std::string what = t.kind == TokKind::kEnd       ? "end of input"
                       : t.kind == TokKind::kRowSep  ? "'\\\\'"
                       : t.kind == TokKind::kCommand ? absl::StrCat("'\\", std::string(t.text), "'")
                                                     : absl::StrCat("'", std::string(t.text), "'");
    return absl::InvalidArgumentError(absl::StrCat(
        "unexpected ", what, " at position ", t.pos,
        expected.empty() ? "" : absl::StrCat("; expected ", std::string(expected))));
  }

  absl::StatusOr<int32_t> New(NodeKind kind, std::string_view text = {}, Kids kids = {},
                              uint8_t flags = 0) {
    if (tree_->size() >= budget_.max_nodes) {
      return absl::ResourceExhaustedError(
          absl::StrCat("expression has more than ", budget_.max_nodes, " nodes"));
    }
    return tree_->Add(kind, text, std::move(kids), flags);
  }

  // RAII nesting counter: every construct that can nest goes through one.
  class Depth {
   public:
    explicit Depth(Parser* p) : p_(p) { ++p_->depth_; }
    ~Depth() { --p_->depth_; }
    absl::Status Check() const {
      if (p_->depth_ > p_->budget_.max_depth) {
        return absl::ResourceExhaustedError(absl::StrCat(
            "expression nests deeper than ", p_->budget_.max_depth, " levels at position ",
            p_->Peek().pos));
      }
      return absl::OkStatus();
    }

   private:
    Parser* p_;
  };

  bool IsSeparator(const Token& t) const {
    if (IsChar(t, ',') || IsChar(t, ';')) return true;
    if (t.kind == TokKind::kIdent && IsSeparatorWord(t.text)) return true;
    if (t.kind == TokKind::kText) {
      std::string s = Trimmed(t.text);
      return IsSeparatorWord(s) || s == "," || s == "or " || s == "and" || s == ", and" ||
             s == "; " || s == ";";
    }
    if (t.kind == TokKind::kRowSep && matrix_depth_ == 0) return true;
    return false;
  }

  // ---- lists ---------------------------------------------------------------------------------
  // Items separated by ',' / "and" / "or", grouped by ';' when `top`.
  absl::StatusOr<std::vector<Kids>> ParseGroups(bool top) {
    std::vector<Kids> groups(1);
    while (true) {
      while (IsSeparator(Peek())) {
        if (top && AtChar(';') && !groups.back().empty()) groups.emplace_back();
        Next();
      }
      if (EndsItem(Peek())) break;
      ASSIGN_OR_RETURN(int32_t item, ParseRelation());
      groups.back().push_back(item);
      // "\boxed{1}\boxed{2}": adjacent boxed answers are separate items.
      if (!IsSeparator(Peek()) && !AtCmd("boxed")) break;
    }
    if (groups.back().empty() && groups.size() > 1) groups.pop_back();
    return groups;
  }

  bool EndsItem(const Token& t) const {
    return t.kind == TokKind::kEnd || IsChar(t, ')') || IsChar(t, ']') || IsChar(t, '}') ||
           IsCmd(t, "}") || IsCmd(t, "end") || IsChar(t, '&') || t.kind == TokKind::kRowSep ||
           IsCmd(t, "rangle") || (IsChar(t, '|') && abs_depth_ > 0);
  }

  absl::StatusOr<Kids> ParseElements() {
    Kids out;
    ASSIGN_OR_RETURN(auto groups, ParseGroups(/*top=*/false));
    for (auto& g : groups) out.insert(out.end(), g.begin(), g.end());
    return out;
  }

  // ---- relations and operators ---------------------------------------------------------------
  absl::StatusOr<int32_t> ParseRelation() {
    ASSIGN_OR_RETURN(int32_t first, ParseSetExpr());
    if (Peek().kind != TokKind::kRel) return first;
    Kids sides = {first};
    std::string ops;
    while (Peek().kind == TokKind::kRel) {
      ops += Peek().text[0];
      Next();
      ASSIGN_OR_RETURN(int32_t side, ParseSetExpr());
      sides.push_back(side);
    }
    return New(NodeKind::kRelation, std::move(ops), std::move(sides));
  }

  absl::StatusOr<int32_t> ParseSetExpr() {
    ASSIGN_OR_RETURN(int32_t a, ParseAdditive());
    if (Peek().kind != TokKind::kCommand) return a;  // no \cup, \cap or \setminus follows
    Kids parts = {a};
    while (AtCmd("cup") || AtCmd("cap") || AtCmd("setminus")) {
      const std::string op(Peek().text);
      Next();
      ASSIGN_OR_RETURN(int32_t b, ParseAdditive());
      if (op == "cup") {
        parts.push_back(b);
      } else {
        int32_t lhs = parts.size() == 1 ? parts[0] : 0;
        if (parts.size() > 1) {
          ASSIGN_OR_RETURN(lhs, New(NodeKind::kUnion, "", parts));
        }
        ASSIGN_OR_RETURN(int32_t f, New(NodeKind::kFunc, op, {lhs, b}));
        parts = {f};
      }
    }
    if (parts.size() == 1) return parts[0];
    return New(NodeKind::kUnion, "", std::move(parts));
  }

  absl::StatusOr<int32_t> ParseAdditive() {
    ASSIGN_OR_RETURN(int32_t a, ParseTerm());
    while (true) {
      if (AtChar('+')) {
        Next();
        ASSIGN_OR_RETURN(int32_t b, ParseTerm());
        if (tree_->at(a).kind == NodeKind::kAdd) {
          tree_->mutable_at(a).kids.push_back(b);
        } else {
          ASSIGN_OR_RETURN(a, New(NodeKind::kAdd, "", {a, b}));
        }
      } else if (AtChar('-')) {
        Next();
        ASSIGN_OR_RETURN(int32_t b, ParseTerm());
        ASSIGN_OR_RETURN(a, New(NodeKind::kSub, "", {a, b}));
      } else if (AtCmd("pm") || AtCmd("mp")) {
        Next();
        ASSIGN_OR_RETURN(int32_t b, ParseTerm());
        ASSIGN_OR_RETURN(a, New(NodeKind::kPlusMinus, "", {a, b}));
      } else {
        return a;
      }
    }
  }

  bool StartsOperand(const Token& t) const {
    switch (t.kind) {
      case TokKind::kNumber:
        return true;
      case TokKind::kIdent:
        return !IsSeparatorWord(t.text) && !IsPercentWord(t.text);
      case TokKind::kText:
        return !IsSeparator(t);
      case TokKind::kCommand:
        return !IsOperatorCommand(t.text) && t.text != "boxed";
      case TokKind::kChar:
        return t.text[0] == '(' || t.text[0] == '[' || t.text[0] == '{' ||
               (t.text[0] == '|' && abs_depth_ == 0);
      default:
        return false;
    }
  }

  absl::StatusOr<int32_t> ParseTerm() {
    ASSIGN_OR_RETURN(int32_t a, ParseUnary());
    Kids factors = {a};
    auto flush = [&]() -> absl::StatusOr<int32_t> {
      if (factors.size() == 1) return factors[0];
      return MakeProduct(std::move(factors));
    };
    while (true) {
      const Token& t = Peek();
      if (IsChar(t, '*') || IsCmd(t, "cdot") || IsCmd(t, "times") || IsCmd(t, "ast")) {
        Next();
        ASSIGN_OR_RETURN(int32_t b, ParseUnary());
        factors.push_back(b);
      } else if (IsChar(t, '/') || IsCmd(t, "div")) {
        Next();
        ASSIGN_OR_RETURN(int32_t lhs, flush());
        ASSIGN_OR_RETURN(int32_t b, ParseUnary());
        ASSIGN_OR_RETURN(int32_t q, New(NodeKind::kDiv, "", {lhs, b}));
        factors = {q};
      } else if (IsChar(t, ':') && StartsOperand(Peek(1))) {
        Next();
        ASSIGN_OR_RETURN(int32_t lhs, flush());
        ASSIGN_OR_RETURN(int32_t b, ParseUnary());
        ASSIGN_OR_RETURN(int32_t q, New(NodeKind::kRatio, "", {lhs, b}));
        factors = {q};
      } else if (StartsOperand(t)) {
        // Mixed numbers: "2 1/2", "2\frac{1}{2}" (an integer then a fraction of integers).
        const bool int_before = factors.size() == 1 && IsWholePart(factors[0]);
        if (int_before && t.kind == TokKind::kNumber && IsChar(Peek(1), '/') &&
            Peek(2).kind == TokKind::kNumber && !IsChar(Peek(3), '^') &&
            IsIntText(t.text) && IsIntText(Peek(2).text)) {
          ASSIGN_OR_RETURN(int32_t n, New(NodeKind::kNumber, std::string(t.text)));
          ASSIGN_OR_RETURN(int32_t dn, New(NodeKind::kNumber, std::string(Peek(2).text)));
          Next();
          Next();
          Next();
          ASSIGN_OR_RETURN(int32_t q, New(NodeKind::kDiv, "", {n, dn}));
          ASSIGN_OR_RETURN(int32_t m, Mixed(factors[0], q));
          factors = {m};
          continue;
        }
        const bool frac_next = IsCmd(t, "frac") || IsCmd(t, "dfrac") || IsCmd(t, "tfrac");
        ASSIGN_OR_RETURN(int32_t b, ParsePower());
        if (int_before && frac_next && tree_->at(b).kind == NodeKind::kDiv &&
            IsIntLiteral(tree_->at(b).kids[0]) && IsIntLiteral(tree_->at(b).kids[1])) {
          ASSIGN_OR_RETURN(int32_t m, Mixed(factors[0], b));
          factors = {m};
          continue;
        }
        factors.push_back(b);
      } else {
        break;
      }
    }
    return flush();
  }

  static bool IsIntText(std::string_view s) {
    return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
  }
  bool IsIntLiteral(int32_t i) const {
    const Node& n = tree_->at(i);
    return n.kind == NodeKind::kNumber && IsIntText(n.text);
  }

  // An integer literal, or a negated one ("-2" in "-2\frac{1}{2}").
  bool IsWholePart(int32_t i) const {
    const Node& n = tree_->at(i);
    return IsIntLiteral(i) || (n.kind == NodeKind::kNeg && IsIntLiteral(n.kids[0]));
  }

  // whole + frac, with the sign of a negative whole part applying to both: -2 1/2 = -(2 + 1/2).
  absl::StatusOr<int32_t> Mixed(int32_t whole, int32_t frac) {
    if (tree_->at(whole).kind == NodeKind::kNeg) {
      const int32_t w = tree_->at(whole).kids[0];
      ASSIGN_OR_RETURN(int32_t sum, New(NodeKind::kAdd, "", {w, frac}));
      return New(NodeKind::kNeg, "", {sum});
    }
    return New(NodeKind::kAdd, "", {whole, frac});
  }

  // A product; unit words and \text{} factors next to real factors are dropped.
  absl::StatusOr<int32_t> MakeProduct(Kids factors) {
    Kids kept;
    std::string text;
    for (int32_t f : factors) {
      if (tree_->at(f).kind == NodeKind::kText) {
        if (!text.empty()) text += ' ';
        text += tree_->at(f).text;
      } else if (tree_->at(f).kind == NodeKind::kMul) {
        for (int32_t k : tree_->at(f).kids) kept.push_back(k);
      } else {
        kept.push_back(f);
      }
    }
    if (kept.empty()) return New(NodeKind::kText, text);
    if (kept.size() == 1) return kept[0];
    return New(NodeKind::kMul, "", std::move(kept));
  }

  absl::StatusOr<int32_t> ParseUnary() {
    if (AtChar('-') || AtChar('+') || AtCmd("pm") || AtCmd("mp")) {
      Depth d(this);
      RETURN_IF_ERROR(d.Check());
      const bool minus = AtChar('-');
      const bool plus = AtChar('+');
      Next();
      ASSIGN_OR_RETURN(int32_t a, ParseUnary());
      if (plus) return a;
      return New(minus ? NodeKind::kNeg : NodeKind::kPlusMinus, "", {a});
    }
    return ParsePower();
  }

  // True (and consumes) at "^\circ", "^{\circ}", "^{\circ C}": a degree mark.
  bool SkipDegree() {
    if (!AtChar('^')) return false;
    if (IsCmd(Peek(1), "circ")) {
      Next();
      Next();
      return true;
    }
    if (IsChar(Peek(1), '{') && IsCmd(Peek(2), "circ")) {
      size_t k = 3;
      while (Peek(k).kind == TokKind::kIdent) ++k;
      if (IsChar(Peek(k), '}')) {
        for (size_t j = 0; j <= k; ++j) Next();
        return true;
      }
    }
    return false;
  }

  absl::StatusOr<int32_t> ParsePower() {
    ASSIGN_OR_RETURN(int32_t base, ParsePostfix());
    while (true) {
      if (SkipDegree()) continue;
      if (AtChar('^')) {
        Next();
        ASSIGN_OR_RETURN(int32_t e, ParseExponent());
        if (tree_->at(base).kind == NodeKind::kText) continue;  // cm^2
        ASSIGN_OR_RETURN(base, New(NodeKind::kPow, "", {base, e}));
        continue;
      }
      if (AtChar('%') || (Peek().kind == TokKind::kIdent && IsPercentWord(Peek().text))) {
        Next();
        ASSIGN_OR_RETURN(base, New(NodeKind::kPercent, "", {base}));
        continue;
      }
      if (AtChar('!')) {
        Next();
        ASSIGN_OR_RETURN(base, New(NodeKind::kFactorial, "", {base}));
        continue;
      }
      return base;
    }
  }

  absl::StatusOr<int32_t> ParseExponent() {
    Depth d(this);
    RETURN_IF_ERROR(d.Check());
    if (AtChar('{')) return ParseBraceGroup();
    if (AtChar('-')) {
      Next();
      ASSIGN_OR_RETURN(int32_t a, ParseExponent());
      return New(NodeKind::kNeg, "", {a});
    }
    if (AtChar('+')) {
      Next();
      return ParseExponent();
    }
    if (Peek().kind == TokKind::kIdent && Peek().text.size() > 1 && !FunctionName(Peek().text)) {
      return SplitIdentLetter();
    }
    ASSIGN_OR_RETURN(int32_t a, ParsePrimary());
    if (AtChar('^')) {  // right-associative: a^b^c = a^(b^c)
      Next();
      ASSIGN_OR_RETURN(int32_t e, ParseExponent());
      return New(NodeKind::kPow, "", {a, e});
    }
    return a;
  }

  absl::StatusOr<int32_t> ParsePostfix() {
    ASSIGN_OR_RETURN(int32_t a, ParsePrimary());
    while (true) {
      if (AtChar('!') && !IsChar(Peek(1), '=')) {
        Next();
        ASSIGN_OR_RETURN(a, New(NodeKind::kFactorial, "", {a}));
      } else if (AtChar('%')) {
        Next();
        ASSIGN_OR_RETURN(a, New(NodeKind::kPercent, "", {a}));
      } else if (AtChar('\'') && (tree_->at(a).kind == NodeKind::kSymbol ||
                                  tree_->at(a).kind == NodeKind::kApply)) {
        Next();
        tree_->mutable_at(a).text += "'";
      } else if (AtChar('_') && tree_->at(a).kind == NodeKind::kNumber &&
                 Peek(1).kind == TokKind::kNumber) {
        // A base subscript: 204_5.
        Next();
        std::string base(Peek().text);
        Next();
        ConvertBase(a, base);
      } else if (AtCmd("circ")) {
        Next();
      } else {
        return a;
      }
    }
  }

  void ConvertBase(int32_t node, const std::string& base_text) {
    if (base_text.size() > 2 || base_text.find('.') != std::string::npos) return;
    const int base = std::stoi(base_text);
    std::string& digits = tree_->mutable_at(node).text;
    if (base < 2 || base > 36 || digits.size() > 30) return;
    unsigned __int128 v = 0;
    for (char c : digits) {
      if (c < '0' || c > '9' || c - '0' >= base) return;
      v = v * static_cast<unsigned>(base) + static_cast<unsigned>(c - '0');
    }
    std::string out;
    do {
      out.insert(out.begin(), static_cast<char>('0' + static_cast<int>(v % 10)));
      v /= 10;
    } while (v != 0);
    digits = out;
  }

  // ---- primaries -----------------------------------------------------------------------------
  absl::StatusOr<int32_t> ParseBraceGroup() {
    Next();  // '{'
    if (AtChar('}')) {
      Next();
      return New(NodeKind::kText, "");
    }
    if (Peek().kind == TokKind::kEnd) return Unexpected("'}'");  // "\\sqrt{": nothing to forgive
    ASSIGN_OR_RETURN(Kids elems, ParseElements());
    if (AtChar('}')) {
      Next();
    } else if (Peek().kind != TokKind::kEnd) {  // an unclosed '{' at the end is forgiven
      return Unexpected("'}'");
    }
    if (elems.size() == 1) return elems[0];
    return New(NodeKind::kSet, "", std::move(elems));
  }

  // Splits a multi-letter identifier: returns the first letter's symbol, leaves the rest.
  absl::StatusOr<int32_t> SplitIdentLetter() {
    std::string letter(1, Peek().text[0]);
    Mutable().text.remove_prefix(1);
    Mutable().pos += 1;
    return SymbolOrConstant(letter);
  }

  absl::StatusOr<int32_t> SymbolOrConstant(std::string name) {
    if ((name == "e" || name == "i") && !AtChar('_')) return New(NodeKind::kConstant, name);
    return New(NodeKind::kSymbol, std::move(name));
  }

  // Takes the first character of the current number or identifier as a one-character macro
  // argument ("\\frac12": 1, then 2) and leaves the rest in place. A number whose rest is a bare
  // exponent ("\\frac1e5") is re-read as LaTeX reads it: the letter e, then the signed digits.
  std::string TakeFirstChar() {
    Token& t = Mutable();
    std::string first(1, t.text[0]);
    t.text.remove_prefix(1);
    t.pos += 1;
    if (t.kind == TokKind::kNumber && IsBareExponent(t.text) &&
        ++bare_exponents_ <= kMaxBareExponents) {
      // Each split inserts into the token vector (linear), so their number is capped;
      // ParseNumber refuses any bare exponent left past the cap.
      const int32_t at = t.pos;
      const std::string_view rest = t.text.substr(1);
      t.kind = TokKind::kIdent;
      t.text = t.text.substr(0, 1);
      std::vector<Token> more;
      size_t digits = 0;
      if (rest[0] == '+' || rest[0] == '-') {
        more.push_back(Token{TokKind::kChar, rest.substr(0, 1), at + 1});
        digits = 1;
      }
      more.push_back(Token{TokKind::kNumber, rest.substr(digits), at + 1 + static_cast<int32_t>(digits)});
      toks_.insert(toks_.begin() + static_cast<std::ptrdiff_t>(pos_) + 1,
                   std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
    }
    return first;
  }

  // A number token left as "e5" by TakeFirstChar past its cap.
  static bool IsBareExponent(std::string_view text) {
    return !text.empty() && (text[0] == 'e' || text[0] == 'E');
  }
  static absl::Status BareExponentsExhausted() {
    return absl::ResourceExhaustedError(absl::StrCat(
        "more than ", kMaxBareExponents, " numbers split by one-character macro arguments"));
  }

  // Raw text of a {...} group or a single token, for names and subscripts.
  std::string RawArg() {
    if (AtChar('{')) {
      std::string out;
      int depth = 0;
      while (Peek().kind != TokKind::kEnd) {
        const Token& t = Peek();
        if (IsChar(t, '{')) {
          if (depth++ > 0) out += '{';
        } else if (IsChar(t, '}')) {
          if (--depth == 0) {
            Next();
            break;
          }
          out += '}';
        } else {
          if (t.kind == TokKind::kCommand) out += '\\';
          out += t.text;
        }
        Next();
      }
      return out;
    }
    const Token& t = Peek();
    if ((t.kind == TokKind::kNumber || t.kind == TokKind::kIdent) && t.text.size() > 1) {
      return TakeFirstChar();
    }
    std::string out =
        t.kind == TokKind::kCommand ? absl::StrCat("\\", std::string(t.text)) : std::string(t.text);
    Next();
    return out;
  }

  // A symbol name plus its subscripts / primes: x, a_{37}, x_1', \alpha_i.
  absl::StatusOr<int32_t> NamedSymbol(std::string name) {
    while (true) {
      if (AtChar('_')) {
        Next();
        name += "_" + RawArg();
      } else if (AtChar('\'')) {
        Next();
        name += "'";
      } else {
        break;
      }
    }
    return SymbolOrConstant(std::move(name));
  }

  // A macro argument: {group}, or one digit / letter / command.
  absl::StatusOr<int32_t> ParseArg() {
    if (AtChar('{')) return ParseBraceGroup();
    const Token& t = Peek();
    if (t.kind == TokKind::kNumber && IsBareExponent(t.text)) return BareExponentsExhausted();
    if (t.kind == TokKind::kNumber && t.text.size() > 1 && t.text[0] != '.') {
      return New(NodeKind::kNumber, TakeFirstChar());
    }
    if (t.kind == TokKind::kIdent && t.text.size() > 1) return SplitIdentLetter();
    return ParsePrimary();
  }

  absl::StatusOr<int32_t> ParsePrimary() {
    Depth d(this);
    RETURN_IF_ERROR(d.Check());
    const Token& t = Peek();
    switch (t.kind) {
      case TokKind::kNumber:
        return ParseNumber();
      case TokKind::kIdent:
        return ParseIdent();
      case TokKind::kText:
        return ParseText();
      case TokKind::kCommand:
        return ParseCommand();
      case TokKind::kChar: {
        const char c = t.text[0];
        if (c == '(' || c == '[') return ParseBracketed();
        if (c == '{') return ParseBraceGroup();
        if (c == '|') return ParseAbs();
        break;
      }
      default:
        break;
    }
    return Unexpected("a number, variable or '('");
  }

  absl::StatusOr<int32_t> ParseNumber() {
    std::string_view text = Peek().text;  // the token texts outlive the parse
    if (IsBareExponent(text)) return BareExponentsExhausted();
    Next();
    const bool point = text.find('.') != std::string_view::npos;
    uint8_t flags = point || text.find('e') != std::string_view::npos ? kDecimal : 0;
    if (point && AtCmd("overline")) {
      Next();
      std::string rep = RawArg();
      if (rep.empty() || rep.find_first_not_of("0123456789") != std::string::npos) {
        return absl::InvalidArgumentError(absl::StrCat("repeating digits '", rep, "' after ",
                                                       std::string(text), " are not digits"));
      }
      const std::string repeating = absl::StrCat(std::string(text), "(", rep, ")");  // "0.(3)"
      return New(NodeKind::kNumber, repeating, {}, 0);  // an exact rational
    }
    if (!text.empty() && text.back() == '.') text.remove_suffix(1);
    if (text.empty()) text = "0";
    return New(NodeKind::kNumber, text, {}, flags);
  }

  absl::StatusOr<int32_t> ParseIdent() {
    const std::string w(Peek().text);
    if (w.size() > 1) {
      if (const char* f = FunctionName(w)) {
        Next();
        return ParseFunction(f);
      }
      if (w == "pi") {
        Next();
        return New(NodeKind::kConstant, "pi");
      }
      if (w == "infty" || w == "infinity" || w == "inf" || w == "oo") {
        Next();
        return New(NodeKind::kConstant, "inf");
      }
      if (IsUnitWord(w) || IsPercentWord(w)) {
        Next();
        return New(NodeKind::kText, w);
      }
      if (w.size() >= 3 && !AtWordFollowedByOperand()) {
        Next();
        return New(NodeKind::kText, w);
      }
      return SplitIdentLetter();
    }
    Next();
    // f(x): an application of an unknown function, for the usual function letters.
    static constexpr std::string_view kFuncLetters = "fghFGHPQW";
    if (kFuncLetters.find(w[0]) != std::string_view::npos && AtChar('(')) {
      Next();
      ASSIGN_OR_RETURN(Kids args, ParseElements());
      if (!AtChar(')')) return Unexpected("')'");
      Next();
      return New(NodeKind::kApply, w, std::move(args));
    }
    return NamedSymbol(w);
  }

  // "abc" next to numbers or operators is a product of letters; a lone word is text.
  bool AtWordFollowedByOperand() const {
    const Token& n = Peek(1);
    const bool prev_operand = pos_ > 0 && (toks_[pos_ - 1].kind == TokKind::kNumber ||
                                           IsChar(toks_[pos_ - 1], '^') ||
                                           IsChar(toks_[pos_ - 1], '*') ||
                                           IsChar(toks_[pos_ - 1], '+') ||
                                           IsChar(toks_[pos_ - 1], '-') ||
                                           IsChar(toks_[pos_ - 1], '/'));
    return prev_operand || IsChar(n, '^') || IsChar(n, '_') || IsChar(n, '+') || IsChar(n, '-') ||
           IsChar(n, '*') || IsChar(n, '/') || IsChar(n, '(') || n.kind == TokKind::kRel;
  }

  absl::StatusOr<int32_t> ParseText() {
    std::string s = Trimmed(Peek().text);
    Next();
    if (s == "e") return New(NodeKind::kConstant, "e");
    if (!s.empty() && s.find_first_not_of("0123456789.") == std::string::npos &&
        std::count(s.begin(), s.end(), '.') <= 1 && s != ".") {
      return New(NodeKind::kNumber, s, {}, s.find('.') != std::string::npos ? kDecimal : 0);
    }
    return New(NodeKind::kText, s);
  }

  absl::StatusOr<int32_t> ParseAbs() {
    Next();  // '|'
    ++abs_depth_;
    absl::StatusOr<int32_t> inner = ParseSetExpr();
    --abs_depth_;
    if (!inner.ok()) return inner.status();
    if (!AtChar('|')) return Unexpected("closing '|'");
    Next();
    return New(NodeKind::kFunc, "abs", {*inner});
  }

  // ( ... ), [ ... ], with mixed closers for intervals.
  absl::StatusOr<int32_t> ParseBracketed() {
    const char open = Peek().text[0];
    Next();
    const int saved_abs = abs_depth_;
    abs_depth_ = 0;
    absl::StatusOr<Kids> elems_or = ParseElements();
    abs_depth_ = saved_abs;
    if (!elems_or.ok()) return elems_or.status();
    Kids elems = *std::move(elems_or);
    if (!AtChar(')') && !AtChar(']')) return Unexpected(open == '(' ? "')'" : "']'");
    const char close = Peek().text[0];
    Next();
    if (elems.empty()) return New(NodeKind::kTuple);
    if (elems.size() == 1 && (open == '(' || close == ']')) return elems[0];
    if (elems.size() == 2 && !(open == '(' && close == ')')) {
      uint8_t flags = (open == '(' ? kLeftOpen : 0) | (close == ')' ? kRightOpen : 0);
      return New(NodeKind::kInterval, "", std::move(elems), flags);
    }
    return New(NodeKind::kTuple, "", std::move(elems));
  }

  // \sin x, \sin(x), \sin^2 x, \sin^{-1} x, \log_2 8, \log_{10}(x).
  absl::StatusOr<int32_t> ParseFunction(std::string name) {
    int32_t power = -1;
    int32_t base = -1;
    bool inverse = false;
    for (int round = 0; round < 2; ++round) {
      if (AtChar('^')) {
        Next();
        if (IsChar(Peek(), '{') && IsChar(Peek(1), '-') && Peek(2).kind == TokKind::kNumber &&
            Peek(2).text == "1" && IsChar(Peek(3), '}')) {
          for (int k = 0; k < 4; ++k) Next();
          inverse = true;
        } else {
          ASSIGN_OR_RETURN(power, ParseExponent());
        }
      } else if (AtChar('_') && (name == "log")) {
        Next();
        ASSIGN_OR_RETURN(base, ParseArg());
      }
    }
    if (inverse) {
      if (name == "sin" || name == "cos" || name == "tan" || name == "cot" || name == "sec" ||
          name == "csc") {
        name = "a" + name;
      } else {
        inverse = false;
      }
    }
    Kids args;
    if (AtChar('(')) {
      Next();
      ASSIGN_OR_RETURN(args, ParseElements());
      if (!AtChar(')')) return Unexpected("')'");
      Next();
    } else {
      // Unparenthesized argument: a power, then implicit factors up to the next function.
      ASSIGN_OR_RETURN(int32_t a, ParsePower());
      Kids factors = {a};
      while (StartsOperand(Peek()) && !StartsFunction(Peek()) && !AtChar('(') &&
             !AtChar('[') && !AtChar('|') && Peek().kind != TokKind::kText) {
        ASSIGN_OR_RETURN(int32_t b, ParsePower());
        factors.push_back(b);
      }
      if (factors.size() == 1) {
        args.push_back(a);
      } else {
        ASSIGN_OR_RETURN(int32_t p, MakeProduct(std::move(factors)));
        args.push_back(p);
      }
    }
    if (args.empty()) return Unexpected("a function argument");
    if (name == "lg") {
      ASSIGN_OR_RETURN(base, New(NodeKind::kNumber, "10"));
      name = "log";
    }
    if (base >= 0) args.push_back(base);
    ASSIGN_OR_RETURN(int32_t f, New(NodeKind::kFunc, name, std::move(args)));
    if (power >= 0) return New(NodeKind::kPow, "", {f, power});
    return f;
  }

  bool StartsFunction(const Token& t) const {
    if (t.kind == TokKind::kCommand) {
      return FunctionName(t.text) != nullptr || t.text.rfind("op:", 0) == 0 || t.text == "frac" ||
             t.text == "dfrac" || t.text == "sqrt";
    }
    return t.kind == TokKind::kIdent && t.text.size() > 1 && FunctionName(t.text) != nullptr;
  }

  absl::StatusOr<int32_t> ParseCommand() {
    const std::string_view name = Peek().text;  // the token texts outlive the parse
    Next();
    if (name == "frac" || name == "dfrac" || name == "tfrac" || name == "cfrac" ||
        name == "nicefrac" || name == "over") {
      ASSIGN_OR_RETURN(int32_t a, ParseArg());
      ASSIGN_OR_RETURN(int32_t b, ParseArg());
      return New(NodeKind::kDiv, "", {a, b});
    }
    if (name == "sqrt") {
      int32_t index = -1;
      if (AtChar('[')) {
        Next();
        ASSIGN_OR_RETURN(index, ParseSetExpr());
        if (!AtChar(']')) return Unexpected("']'");
        Next();
      }
      ASSIGN_OR_RETURN(int32_t a, ParseArg());
      if (index >= 0) return New(NodeKind::kFunc, "root", {a, index});
      return New(NodeKind::kFunc, "sqrt", {a});
    }
    if (name == "binom" || name == "dbinom" || name == "tbinom" || name == "choose") {
      ASSIGN_OR_RETURN(int32_t a, ParseArg());
      ASSIGN_OR_RETURN(int32_t b, ParseArg());
      return New(NodeKind::kFunc, "binom", {a, b});
    }
    if (name == "pi") return New(NodeKind::kConstant, "pi");
    if (name == "infty" || name == "infin" || name == "infinity") {
      return New(NodeKind::kConstant, "inf");
    }
    if (name == "imath" || name == "jmath") return New(NodeKind::kConstant, "i");
    if (const char* f = FunctionName(name)) return ParseFunction(f);
    if (name.rfind("op:", 0) == 0) {
      const std::string op = Trimmed(name.substr(3));
      if (const char* f = FunctionName(op)) return ParseFunction(f);
      if (AtChar('(')) {
        Next();
        ASSIGN_OR_RETURN(Kids args, ParseElements());
        if (!AtChar(')')) return Unexpected("')'");
        Next();
        return New(NodeKind::kApply, op, std::move(args));
      }
      return New(NodeKind::kSymbol, op);
    }
    if (name == "{") {
      ASSIGN_OR_RETURN(Kids elems, ParseElements());
      if (!AtCmd("}")) return Unexpected("'\\}'");
      Next();
      return New(NodeKind::kSet, "", std::move(elems));
    }
    if (name == "emptyset" || name == "varnothing") return New(NodeKind::kSet);
    if (name == "lfloor" || name == "lceil") {
      ASSIGN_OR_RETURN(int32_t a, ParseSetExpr());
      const char* closer = name == "lfloor" ? "rfloor" : "rceil";
      if (!AtCmd(closer)) return Unexpected(absl::StrCat("'\\", closer, "'"));
      Next();
      return New(NodeKind::kFunc, name == "lfloor" ? "floor" : "ceil", {a});
    }
    if (name == "langle") {
      ASSIGN_OR_RETURN(Kids elems, ParseElements());
      if (!AtCmd("rangle")) return Unexpected("'\\rangle'");
      Next();
      if (elems.size() == 1) return elems[0];
      return New(NodeKind::kTuple, "", std::move(elems));
    }
    if (name == "boxed" || name == "fbox" || name == "framebox" || name == "underbrace") {
      return ParseArg();
    }
    if (IsDecoration(name)) {
      return NamedSymbol(absl::StrCat("\\", std::string(name), "{", RawArg(), "}"));
    }
    if (name == "begin") return ParseEnvironment();
    if (name == "ldots" || name == "cdots" || name == "dots" || name == "dotsc") {
      return New(NodeKind::kSymbol, "...");
    }
    if (name == "sum" || name == "prod") return ParseBigOperator(std::string(name));
    if (name == "%") return New(NodeKind::kText, "%");
    if (IsOperatorCommand(name) || name == "end" || name == "}") {
      --pos_;
      return Unexpected("an operand");
    }
    // Greek letters and any other command: an opaque symbol.
    return NamedSymbol(absl::StrCat("\\", std::string(name)));
  }

  // \sum_{k=a}^{b} body, \prod...: kept as an opaque function of (lower, upper, body).
  absl::StatusOr<int32_t> ParseBigOperator(const std::string& name) {
    int32_t lower = -1, upper = -1;
    for (int round = 0; round < 2; ++round) {
      if (AtChar('_')) {
        Next();
        ASSIGN_OR_RETURN(lower, ParseArg());
      } else if (AtChar('^')) {
        Next();
        ASSIGN_OR_RETURN(upper, ParseArg());
      }
    }
    if (lower < 0) {
      ASSIGN_OR_RETURN(lower, New(NodeKind::kText, ""));
    }
    if (upper < 0) {
      ASSIGN_OR_RETURN(upper, New(NodeKind::kText, ""));
    }
    ASSIGN_OR_RETURN(int32_t body, ParseTerm());
    return New(NodeKind::kFunc, name, {lower, upper, body});
  }

  absl::StatusOr<int32_t> ParseEnvironment() {
    const std::string env = RawArg();
    if (env == "array" && AtChar('{')) RawArg();  // column spec
    const bool matrix = IsMatrixEnv(env);
    ++matrix_depth_;
    std::vector<Kids> rows(1);
    Kids flat;
    while (true) {
      const Token& t = Peek();
      if (t.kind == TokKind::kEnd) {
        --matrix_depth_;
        return Unexpected(absl::StrCat("'\\end{", env, "}'"));
      }
      if (IsCmd(t, "end")) {
        Next();
        RawArg();
        break;
      }
      if (IsChar(t, '&')) {
        Next();
        if (!matrix) continue;
        if (rows.back().empty()) {  // empty leading cell
          ASSIGN_OR_RETURN(int32_t z, New(NodeKind::kText, ""));
          rows.back().push_back(z);
        }
        continue;
      }
      if (t.kind == TokKind::kRowSep) {
        Next();
        if (!rows.back().empty()) rows.emplace_back();
        continue;
      }
      if (IsSeparator(t) && !matrix) {
        Next();
        continue;
      }
      absl::StatusOr<int32_t> cell = ParseRelation();
      if (!cell.ok()) {
        --matrix_depth_;
        return cell.status();
      }
      rows.back().push_back(*cell);
      flat.push_back(*cell);
      if (!matrix && IsSeparator(Peek())) Next();
    }
    --matrix_depth_;
    if (rows.back().empty()) rows.pop_back();
    if (!matrix) {
      if (flat.size() == 1) return flat[0];
      return New(NodeKind::kList, "", std::move(flat));
    }
    if (rows.empty()) return absl::InvalidArgumentError(absl::StrCat("empty ", env));
    const size_t cols = rows[0].size();
    Kids cells;
    for (const auto& r : rows) {
      if (r.size() != cols) {
        return absl::InvalidArgumentError(absl::StrCat(
            "ragged ", env, ": a row has ", r.size(), " entries, the first has ", cols));
      }
      cells.insert(cells.end(), r.begin(), r.end());
    }
    ASSIGN_OR_RETURN(int32_t m, New(NodeKind::kMatrix, env, std::move(cells)));
    tree_->mutable_at(m).rows = static_cast<int32_t>(rows.size());
    tree_->mutable_at(m).cols = static_cast<int32_t>(cols);
    return m;
  }

  static constexpr int kMaxBareExponents = 64;

  std::vector<Token> toks_;
  size_t pos_ = 0;
  int bare_exponents_ = 0;  // numbers re-read by TakeFirstChar
  const WorkBudget& budget_;
  Tree* tree_;
  int depth_ = 0;
  int abs_depth_ = 0;
  int matrix_depth_ = 0;
};

// ---- normalization -------------------------------------------------------------------------

bool IsEqOrApprox(char op) { return op == kRelEq || op == kRelApprox; }

// "x = 5+5+1 = 11 \approx 11.0" -> "x = 11"; "1 = \zzz = x = 0" -> "x = 0"; "x \in S" -> S.
absl::Status NormalizeRelations(Tree* tree, int32_t i, int64_t max_nodes) {
  for (size_t k = 0; k < tree->at(i).kids.size(); ++k) {
    RETURN_IF_ERROR(NormalizeRelations(tree, tree->at(i).kids[k], max_nodes));
  }
  Node& n = tree->mutable_at(i);
  if (n.kind != NodeKind::kRelation) return absl::OkStatus();
  if (n.text.size() == 1 && n.text[0] == kRelIn) {
    // x \in S: keep just S (the variable name is implied).
    const int32_t rhs = n.kids[1];
    Node copy = tree->at(rhs);
    tree->mutable_at(i) = std::move(copy);
    return absl::OkStatus();
  }
  if (!std::all_of(n.text.begin(), n.text.end(), IsEqOrApprox)) return absl::OkStatus();
  // Drop trailing approximations when an exact '=' exists.
  const size_t last_eq = n.text.find_last_of(kRelEq);
  Kids sides = n.kids;
  if (last_eq != std::string::npos) sides.resize(last_eq + 2);
  const int32_t rhs = sides.back();
  int32_t lhs = sides[sides.size() - 2];
  for (size_t k = 0; k + 1 < sides.size(); ++k) {
    if (IsAssignTarget(*tree, sides[k])) {
      lhs = sides[k];
      break;
    }
  }
  Node& m = tree->mutable_at(i);
  m.text = std::string(1, kRelEq);
  m.kids = {lhs, rhs};
  return absl::OkStatus();
}

int CountPm(const Tree& tree, int32_t i) {
  const Node& n = tree.at(i);
  int c = n.kind == NodeKind::kPlusMinus ? 1 : 0;
  for (int32_t k : n.kids) c += CountPm(tree, k);
  return c;
}

// Copies subtree `i` choosing + or - at each ± by the bits of `choice` (in pre-order).
int32_t CopyChoosing(Tree* tree, int32_t i, unsigned choice, int* bit) {
  const Node src = tree->at(i);
  Kids kids;
  kids.reserve(src.kids.size());
  if (src.kind == NodeKind::kPlusMinus) {
    const bool minus = (choice >> (*bit)++) & 1u;
    for (int32_t k : src.kids) kids.push_back(CopyChoosing(tree, k, choice, bit));
    if (kids.size() == 1) {
      return minus ? tree->Add(NodeKind::kNeg, "", {kids[0]}) : kids[0];
    }
    return tree->Add(minus ? NodeKind::kSub : NodeKind::kAdd, "", std::move(kids));
  }
  for (int32_t k : src.kids) kids.push_back(CopyChoosing(tree, k, choice, bit));
  int32_t n = tree->Add(src.kind, src.text, std::move(kids), src.flags);
  tree->mutable_at(n).rows = src.rows;
  tree->mutable_at(n).cols = src.cols;
  return n;
}

// The values of a scalar subtree with ± signs (at most 4 of them): its 2^k variants.
Kids PmVariants(Tree* tree, int32_t i) {
  const int k = CountPm(*tree, i);
  if (k == 0 || k > 4) return {i};
  Kids out;
  for (unsigned c = 0; c < (1u << k); ++c) {
    int bit = 0;
    out.push_back(CopyChoosing(tree, i, c, &bit));
  }
  return out;
}

bool IsContainer(NodeKind k) {
  return k == NodeKind::kSet || k == NodeKind::kList || k == NodeKind::kTuple ||
         k == NodeKind::kInterval || k == NodeKind::kUnion || k == NodeKind::kMatrix ||
         k == NodeKind::kRelation;
}

// Expands ± into sets: in sets and lists the variants are spliced in; elsewhere a subtree with ±
// becomes the set of its variants.
absl::StatusOr<int32_t> ExpandPm(Tree* tree, int32_t i, int64_t max_nodes) {
  if (tree->size() > max_nodes * 4) {
    return absl::ResourceExhaustedError(
        absl::StrCat("expanding '\\pm' needs more than ", max_nodes * 4, " nodes"));
  }
  const NodeKind kind = tree->at(i).kind;
  if (!IsContainer(kind)) {
    Kids v = PmVariants(tree, i);
    if (v.size() == 1) return i;
    return tree->Add(NodeKind::kSet, "", std::move(v));
  }
  Kids kids = tree->at(i).kids;
  Kids out;
  for (int32_t k : kids) {
    if ((kind == NodeKind::kSet || kind == NodeKind::kList) && !IsContainer(tree->at(k).kind)) {
      Kids v = PmVariants(tree, k);
      out.insert(out.end(), v.begin(), v.end());
    } else if (kind == NodeKind::kRelation || kind == NodeKind::kSet || kind == NodeKind::kList ||
               kind == NodeKind::kTuple) {
      ASSIGN_OR_RETURN(int32_t e, ExpandPm(tree, k, max_nodes));
      out.push_back(e);
    } else {
      out.push_back(k);
    }
  }
  tree->mutable_at(i).kids = std::move(out);
  return i;
}

// ---- matrix arithmetic: sums, differences, scalar multiples, products and small powers of
// matrix literals are folded into one matrix of scalar expressions.

class MatrixFolder {
 public:
  MatrixFolder(Tree* tree, int64_t max_nodes) : tree_(tree), max_nodes_(max_nodes) {}

  absl::StatusOr<int32_t> Fold(int32_t i) {
    if (tree_->size() > max_nodes_) {
      return absl::ResourceExhaustedError(
          absl::StrCat("matrix arithmetic needs more than ", max_nodes_, " nodes"));
    }
    Kids kids = tree_->at(i).kids;
    for (int32_t& k : kids) {
      ASSIGN_OR_RETURN(k, Fold(k));
    }
    tree_->mutable_at(i).kids = kids;
    const Node n = tree_->at(i);
    auto is_m = [&](int32_t k) { return tree_->at(k).kind == NodeKind::kMatrix; };
    const bool any = std::any_of(kids.begin(), kids.end(), is_m);
    if (!any) return i;
    switch (n.kind) {
      case NodeKind::kAdd:
      case NodeKind::kSub: {
        if (!std::all_of(kids.begin(), kids.end(), is_m)) return i;
        int32_t acc = kids[0];
        for (size_t k = 1; k < kids.size(); ++k) {
          ASSIGN_OR_RETURN(acc, Elementwise(acc, kids[k], n.kind));
          if (acc < 0) return i;
        }
        return acc;
      }
      case NodeKind::kNeg: {
        ASSIGN_OR_RETURN(int32_t m, Scale(kids[0], -1));
        return m;
      }
      case NodeKind::kMul: {
        int32_t acc = -1;
        Kids scalars;
        for (int32_t k : kids) {
          if (!is_m(k)) {
            scalars.push_back(k);
          } else if (acc < 0) {
            acc = k;
          } else {
            ASSIGN_OR_RETURN(acc, Product(acc, k));
            if (acc < 0) return i;
          }
        }
        for (int32_t c : scalars) {
          ASSIGN_OR_RETURN(acc, Scale(acc, c));
        }
        return acc;
      }
      case NodeKind::kPow: {
        const Node& e = tree_->at(kids[1]);
        if (!is_m(kids[0]) || e.kind != NodeKind::kNumber || e.text.size() != 1 ||
            e.text[0] < '1' || e.text[0] > '8') {
          return i;
        }
        const int power = e.text[0] - '0';  // `e` dangles once nodes are added
        int32_t acc = kids[0];
        for (int k = 1; k < power; ++k) {
          ASSIGN_OR_RETURN(acc, Product(acc, kids[0]));
          if (acc < 0) return i;
        }
        return acc;
      }
      default:
        return i;
    }
  }

 private:
  int32_t NewMatrix(int32_t rows, int32_t cols, Kids cells) {
    int32_t m = tree_->Add(NodeKind::kMatrix, "pmatrix", std::move(cells));
    tree_->mutable_at(m).rows = rows;
    tree_->mutable_at(m).cols = cols;
    return m;
  }

  // -1 when the shapes differ.
  absl::StatusOr<int32_t> Elementwise(int32_t a, int32_t b, NodeKind op) {
    const Node ma = tree_->at(a), mb = tree_->at(b);
    if (ma.rows != mb.rows || ma.cols != mb.cols) return -1;
    Kids cells;
    for (size_t k = 0; k < ma.kids.size(); ++k) {
      cells.push_back(tree_->Add(op, "", {ma.kids[k], mb.kids[k]}));
    }
    return NewMatrix(ma.rows, ma.cols, std::move(cells));
  }

  // `c` is a node index, or -1 for negation.
  absl::StatusOr<int32_t> Scale(int32_t m, int32_t c) {
    const Node mm = tree_->at(m);
    Kids cells;
    for (int32_t e : mm.kids) {
      cells.push_back(c < 0 ? tree_->Add(NodeKind::kNeg, "", {e})
                            : tree_->Add(NodeKind::kMul, "", {c, e}));
    }
    return NewMatrix(mm.rows, mm.cols, std::move(cells));
  }

  absl::StatusOr<int32_t> Product(int32_t a, int32_t b) {
    const Node ma = tree_->at(a), mb = tree_->at(b);
    if (ma.cols != mb.rows) return -1;
    if (static_cast<int64_t>(ma.rows) * mb.cols * ma.cols * 3 + tree_->size() > max_nodes_) {
      return absl::ResourceExhaustedError("matrix product is too large");
    }
    Kids cells;
    for (int32_t r = 0; r < ma.rows; ++r) {
      for (int32_t c = 0; c < mb.cols; ++c) {
        Kids terms;
        for (int32_t k = 0; k < ma.cols; ++k) {
          terms.push_back(tree_->Add(NodeKind::kMul, "",
                                     {ma.kids[static_cast<size_t>(r * ma.cols + k)],
                                      mb.kids[static_cast<size_t>(k * mb.cols + c)]}));
        }
        cells.push_back(terms.size() == 1 ? terms[0]
                                          : tree_->Add(NodeKind::kAdd, "", std::move(terms)));
      }
    }
    return NewMatrix(ma.rows, mb.cols, std::move(cells));
  }

  Tree* tree_;
  int64_t max_nodes_;
};

// "1000,99" / "1,22" / "0,111": a decimal comma when the whole answer is one such number and the
// part after the comma cannot be a thousands group. Returns the rewritten answer, or nothing when
// the answer stays as it is.
std::optional<std::string> DecimalComma(std::string_view text) {
  if (text.find(',') == std::string_view::npos) return std::nullopt;
  std::string s;
  for (char c : text) {
    if (c != '$' && c != ' ') s += c;
  }
  size_t i = (!s.empty() && s[0] == '-') ? 1 : 0;
  const size_t comma = s.find(',');
  if (comma == std::string::npos || comma == i) return std::nullopt;
  for (size_t k = i; k < s.size(); ++k) {
    if (k != comma && (s[k] < '0' || s[k] > '9')) return std::nullopt;
  }
  const size_t int_len = comma - i;
  const size_t frac_len = s.size() - comma - 1;
  const bool thousands_ok = int_len <= 3 && s[i] != '0';
  if (frac_len == 2 || (frac_len == 3 && !thousands_ok)) {
    s[comma] = '.';
    return s;
  }
  return std::nullopt;
}

}  // namespace

bool IsAssignTarget(const Tree& tree, int32_t i) {
  const Node& n = tree.at(i);
  switch (n.kind) {
    case NodeKind::kSymbol:
    case NodeKind::kApply:
      return true;
    case NodeKind::kMul:
    case NodeKind::kDiv:
    case NodeKind::kRatio:
    case NodeKind::kTuple:
      return std::all_of(n.kids.begin(), n.kids.end(),
                         [&](int32_t k) { return IsAssignTarget(tree, k); });
    case NodeKind::kFunc:
      return n.text == "abs" && IsAssignTarget(tree, n.kids[0]);
    default:
      return false;
  }
}

absl::Status ParseMath(std::string_view text, const WorkBudget& budget, Tree* tree) {
  if (static_cast<int64_t>(text.size()) > budget.max_input_bytes) {
    return absl::ResourceExhaustedError(absl::StrCat("answer is ", text.size(),
                                                     " bytes; limit is ", budget.max_input_bytes));
  }
  const std::optional<std::string> decimal = DecimalComma(text);
  const std::string_view normalized = decimal ? std::string_view(*decimal) : text;
  std::forward_list<std::string> lexed_texts;  // outlives the parser, which reads the tokens' texts
  ASSIGN_OR_RETURN(std::vector<Token> toks,
                   internal::Lex(normalized, budget.max_nodes, &lexed_texts));
  tree->Reserve(tree->size() + std::min<size_t>(toks.size() * 2, static_cast<size_t>(std::max<int64_t>(budget.max_nodes, 0))));
  Parser parser(std::move(toks), budget, tree);
  RETURN_IF_ERROR(parser.ParseTop());
  // The node kinds anywhere in the arena: each pass below changes only trees with its kind.
  static_assert(static_cast<int>(NodeKind::kRelation) < 32, "NodeKind must fit a 32-bit mask");
  uint32_t kinds = 0;
  for (int32_t k = 0; k < tree->size(); ++k)
    kinds |= uint32_t{1} << static_cast<int>(tree->at(k).kind);
  const auto has = [&](NodeKind kind) {
    return (kinds & (uint32_t{1} << static_cast<int>(kind))) != 0;
  };
  if (has(NodeKind::kRelation)) {
    RETURN_IF_ERROR(NormalizeRelations(tree, tree->root(), budget.max_nodes));
  }
  int32_t root = tree->root();
  if (has(NodeKind::kPlusMinus)) {
    ASSIGN_OR_RETURN(root, ExpandPm(tree, tree->root(), budget.max_nodes));
    tree->set_root(root);
  }
  if (Contains(*tree, root, NodeKind::kMatrix)) {
    MatrixFolder folder(tree, budget.max_nodes * 4);
    ASSIGN_OR_RETURN(root, folder.Fold(root));
    tree->set_root(root);
  }
  return absl::OkStatus();
}

}  // namespace rlvr::math
