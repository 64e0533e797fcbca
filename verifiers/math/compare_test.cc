#include "verifiers/math/compare.h"

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "verifiers/math/value.h"

namespace rlvr::math {
namespace {

enum Opt { kDefault = 0, kNonStrict = 1, kAllowSet = 2, kPrec2 = 4, kPercentExact = 8 };

struct Case {
  const char* gold;
  const char* pred;
  bool expected;
  int opts = kDefault;
};

CompareOptions OptionsFor(int opts) {
  CompareOptions o;
  if (opts & kNonStrict) o.strict = false;
  if (opts & kAllowSet) o.allow_set_relation_comp = true;
  if (opts & kPrec2) o.precision = 2;
  if (opts & kPercentExact) o.percent = PercentMode::kExact;
  return o;
}

absl::StatusOr<bool> Equivalent(const std::string& gold, const std::string& pred,
                                const CompareOptions& o) {
  absl::StatusOr<ParsedAnswer> g = ParseAnswer(gold, o);
  if (!g.ok()) return g.status();
  absl::StatusOr<ParsedAnswer> p = ParseAnswer(pred, o);
  if (!p.ok()) return p.status();
  absl::StatusOr<CompareResult> r = Compare(*g, *p, o);
  if (!r.ok()) return r.status();
  return r->equivalent;
}

// Labelled pairs across every supported form; many adapted from Math-Verify's test suite.
const std::vector<Case>& Cases() {
  static const std::vector<Case> kCases = {
      // Integers, decimals, separators.
      {"-5", "-5", true},
      {"5", "6", false},
      {"7425000", "7,425,000", true},
      {"1000", "1 000", true},
      {"1000", "1000.0", true},
      {"1000.0", "1,000.0", true},
      {"1000.99", "1000,99", true},
      {"1,22", "1.22", true},
      {"0,111", "0.111", true},
      {"0.4", ".4", true},
      {"1000", "1{,}000", true},
      {"1000", "1\\,000", true},
      {"1000000", "1,000,000", true},
      {"11111111100", "11,\\! 111,\\! 111,\\! 100", true},
      {"32349", "32,\\! 349", true},
      {"32349", "32, 349", false},
      {"1,2", "1.2", false},
      {"007", "7", true},
      {"-0", "0", true},
      {"18446744073709551617", "18446744073709551616", false},
      {"18446744073709551616", "2^{64}", true},
      {"2^{64}+1", "18446744073709551617", true},
      {"123456789012345678901234567890", "123456789012345678901234567890", true},
      {"123456789012345678901234567890", "123456789012345678901234567891", false},
      {"1e3", "1000", true},
      {"2.5e-3", "0.0025", true},
      {"1.5\\times 10^{3}", "1500", true},
      {"1.5 \\cdot 10^3", "1501", false},
      {"0.5", "0.50", true},
      {"0.1", "0.2", false},
      {"3.14159265", "3.14159265", true},
      {"16386.17", "16386.16", false},
      // Fractions and mixed numbers.
      {"10/9", "\\frac{10}{9}", true},
      {"-10/9", "-\\frac{10}{9}", true},
      {"\\frac{1}{2}", "0.5", true},
      {"\\frac12", "1/2", true},
      {"1/3", "\\frac13", true},
      {"1", "\\frac3{3}", true},
      {"\\dfrac{3}{4}", "\\tfrac34", true},
      {"1/3", "\\cfrac{1}{3}", true},
      {"\\frac{2}{4}", "\\frac{1}{2}", true},
      {"\\frac{1}{3}", "\\frac{1}{4}", false},
      {"\\frac{1}{12}", "0.0833333333333333", true},
      {"\\frac{1}{3}", "0.333333", true},
      {"\\frac{1}{3}", "0.3333", false},
      {"\\frac{1}{3}", "0.33", false},
      {"\\frac{1}{3}", "0.33", true, kPrec2},
      {"0.33", "\\frac{1}{3}", true, kPrec2},
      {"\\frac{2}{3}", "0.666667", true},
      {"\\frac{2}{3}", "0.666666", false},
      {"\\frac{1}{2004!}", "\\frac{1}{2006!}", false},
      {"\\frac{2006!}{2004!}", "2006 \\cdot 2005", true},
      {"2\\frac{1}{2}", "2.5", true},
      {"2\\frac{1}{2}", "\\frac{5}{2}", true},
      {"2 1/2", "5/2", true},
      {"3\\frac{1}{4}", "3.5", false},
      {"-2\\frac{1}{2}", "-2.5", true},
      {"-2 1/2", "-\\frac{5}{2}", true},
      {"\\frac{5\\sqrt{42}}{27}", "\\frac{5}{27}\\sqrt{42}", true},
      // Repeating decimals.
      {"0.\\overline{3}", "\\frac{1}{3}", true},
      {"0.1\\overline{6}", "1/6", true},
      {"0.\\overline{142857}", "1/7", true},
      {"0.\\overline{3}", "0.3", false},
      {"1.\\overline{9}", "2", true},
      // Percent.
      {"28\\%", "28", true},
      {"28\\%", "0.28", true},
      {"28\\%", "28%", true},
      {"28\\%", "28 pct", true},
      {"28\\%", "28 percent", true},
      {"28\\%", "28 percentage", true},
      {"28\\%", "0.29", false},
      {"28\\%", "2.8", false},
      {"28\\%", "28", false, kPercentExact},
      {"28\\%", "0.28", true, kPercentExact},
      {"20\\%", "\\frac{1}{5}", true},
      {"100%", "1", true},
      // Degrees.
      {"90^\\circ", "90", true},
      {"90^{\\circ}", "90", true},
      {"90\u00b0", "90", true},
      {"90^\\circ", "45^\\circ", false},
      // Units and text noise.
      {"\\frac{1}{3} \\textbf{meters}", "1/3", true},
      {"\\frac{1}{3} \\text{meters}", "\\frac13", true},
      {"10\\text{ cm}", "10", true},
      {"10\\text{ cm}", "11", false},
      {"\\$5", "5", true},
      {"5 dollars", "5", true},
      {"15\\mbox{ cm}^2", "15", true},
      {"125 miles", "125", true},
      {"125\\textnormal{ miles}", "125", true},
      {"0.06 \\text{ yuan}", "0.06", true},
      {"35 cm", "35", true},
      {"\\displaystyle\\frac{1}{2}", "0.5", true},
      {"\\left( \\frac{1}{3} \\right)", "1/3", true},
      {"\\frac{1}{3}\\quad", "1/3", true},
      {"\\boxed{\\frac{1}{3}}", "1/3", true},
      {"k = \\frac{1}{3}", "1/3", true},
      // Double-escaped backslashes.
      {"\\\\frac{1}{2}", "1/2", true},
      {"\\\\left( \\\\frac{4}{3}, -\\\\frac{1}{3} \\\\right)", "(4/3, -1/3)", true},
      {"\\\\sqrt{2}", "\\sqrt{2}", true},
      // Roots and powers.
      {"\\sqrt{3}", "\\sqrt3", true},
      {"2\\sqrt{2}", "\\sqrt{8}", true},
      {"\\sqrt[3]{8}", "2", true},
      {"\\sqrt[3]{-8}", "-2", true},
      {"\\sqrt[4]{16}", "2", true},
      {"x^{2/3}", "\\sqrt[3]{x^2}", true},
      {"x^{2/3}", "\\sqrt[3]{x}^{2}", true},
      {"x^{2/3}", "x^{3/2}", false},
      {"x^{-1/2}", "\\frac{1}{\\sqrt{x}}", true},
      {"(x+1)^{5/12}", "\\sqrt[12]{(x+1)^5}", true},
      {"2^{1/3}", "\\sqrt[3]{2}", true},
      {"2^{1/3}", "1.259921", true},
      {"2^{1/3}", "1.2599", false},
      {"4", "4\\sqrt{2}", false},
      {"3\\sqrt{13}", "\\sqrt{117}", true},
      {"4.123105625617661", "\\sqrt{17}", true},
      {"\\sqrt{17}", "4.12", false},
      {"\\sqrt{2}+\\sqrt{5}", "\\sqrt 2+\\sqrt 5", true},
      {"\\frac{\\sqrt{\\sqrt{11}+\\sqrt{194}}}{15+2\\sqrt{33}}",
       "\\frac{\\sqrt{\\sqrt{11}+\\sqrt{194}}}{2\\sqrt{33}+15}", true},
      {"2", "\\frac{1+\\sqrt{5}}{2}", false},
      {"4", "\\frac{34}{16}+\\frac{\\sqrt{1358}}{16}", false},
      {"1\\sqrt{19}", "1", false},
      {"\\frac{1}{\\sqrt{2}}", "\\frac{\\sqrt{2}}{2}", true},
      {"\\sqrt{2}", "1.41421356", true},
      {"\\sqrt{2}", "\\sqrt{3}", false},
      {"2^{10}", "1024", true},
      {"2^10", "1024", true},
      {"2^{-1}", "0.5", true},
      {"8^{2/3}", "4", true},
      {"4^{0.5}", "2", true},
      {"2^{3^2}", "512", true},
      {"(2^3)^2", "64", true},
      {"2^{1/2}", "\\sqrt{2}", true},
      // Constants.
      {"\\frac{9}{4}\\pi", "\\frac94\\pi", true},
      {"2\\pi", "6.283185", true},
      {"\\pi", "3.14", false},
      {"\\pi", "\u03c0", true},
      {"e", "\\mathrm{e}", true},
      {"e^{2}", "\\exp(2)", true},
      {"\\ln e", "1", true},
      {"\\ln(e^3)", "3", true},
      {"e", "2.718282", true},
      {"1 - \\frac{1}{\\mathrm{e}}", "1 - \\frac{1}{\\mathrm{e}}", true},
      // Complex numbers.
      {"3+4i", "4i+3", true},
      {"i^2", "-1", true},
      {"\\sqrt{-4}", "2i", true},
      {"(1+i)^2", "2i", true},
      {"1+i", "1-i", false},
      {"\\frac{1}{i}", "-i", true},
      {"|3+4i|", "5", true},
      // Infinity.
      {"\\infty", "\u221e", true},
      {"-\\infty", "\\infty", false},
      {"+\\infty", "\\infty", true},
      {"\\infty", "10^{100}", false},
      // Trigonometry, logarithms.
      {"\\sin(\\pi/6)", "1/2", true},
      {"\\sin\\frac{\\pi}{6}", "0.5", true},
      {"\\cos 0", "1", true},
      {"\\arctan 1", "\\frac{\\pi}{4}", true},
      {"\\tan^{-1}(1)", "\\pi/4", true},
      {"\\sin^2 x + \\cos^2 x", "1", true},
      {"\\tan^2(y)+1", "\\sec^2(y)", true},
      {"2 \\sin b \\cos a", "\\sin(a+b)-\\sin(a-b)", true},
      {"\\sin x", "\\cos x", false},
      {"\\sin(2x)", "2\\sin x\\cos x", true},
      {"\\log_2 8", "3", true},
      {"\\log_{10} 1000", "3", true},
      {"\\ln 1", "0", true},
      {"\\log_3 9", "2", true},
      {"\\log_2 3", "1.584963", true},
      {"\\log_2 8", "4", false},
      {"\\ln(xy)", "\\ln x + \\ln y", true},
      // Binomials, factorials, abs, floor, ceil.
      {"\\binom{5}{2}", "10", true},
      {"\\dbinom{10}{3}", "120", true},
      {"\\binom{5}{2}", "11", false},
      {"5!", "120", true},
      {"0!", "1", true},
      {"\\frac{10!}{8!}", "90", true},
      {"|-3|", "3", true},
      {"\\left|-3\\right|", "3", true},
      {"|x-2|", "|2-x|", true},
      {"\\lfloor 3.7 \\rfloor", "3", true},
      {"\\lceil 3.2\\rceil", "4", true},
      {"\\lfloor 3.7\\rfloor", "4", false},
      // Plus-minus.
      {"1 \\pm \\sqrt{19}", "\\{1+\\sqrt{19}, 1-\\sqrt{19}\\}", true},
      {"\\pm 2021", "2021", false},
      {"\\pm 2021", "{-2021, 2021}", true},
      {"\\{1\\pm\\sqrt{5},-2\\}", "-2, 1+\\sqrt5, 1-\\sqrt5", true},
      {"3 \\pm 2\\sqrt{2}", "3+2\\sqrt2, 3-2\\sqrt2", true},
      {"3 \\pm 2\\sqrt{2}", "3+2\\sqrt2", false},
      {"x = \\frac{-1 \\pm \\sqrt{13}}{4}", "\\frac{-1+\\sqrt{13}}{4}, \\frac{-1-\\sqrt{13}}{4}",
       true},
      // Products, implicit multiplication.
      {"2 \\cdot 3", "6", true},
      {"2\\times 3", "6", true},
      {"2x", "x+x", true},
      {"3\\sqrt{2}", "\\sqrt{18}", true},
      {"2\\pi r", "2 r \\pi", true},
      {"2x", "3x", false},
      // Intervals and unions.
      {"[0,1)", "[0,1)", true},
      {"[0,9)", "[0,1)", false},
      {"(0,9)", "[0,9)", false},
      {"1", "-[0,1)", false},
      {"(1,+\\infty)", "(1,\\infty)", true},
      {"[-1, -\\frac{1}{2}) \\cup (-\\frac{1}{2}, 0) \\cup (0, 1) \\cup (1, \\infty)",
       "[-1, -\\tfrac12) \\cup (-\\tfrac12, 0) \\cup (0, 1) \\cup (1, \\infty)", true},
      {"(2,12) \\cup (12,102)", "(12,102) \\cup (2,12)", true},
      {"(2,12) \\cup (12,102)", "(2,12) \\cup [12,102)", false},
      {"(-6,10)", "(-6, 10]", false},
      {"(\\frac{3}{5},\\frac{8}{3}]", "(0.6,2.6667]", true, kPrec2},
      {"\\{-1\\} \\cup [0,7)", "\\{-1\\}\\cup[0,7)", true},
      {"(-\\infty, 0]", "(-\\infty, 0)", false},
      // Sets, tuples, lists.
      {"\\{1,2\\}", "\\{2,1\\}", true},
      {"\\{1,2\\}", "\\{1,3\\}", false},
      {"(1,2)", "(2,1)", false},
      {"(3,2,7)", "(3,2,7)", true},
      {"(3,1)", "{1,3}", false},
      {"(1,3)", "{1,3}", true},
      {"1, -2", "-2, 1", true},
      {"-2,1", "1, -2", true},
      {"x=2 \\text{ or } x=3", "3, 2", true},
      {"x=2 or x=3", "x = 3, x = 2", true},
      {"6 \\text{ and } 8", "6,8", true},
      {"-12;-11;-10;-8;-7;-6", "\\{-12, -11, -10, -8, -7, -6\\}", true},
      {"1,2,3", "1,2", false},
      {"1,2", "1,2,3", false},
      {"(1,\\frac{9}{2})", "(1,4.5)", true},
      {"(1,\\frac{9}{2})", "(1,4.6)", false},
      {"(37,3,3,13),(17,3,3,7)", "(17,3,3,7),(37,3,3,13)", true},
      {"(37,3,3),(17,3,3,7)", "(17,3,3,7),(37,3,3,13)", false},
      {"(0;0;0),(0;-2;0)", "(0,-2,0),(0,0,0)", true},
      {"19, 46, and 82", "19, 46, \\text{ and } 82", true},
      {"19, 46, and 82", "21, 36, and 82", false},
      {"21,16 or 11", "21,16,11", true},
      {"(11,7)or(7,11)", "(7,11),\\ (11,7)", true},
      {"AB=4,CD=5", "4, 5", true},
      {"p=5,q=2;p=7,q=2", "(5,2),(7,2)", true},
      {"\\boxed{1}\\boxed{2}", "1,2", true},
      {"a=4,\\,-8,\\,-10", "-10,-8,4", true},
      {"x = -5,\\ p = \\frac{14}{3}", "-5, \\frac{14}{3}", true},
      {"1 \\text{ and } 2 \\text{ and } 3", "{1,2,3}", true},
      {"{1,2,3}", "1,2,3", true},
      {"(2, 2), (1, 3), (3, 3)", "(2, 2), (1, 3), (3, 3)", true},
      {"(5, 8), (8, 5)", "(x, y) = (5, 8) \\quad \\text{and} \\quad (8, 5)", true},
      {"\\{1,2\\}", "(1,2)", true, kAllowSet},
      // Matrices.
      {"\\begin{pmatrix}1 & 0 \\\\ 0 & 1\\end{pmatrix}",
       "\\begin{bmatrix}1 & 0 \\\\ 0 & 1\\end{bmatrix}", true},
      {"\\begin{pmatrix}1 & 2 \\\\ 3 & 4\\end{pmatrix}",
       "\\begin{pmatrix}1 & 2 \\\\ 3 & 5\\end{pmatrix}", false},
      {"\\begin{pmatrix}1 & 2 \\\\3 & 4\\end{pmatrix}",
       "\\left[\\begin{array}{cc}1 & 2 \\\\3 & 4\\end{array}\\right]", true},
      {"\\begin{pmatrix}1&2\\end{pmatrix}", "\\begin{pmatrix}1\\\\2\\end{pmatrix}", false},
      {"(\\begin{pmatrix}\\frac{1}{3}\\\\ \\frac{1}{5} \\end{pmatrix})",
       "\\begin{pmatrix}0.33\\\\0.2 \\end{pmatrix}", true, kPrec2},
      {"\\begin{vmatrix}1 & 2 \\\\ 3 & 4\\end{vmatrix}",
       "\\begin{pmatrix}1 & 2 \\\\ 3 & 4\\end{pmatrix}", true},
      {"\\begin{pmatrix}\\frac{1}{3\\sqrt[3]{x}^2}&0&0\\\\0&1&0\\\\-\\sin(x)&0&0\\\\\\end{pmatrix}",
       "\\begin{pmatrix}\\frac{1}{3x^{2/3}}&0&0\\\\0&1&0\\\\-\\sin(x)&0&0\\end{pmatrix}", true},
      {"\\begin{pmatrix}\\frac{1}{2} & \\frac{3}{4} \\\\ \\frac{5}{6} & \\frac{7}{8}\\end{pmatrix}",
       "\\begin{pmatrix}0.5 & 0.75 \\\\ \\frac{5}{6} & 0.875\\end{pmatrix}", true},
      {"\\begin{pmatrix}6 & 8 \\\\ 10 & 12\\end{pmatrix}",
       "\\begin{pmatrix}1 & 2 \\\\ 3 & 4\\end{pmatrix} + \\begin{pmatrix}5 & 6 \\\\ 7 & "
       "8\\end{pmatrix}",
       true},
      {"\\begin{pmatrix}1 & 2 \\\\ 3 & 4\\end{pmatrix}",
       "\\begin{pmatrix}1 & 0 \\\\ 0 & 1\\end{pmatrix} \\begin{pmatrix}1 & 2 \\\\ 3 & "
       "4\\end{pmatrix}",
       true},
      {"\\begin{pmatrix}7 & 10 \\\\ 15 & 22\\end{pmatrix}",
       "\\begin{pmatrix}1 & 2 \\\\ 3 & 4\\end{pmatrix}^2", true},
      {"\\begin{pmatrix}2 & 4\\end{pmatrix}", "2\\begin{pmatrix}1 & 2\\end{pmatrix}", true},
      {"\\begin{pmatrix}2 & 4\\end{pmatrix}", "-\\begin{pmatrix}-2 & -5\\end{pmatrix}", false},
      // Equations.
      {"x=11", "11", true},
      {"11", "x=11", true},
      {"x = 11", "12", false},
      {"10/9", "\\frac{1}{2} = \\frac{10}{9}", true},
      {"k=1", "1", true},
      {"1", "k=1", true},
      {"7 = 11a+c", "11a+c", false},
      {"a+3z=0", "0", false},
      {"1 = \\zzz = x = 0", "0", true},
      {"2x+z=1", "1", false},
      {"a^2 + b = 0", "0", false},
      {"z = 1 + 1 = 2", "z = 3+3 = 2", true},
      {"x = 11", "x = 5+5+1 = 7 =11", true},
      {"x = 1/3", "x = 5+5+1 = 1/3 \\approx 11", true},
      {"11", "x\\approx11", true},
      {"1/3", "x=1/3\\approx1.3", true},
      {"34x+45y-20z+100=0", "-34x-45y+20z-100=0", true},
      {"34x+45y-20z+100=0", "34x+45y-20z-100=0", false},
      {"2x+4y-3=0", "y=-\\frac{1}{2}x+\\frac{3}{4}", true},
      {"x^2/4 + y^2/3 = 1", "x^2/16 + y^2/12 = 1/4", true},
      {"x+y=1", "x-y=1", false},
      {"x=2", "y=2", false},
      {"x=2", "y=2", true, kNonStrict},
      {"a_3 = 2, a_{37} = 19", "a_{37} = 19, \\quad a_3 = 2", true},
      {"a_3 = 2, a_{37} = 19", "a_{37} = 2, \\quad a_3 = 19", false},
      {"|AB|=1", "1", true},
      {"A:B=1", "1", true},
      {"f(x)=1", "1", true},
      {"(p,q)=(3,2)", "(3,2)", true},
      {"(p,q,r)=(3,2,7)", "(3,2,7)", true},
      {"V_{1}:V_{2}=11:21", "11:21", true},
      {"S_{MBCN}:S=7:32", "7:32", true},
      {"\\frac{NO}{BO}=\\frac{1}{\\sqrt{6}}", "\\frac{1}{\\sqrt{6}}", true},
      {"D = (0, 1)", "D = (0, 1)", true},
      {"D = (0, 1)", "D = (0, 1.5)", false},
      {"n=1, 2, 3", "n=1, 2, 3", true},
      {"n=2, 3, 4", "n=1, 2, 3", false},
      {"y_1 = -2x^2+4x+3", "y_1 = -2(x - 1)^2 + 5", true},
      {"f(y) = y", "f(y) = y", true},
      {"W(n) = 1 \\text{ and } W(n) = -1", "W(x)=1orW(x)=-1", true},
      {"p = -1 \\text{ and } p = \\dfrac{15}{8}", "p=-1,p=\\frac{15}{8}", true},
      {"k = 45, n = 2", "k = 45 \\quad \\text{and} \\quad n = 2", true},
      {"F_n = \\sum_{k=0}^{n-1} F_k F_{n-k-1}", "F_n = \\sum_{k=0}^{n-1} F_{n-k-1} F_k", true},
      {"F_n = \\sum_{k=0}^{n-1} F_k F_{n-k-1}", "F_n = \\sum_{k=0}^{n-2} F_k F_{n-k-2}", false},
      {"\\sum_{k=1}^{10} k", "55", true},
      {"\\sum_{k=1}^{10} k^2", "386", false},
      {"\\prod_{k=1}^{5} k", "5!", true},
      {"\\sum_{k=1}^{n} k", "\\frac{n(n+1)}{2}", true},
      {"\\sum_{k=1}^{n} k", "\\frac{n(n-1)}{2}", false},
      // Inequalities.
      {"x >= 5", "x \\geq 5", true},
      {"x < 3", "x \\lt 3", true},
      {"x \\leq 2", "x <= 2", true},
      {"x > 5", "x \\gt 5", true},
      {"x != 3", "x \\neq 3", true},
      {"x \\neq 5", "x != 5", true},
      {"x > 5", "x < 5", false},
      {"x \\geq 5", "x \\leq 5", false},
      {"x \\leq 5", "5 \\geq x", true},
      {"x \\geq 5", "5 \\leq x", true},
      {"x < 1", "-x > -1", true},
      {"x < 1", "x > -1", false},
      {"x <= 1", "-x >= -1", true},
      {"x < 1", "x <= 1", false},
      {"k \\ge 2", "k\\ge 2", true},
      {"2x < 4", "x < 2", true},
      {"-2 \\le x \\le 7", "x \\in [-2,7]", true},
      {"-2 \\le x \\le 7", "x \\in [-2,7]", true, kAllowSet},
      {"x \\in [-2,7]", "-2 \\le x \\le 7", false},
      {"x \\in [-2,7]", "-2 \\le x \\le 7", true, kAllowSet},
      {"-2 \\le x \\le 7", "-2 \\le x < 7", false},
      {"0<f(x)<1", "(0,1)", true},
      {"-793 < a < 10", "(-793, 10)", true},
      {"1\\leq|z|\\leq \\frac{3}{2}",
       "z \\in \\left[-\\frac{3}{2}, -1\\right] \\cup \\left[1, \\frac{3}{2}\\right]", true},
      {"x \\le 2", "(-\\infty, 2]", true},
      {"x \\le 2", "(-\\infty, 2)", false},
      {"(-\\infty, 2]", "x \\le 2", false},
      {"(-\\infty, 2]", "x \\le 2", true, kAllowSet},
      {"x \\ge 2", "x \u2265 2", true},
      {"x \\ne 2", "x \u2260 2", true},
      // Expressions in variables.
      {"34x+45y-20z+100", "100+34x+45y-20z", true},
      {"34x+45y-20z+100", "100+34x+45y-21z", false},
      {"\\frac{x+2}{7}", "\\frac{x}{7}+\\frac{2}{7}", true},
      {"(a+5)(b+2)", "(+5)(b+2)", false},
      {"x+2n+1", "x+1", false},
      {"2-2p", "2 - 2p", true},
      {"(x+1)^2", "x^2+2x+1", true},
      {"(x+1)^2", "x^2+x+1", false},
      {"\\frac{\\pi r}{h+r}", "\\frac{r\\pi}{r+h}", true},
      {"f(x)", "f(y)", false},
      {"f(x)", "f(y)", true, kNonStrict},
      {"x+1", "y+1", false},
      {".72x", "0.72x", true},
      {"\\alpha + \\beta", "\\beta + \\alpha", true},
      {"x^{10}", "x^{11}", false},
      // Text answers and multiple-choice letters.
      {"\\text{E}", "E", true},
      {"\\text{E}", "\\text{e}", false},
      {"\\text{odd}", "odd", true},
      {"\\text{Even}", "Even", true},
      {"d", "\\text{E}", false},
      {"\\text{C}", "\\text{(C)}", true},
      {"\\text{e}", "e", true},
      {"\\text{The midpoints form a regular hexagon}",
       "\\text{The midpoints form a regular hexagon}", true},
      {"\\text{A}", "\\text{B}", false},
      {"12:00", "1:00", false},
      {"12:00", "12:00", true},
      {"7:32", "\\frac{7}{32}", true},
      // Unicode.
      {"\u221a2", "\\sqrt{2}", true},
      {"\u22125", "-5", true},
      {"2\u00d73", "6", true},
      {"6\u00f73", "2", true},
      {"\u00bd", "0.5", true},
      {"\u00bc", "1/4", true},
      {"x\u00b2", "x^2", true},
      {"2\u03c0", "2\\pi", true},
      // Numbers in other bases.
      {"204_5", "54", true},
      {"1112112_3", "1112112", false},
  };
  return kCases;
}

TEST(CompareTest, LabelledPairs) {
  int failures = 0;
  for (const Case& c : Cases()) {
    const CompareOptions o = OptionsFor(c.opts);
    absl::StatusOr<bool> eq = Equivalent(c.gold, c.pred, o);
    if (!eq.ok()) {
      ADD_FAILURE() << "gold=" << c.gold << " pred=" << c.pred << ": " << eq.status();
      ++failures;
      continue;
    }
    if (*eq != c.expected) {
      ADD_FAILURE() << "gold=" << c.gold << " pred=" << c.pred << " expected "
                    << (c.expected ? "equal" : "different") << " opts=" << c.opts;
      ++failures;
    }
  }
  EXPECT_EQ(failures, 0) << "of " << Cases().size() << " cases";
}

TEST(CompareTest, EveryCaseIsReflexive) {
  for (const Case& c : Cases()) {
    const CompareOptions o = OptionsFor(c.opts);
    absl::StatusOr<bool> g = Equivalent(c.gold, c.gold, o);
    ASSERT_TRUE(g.ok()) << c.gold << ": " << g.status();
    EXPECT_TRUE(*g) << c.gold;
    absl::StatusOr<bool> p = Equivalent(c.pred, c.pred, o);
    ASSERT_TRUE(p.ok()) << c.pred << ": " << p.status();
    EXPECT_TRUE(*p) << c.pred;
  }
}

TEST(CompareTest, ReasonIsFilled) {
  CompareOptions o;
  auto g = ParseAnswer("(1,2)", o);
  auto p = ParseAnswer("(1,3)", o);
  ASSERT_TRUE(g.ok() && p.ok());
  auto r = Compare(*g, *p, o);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->equivalent);
  EXPECT_EQ(r->reason, "tuples differ at position 2");
}

// ---- bad input ------------------------------------------------------------------------------

TEST(CompareTest, BadInputIsInvalidArgumentNamingTheProblem) {
  CompareOptions o;
  struct Bad {
    const char* text;
    const char* needle;
  } bad[] = {
      {"(1+2", "')'"},
      {"1+)", "')'"},
      {"\\frac{1}", "end of input"},
      {"x = ", "end of input"},
      {"\\begin{pmatrix}1 & 2 \\\\ 3\\end{pmatrix}", "ragged"},
      {"1 \x01 2", "0x01"},
      {"\xff", "0xff"},
      {"0.\\overline{x}", "'x'"},
      {"", "empty"},
  };
  for (const Bad& b : bad) {
    absl::StatusOr<ParsedAnswer> r = ParseAnswer(b.text, o);
    ASSERT_FALSE(r.ok()) << b.text;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << b.text;
    EXPECT_NE(r.status().message().find(b.needle), std::string::npos)
        << b.text << " -> " << r.status();
  }
}

// ---- budgets --------------------------------------------------------------------------------

double Seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The comparison either decides or says RESOURCE_EXHAUSTED, quickly.
void ExpectBounded(const std::string& gold, const std::string& pred) {
  CompareOptions o;
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<bool> r = Equivalent(gold, pred, o);
  EXPECT_LT(Seconds(start), 2.0) << gold.substr(0, 60) << " vs " << pred.substr(0, 60);
  if (!r.ok()) {
    EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted) << r.status();
  }
}

