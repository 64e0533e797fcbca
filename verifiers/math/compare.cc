// Comparison of two parsed answers, gold first. Structure is compared here (sets unordered, tuples
// ordered, intervals with their openness, matrices elementwise, equations as equations); scalar
// expressions are evaluated (evaluator.h) exactly where possible, at random points when they have
// variables.
#include "verifiers/math/compare.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "verifiers/math/evaluator.h"
#include "verifiers/math/expr.h"
#include "verifiers/math/parser.h"
#include "verifiers/math/value.h"

namespace rlvr::math {

struct ParsedAnswer::Impl {
  Tree tree;
  // Fast path: the answer is a small rational expression (integers, decimals, + - * / of them)
  // whose value num/den (reduced, den > 0) fits 64 bits. `inexact`: a decimal literal was used.
  bool small = false;
  bool small_inexact = false;
  int64_t num = 0;
  int64_t den = 1;
};

std::string ParsedAnswer::DebugString() const { return ToText(impl_->tree, impl_->tree.root()); }

namespace {

std::string NormText(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == ' ' || c == '$' || c == '{' || c == '}' || c == '\\' || c == '~') continue;
    out += c;
  }
  while (out.size() >= 2 && out.front() == '(' && out.back() == ')') {
    out = out.substr(1, out.size() - 2);
  }
  for (std::string_view w : {std::string_view("textbf"), std::string_view("text"),
                             std::string_view("mathrm"), std::string_view("mbox")}) {
    size_t p;
    while ((p = out.find(w)) != std::string::npos) out.erase(p, w.size());
  }
  return out;
}

struct Verdict {
  bool equal;
  std::string reason;
};

Verdict Yes(std::string r) { return {true, std::move(r)}; }
Verdict No(std::string r) { return {false, std::move(r)}; }

bool IsUnordered(NodeKind k) { return k == NodeKind::kSet || k == NodeKind::kList; }

bool IsStructure(NodeKind k) {
  return k == NodeKind::kSet || k == NodeKind::kList || k == NodeKind::kTuple ||
         k == NodeKind::kInterval || k == NodeKind::kUnion || k == NodeKind::kMatrix ||
         k == NodeKind::kRelation || k == NodeKind::kText;
}

bool IsInequalityOp(char op) {
  return op == kRelLt || op == kRelLe || op == kRelGt || op == kRelGe || op == kRelNe;
}

bool IsInequality(const Node& n) {
  return n.kind == NodeKind::kRelation &&
         std::all_of(n.text.begin(), n.text.end(), IsInequalityOp);
}

bool IsEquation(const Node& n) {
  return n.kind == NodeKind::kRelation && n.text.size() == 1 && n.text[0] == kRelEq;
}

struct Endpoint {
  Scalar value;
  bool open;
};
struct IntervalVal {
  Endpoint lo, hi;
};

class Comparer {
 public:
  Comparer(const Tree& g, const Tree& p, const CompareOptions& options)
      : g_(g), p_(p), options_(options) {
    budget_.max_integer_bits = options.budget.max_integer_bits;
    budget_.steps_left = options.budget.max_steps;
    env_.max_integer_bits = options.budget.max_integer_bits;
    integer_points_ = HasBigOperator(g) || HasBigOperator(p);
  }

  absl::StatusOr<Verdict> Run() { return CompareNodes(g_.root(), p_.root()); }

