#include "verifiers/math/evaluator.h"

#include <algorithm>
#include <cstdlib>
#include <optional>

#include "absl/status/status.h"
#include "common/status_macros.h"

namespace rlvr::math {
namespace {

absl::StatusOr<Scalar> EvalNumber(const Node& n, const EvalEnv& env) {
  const std::string& t = n.text;
  // Fast path: a plain integer of up to 18 digits.
  if (t.size() <= 18 && t.find_first_not_of("0123456789") == std::string::npos && !t.empty()) {
    Scalar s = Scalar::FromInt(std::strtoll(t.c_str(), nullptr, 10));
    s.set_inexact((n.flags & kDecimal) != 0);
    return s;
  }
  absl::StatusOr<Rational> q = Rational::FromDecimal(t, env.max_integer_bits);
  Scalar s;
  if (q.ok()) {
    s = Scalar::FromRational(*std::move(q));
  } else if (q.status().code() == absl::StatusCode::kResourceExhausted) {
    Real r;
    if (mpfr_set_str(r.get(), t.c_str(), 10, MPFR_RNDN) != 0) return Scalar::Undefined();
    s = Scalar::RealValue(r);
  } else {
    return q.status();
  }
  s.set_inexact((n.flags & kDecimal) != 0);
  return s;
}

class Evaluator {
 public:
  Evaluator(const Tree& tree, const EvalEnv& env, ArithBudget* budget)
      : tree_(tree), env_(env), budget_(budget) {}

  absl::StatusOr<Scalar> Eval(int32_t i) {
    const Node& n = tree_.at(i);
    if (--budget_->steps_left < 0) {
      return absl::ResourceExhaustedError("evaluation exceeded its step budget");
    }
    switch (n.kind) {
      case NodeKind::kNumber:
        return EvalNumber(n, env_);
      case NodeKind::kSymbol: {
        auto it = std::lower_bound(
            env_.vars.begin(), env_.vars.end(), n.text,
            [](const std::pair<std::string, Scalar>& p, const std::string& k) { return p.first < k; });
        if (it != env_.vars.end() && it->first == n.text) return it->second;
        return Scalar::Undefined();
      }
      case NodeKind::kConstant:
        if (n.text == "pi") return Scalar::Pi();
        if (n.text == "e") return Scalar::E();
        if (n.text == "i") return Scalar::I();
        if (n.text == "inf") return Scalar::Infinity(1);
        return Scalar::Undefined();
      case NodeKind::kNeg: {
        ASSIGN_OR_RETURN(Scalar a, Eval(n.kids[0]));
        ASSIGN_OR_RETURN(Scalar r, Neg(a));
        r.set_inexact(a.inexact());
        return r;
      }
      case NodeKind::kAdd:
      case NodeKind::kMul: {
        ASSIGN_OR_RETURN(Scalar acc, Eval(n.kids[0]));
        for (size_t k = 1; k < n.kids.size(); ++k) {
          ASSIGN_OR_RETURN(Scalar b, Eval(n.kids[k]));
          const bool inexact = acc.inexact() || b.inexact();
          if (n.kind == NodeKind::kAdd) {
            ASSIGN_OR_RETURN(acc, Add(acc, b, budget_));
          } else {
            ASSIGN_OR_RETURN(acc, Mul(acc, b, budget_));
          }
          acc.set_inexact(inexact);
        }
        return acc;
      }
      case NodeKind::kSub:
      case NodeKind::kDiv:
      case NodeKind::kRatio:
      case NodeKind::kPow: {
        ASSIGN_OR_RETURN(Scalar a, Eval(n.kids[0]));
        ASSIGN_OR_RETURN(Scalar b, Eval(n.kids[1]));
        Scalar r;
        if (n.kind == NodeKind::kSub) {
          ASSIGN_OR_RETURN(r, Sub(a, b, budget_));
        } else if (n.kind == NodeKind::kPow) {
          ASSIGN_OR_RETURN(r, Pow(a, b, budget_));
        } else {
          ASSIGN_OR_RETURN(r, Div(a, b, budget_));
        }
        r.set_inexact(a.inexact() || b.inexact());
        return r;
      }
      case NodeKind::kPercent: {
        ASSIGN_OR_RETURN(Scalar a, Eval(n.kids[0]));
        if (!env_.percent_as_fraction) return a;
        ASSIGN_OR_RETURN(Scalar r, Div(a, Scalar::FromInt(100), budget_));
        r.set_inexact(a.inexact());
        return r;
      }
      case NodeKind::kFactorial: {
        ASSIGN_OR_RETURN(Scalar a, Eval(n.kids[0]));
        ASSIGN_OR_RETURN(Scalar r, Factorial(a, budget_));
        r.set_inexact(a.inexact());
        return r;
      }
      case NodeKind::kFunc:
        return EvalFunc(n);
      default:
        return Scalar::Undefined();
    }
  }