TEST(CompareBudgetTest, PowerTower) {
  const std::string tower = "\\dfrac{5^{(5^{(5^{(5^5)})}-4)}-5}{16}";
  ExpectBounded(tower, "1");
  ExpectBounded(tower, "5^{3125}");
  ExpectBounded("1", tower);
  ExpectBounded(tower, "\\dfrac{5^{(5^{(5^{(5^5)})}-4)}-6}{16}");
  absl::StatusOr<bool> self = Equivalent(tower, tower, CompareOptions());
  ASSERT_TRUE(self.ok()) << self.status();
  EXPECT_TRUE(*self);
  // Decided by magnitude: a finite value is not an overflowed one.
  absl::StatusOr<bool> small = Equivalent(tower, "12345", CompareOptions());
  ASSERT_TRUE(small.ok()) << small.status();
  EXPECT_FALSE(*small);
}

TEST(CompareBudgetTest, DeepNestingIsResourceExhausted) {
  const std::string deep = std::string(100000, '(') + "1" + std::string(100000, ')');
  CompareOptions o;
  o.budget.max_input_bytes = 1 << 20;
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<ParsedAnswer> r = ParseAnswer(deep, o);
  EXPECT_LT(Seconds(start), 1.0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted);
  // Within the token limit, the depth limit is what stops it.
  const std::string d300 = std::string(300, '(') + "1" + std::string(300, ')');
  r = ParseAnswer(d300, o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(r.status().message().find("deeper than 200"), std::string::npos) << r.status();
  const std::string d50 = std::string(50, '(') + "1" + std::string(50, ')');
  EXPECT_TRUE(ParseAnswer(d50, o).ok());
  // Other nesting constructs hit the same limit.
  for (const char* open : {"\\sqrt{", "\\frac{1}{", "-", "{", "|", "2^{"}) {
    std::string s;
    for (int k = 0; k < 5000; ++k) s += open;
    s += "1";
    absl::StatusOr<ParsedAnswer> n = ParseAnswer(s, o);
    ASSERT_FALSE(n.ok()) << open;
    EXPECT_EQ(n.status().code(), absl::StatusCode::kResourceExhausted) << open << n.status();
  }
}

TEST(CompareBudgetTest, HugeValues) {
  ExpectBounded("10^{10^{10}}", "1");
  ExpectBounded("10^{10^{10}}", "10^{10^{10}}+1");
  ExpectBounded("1000000!", "1");
  ExpectBounded("1000000!", "1000001!");
  ExpectBounded("\\binom{1000000}{500000}", "2");
  ExpectBounded("\\binom{10^{100}}{10^{50}}", "3");
  ExpectBounded("2^{2^{2^{2^{2^{2}}}}}", "4");
  ExpectBounded("10^{-10^{10}}", "0");
  ExpectBounded("(10^{10^{10}})!", "5");
  ExpectBounded("1e1000000000", "1");
  ExpectBounded("x^{10^{10}}", "x");
  absl::StatusOr<bool> r = Equivalent("1000000!", "1", CompareOptions());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(*r);
  r = Equivalent("10^{10^{10}}", "10^{10^{10}}", CompareOptions());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(*r);
}

TEST(CompareBudgetTest, OversizedInput) {
  CompareOptions o;
  const std::string big(70000, '1');
  absl::StatusOr<ParsedAnswer> r = ParseAnswer(big, o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(r.status().message().find("70000 bytes"), std::string::npos) << r.status();
  // Many nodes within the byte limit.
  std::string sum = "1";
  while (sum.size() < 60000) sum += "+1";
  r = ParseAnswer(sum, o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted) << r.status();
}

TEST(CompareBudgetTest, StepBudget) {
  CompareOptions o;
  o.budget.max_steps = 50;
  std::string list;
  for (int k = 0; k < 40; ++k) list += (k ? "," : "") + std::to_string(k);
  absl::StatusOr<bool> r = Equivalent(list, list + ",99", o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted);
}

// One parse compared with itself is "identical" at once, as comparing two parses of the same text
// is; with no step budget at all both are refused alike.
TEST(CompareTest, SameParseOnBothSidesIsIdentical) {
  CompareOptions o;
  const absl::StatusOr<ParsedAnswer> a = ParseAnswer("(x+1)^2 + \\sin x", o);
  const absl::StatusOr<ParsedAnswer> b = ParseAnswer("(x+1)^2 + \\sin x", o);
  ASSERT_TRUE(a.ok() && b.ok());
  const absl::StatusOr<CompareResult> same = Compare(*a, *a, o);
  const absl::StatusOr<CompareResult> twin = Compare(*a, *b, o);
  ASSERT_TRUE(same.ok() && twin.ok());
  EXPECT_TRUE(same->equivalent);
  EXPECT_EQ(same->reason, twin->reason);
  o.budget.max_steps = 0;
  EXPECT_EQ(Compare(*a, *a, o).status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(Compare(*a, *b, o).status().code(), absl::StatusCode::kResourceExhausted);
}

TEST(CompareBudgetTest, IntegerBitsFallBackToMpfr) {
  CompareOptions o;
  o.budget.max_integer_bits = 64;
  // 2^100 is computed in MPFR (exactly representable at 256 bits): still equal and unequal.
  absl::StatusOr<bool> r = Equivalent("2^{100}", "1267650600228229401496703205376", o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(*r);
  r = Equivalent("2^{100}+1", "2^{100}", o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(*r);
}

// ---- threads and speed ----------------------------------------------------------------------

TEST(CompareTest, ConcurrentComparisonsMatchSingleThreaded) {
  std::vector<int> expected;
  for (const Case& c : Cases()) {
    absl::StatusOr<bool> r = Equivalent(c.gold, c.pred, OptionsFor(c.opts));
    expected.push_back(r.ok() ? (*r ? 1 : 0) : -1);
  }
  constexpr int kThreads = 8;
  std::vector<std::vector<int>> got(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 3; ++round) {
        got[t].clear();
        for (const Case& c : Cases()) {
          absl::StatusOr<bool> r = Equivalent(c.gold, c.pred, OptionsFor(c.opts));
          got[t].push_back(r.ok() ? (*r ? 1 : 0) : -1);
        }
      }
      ReleaseThreadCaches();
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(got[t], expected) << "thread " << t;
}

TEST(CompareTest, SharedParsedAnswersAcrossThreads) {
  CompareOptions o;
  auto g = ParseAnswer("\\frac{\\sqrt{2}}{2} + x", o);
  auto p = ParseAnswer("\\frac{1}{\\sqrt{2}} + x", o);
  ASSERT_TRUE(g.ok() && p.ok());
  std::vector<std::thread> threads;
  std::vector<int> ok(8, 0);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int k = 0; k < 50; ++k) {
        auto r = Compare(*g, *p, o);
        ok[t] += (r.ok() && r->equivalent) ? 1 : 0;
      }
      ReleaseThreadCaches();
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 8; ++t) EXPECT_EQ(ok[t], 50);
}

TEST(CompareTest, SimpleComparisonSpeed) {
  CompareOptions o;
  const char* pairs[][2] = {{"42", "42"}, {"\\frac{1}{2}", "0.5"}, {"-17", "17"}, {"3/4", "0.75"}};
  constexpr int kIters = 20000;
  const auto start = std::chrono::steady_clock::now();
  int equal = 0;
  for (int k = 0; k < kIters; ++k) {
    const auto& pr = pairs[k % 4];
    auto g = ParseAnswer(pr[0], o);
    auto p = ParseAnswer(pr[1], o);
    auto r = Compare(*g, *p, o);
    equal += r->equivalent ? 1 : 0;
  }
  const double us = Seconds(start) * 1e6 / kIters;
  EXPECT_EQ(equal, kIters / 4 * 3);
  std::printf("parse both + compare, simple numbers/fractions: %.2f us per pair\n", us);
#if !defined(__SANITIZE_ADDRESS__)
  EXPECT_LT(us, 100.0);
#endif
}

}  // namespace
}  // namespace rlvr::math