 private:
  // Both trees are addressed by (tree, index); `gi` always indexes the gold tree.
  absl::Status Spend(int64_t n) {
    budget_.steps_left -= n;
    if (budget_.steps_left < 0) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "comparison exceeded its budget of ", options_.budget.max_steps, " steps"));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<Verdict> CompareNodes(int32_t gi, int32_t pi) {
    RETURN_IF_ERROR(Spend(1));
    const Node& g = g_.at(gi);
    const Node& p = p_.at(pi);
    if (Canon(true, gi, false) == Canon(false, pi, false)) return Yes("identical");
    // Renaming changes only symbol and function names: without any, the texts just compared.
    if (!options_.strict && (HasNames(g_, gi) || HasNames(p_, pi)) &&
        Canon(true, gi, true) == Canon(false, pi, true)) {
      return Yes("identical up to variable names");
    }
    // Text answers compare as normalized text.
    if (g.kind == NodeKind::kText || p.kind == NodeKind::kText) {
      const std::string gt = NormText(g.kind == NodeKind::kText ? g.text : ToText(g_, gi));
      const std::string pt = NormText(p.kind == NodeKind::kText ? p.text : ToText(p_, pi));
      if (!gt.empty() && gt == pt) return Yes("same text");
      return No("text differs");
    }
    // Equations.
    if (IsEquation(g) && IsEquation(p)) return CompareEquations(gi, pi);
    if (IsEquation(g)) {
      if (IsAssignTarget(g_, g.kids[0])) return CompareNodes(g.kids[1], pi);
      return No("gold is an equation, the answer is not");
    }
    if (IsEquation(p)) {
      // Gold decides: it is not an equation, so the answer's final value (right side) counts,
      // as in "1/2 = 10/9" read as 10/9.
      return CompareNodes(gi, p.kids[1]);
    }
    // Inequalities and intervals.
    if (IsInequality(g) && IsInequality(p)) return CompareInequalities(gi, pi);
    if (IsInequality(g) || (IsInequality(p) && options_.allow_set_relation_comp)) {
      std::optional<std::vector<IntervalVal>> a, b;
      ASSIGN_OR_RETURN(a, ToIntervals(g_, gi));
      ASSIGN_OR_RETURN(b, ToIntervals(p_, pi));
      if (a && b) return CompareIntervalSets(*a, *b);
      return No("relation and set are not comparable");
    }
    if (IsInequality(p)) return No("the answer is a relation; gold is a set");
    // Collections.
    if (IsUnordered(g.kind) && IsUnordered(p.kind)) return CompareUnordered(gi, pi);
    if (IsUnordered(g.kind) && p.kind == NodeKind::kTuple) {
      if (options_.allow_set_relation_comp) return CompareUnordered(gi, pi);
      return CompareOrdered(gi, pi);
    }
    if (g.kind == NodeKind::kTuple && (p.kind == NodeKind::kTuple || IsUnordered(p.kind))) {
      return CompareOrdered(gi, pi);
    }
    if (IsUnordered(g.kind) && g.kids.size() == 1) return CompareNodes(g.kids[0], pi);
    if (IsUnordered(p.kind) && p.kids.size() == 1) return CompareNodes(gi, p.kids[0]);
    if (g.kind == NodeKind::kMatrix && p.kind == NodeKind::kMatrix) return CompareMatrices(gi, pi);
    const bool g_ival = g.kind == NodeKind::kInterval || g.kind == NodeKind::kUnion;
    const bool p_ival = p.kind == NodeKind::kInterval || p.kind == NodeKind::kUnion;
    if ((g_ival && (p_ival || IsPair(p))) || (p_ival && IsPair(g))) {
      return CompareIntervalNodes(gi, pi);
    }
    if (IsStructure(g.kind) || IsStructure(p.kind)) {
      return No("different kinds of answer");
    }
    return CompareScalarExprs(gi, pi);
  }

  static bool IsPair(const Node& n) { return n.kind == NodeKind::kTuple && n.kids.size() == 2; }

  // Every gold element must equal some answer element and every answer element some gold element
  // (multiplicity ignored). Identical elements are paired first, by text; a pair is compared only
  // when its verdict could still change the outcome (its gold element or its answer element is
  // still unmatched), so sets written in the same way cost no evaluation.
  absl::StatusOr<Verdict> CompareUnordered(int32_t gi, int32_t pi) {
    const Kids& gk = g_.at(gi).kids;
    const Kids& pk = p_.at(pi).kids;
    RETURN_IF_ERROR(Spend(static_cast<int64_t>(gk.size() * pk.size())));
    std::vector<bool> g_matched(gk.size(), false), p_matched(pk.size(), false);
    for (size_t a = 0; a < gk.size(); ++a) {
      for (size_t b = 0; b < pk.size(); ++b) {
        if (Canon(true, gk[a], false) == Canon(false, pk[b], false)) {
          g_matched[a] = true;
          p_matched[b] = true;
        }
      }
    }
    for (size_t a = 0; a < gk.size(); ++a) {
      for (size_t b = 0; b < pk.size(); ++b) {
        if (g_matched[a] && p_matched[b]) continue;
        ASSIGN_OR_RETURN(Verdict v, CompareNodes(gk[a], pk[b]));
        if (v.equal) {
          g_matched[a] = true;
          p_matched[b] = true;
        }
      }
      if (!g_matched[a]) return No(absl::StrCat("gold element ", a + 1, " has no match"));
    }
    for (size_t b = 0; b < pk.size(); ++b) {
      if (!p_matched[b]) return No(absl::StrCat("answer element ", b + 1, " is not in gold"));
    }
    return Yes("equal as sets");
  }

  absl::StatusOr<Verdict> CompareOrdered(int32_t gi, int32_t pi) {
    const Kids& gk = g_.at(gi).kids;
    const Kids& pk = p_.at(pi).kids;
    if (gk.size() != pk.size()) {
      return No(absl::StrCat("gold has ", gk.size(), " elements, the answer ", pk.size()));
    }
    for (size_t k = 0; k < gk.size(); ++k) {
      ASSIGN_OR_RETURN(Verdict v, CompareNodes(gk[k], pk[k]));
      if (!v.equal) return No(absl::StrCat("tuples differ at position ", k + 1));
    }
    return Yes("equal as tuples");
  }

  absl::StatusOr<Verdict> CompareMatrices(int32_t gi, int32_t pi) {
    const Node& g = g_.at(gi);
    const Node& p = p_.at(pi);
    if (g.rows != p.rows || g.cols != p.cols) {
      return No(absl::StrCat("matrix shapes differ: ", g.rows, "x", g.cols, " vs ", p.rows, "x",
                             p.cols));
    }
    for (size_t k = 0; k < g.kids.size(); ++k) {
      ASSIGN_OR_RETURN(Verdict v, CompareNodes(g.kids[k], p.kids[k]));
      if (!v.equal) {
        return No(absl::StrCat("matrices differ at row ", k / static_cast<size_t>(g.cols) + 1,
                               ", column ", k % static_cast<size_t>(g.cols) + 1));
      }
    }
    return Yes("equal matrices");
  }

  // Interval / union / open pair against the same: element-wise with openness.
  absl::StatusOr<Verdict> CompareIntervalNodes(int32_t gi, int32_t pi) {
    Kids gs = Parts(g_, gi), ps = Parts(p_, pi);
    if (gs.size() != ps.size()) return No("unions have different numbers of parts");
    std::vector<bool> used(ps.size(), false);
    for (int32_t a : gs) {
      bool found = false;
      for (size_t b = 0; b < ps.size() && !found; ++b) {
        if (used[b]) continue;
        ASSIGN_OR_RETURN(Verdict v, CompareOneInterval(a, ps[b]));
        if (v.equal) {
          used[b] = true;
          found = true;
        }
      }
      if (!found) return No("intervals differ");
    }
    return Yes("equal intervals");
  }

  static Kids Parts(const Tree& t, int32_t i) {
    if (t.at(i).kind == NodeKind::kUnion) return t.at(i).kids;
    return {i};
  }

  static uint8_t IntervalFlags(const Node& n) {
    if (n.kind == NodeKind::kInterval) return n.flags;
    return kLeftOpen | kRightOpen;  // (a, b) written as a pair
  }

  absl::StatusOr<Verdict> CompareOneInterval(int32_t gi, int32_t pi) {
    const Node& g = g_.at(gi);
    const Node& p = p_.at(pi);
    const bool g_ok = g.kind == NodeKind::kInterval || IsPair(g);
    const bool p_ok = p.kind == NodeKind::kInterval || IsPair(p);
    if (!g_ok || !p_ok) return CompareNodes(gi, pi);
    if (IntervalFlags(g) != IntervalFlags(p)) return No("interval ends differ in openness");
    ASSIGN_OR_RETURN(Verdict lo, CompareNodes(g.kids[0], p.kids[0]));
    if (!lo.equal) return No("interval lower ends differ");
    ASSIGN_OR_RETURN(Verdict hi, CompareNodes(g.kids[1], p.kids[1]));
    if (!hi.equal) return No("interval upper ends differ");
    return Yes("equal intervals");
  }

  // ---- scalars -----------------------------------------------------------------------------

  // Deterministic sample points: rationals in (0.3, 2.6), distinct per variable and point; small
  // integers (2..13) when a sum or product needs integer bounds.
  Scalar SampleValue(size_t var, int point) const {
    uint64_t h = 0x9e3779b97f4a7c15ull * (var + 1) + 0xbf58476d1ce4e5b9ull * (point + 1);
    h ^= h >> 31;
    h *= 0x94d049bb133111ebull;
    h ^= h >> 29;
    if (integer_points_) return Scalar::FromInt(2 + static_cast<int64_t>(h % 12));
    Rational q;
    mpq_set_ui(q.get(), 30 + static_cast<unsigned long>(h % 230), 97);
    mpq_canonicalize(q.get());
    return Scalar::FromRational(std::move(q));
  }

  static bool HasBigOperator(const Tree& t) {
    for (int64_t i = 0; i < t.size(); ++i) {
      const Node& n = t.at(static_cast<int32_t>(i));
      if (n.kind == NodeKind::kFunc && (n.text == "sum" || n.text == "prod")) return true;
    }
    return false;
  }

  // Evaluations that must agree before variables-valued answers count as equal.
  static constexpr int kMinValidPoints = 2;

  // Points tried at most; agreement at kEnoughPoints of them (and no disagreement) is enough.
  // Two different expressions agree at a random rational point only on a root of their
  // difference, so three agreeing points leave the verdict as sure as five, at 60% of the cost.
  static constexpr int kPoints = 5;
  static constexpr int kEnoughPoints = 3;

  // The variables to bind on each side. Both sides share values by name; when not strict and
  // the names differ (same count), the answer's variables take the gold's values by sorted
  // position ("f(x)" vs "f(y)").
  bool Variables(const Kids& gs, const Kids& ps,
                 std::vector<std::string>* g_vars, std::vector<std::string>* p_vars,
                 Verdict* fail) {
    std::vector<std::string> gv, pv;
    for (int32_t i : gs) CollectFreeSymbols(g_, i, &gv);
    for (int32_t i : ps) CollectFreeSymbols(p_, i, &pv);
    if (gv.size() + pv.size() > 64) {
      *fail = No("too many variables");
      return false;
    }
    if (!options_.strict && gv != pv && gv.size() == pv.size()) {
      *g_vars = std::move(gv);
      *p_vars = std::move(pv);
      return true;
    }
    std::vector<std::string> all = gv;
    for (std::string& v : pv) {
      auto it = std::lower_bound(all.begin(), all.end(), v);
      if (it == all.end() || *it != v) all.insert(it, std::move(v));
    }
    *g_vars = all;
    *p_vars = std::move(all);
    return true;
  }

  void Bind(const std::vector<std::string>& vars, int point, EvalEnv* env) {
    env->vars.clear();
    for (size_t v = 0; v < vars.size(); ++v) env->vars.emplace_back(vars[v], SampleValue(v, point));
  }

  double Tolerance() const { return std::pow(10.0, -std::clamp(options_.precision, 1, 300)); }

  absl::StatusOr<Verdict> CompareScalarExprs(int32_t gi, int32_t pi) {
    std::vector<std::string> gv, pv;
    Verdict fail;
    if (!Variables({gi}, {pi}, &gv, &pv, &fail)) return fail;
    const bool g_pct = Contains(g_, gi, NodeKind::kPercent);
    const bool p_pct = Contains(p_, pi, NodeKind::kPercent);
    const bool flexible = options_.percent == PercentMode::kFlexible && (g_pct || p_pct);
    // Percent readings to try: (gold as fraction, answer as fraction).
    std::vector<std::pair<bool, bool>> readings = {{true, true}};
    if (flexible) {
      if (g_pct) readings.push_back({false, true});
      if (p_pct) readings.push_back({true, false});
    }
    bool any_unknown = false;
    bool overflow_unknown = false;
    for (auto [gpf, ppf] : readings) {
      EvalEnv genv = env_, penv = env_;
      genv.percent_as_fraction = gpf;
      penv.percent_as_fraction = ppf;
      if (gv.empty() && pv.empty()) {
        ASSIGN_OR_RETURN(Scalar a, EvalConstant(g_, gi, gpf));
        ASSIGN_OR_RETURN(Scalar b, EvalConstant(p_, pi, ppf));
        const ScalarEq eq = CompareScalars(a, b, options_.precision);
        if (eq == ScalarEq::kEqual) {
          return Yes(a.is_rational() && b.is_rational() ? "equal as exact rationals"
                                                        : "equal numerically");
        }
        if (eq == ScalarEq::kUnknown) {
          any_unknown = true;
          overflow_unknown = overflow_unknown || (a.kind() == Scalar::Kind::kOverflow &&
                                                  b.kind() == Scalar::Kind::kOverflow);
        }
        continue;
      }
      int valid = 0;
      bool differ = false;
      for (int point = 0; point < kPoints && !differ && valid < kEnoughPoints; ++point) {
        Bind(gv, point, &genv);
        Bind(pv, point, &penv);
        ASSIGN_OR_RETURN(Scalar a, Evaluate(g_, gi, genv, &budget_));
        ASSIGN_OR_RETURN(Scalar b, Evaluate(p_, pi, penv, &budget_));
        const ScalarEq eq = (a.inexact() || b.inexact())
                                ? CompareWithTolerance(a, b, Tolerance())
                                : CompareScalars(a, b, options_.precision);
        if (eq == ScalarEq::kEqual) ++valid;
        if (eq == ScalarEq::kDifferent) differ = true;
      }
      if (!differ && valid >= kMinValidPoints) return Yes("equal at random points");
      if (!differ) any_unknown = true;
    }
    if (overflow_unknown) {
      return absl::ResourceExhaustedError(
          "both values exceed MPFR's exponent range; cannot decide equality");
    }
    return No(any_unknown ? "cannot evaluate" : "values differ");
  }

  // Evaluates lhs - rhs of an equation / inequality side pair.
  absl::StatusOr<Scalar> Difference(const Tree& t, int32_t lhs, int32_t rhs, const EvalEnv& env) {
    ASSIGN_OR_RETURN(Scalar a, Evaluate(t, lhs, env, &budget_));
    ASSIGN_OR_RETURN(Scalar b, Evaluate(t, rhs, env, &budget_));
    ASSIGN_OR_RETURN(Scalar d, Sub(a, b, &budget_));
    d.set_inexact(a.inexact() || b.inexact());
    return d;
  }

  // Whether (gl - gr) = c (pl - pr) for one constant c (c > 0 when `positive`), at random points.
  absl::StatusOr<Verdict> Proportional(int32_t gl, int32_t gr, int32_t pl, int32_t pr,
                                       bool positive) {
    std::vector<std::string> gv, pv;
    Verdict fail;
    if (!Variables({gl, gr}, {pl, pr}, &gv, &pv, &fail)) return fail;
    std::optional<Scalar> ratio;
    int valid = 0;
    const int points = (gv.empty() && pv.empty()) ? 1 : kPoints;
    for (int point = 0; point < points && valid < kEnoughPoints; ++point) {
      EvalEnv genv = env_, penv = env_;
      Bind(gv, point, &genv);
      Bind(pv, point, &penv);
      ASSIGN_OR_RETURN(Scalar a, Difference(g_, gl, gr, genv));
      ASSIGN_OR_RETURN(Scalar b, Difference(p_, pl, pr, penv));
      if (!a.is_numeric() || !b.is_numeric()) continue;
      const bool a0 = CompareScalars(a, Scalar::FromInt(0), options_.precision) == ScalarEq::kEqual;
      const bool b0 = CompareScalars(b, Scalar::FromInt(0), options_.precision) == ScalarEq::kEqual;
      if (a0 != b0) return No("equations differ");
      if (a0) continue;
      ASSIGN_OR_RETURN(Scalar r, Div(a, b, &budget_));
      r.set_inexact(a.inexact() || b.inexact());
      if (!ratio) {
        if (positive) {
          if (!r.IsReal()) return No("relations differ");
          Real re, im;
          r.ToComplex(&re, &im);
          if (mpfr_sgn(re.get()) <= 0) return No("inequality direction differs");
        }
        ratio = r;
      } else {
        const ScalarEq eq = (r.inexact() || ratio->inexact())
                                ? CompareWithTolerance(r, *ratio, Tolerance())
                                : CompareScalars(r, *ratio, options_.precision);
        if (eq != ScalarEq::kEqual) return No("equations are not proportional");
      }
      ++valid;
    }
    if (valid == 0 || (points > 1 && valid < kMinValidPoints)) {
      return No("cannot evaluate the relations");
    }
    return Yes("equivalent relations");
  }

  absl::StatusOr<Verdict> CompareEquations(int32_t gi, int32_t pi) {
    const Node& g = g_.at(gi);
    const Node& p = p_.at(pi);
    const int32_t gl = g.kids[0], gr = g.kids[1], pl = p.kids[0], pr = p.kids[1];
    if (IsAssignTarget(g_, gl) && IsAssignTarget(p_, pl)) {
      const Node& gln = g_.at(gl);
      const Node& pln = p_.at(pl);
      const bool same = Canon(true, gl, false) == Canon(false, pl, false) || !options_.strict ||
                        (gln.kind == NodeKind::kApply && pln.kind == NodeKind::kApply &&
                         gln.text == pln.text);
      if (same) {
        ASSIGN_OR_RETURN(Verdict v, CompareNodes(gr, pr));
        if (v.equal || IsStructure(g_.at(gr).kind) || IsStructure(p_.at(pr).kind)) return v;
      }
    }
    if (IsStructure(g_.at(gr).kind) || IsStructure(p_.at(pr).kind) ||
        IsStructure(g_.at(gl).kind) || IsStructure(p_.at(pl).kind)) {
      return No("equations differ");
    }
    return Proportional(gl, gr, pl, pr, /*positive=*/false);
  }

  // a < b  ->  (a - b, strict); a > b -> (b - a, strict).
  static void Orient(const Node& n, int32_t* lo, int32_t* hi, char* op) {
    *op = n.text[0];
    *lo = n.kids[0];
    *hi = n.kids[1];
    if (*op == kRelGt || *op == kRelGe) {
      std::swap(*lo, *hi);
      *op = (*op == kRelGt) ? kRelLt : kRelLe;
    }
  }

  absl::StatusOr<Verdict> CompareInequalities(int32_t gi, int32_t pi) {
    const Node& g = g_.at(gi);
    const Node& p = p_.at(pi);
    if (g.kids.size() == 2 && p.kids.size() == 2) {
      int32_t ga, gb, pa, pb;
      char gop, pop;
      Orient(g, &ga, &gb, &gop);
      Orient(p, &pa, &pb, &pop);
      if (gop != pop) return No("relation operators differ");
      return Proportional(ga, gb, pa, pb, /*positive=*/gop != kRelNe);
    }
    std::optional<std::vector<IntervalVal>> a, b;
    ASSIGN_OR_RETURN(a, ToIntervals(g_, gi));
    ASSIGN_OR_RETURN(b, ToIntervals(p_, pi));
    if (a && b) return CompareIntervalSets(*a, *b);
    return No("relations differ");
  }

  // ---- relations as sets of intervals ------------------------------------------------------

  absl::StatusOr<std::optional<Scalar>> Constant(const Tree& t, int32_t i) {
    std::vector<std::string> vars;
    CollectFreeSymbols(t, i, &vars);
    if (!vars.empty()) return std::optional<Scalar>();
    ASSIGN_OR_RETURN(Scalar s, EvalConstant(t, i, env_.percent_as_fraction));
    if (!s.IsReal() && s.kind() != Scalar::Kind::kInfinity) return std::optional<Scalar>();
    return std::optional<Scalar>(std::move(s));
  }

  static bool IsVariableSide(const Tree& t, int32_t i) {
    const Node& n = t.at(i);
    return n.kind == NodeKind::kSymbol || n.kind == NodeKind::kApply;
  }

  static bool IsAbsOfVariable(const Tree& t, int32_t i) {
    const Node& n = t.at(i);
    return n.kind == NodeKind::kFunc && n.text == "abs" && IsVariableSide(t, n.kids[0]);
  }

  // Converts an interval, union, open pair, point set or inequality in one variable to intervals.
  absl::StatusOr<std::optional<std::vector<IntervalVal>>> ToIntervals(const Tree& t, int32_t i) {
    using Out = std::optional<std::vector<IntervalVal>>;
    const Node& n = t.at(i);
    std::vector<IntervalVal> out;
    if (n.kind == NodeKind::kInterval || (n.kind == NodeKind::kTuple && n.kids.size() == 2)) {
      ASSIGN_OR_RETURN(std::optional<Scalar> lo, Constant(t, n.kids[0]));
      ASSIGN_OR_RETURN(std::optional<Scalar> hi, Constant(t, n.kids[1]));
      if (!lo || !hi) return Out();
      const uint8_t f = IntervalFlags(n);
      out.push_back({{*lo, (f & kLeftOpen) != 0}, {*hi, (f & kRightOpen) != 0}});
      return Out(std::move(out));
    }
    if (n.kind == NodeKind::kUnion || n.kind == NodeKind::kSet) {
      for (int32_t k : n.kids) {
        if (n.kind == NodeKind::kSet) {
          ASSIGN_OR_RETURN(std::optional<Scalar> v, Constant(t, k));
          if (!v) return Out();
          out.push_back({{*v, false}, {*v, false}});
          continue;
        }
        ASSIGN_OR_RETURN(Out part, ToIntervals(t, k));
        if (!part) return Out();
        out.insert(out.end(), part->begin(), part->end());
      }
      return Out(std::move(out));
    }
    if (!IsInequality(n)) return Out();
    const Scalar inf = Scalar::Infinity(1), ninf = Scalar::Infinity(-1);
    if (n.kids.size() == 2) {
      int32_t lo, hi;
      char op;
      Orient(n, &lo, &hi, &op);
      const bool strict = op == kRelLt || op == kRelNe;
      if (IsVariableSide(t, lo)) {
        ASSIGN_OR_RETURN(std::optional<Scalar> c, Constant(t, hi));
        if (!c) return Out();
        out.push_back({{ninf, true}, {*c, strict}});
        if (op == kRelNe) out.push_back({{*c, true}, {inf, true}});
        return Out(std::move(out));
      }
      if (IsVariableSide(t, hi)) {
        ASSIGN_OR_RETURN(std::optional<Scalar> c, Constant(t, lo));
        if (!c) return Out();
        if (op == kRelNe) out.push_back({{ninf, true}, {*c, true}});
        out.push_back({{*c, strict}, {inf, true}});
        return Out(std::move(out));
      }
      return Out();
    }
    if (n.kids.size() == 3) {
      const char o1 = n.text[0], o2 = n.text[1];
      const bool up = (o1 == kRelLt || o1 == kRelLe) && (o2 == kRelLt || o2 == kRelLe);
      const bool down = (o1 == kRelGt || o1 == kRelGe) && (o2 == kRelGt || o2 == kRelGe);
      if (!up && !down) return Out();
      int32_t lo = n.kids[0], hi = n.kids[2];
      bool lo_open = o1 == kRelLt || o1 == kRelGt, hi_open = o2 == kRelLt || o2 == kRelGt;
      if (down) {
        std::swap(lo, hi);
        std::swap(lo_open, hi_open);
      }
      ASSIGN_OR_RETURN(std::optional<Scalar> a, Constant(t, lo));
      ASSIGN_OR_RETURN(std::optional<Scalar> b, Constant(t, hi));
      if (!a || !b) return Out();
      if (IsVariableSide(t, n.kids[1])) {
        out.push_back({{*a, lo_open}, {*b, hi_open}});
        return Out(std::move(out));
      }
      if (IsAbsOfVariable(t, n.kids[1]) && a->IsReal() && RealNonNegative(*a)) {
        // a <= |x| <= b  ->  [-b, -a] U [a, b]
        ASSIGN_OR_RETURN(Scalar na, Neg(*a));
        ASSIGN_OR_RETURN(Scalar nb, Neg(*b));
        out.push_back({{nb, hi_open}, {na, lo_open}});
        out.push_back({{*a, lo_open}, {*b, hi_open}});
        return Out(std::move(out));
      }
    }
    return Out();
  }

  static bool RealNonNegative(const Scalar& s) {
    Real re, im;
    s.ToComplex(&re, &im);
    return mpfr_sgn(re.get()) >= 0;
  }

  bool SameEndpoint(const Endpoint& a, const Endpoint& b) {
    if (a.open != b.open) return false;
    return CompareScalars(a.value, b.value, options_.precision) == ScalarEq::kEqual;
  }

  absl::StatusOr<Verdict> CompareIntervalSets(const std::vector<IntervalVal>& a,
                                              const std::vector<IntervalVal>& b) {
    if (a.size() != b.size()) return No("sets have different numbers of intervals");
    RETURN_IF_ERROR(Spend(static_cast<int64_t>(a.size() * b.size())));
    std::vector<bool> used(b.size(), false);
    for (const IntervalVal& x : a) {
      bool found = false;
      for (size_t k = 0; k < b.size() && !found; ++k) {
        if (!used[k] && SameEndpoint(x.lo, b[k].lo) && SameEndpoint(x.hi, b[k].hi)) {
          used[k] = true;
          found = true;
        }
      }
      if (!found) return No("interval sets differ");
    }
    return Yes("equal as sets of reals");
  }

  // The value of the variable-free subtree `i` of `t` (g_ or p_), evaluated once per comparison:
  // set elements are compared pairwise, and 256-bit transcendental functions are not cheap.
  absl::StatusOr<Scalar> EvalConstant(const Tree& t, int32_t i, bool percent_as_fraction) {
    const int64_t key = (static_cast<int64_t>(i) << 2) | (&t == &g_ ? 2 : 0) |
                        (percent_as_fraction ? 1 : 0);
    auto it = constants_.find(key);
    if (it != constants_.end()) return it->second;
    EvalEnv env = env_;
    env.percent_as_fraction = percent_as_fraction;
    ASSIGN_OR_RETURN(Scalar v, Evaluate(t, i, env, &budget_));
    constants_.emplace(key, v);
    return v;
  }

  // True when subtree `i` of `t` has a symbol or an unknown function, whose names renaming changes.
  static bool HasNames(const Tree& t, int32_t i) {
    return Contains(t, i, NodeKind::kSymbol) || Contains(t, i, NodeKind::kApply);
  }

  // Canonical(tree, i, rename) of the gold (`gold`) or answer tree, computed once per node.
  const std::string& Canon(bool gold, int32_t i, bool rename) {
    const Tree& t = gold ? g_ : p_;
    auto& cache = canon_[gold ? 1 : 0][rename ? 1 : 0];
    if (cache.empty()) cache.resize(static_cast<size_t>(t.size()));
    std::optional<std::string>& slot = cache[static_cast<size_t>(i)];
    if (!slot) slot = Canonical(t, i, rename);
    return *slot;
  }

  const Tree& g_;
  const Tree& p_;
  const CompareOptions& options_;
  std::vector<std::optional<std::string>> canon_[2][2];  // by node index, filled on first use
  std::unordered_map<int64_t, Scalar> constants_;
  ArithBudget budget_;
  EvalEnv env_;
  bool integer_points_ = false;
};