 private:
  // \sum_{k=a}^{b} body / \prod: evaluated when a and b are integers at most 100000 apart.
  absl::StatusOr<Scalar> EvalBigOperator(const Node& n) {
    const Node& lower = tree_.at(n.kids[0]);
    if (lower.kind != NodeKind::kRelation || lower.kids.size() != 2 ||
        tree_.at(lower.kids[0]).kind != NodeKind::kSymbol) {
      return Scalar::Undefined();
    }
    const std::string& var = tree_.at(lower.kids[0]).text;
    ASSIGN_OR_RETURN(Scalar from, Eval(lower.kids[1]));
    ASSIGN_OR_RETURN(Scalar to, Eval(n.kids[1]));
    if (!from.is_rational() || !to.is_rational() || !from.rational().IsInteger() ||
        !to.rational().IsInteger() || !mpz_fits_slong_p(mpq_numref(from.rational().get())) ||
        !mpz_fits_slong_p(mpq_numref(to.rational().get()))) {
      return Scalar::Undefined();
    }
    const long a = mpz_get_si(mpq_numref(from.rational().get()));
    const long b = mpz_get_si(mpq_numref(to.rational().get()));
    const bool sum = n.text == "sum";
    if (b < a) return Scalar::FromInt(sum ? 0 : 1);
    if (b - a > 100000) return Scalar::Undefined();
    EvalEnv inner = env_;
    auto it = std::lower_bound(
        inner.vars.begin(), inner.vars.end(), var,
        [](const std::pair<std::string, Scalar>& p, const std::string& k) { return p.first < k; });
    if (it == inner.vars.end() || it->first != var) it = inner.vars.emplace(it, var, Scalar());
    const size_t slot = static_cast<size_t>(it - inner.vars.begin());
    Scalar acc = Scalar::FromInt(sum ? 0 : 1);
    bool inexact = false;
    for (long k = a; k <= b; ++k) {
      inner.vars[slot].second = Scalar::FromInt(k);
      ASSIGN_OR_RETURN(Scalar term, Evaluator(tree_, inner, budget_).Eval(n.kids[2]));
      inexact = inexact || term.inexact();
      if (sum) {
        ASSIGN_OR_RETURN(acc, Add(acc, term, budget_));
      } else {
        ASSIGN_OR_RETURN(acc, Mul(acc, term, budget_));
      }
    }
    acc.set_inexact(inexact);
    return acc;
  }

  absl::StatusOr<Scalar> EvalFunc(const Node& n) {
    if ((n.text == "sum" || n.text == "prod") && n.kids.size() == 3) return EvalBigOperator(n);
    std::vector<Scalar> args;
    args.reserve(n.kids.size());
    bool inexact = false;
    for (int32_t k : n.kids) {
      ASSIGN_OR_RETURN(Scalar a, Eval(k));
      inexact = inexact || a.inexact();
      args.push_back(std::move(a));
    }
    ASSIGN_OR_RETURN(Scalar r, Apply(n.text, args));
    r.set_inexact(inexact);
    return r;
  }

