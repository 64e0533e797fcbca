#include "verifiers/math/parser.h"

#include <cstdint>
#include <forward_list>
#include <iterator>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "verifiers/math/compare.h"
#include "verifiers/math/expr.h"
#include "verifiers/math/internal/lexer.h"

namespace rlvr::math {
namespace {

std::string Parse(const std::string& text) {
  Tree tree;
  absl::Status st = ParseMath(text, WorkBudget(), &tree);
  if (!st.ok()) return "ERROR: " + st.ToString();
  return ToText(tree, tree.root());
}

struct Case {
  const char* in;
  const char* out;
};

// Input -> the tree's text (ToText: fully parenthesized, source order).
TEST(ParserTest, Forms) {
  const Case cases[] = {
      // Numbers.
      {"42", "42"},
      {"-5", "-(5)"},
      {"1,000,000", "1000000"},
      {"1{,}000", "1000"},
      {"1\\,000", "1000"},
      {"1 000", "1000"},
      {"11,\\! 111", "11111"},
      {"1000,99", "1000.99"},
      {"1,22", "1.22"},
      {"0,111", "0.111"},
      {"1,2", "1,2"},
      {"(1,100)", "(1,100)"},
      {".4", ".4"},
      {"2.5e-3", "2.5e-3"},
      {"0.\\overline{3}", "0.(3)"},
      {"0.1\\overline{6}", "0.1(6)"},
      {"204_5", "54"},
      {"5.", "5"},
      // Fractions, mixed numbers.
      {"\\frac{1}{2}", "(1/2)"},
      {"\\frac12", "(1/2)"},
      // A one-character argument splits a number; a bare exponent left over is the letter e.
      {"\\frac12e3", "((1/2)*e*3)"},
      {"\\frac1e5", "((1/e)*5)"},
      {"\\frac1E-5", "((1/e)-5)"},
      {"\\dot0e0", "(\\dot{0}*e*0)"},
      {"\\dfrac{a}{b}", "(a/b)"},
      {"\\frac\\pi2", "(pi/2)"},
      {"2\\frac{1}{2}", "(2+(1/2))"},
      {"2 1/2", "(2+(1/2))"},
      {"2\\frac{x}{2}", "(2*(x/2))"},
      {"a/b/c", "((a/b)/c)"},
      // Operators and precedence.
      {"1+2*3", "(1+(2*3))"},
      {"1-2-3", "((1-2)-3)"},
      {"-x^2", "-((x^2))"},
      {"2^3^2", "(2^(3^2))"},
      {"2^{10}", "(2^10)"},
      {"2^10", "(2^10)"},
      {"x^{-1}", "(x^-(1))"},
      {"2 \\cdot 3 \\times 4", "(2*3*4)"},
      {"6 \\div 3", "(6/3)"},
      {"2x", "(2*x)"},
      {"xy", "(x*y)"},
      {"2\\pi r", "(2*pi*r)"},
      {"3\\sqrt{2}", "(3*sqrt(2))"},
      {"(x+1)(x-1)", "((x+1)*(x-1))"},
      {"5!", "(5)!"},
      {"28\\%", "28%"},
      {"28 percent", "28%"},
      {"28 pct", "28%"},
      {"7:32", "(7:32)"},
      // Functions.
      {"\\sqrt{2}", "sqrt(2)"},
      {"\\sqrt2", "sqrt(2)"},
      {"\\sqrt[3]{x}", "root(x,3)"},
      {"\\sin x", "sin(x)"},
      {"\\sin(x)", "sin(x)"},
      {"\\sin 2x", "sin((2*x))"},
      {"\\sin^2 x", "(sin(x)^2)"},
      {"\\sin^{-1} x", "asin(x)"},
      {"\\arctan 1", "atan(1)"},
      {"2 \\sin b \\cos a", "(2*sin(b)*cos(a))"},
      {"\\log_2 8", "log(8,2)"},
      {"\\log_{10}(x)", "log(x,10)"},
      {"\\ln x", "ln(x)"},
      {"\\exp(2)", "exp(2)"},
      {"\\binom{5}{2}", "binom(5,2)"},
      {"|x-2|", "abs((x-2))"},
      {"\\left|x\\right|", "abs(x)"},
      {"\\lfloor x \\rfloor", "floor(x)"},
      {"\\lceil x \\rceil", "ceil(x)"},
      {"f(x)", "f(x)"},
      {"\\operatorname{sgn}(x)", "sgn(x)"},
      // Constants and symbols.
      {"\\pi", "pi"},
      {"e", "e"},
      {"\\mathrm{e}", "e"},
      {"i", "i"},
      {"\\infty", "inf"},
      {"x_1", "x_1"},
      {"a_{37}", "a_37"},
      {"\\alpha", "\\alpha"},
      {"\\overline{AB}", "\\overline{AB}"},
      {"\\mathbf{n}_1", "\\mathbf{n}_1"},
      // Noise.
      {"\\left( \\frac{1}{3} \\right)", "(1/3)"},
      {"\\displaystyle \\frac{1}{2}", "(1/2)"},
      {"\\boxed{5}", "5"},
      {"$5$", "5"},
      {"\\$5", "5"},
      {"10\\text{ cm}", "10"},
      {"15\\mbox{ cm}^2", "15"},
      {"\\frac{1}{3} \\textbf{meters}", "(1/3)"},
      {"125 miles", "125"},
      {"90^\\circ", "90"},
      {"90^{\\circ}", "90"},
      {"\\\\frac{1}{2}", "(1/2)"},
      {"\\quad x", "x"},
      {"\\quadx_2", "x_2"},
      // Text.
      {"\\text{E}", "\"E\""},
      {"\\text{odd}", "\"odd\""},
      {"odd", "\"odd\""},
      {"\\text{13}", "13"},
      // Containers.
      {"(1,2)", "(1,2)"},
      {"(1,2]", "(1,2]"},
      {"[1,2)", "[1,2)"},
      {"[1,2]", "[1,2]"},
      {"(3,2,7)", "(3,2,7)"},
      {"\\{1,2\\}", "{1,2}"},
      {"\\left\\{1,2\\right\\}", "{1,2}"},
      {"{1,2}", "{1,2}"},
      {"[0,1) \\cup (2,3]", "[0,1) U (2,3]"},
      {"1, -2", "1,-(2)"},
      {"x=2 or x=3", "x=2,x=3"},
      {"6 \\text{ and } 8", "6,8"},
      {"-12;-11", "-(12),-(11)"},
      {"p=5,q=2;p=7,q=2", "(p=5,q=2),(p=7,q=2)"},
      {"(0;0;0)", "(0,0,0)"},
      {"\\boxed{1}\\boxed{2}", "1,2"},
      {"\\begin{pmatrix}1 & 2 \\\\ 3 & 4\\end{pmatrix}", "[1, 2; 3, 4]"},
      {"\\begin{bmatrix}1 \\\\ 2\\end{bmatrix}", "[1; 2]"},
      {"\\begin{array}{cc}1 & 2\\end{array}", "[1, 2]"},
      {"\\begin{pmatrix}1 & 2\\\\\\end{pmatrix}", "[1, 2]"},
      {"2\\begin{pmatrix}1 & 2\\end{pmatrix}", "[(2*1), (2*2)]"},
      // Relations.
      {"x=11", "x=11"},
      {"x = 5+5+1 = 11", "x=11"},
      {"1 = \\zzz = x = 0", "\\zzz=0"},
      {"x = 1/3 \\approx 0.33", "x=(1/3)"},
      {"x \\approx 11", "x=11"},
      {"x \\le 2", "x<=2"},
      {"x <= 2", "x<=2"},
      {"5 \\geq x", "5>=x"},
      {"-2 \\le x \\le 7", "-(2)<=x<=7"},
      {"x \\in [0,1)", "[0,1)"},
      {"x != 3", "x!=3"},
      {"x \\neq 3", "x!=3"},
      // Plus-minus expands to a set.
      {"\\pm 2", "{2,-(2)}"},
      {"1 \\pm \\sqrt{2}", "{(1+sqrt(2)),(1-sqrt(2))}"},
      {"\\{1\\pm 2, 5\\}", "{(1+2),(1-2),5}"},
      {"x = 1 \\pm 2", "x={(1+2),(1-2)}"},
      // Unicode.
      {"\u221a2", "sqrt(2)"},
      {"\u03c0", "pi"},
      {"\u22125", "-(5)"},
      {"2\u00d73", "(2*3)"},
      {"6\u00f73", "(6/3)"},
      {"\u00bd", "(1/2)"},
      {"x \u2264 2", "x<=2"},
      {"x \u2265 2", "x>=2"},
      {"x \u2260 2", "x!=2"},
      {"\u221e", "inf"},
      {"x\u00b2", "(x^2)"},
  };
  for (const Case& c : cases) EXPECT_EQ(Parse(c.in), c.out) << "input: " << c.in;
}

TEST(ParserTest, ErrorsNamePositionAndToken) {
  struct {
    const char* in;
    const char* needle;
  } cases[] = {
      {"(1+2", "unexpected end of input at position 4; expected ')'"},
      {"1+)", "unexpected ')' at position 2"},
      {"x = ", "end of input"},
      {"\\frac{1}", "end of input"},
      {"1 + * 2", "unexpected '*' at position 4"},
      {"|x", "closing '|'"},
      {"\\begin{pmatrix}1 & 2 \\\\ 3\\end{pmatrix}", "ragged pmatrix"},
      {"\\begin{pmatrix}1 & 2", "\\end{pmatrix}"},
      {"\\lfloor x", "\\rfloor"},
      {"1 \x01", "control character 0x01 at position 2"},
      {"\xc3", "invalid UTF-8 byte 0xc3 at position 0"},
      {"\xc3\x28", "invalid UTF-8 sequence at position 0"},
      {"", "answer is empty"},
      {"0.\\overline{ab}", "repeating digits 'ab'"},
  };
  for (const auto& c : cases) {
    Tree tree;
    absl::Status st = ParseMath(c.in, WorkBudget(), &tree);
    ASSERT_FALSE(st.ok()) << c.in;
    EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << c.in << ": " << st;
    EXPECT_NE(st.message().find(c.needle), std::string::npos) << c.in << ": " << st;
  }
}

TEST(ParserTest, Limits) {
  WorkBudget small;
  small.max_depth = 10;
  small.max_nodes = 50;
  small.max_input_bytes = 100;
  Tree t1;
  absl::Status st = ParseMath(std::string(11, '(') + "1" + std::string(11, ')'), small, &t1);
  EXPECT_EQ(st.code(), absl::StatusCode::kResourceExhausted) << st;
  EXPECT_NE(st.message().find("deeper than 10"), std::string::npos) << st;
  Tree t2;
  EXPECT_TRUE(ParseMath(std::string(9, '(') + "1" + std::string(9, ')'), small, &t2).ok());
  Tree t3;
  st = ParseMath("1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+"
                 "1+1+1+1+1+1",
                 small, &t3);
  EXPECT_EQ(st.code(), absl::StatusCode::kResourceExhausted) << st;
  Tree t4;
  st = ParseMath(std::string(101, '1'), small, &t4);
  EXPECT_EQ(st.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(st.message().find("101 bytes; limit is 100"), std::string::npos) << st;
  // Unary chains and exponent chains count as nesting too.
  Tree t5;
  st = ParseMath(std::string(50, '-') + "1", small, &t5);
  EXPECT_EQ(st.code(), absl::StatusCode::kResourceExhausted) << st;
  // Too many "\pm" to expand is kept as is, not exploded.
  Tree t6;
  EXPECT_TRUE(ParseMath("\\pm1\\pm1\\pm1\\pm1\\pm1\\pm1\\pm1\\pm1", WorkBudget(), &t6).ok());
  // Re-reading a split number's bare exponent is capped: 64 parse, the 65th is a budget error.
  std::string splits;
  for (int i = 0; i < 64; ++i) splits += "+\\frac1e5";
  Tree t7;
  EXPECT_TRUE(ParseMath(splits, WorkBudget(), &t7).ok());
  Tree t8;
  st = ParseMath(splits + "+\\frac1e5", WorkBudget(), &t8);
  EXPECT_EQ(st.code(), absl::StatusCode::kResourceExhausted) << st;
  EXPECT_NE(st.message().find("more than 64"), std::string::npos) << st;
}

TEST(ParserTest, AssignTargets) {
  const char* yes[] = {"x", "a_3", "f(x)", "|AB|", "A:B", "(p,q)", "\\frac{NO}{BO}", "xy"};
  const char* no[] = {"7", "11a+c", "a+3z", "x^2", "\\pi"};
  for (const char* s : yes) {
    Tree t;
    ASSERT_TRUE(ParseMath(s, WorkBudget(), &t).ok()) << s;
    EXPECT_TRUE(IsAssignTarget(t, t.root())) << s;
  }
  for (const char* s : no) {
    Tree t;
    ASSERT_TRUE(ParseMath(s, WorkBudget(), &t).ok()) << s;
    EXPECT_FALSE(IsAssignTarget(t, t.root())) << s;
  }
}

TEST(LexerTest, TokensAndSeparators) {
  std::forward_list<std::string> arena;
  const std::string input = "1,000.5 + \\frac{a}{b} \\le 2 \\operatorname{lcm} ½ 7.25";
  auto toks = internal::Lex(input, 100, &arena);
  ASSERT_TRUE(toks.ok());
  std::vector<std::string> texts;
  for (const internal::Token& t : *toks) texts.emplace_back(t.text);
  // A number rewritten without its separator is kept in the arena; the rest are slices or static.
  EXPECT_EQ(texts,
            (std::vector<std::string>{"1000.5", "+", "frac", "{", "a", "}", "{", "b", "}", "l", "2",
                                      "op:lcm", "(", "1", "/", "2", ")", "7.25", ""}));
  EXPECT_EQ((*toks)[0].kind, internal::TokKind::kNumber);
  EXPECT_EQ(toks->back().kind, internal::TokKind::kEnd);
  EXPECT_EQ(std::distance(arena.begin(), arena.end()), 2);  // "1000.5" and "op:lcm"
  const std::string_view whole(input);
  EXPECT_EQ(toks->at(17).text.data(), whole.data() + whole.size() - 4);  // "7.25", a slice
  const std::string pluses(500, '+');
  auto many = internal::Lex(pluses, 100, &arena);
  ASSERT_FALSE(many.ok());
  EXPECT_EQ(many.status().code(), absl::StatusCode::kResourceExhausted);
}

TEST(CanonicalTest, SortsCommutativeOperands) {
  Tree a, b;
  ASSERT_TRUE(ParseMath("F_k F_{n-k-1} + 1", WorkBudget(), &a).ok());
  ASSERT_TRUE(ParseMath("1 + F_{n-k-1} F_k", WorkBudget(), &b).ok());
  EXPECT_EQ(Canonical(a, a.root()), Canonical(b, b.root()));
  Tree c, d;
  ASSERT_TRUE(ParseMath("f(x)+x", WorkBudget(), &c).ok());
  ASSERT_TRUE(ParseMath("f(y)+y", WorkBudget(), &d).ok());
  EXPECT_NE(Canonical(c, c.root()), Canonical(d, d.root()));
  EXPECT_EQ(Canonical(c, c.root(), true), Canonical(d, d.root(), true));
}

// Random token soup: every input either parses or fails with a status; comparisons of what parses
// finish with a status. (Run under ASan/UBSan in the sanitizer build.)
TEST(ParserRobustnessTest, RandomTokenSoup) {
  static const char* kPieces[] = {
      "1",       "23",      "0.5",    "x",        "y",      "e",        "i",       "\\pi",
      "+",       "-",       "*",      "/",        "^",      "_",        "!",       "%",
      "(",       ")",       "[",      "]",        "{",      "}",        "\\{",   "\\}",
      "|",       ",",       ";",      ":",        "=",      "<",        "\\le",  "\\ge",
      "\\frac", "\\sqrt", "\\sin", "\\log_", "\\pm", "\\cup", "\\infty", "\\text{ cm}",
      "\\left(", "\\right)", "&",    "\\\\", "\\begin{pmatrix}", "\\end{pmatrix}",
      "\\overline", "\\binom", "\\cdot", " ",  "and",    "\\in",   "\\sum_", "f(",
      "\\lfloor", "\\rfloor", "'", "\\circ", "\\%", "\\,", "$", "\\\\frac"};
  constexpr size_t kN = sizeof(kPieces) / sizeof(kPieces[0]);
  uint64_t state = 12345;
  auto next = [&]() {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<size_t>(state >> 33);
  };
  CompareOptions o;
  o.budget.max_steps = 20000;
  int parsed = 0;
  std::vector<ParsedAnswer> answers;
  for (int round = 0; round < 3000; ++round) {
    std::string s;
    const size_t len = 1 + next() % 8;
    for (size_t k = 0; k < len; ++k) s += kPieces[next() % kN];
    absl::StatusOr<ParsedAnswer> a = ParseAnswer(s, o);
    if (!a.ok()) {
      EXPECT_TRUE(a.status().code() == absl::StatusCode::kInvalidArgument ||
                  a.status().code() == absl::StatusCode::kResourceExhausted)
          << s << ": " << a.status();
      continue;
    }
    ++parsed;
    EXPECT_FALSE(a->DebugString().empty()) << s;
    if (!answers.empty()) {
      absl::StatusOr<CompareResult> r = Compare(answers[next() % answers.size()], *a, o);
      if (!r.ok()) {
        EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted) << s;
      }
      absl::StatusOr<CompareResult> self = Compare(*a, *a, o);
      ASSERT_TRUE(self.ok()) << s << ": " << self.status();
      EXPECT_TRUE(self->equivalent) << s;
    }
    if (answers.size() < 64) answers.push_back(*a);
  }
  EXPECT_GT(parsed, 100) << "of 3000";
}

TEST(ParserRobustnessTest, DeepButAllowedNestingComparesWithoutOverflow) {
  CompareOptions o;
  std::string parens = std::string(190, '(') + "1" + std::string(190, ')');
  std::string fracs;
  for (int k = 0; k < 150; ++k) fracs += "\\frac{1}{";
  fracs += "1" + std::string(150, '}');
  for (const std::string& s : {parens, fracs}) {
    absl::StatusOr<ParsedAnswer> a = ParseAnswer(s, o);
    ASSERT_TRUE(a.ok()) << a.status();
    absl::StatusOr<ParsedAnswer> one = ParseAnswer("1", o);
    absl::StatusOr<CompareResult> r = Compare(*a, *one, o);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_TRUE(r->equivalent);
  }
}

}  // namespace
}  // namespace rlvr::math