// ---- fast path: small rationals in 64-bit integers, no GMP ------------------------------------

struct SmallQ {
  int64_t num = 0;
  int64_t den = 1;
  bool inexact = false;
};

bool Reduce(__int128 n, __int128 d, SmallQ* out) {
  if (d == 0) return false;
  if (d < 0) {
    n = -n;
    d = -d;
  }
  __int128 a = n < 0 ? -n : n, b = d;
  while (b != 0) {
    const __int128 t = a % b;
    a = b;
    b = t;
  }
  if (a > 1) {
    n /= a;
    d /= a;
  }
  constexpr __int128 kLimit = static_cast<__int128>(1) << 62;  // keeps a*d + b*c in 127 bits
  if (n > kLimit || n < -kLimit || d > kLimit) return false;
  out->num = static_cast<int64_t>(n);
  out->den = static_cast<int64_t>(d);
  return true;
}

// Evaluates number literals and + - * / over them; false for anything else or on overflow.
bool SmallEval(const Tree& t, int32_t i, int depth, SmallQ* out) {
  const Node& n = t.at(i);
  if (depth > 32) return false;
  switch (n.kind) {
    case NodeKind::kNumber: {
      __int128 v = 0, d = 1;
      int digits = 0;
      bool dot = false;
      for (char c : n.text) {
        if (c == '.') {
          dot = true;
          continue;
        }
        if (c < '0' || c > '9' || ++digits > 18) return false;
        v = v * 10 + (c - '0');
        if (dot) d *= 10;
      }
      out->inexact = (n.flags & kDecimal) != 0;
      return Reduce(v, d, out);
    }
    case NodeKind::kNeg:
      if (!SmallEval(t, n.kids[0], depth + 1, out)) return false;
      out->num = -out->num;
      return true;
    case NodeKind::kAdd:
    case NodeKind::kMul:
    case NodeKind::kSub:
    case NodeKind::kDiv: {
      if (!SmallEval(t, n.kids[0], depth + 1, out)) return false;
      for (size_t k = 1; k < n.kids.size(); ++k) {
        SmallQ b;
        if (!SmallEval(t, n.kids[k], depth + 1, &b)) return false;
        const __int128 an = out->num, ad = out->den, bn = b.num, bd = b.den;
        const bool inexact = out->inexact || b.inexact;
        bool ok;
        switch (n.kind) {
          case NodeKind::kAdd: ok = Reduce(an * bd + bn * ad, ad * bd, out); break;
          case NodeKind::kSub: ok = Reduce(an * bd - bn * ad, ad * bd, out); break;
          case NodeKind::kMul: ok = Reduce(an * bn, ad * bd, out); break;
          default: ok = bn != 0 && Reduce(an * bd, ad * bn, out); break;
        }
        if (!ok) return false;
        out->inexact = inexact;
      }
      return true;
    }
    default:
      return false;
  }
}