  absl::StatusOr<Scalar> Apply(const std::string& name, const std::vector<Scalar>& args) {
    if (args.empty()) return Scalar::Undefined();
    if (name == "root" && args.size() == 2) return Root(args[0], args[1], budget_);
    if (name == "binom" && args.size() == 2) return Binomial(args[0], args[1], budget_);
    if (name == "log" || name == "lg") {
      ASSIGN_OR_RETURN(Scalar num, ApplyFunction("ln", args[0], budget_));
      if (args.size() == 1 && name == "log") return num;
      Scalar base = args.size() == 2 ? args[1] : Scalar::FromInt(10);
      // Exact when the argument is an exact integer power of an integer base.
      if (args[0].is_rational() && base.is_rational() && args[0].rational().Sign() > 0 &&
          base.rational().Sign() > 0) {
        if (auto exact = ExactLog(args[0].rational(), base.rational())) return *exact;
      }
      ASSIGN_OR_RETURN(Scalar den, ApplyFunction("ln", base, budget_));
      return Div(num, den, budget_);
    }
    if ((name == "min" || name == "max") && !args.empty()) {
      Scalar best = args[0];
      for (size_t k = 1; k < args.size(); ++k) {
        ASSIGN_OR_RETURN(Scalar d, Sub(args[k], best, budget_));
        if (!d.IsReal()) return Scalar::Undefined();
        Real re, im;
        d.ToComplex(&re, &im);
        const int s = mpfr_sgn(re.get());
        if ((name == "min" && s < 0) || (name == "max" && s > 0)) best = args[k];
      }
      return best;
    }
    if (name == "gcd" || name == "lcm") {
      Rational acc;
      for (size_t k = 0; k < args.size(); ++k) {
        if (!args[k].is_rational() || !args[k].rational().IsInteger()) return Scalar::Undefined();
        if (k == 0) {
          mpz_abs(mpq_numref(acc.get()), mpq_numref(args[k].rational().get()));
        } else if (name == "gcd") {
          mpz_gcd(mpq_numref(acc.get()), mpq_numref(acc.get()),
                  mpq_numref(args[k].rational().get()));
        } else {
          mpz_lcm(mpq_numref(acc.get()), mpq_numref(acc.get()),
                  mpq_numref(args[k].rational().get()));
        }
      }
      return Scalar::FromRational(std::move(acc));
    }
    if (args.size() != 1) return Scalar::Undefined();
    return ApplyFunction(name, args[0], budget_);
  }

  // log_b(x) when x = b^k for a small integer k (both positive rationals).
  std::optional<Scalar> ExactLog(const Rational& x, const Rational& b) {
    if (mpq_cmp_ui(b.get(), 1, 1) == 0 || x.Bits() > 4096) return std::nullopt;
    if (mpq_cmp_ui(x.get(), 1, 1) == 0) return Scalar::FromInt(0);
    Rational p(1);
    const bool up = mpq_cmp_ui(b.get(), 1, 1) > 0;
    const bool x_big = mpq_cmp_ui(x.get(), 1, 1) > 0;
    Rational step = b;
    int sign = 1;
    if (up != x_big) {
      mpq_inv(step.get(), b.get());
      sign = -1;
    }
    for (int k = 1; k <= 4096; ++k) {
      mpq_mul(p.get(), p.get(), step.get());
      const int c = mpq_cmp(p.get(), x.get());
      if (c == 0) return Scalar::FromInt(sign * k);
      if ((x_big && c > 0) || (!x_big && c < 0) || p.Bits() > x.Bits() + 64) break;
    }
    return std::nullopt;
  }

  const Tree& tree_;
  const EvalEnv& env_;
  ArithBudget* budget_;
};

}  // namespace

absl::StatusOr<Scalar> Evaluate(const Tree& tree, int32_t i, const EvalEnv& env,
                                ArithBudget* budget) {
  return Evaluator(tree, env, budget).Eval(i);
}

}  // namespace rlvr::math