// round(num/den * 10^p), half away from zero.
__int128 RoundSmall(int64_t num, int64_t den, int p) {
  __int128 scaled = num < 0 ? -static_cast<__int128>(num) : num;
  for (int k = 0; k < p; ++k) scaled *= 10;
  const __int128 r = (2 * scaled + den) / (2 * static_cast<__int128>(den));
  return num < 0 ? -r : r;
}

// A plain "-123" / "4.5" (no separators, at most 18 digits): its tree without the lexer.
bool ParsePlainNumber(std::string_view text, Tree* tree) {
  size_t b = 0, e = text.size();
  while (b < e && (text[b] == ' ' || text[b] == '$')) ++b;
  while (e > b && (text[e - 1] == ' ' || text[e - 1] == '$')) --e;
  const bool neg = b < e && text[b] == '-';
  if (neg) ++b;
  if (b == e || e - b > 19) return false;
  int dots = 0;
  for (size_t i = b; i < e; ++i) {
    if (text[i] == '.') {
      if (++dots > 1 || i == e - 1) return false;
    } else if (text[i] < '0' || text[i] > '9') {
      return false;
    }
  }
  int32_t n = tree->Add(NodeKind::kNumber, std::string(text.substr(b, e - b)), {},
                        dots ? kDecimal : 0);
  if (neg) n = tree->Add(NodeKind::kNeg, "", {n});
  tree->set_root(n);
  return true;
}

}  // namespace

absl::StatusOr<ParsedAnswer> ParseAnswer(std::string_view text, const CompareOptions& options) {
  auto impl = std::make_shared<ParsedAnswer::Impl>();
  if (!ParsePlainNumber(text, &impl->tree)) {
    RETURN_IF_ERROR(ParseMath(text, options.budget, &impl->tree));
  }
  SmallQ q;
  if (SmallEval(impl->tree, impl->tree.root(), 0, &q)) {
    impl->small = true;
    impl->small_inexact = q.inexact;
    impl->num = q.num;
    impl->den = q.den;
  }
  return ParsedAnswer(std::move(impl));
}

absl::StatusOr<CompareResult> Compare(const ParsedAnswer& gold, const ParsedAnswer& pred,
                                      const CompareOptions& options) {
  const ParsedAnswer::Impl& g = gold.impl();
  const ParsedAnswer::Impl& p = pred.impl();
  if (g.small && p.small) {
    if (g.num == p.num && g.den == p.den) return CompareResult{true, "equal as exact rationals"};
    if (!g.small_inexact && !p.small_inexact) return CompareResult{false, "values differ"};
    if (options.precision >= 0 && options.precision <= 18) {
      const bool eq = RoundSmall(g.num, g.den, options.precision) ==
                      RoundSmall(p.num, p.den, options.precision);
      return CompareResult{eq, eq ? "equal after rounding to " + std::to_string(options.precision) +
                                        " decimal places"
                                  : "values differ"};
    }
  }
  // The same parse on both sides (an answer written as the gold): the comparison's first step,
  // equal canonical texts, would say so.
  if (&g == &p && options.budget.max_steps >= 1) return CompareResult{true, "identical"};
  Comparer c(g.tree, p.tree, options);
  ASSIGN_OR_RETURN(Verdict v, c.Run());
  return CompareResult{v.equal, std::move(v.reason)};
}

}  // namespace rlvr::math
