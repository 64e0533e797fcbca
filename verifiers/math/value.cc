#include "verifiers/math/value.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace rlvr::math {

Rational::Rational(int64_t v) { mpz_set_si(mpq_numref(get()), static_cast<long>(v)); }

mpq_srcptr Rational::Zero() {
  static const mpq_srcptr zero = [] {
    static mpq_t z;  // never cleared: read-only for the life of the process
    mpq_init(z);
    return static_cast<mpq_srcptr>(z);
  }();
  return zero;
}

int64_t Rational::Bits() const {
  return static_cast<int64_t>(mpz_sizeinbase(mpq_numref(get()), 2) +
                              mpz_sizeinbase(mpq_denref(get()), 2));
}

std::string Rational::ToString() const {
  if (Bits() > 4096) return absl::StrCat("<rational of ", Bits(), " bits>");
  std::string s(mpz_sizeinbase(mpq_numref(get()), 10) + mpz_sizeinbase(mpq_denref(get()), 10) + 3,
                '\0');
  mpq_get_str(s.data(), 10, get());
  s.resize(std::char_traits<char>::length(s.c_str()));
  return s;
}

absl::StatusOr<Rational> Rational::FromDecimal(std::string_view text, int64_t max_bits) {
  Rational r;
  bool neg = false;
  size_t i = 0;
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) neg = text[i++] == '-';
  std::string digits;   // all non-repeating digits
  std::string rep;      // repeating digits
  int64_t frac_len = 0;
  bool seen_dot = false;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c >= '0' && c <= '9') {
      digits += c;
      if (seen_dot) ++frac_len;
    } else if (c == '.' && !seen_dot) {
      seen_dot = true;
    } else if (c == '(') {
      size_t j = text.find(')', i);
      if (j == std::string_view::npos) break;
      rep = std::string(text.substr(i + 1, j - i - 1));
      i = j + 1;
      break;
    } else {
      break;
    }
  }
  int64_t exp10 = 0;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    bool eneg = false;
    if (i < text.size() && (text[i] == '-' || text[i] == '+')) eneg = text[i++] == '-';
    // Every digit is consumed; the exponent saturates (the bit estimate below then refuses it).
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
      exp10 = std::min<int64_t>(exp10 * 10 + (text[i] - '0'), 1'000'000'000'000);
    }
    if (eneg) exp10 = -exp10;
  }
  if (i != text.size() || (digits.empty() && rep.empty())) {
    return absl::InvalidArgumentError(absl::StrCat("malformed number '", std::string(text), "'"));
  }
  const int64_t est_bits = static_cast<int64_t>(
      (static_cast<double>(digits.size() + rep.size()) + std::abs(static_cast<double>(exp10)) +
       static_cast<double>(frac_len)) * 3.33);
  if (est_bits > max_bits) {
    return absl::ResourceExhaustedError(
        absl::StrCat("number '", std::string(text.substr(0, 40)), "' needs about ", est_bits,
                     " bits; limit is ", max_bits));
  }
  mpz_ptr num = mpq_numref(r.get());
  mpz_ptr den = mpq_denref(r.get());
  if (digits.empty()) digits = "0";
  mpz_set_str(num, digits.c_str(), 10);
  mpz_ui_pow_ui(den, 10, static_cast<unsigned long>(frac_len));
  if (!rep.empty()) {
    // x = A.rep... : (A*10^k + R - A) / (10^f * (10^k - 1))
    mpz_t r10, rv;
    mpz_init(r10);
    mpz_init(rv);
    mpz_ui_pow_ui(r10, 10, rep.size());
    mpz_set_str(rv, rep.c_str(), 10);
    mpz_t a;
    mpz_init_set(a, num);
    mpz_mul(num, num, r10);
    mpz_add(num, num, rv);
    mpz_sub(num, num, a);
    mpz_sub_ui(r10, r10, 1);
    mpz_mul(den, den, r10);
    mpz_clear(a);
    mpz_clear(r10);
    mpz_clear(rv);
  }
  if (exp10 != 0) {
    mpz_t p;
    mpz_init(p);
    mpz_ui_pow_ui(p, 10, static_cast<unsigned long>(std::abs(exp10)));
    if (exp10 > 0) {
      mpz_mul(num, num, p);
    } else {
      mpz_mul(den, den, p);
    }
    mpz_clear(p);
  }
  if (neg) mpz_neg(num, num);
  mpq_canonicalize(r.get());
  return r;
}

// ---------------------------------------------------------------------------------------------
// Scalar construction

Scalar Scalar::FromRational(Rational q) {
  Scalar s;
  s.kind_ = Kind::kRational;
  s.q_ = std::move(q);
  return s;
}

Scalar Scalar::RealValue(const Real& re) {
  Scalar s;
  if (mpfr_nan_p(re.get())) return Undefined();
  if (mpfr_inf_p(re.get())) return Overflow(mpfr_sgn(re.get()));
  s.kind_ = Kind::kReal;
  s.re_ = std::make_shared<const Real>(re);
  return s;
}

Scalar Scalar::ComplexValue(const Real& re, const Real& im) {
  if (mpfr_zero_p(im.get())) return RealValue(re);
  if (mpfr_nan_p(re.get()) || mpfr_nan_p(im.get())) return Undefined();
  if (mpfr_inf_p(re.get()) || mpfr_inf_p(im.get())) return Overflow(0);
  Scalar s;
  s.kind_ = Kind::kComplex;
  s.re_ = std::make_shared<const Real>(re);
  s.im_ = std::make_shared<const Real>(im);
  return s;
}

Scalar Scalar::Infinity(int sign) {
  Scalar s;
  s.kind_ = Kind::kInfinity;
  s.sign_ = sign;
  return s;
}

Scalar Scalar::Overflow(int sign) {
  Scalar s;
  s.kind_ = Kind::kOverflow;
  s.sign_ = sign;
  return s;
}

// pi and e are computed once per process; a copy shares the immutable MPFR value.
Scalar Scalar::Pi() {
  static const Scalar kPi = [] {
    Real r;
    mpfr_const_pi(r.get(), MPFR_RNDN);
    return RealValue(r);
  }();
  return kPi;
}

Scalar Scalar::E() {
  static const Scalar kE = [] {
    Real r;
    mpfr_set_ui(r.get(), 1, MPFR_RNDN);
    mpfr_exp(r.get(), r.get(), MPFR_RNDN);
    return RealValue(r);
  }();
  return kE;
}

Scalar Scalar::I() {
  Real re, im;
  mpfr_set_ui(im.get(), 1, MPFR_RNDN);
  return ComplexValue(re, im);
}

void Scalar::ToComplex(Real* re, Real* im) const {
  mpfr_set_zero(im->get(), 1);
  switch (kind_) {
    case Kind::kRational:
      mpfr_set_q(re->get(), q_.get(), MPFR_RNDN);
      break;
    case Kind::kReal:
      mpfr_set(re->get(), re_->get(), MPFR_RNDN);
      break;
    case Kind::kComplex:
      mpfr_set(re->get(), re_->get(), MPFR_RNDN);
      mpfr_set(im->get(), im_->get(), MPFR_RNDN);
      break;
    default:
      mpfr_set_nan(re->get());
      break;
  }
}

std::string Scalar::ToString() const {
  auto real_str = [](mpfr_srcptr x) {
    char buf[64];
    mpfr_snprintf(buf, sizeof buf, "%.20Rg", x);
    return std::string(buf);
  };
  switch (kind_) {
    case Kind::kRational:
      return q_.ToString();
    case Kind::kReal:
      return real_str(re_->get());
    case Kind::kComplex:
      return real_str(re_->get()) + "+" + real_str(im_->get()) + "i";
    case Kind::kInfinity:
      return sign_ > 0 ? "oo" : sign_ < 0 ? "-oo" : "zoo";
    case Kind::kOverflow:
      return sign_ > 0 ? "<overflow +>" : sign_ < 0 ? "<overflow ->" : "<overflow>";
    case Kind::kUndefined:
      return "<undefined>";
  }
  return "?";
}

// ---------------------------------------------------------------------------------------------
// Arithmetic

namespace {

absl::Status Spend(ArithBudget* b, int64_t steps) {
  b->steps_left -= steps;
  if (b->steps_left < 0) {
    return absl::ResourceExhaustedError("evaluation exceeded its step budget");
  }
  return absl::OkStatus();
}

bool IsSpecial(const Scalar& s) { return !s.is_numeric(); }

// Sign of a real numeric scalar; 0 for zero; 2 for non-real.
int RealSign(const Scalar& s) {
  switch (s.kind()) {
    case Scalar::Kind::kRational:
      return s.rational().Sign();
    case Scalar::Kind::kReal: {
      Real re, im;
      s.ToComplex(&re, &im);
      return mpfr_sgn(re.get());
    }
    case Scalar::Kind::kInfinity:
    case Scalar::Kind::kOverflow:
      return s.sign() == 0 ? 2 : s.sign();
    default:
      return 2;
  }
}

bool IsZero(const Scalar& s) {
  if (s.is_rational()) return s.rational().Sign() == 0;
  if (s.kind() == Scalar::Kind::kReal) return RealSign(s) == 0;
  return false;
}

// |a| >= 1 for a numeric scalar.
bool AbsAtLeastOne(const Scalar& s) {
  Real re, im, m;
  s.ToComplex(&re, &im);
  mpfr_hypot(m.get(), re.get(), im.get(), MPFR_RNDN);
  return mpfr_cmp_ui(m.get(), 1) >= 0;
}

Scalar Special(int sign_or_kind) { return Scalar::Infinity(sign_or_kind); }

// Complex helpers on MPFR pairs.
void CMul(const Real& a, const Real& b, const Real& c, const Real& d, Real* re, Real* im) {
  Real t1, t2;
  mpfr_mul(t1.get(), a.get(), c.get(), MPFR_RNDN);
  mpfr_mul(t2.get(), b.get(), d.get(), MPFR_RNDN);
  Real r;
  mpfr_sub(r.get(), t1.get(), t2.get(), MPFR_RNDN);
  mpfr_mul(t1.get(), a.get(), d.get(), MPFR_RNDN);
  mpfr_mul(t2.get(), b.get(), c.get(), MPFR_RNDN);
  mpfr_add(im->get(), t1.get(), t2.get(), MPFR_RNDN);
  mpfr_set(re->get(), r.get(), MPFR_RNDN);
}

// MPFR reduces a periodic function's argument exactly, at a cost that grows with the argument's
// binary exponent (minutes for sin(10^(10^7))). Past 2^kMaxPeriodicExp the value is refused.
constexpr mpfr_exp_t kMaxPeriodicExp = 1024;

absl::Status CheckPeriodicArgument(const Real& x, std::string_view function) {
  if (mpfr_regular_p(x.get()) && mpfr_get_exp(x.get()) > kMaxPeriodicExp) {
    return absl::ResourceExhaustedError(
        absl::StrCat(std::string(function), " of a number near 2^", static_cast<int64_t>(mpfr_get_exp(x.get())),
                     ": past 2^", static_cast<int64_t>(kMaxPeriodicExp),
                     " its argument is too large to reduce"));
  }
  return absl::OkStatus();
}

absl::StatusOr<Scalar> CExp(const Real& a, const Real& b) {
  Real m, re, im;
  mpfr_exp(m.get(), a.get(), MPFR_RNDN);
  if (mpfr_zero_p(b.get())) return Scalar::RealValue(m);
  RETURN_IF_ERROR(CheckPeriodicArgument(b, "exp of an imaginary part"));
  mpfr_sin_cos(im.get(), re.get(), b.get(), MPFR_RNDN);
  mpfr_mul(re.get(), re.get(), m.get(), MPFR_RNDN);
  mpfr_mul(im.get(), im.get(), m.get(), MPFR_RNDN);
  return Scalar::ComplexValue(re, im);
}

// Principal log: ln|z| + i arg z. false for z == 0.
bool CLog(const Real& a, const Real& b, Real* re, Real* im) {
  if (mpfr_zero_p(a.get()) && mpfr_zero_p(b.get())) return false;
  mpfr_hypot(re->get(), a.get(), b.get(), MPFR_RNDN);
  mpfr_log(re->get(), re->get(), MPFR_RNDN);
  mpfr_atan2(im->get(), b.get(), a.get(), MPFR_RNDN);
  return true;
}

absl::StatusOr<Scalar> SpecialAdd(const Scalar& a, const Scalar& b) {
  using K = Scalar::Kind;
  if (a.kind() == K::kUndefined || b.kind() == K::kUndefined) return Scalar::Undefined();
  if (a.kind() == K::kInfinity && b.kind() == K::kInfinity) {
    return (a.sign() == b.sign() && a.sign() != 0) ? a : Scalar::Undefined();
  }
  if (a.kind() == K::kInfinity) return a;
  if (b.kind() == K::kInfinity) return b;
  if (a.kind() == K::kOverflow && b.kind() == K::kOverflow) {
    return (a.sign() == b.sign() && a.sign() != 0) ? a : Scalar::Undefined();
  }
  return a.kind() == K::kOverflow ? a : b;
}

absl::StatusOr<Scalar> SpecialMul(const Scalar& a, const Scalar& b) {
  using K = Scalar::Kind;
  if (a.kind() == K::kUndefined || b.kind() == K::kUndefined) return Scalar::Undefined();
  const bool inf = a.kind() == K::kInfinity || b.kind() == K::kInfinity;
  const Scalar& other = IsSpecial(a) ? b : a;
  if (!IsSpecial(other) && IsZero(other)) return Scalar::Undefined();
  const int sa = RealSign(a), sb = RealSign(b);
  const int sign = (sa == 2 || sb == 2) ? 0 : sa * sb;
  return inf ? Scalar::Infinity(sign) : Scalar::Overflow(sign);
}

absl::StatusOr<Scalar> CheckBig(Rational q, ArithBudget* budget) {
  if (q.Bits() > budget->max_integer_bits) {
    Real r;
    mpfr_set_q(r.get(), q.get(), MPFR_RNDN);
    return Scalar::RealValue(r);
  }
  return Scalar::FromRational(std::move(q));
}

}  // namespace

absl::StatusOr<Scalar> Add(const Scalar& a, const Scalar& b, ArithBudget* budget) {
  RETURN_IF_ERROR(Spend(budget, 1));
  if (IsSpecial(a) || IsSpecial(b)) return SpecialAdd(a, b);
  if (a.is_rational() && b.is_rational()) {
    Rational r;
    mpq_add(r.get(), a.rational().get(), b.rational().get());
    return CheckBig(std::move(r), budget);
  }
  Real ar, ai, br, bi;
  a.ToComplex(&ar, &ai);
  b.ToComplex(&br, &bi);
  mpfr_add(ar.get(), ar.get(), br.get(), MPFR_RNDN);
  mpfr_add(ai.get(), ai.get(), bi.get(), MPFR_RNDN);
  return Scalar::ComplexValue(ar, ai);
}

absl::StatusOr<Scalar> Neg(const Scalar& a) {
  using K = Scalar::Kind;
  switch (a.kind()) {
    case K::kRational: {
      Rational r;
      mpq_neg(r.get(), a.rational().get());
      return Scalar::FromRational(std::move(r));
    }
    case K::kReal:
    case K::kComplex: {
      Real re, im;
      a.ToComplex(&re, &im);
      mpfr_neg(re.get(), re.get(), MPFR_RNDN);
      mpfr_neg(im.get(), im.get(), MPFR_RNDN);
      return Scalar::ComplexValue(re, im);
    }
    case K::kInfinity:
      return Scalar::Infinity(-a.sign());
    case K::kOverflow:
      return Scalar::Overflow(-a.sign());
    case K::kUndefined:
      return a;
  }
  return Scalar::Undefined();
}

absl::StatusOr<Scalar> Sub(const Scalar& a, const Scalar& b, ArithBudget* budget) {
  ASSIGN_OR_RETURN(Scalar nb, Neg(b));
  return Add(a, nb, budget);
}

absl::StatusOr<Scalar> Mul(const Scalar& a, const Scalar& b, ArithBudget* budget) {
  RETURN_IF_ERROR(Spend(budget, 1));
  if (IsSpecial(a) || IsSpecial(b)) {
    if (IsSpecial(a) && IsSpecial(b)) {
      if (a.kind() == Scalar::Kind::kUndefined || b.kind() == Scalar::Kind::kUndefined) {
        return Scalar::Undefined();
      }
      const int sa = a.sign(), sb = b.sign();
      const bool inf = a.kind() == Scalar::Kind::kInfinity || b.kind() == Scalar::Kind::kInfinity;
      return inf ? Scalar::Infinity(sa * sb) : Scalar::Overflow(sa * sb);
    }
    return SpecialMul(a, b);
  }
  if (a.is_rational() && b.is_rational()) {
    Rational r;
    mpq_mul(r.get(), a.rational().get(), b.rational().get());
    return CheckBig(std::move(r), budget);
  }
  Real ar, ai, br, bi, re, im;
  a.ToComplex(&ar, &ai);
  b.ToComplex(&br, &bi);
  CMul(ar, ai, br, bi, &re, &im);
  return Scalar::ComplexValue(re, im);
}

absl::StatusOr<Scalar> Div(const Scalar& a, const Scalar& b, ArithBudget* budget) {
  RETURN_IF_ERROR(Spend(budget, 1));
  using K = Scalar::Kind;
  if (a.kind() == K::kUndefined || b.kind() == K::kUndefined) return Scalar::Undefined();
  if (b.is_numeric() && IsZero(b)) {
    if (a.is_numeric() && IsZero(a)) return Scalar::Undefined();
    return Special(0);  // x/0 = complex infinity
  }
  if (b.kind() == K::kInfinity) {
    return a.is_numeric() ? Scalar::FromInt(0) : Scalar::Undefined();
  }
  if (b.kind() == K::kOverflow) return Scalar::Undefined();  // tiny but unknown
  if (IsSpecial(a)) {
    const int sb = RealSign(b);
    const int sign = (sb == 2 || a.sign() == 0) ? 0 : a.sign() * sb;
    return a.kind() == K::kInfinity ? Scalar::Infinity(sign) : Scalar::Overflow(sign);
  }
  if (a.is_rational() && b.is_rational()) {
    Rational r;
    mpq_div(r.get(), a.rational().get(), b.rational().get());
    return CheckBig(std::move(r), budget);
  }
  Real ar, ai, br, bi;
  a.ToComplex(&ar, &ai);
  b.ToComplex(&br, &bi);
  if (mpfr_zero_p(ai.get()) && mpfr_zero_p(bi.get())) {
    mpfr_div(ar.get(), ar.get(), br.get(), MPFR_RNDN);
    return Scalar::RealValue(ar);
  }
  // (a+bi)/(c+di) = (a+bi)(c-di)/(c^2+d^2)
  Real den, t, re, im;
  mpfr_sqr(den.get(), br.get(), MPFR_RNDN);
  mpfr_sqr(t.get(), bi.get(), MPFR_RNDN);
  mpfr_add(den.get(), den.get(), t.get(), MPFR_RNDN);
  mpfr_neg(bi.get(), bi.get(), MPFR_RNDN);
  CMul(ar, ai, br, bi, &re, &im);
  mpfr_div(re.get(), re.get(), den.get(), MPFR_RNDN);
  mpfr_div(im.get(), im.get(), den.get(), MPFR_RNDN);
  return Scalar::ComplexValue(re, im);
}

namespace {

// a^e for rational a and machine integer e, exact when the result fits the budget.
absl::StatusOr<Scalar> RationalPowInt(const Rational& a, long e, ArithBudget* budget) {
  if (a.Sign() == 0) {
    if (e > 0) return Scalar::FromInt(0);
    if (e == 0) return Scalar::FromInt(1);
    return Special(0);
  }
  if (mpz_cmpabs_ui(mpq_numref(a.get()), 1) == 0 && a.IsInteger()) {
    return Scalar::FromInt((a.Sign() < 0 && (e % 2 != 0)) ? -1 : 1);
  }
  const unsigned long ue = e < 0 ? static_cast<unsigned long>(-(e + 1)) + 1UL
                                 : static_cast<unsigned long>(e);
  const double est = static_cast<double>(std::max(mpz_sizeinbase(mpq_numref(a.get()), 2),
                                                  mpz_sizeinbase(mpq_denref(a.get()), 2))) *
                     static_cast<double>(ue);
  if (est <= static_cast<double>(budget->max_integer_bits)) {
    RETURN_IF_ERROR(Spend(budget, 1 + static_cast<int64_t>(est / 256)));
    Rational r;
    mpz_pow_ui(mpq_numref(r.get()), mpq_numref(a.get()), ue);
    mpz_pow_ui(mpq_denref(r.get()), mpq_denref(a.get()), ue);
    if (e < 0) mpq_inv(r.get(), r.get());
    return Scalar::FromRational(std::move(r));
  }
  Real base, re;
  mpfr_set_q(base.get(), a.get(), MPFR_RNDN);
  mpfr_pow_si(re.get(), base.get(), e, MPFR_RNDN);
  if (mpfr_zero_p(re.get())) return Scalar::Undefined();  // underflow: magnitude unknown
  return Scalar::RealValue(re);
}

// Exact q-th root of a non-negative rational, if it is one.
bool ExactRoot(const Rational& a, unsigned long q, Rational* out) {
  if (a.Sign() < 0) return false;
  if (a.Bits() > 1 << 20) return false;
  mpz_ptr num = mpq_numref(out->get());
  mpz_ptr den = mpq_denref(out->get());
  if (mpz_root(num, mpq_numref(a.get()), q) == 0) return false;
  if (mpz_root(den, mpq_denref(a.get()), q) == 0) return false;
  mpq_canonicalize(out->get());
  return true;
}

}  // namespace

namespace {

// An exponent p/q that Pow takes as a root and an integer power: |p| <= 2^20, 1 < q <= 32 (MPFR's
// q-th root at 256 bits costs about as much as its general power by q = 64).
bool SmallExponent(const Rational& e) {
  const mpz_srcptr num = mpq_numref(e.get());
  const mpz_srcptr den = mpq_denref(e.get());
  return mpz_cmp_ui(den, 1) > 0 && mpz_cmp_ui(den, 32) <= 0 && mpz_cmpabs_ui(num, 1u << 20) <= 0;
}

}  // namespace

absl::StatusOr<Scalar> Pow(const Scalar& a, const Scalar& b, ArithBudget* budget) {
  RETURN_IF_ERROR(Spend(budget, 1));
  using K = Scalar::Kind;
  if (a.kind() == K::kUndefined || b.kind() == K::kUndefined) return Scalar::Undefined();
  if (IsSpecial(b)) {
    if (!a.is_numeric()) return Scalar::Undefined();
    // x^(huge): |x| > 1 -> overflow (or inf), |x| < 1 -> underflow (unknown), 1 -> 1.
    if (a.is_rational() && mpq_cmp_ui(a.rational().get(), 1, 1) == 0) return Scalar::FromInt(1);
    if (b.sign() > 0 && a.IsReal() && RealSign(a) > 0 && AbsAtLeastOne(a)) {
      return b.kind() == K::kInfinity ? Scalar::Infinity(1) : Scalar::Overflow(1);
    }
    return Scalar::Undefined();
  }
  if (IsSpecial(a)) {
    if (b.is_rational() && b.rational().IsInteger() && b.rational().Sign() > 0) {
      const bool odd = mpz_odd_p(mpq_numref(b.rational().get()));
      const int sign = a.sign() == 0 ? 0 : (odd ? a.sign() : 1);
      return a.kind() == K::kInfinity ? Scalar::Infinity(sign) : Scalar::Overflow(sign);
    }
    if (b.is_rational() && b.rational().Sign() < 0 && a.kind() == K::kInfinity) {
      return Scalar::FromInt(0);
    }
    return Scalar::Undefined();
  }
  if (a.is_rational() && b.is_rational()) {
    const Rational& e = b.rational();
    if (e.IsInteger()) {
      if (mpz_fits_slong_p(mpq_numref(e.get()))) {
        return RationalPowInt(a.rational(), mpz_get_si(mpq_numref(e.get())), budget);
      }
    } else if (a.rational().Sign() >= 0 && mpz_fits_ulong_p(mpq_denref(e.get())) &&
               mpz_fits_slong_p(mpq_numref(e.get()))) {
      Rational root;
      if (ExactRoot(a.rational(), mpz_get_ui(mpq_denref(e.get())), &root)) {
        return RationalPowInt(root, mpz_get_si(mpq_numref(e.get())), budget);
      }
    }
  }
  RETURN_IF_ERROR(Spend(budget, 4));
  Real ar, ai, br, bi;
  a.ToComplex(&ar, &ai);
  b.ToComplex(&br, &bi);
  if (mpfr_zero_p(ar.get()) && mpfr_zero_p(ai.get())) {
    const int s = mpfr_sgn(br.get());
    if (s > 0) return Scalar::FromInt(0);
    if (s == 0 && mpfr_zero_p(bi.get())) return Scalar::FromInt(1);
    return Special(0);
  }
  if (mpfr_zero_p(ai.get()) && mpfr_zero_p(bi.get()) &&
      (mpfr_sgn(ar.get()) > 0 || mpfr_integer_p(br.get()))) {
    Real r;
    if (mpfr_sgn(ar.get()) > 0 && b.is_rational() && SmallExponent(b.rational())) {
      // x^(p/q) as (q-th root of x)^p: several times cheaper than MPFR's general power (a log
      // and an exp), and exact in the exponent, which the binary p/q is not; the two roundings
      // cost a few ulps at 256 bits, far inside the 2^-200 tolerance of real equality.
      const Rational& e = b.rational();
      mpfr_rootn_ui(r.get(), ar.get(), mpz_get_ui(mpq_denref(e.get())), MPFR_RNDN);
      mpfr_pow_si(r.get(), r.get(), mpz_get_si(mpq_numref(e.get())), MPFR_RNDN);
    } else {
      mpfr_pow(r.get(), ar.get(), br.get(), MPFR_RNDN);
    }
    if (mpfr_zero_p(r.get())) return Scalar::Undefined();  // underflow
    return Scalar::RealValue(r);
  }
  // Principal value exp(b log a).
  Real lr, li, tr, ti;
  if (!CLog(ar, ai, &lr, &li)) return Scalar::Undefined();
  CMul(br, bi, lr, li, &tr, &ti);
  return CExp(tr, ti);
}

absl::StatusOr<Scalar> Root(const Scalar& a, const Scalar& n, ArithBudget* budget) {
  if (a.IsReal() && n.is_rational() && n.rational().IsInteger() &&
      mpz_fits_slong_p(mpq_numref(n.rational().get()))) {
    const long k = mpz_get_si(mpq_numref(n.rational().get()));
    if (k >= 1 && k <= (1 << 20)) {
      const int sign = RealSign(a);
      if (a.is_rational()) {
        Rational abs_a;
        mpq_abs(abs_a.get(), a.rational().get());
        Rational root;
        if (ExactRoot(abs_a, static_cast<unsigned long>(k), &root) && (sign >= 0 || k % 2 == 1)) {
          if (sign < 0) mpq_neg(root.get(), root.get());
          return Scalar::FromRational(std::move(root));
        }
      }
      Real re, im;
      a.ToComplex(&re, &im);
      if (sign >= 0 || k % 2 == 1) {
        mpfr_rootn_ui(re.get(), re.get(), static_cast<unsigned long>(k), MPFR_RNDN);
        return Scalar::RealValue(re);
      }
      if (k == 2) {  // sqrt of a negative real: i·sqrt(|a|)
        mpfr_neg(re.get(), re.get(), MPFR_RNDN);
        mpfr_sqrt(im.get(), re.get(), MPFR_RNDN);
        mpfr_set_zero(re.get(), 1);
        return Scalar::ComplexValue(re, im);
      }
    }
  }
  ASSIGN_OR_RETURN(Scalar inv, Div(Scalar::FromInt(1), n, budget));
  return Pow(a, inv, budget);
}

namespace {

// exp(x) for an MPFR x, reporting overflow with sign +.
Scalar ExpOrOverflow(const Real& x) {
  Real r;
  mpfr_exp(r.get(), x.get(), MPFR_RNDN);
  return Scalar::RealValue(r);  // +inf -> Overflow(+1)
}

}  // namespace

absl::StatusOr<Scalar> Factorial(const Scalar& a, ArithBudget* budget) {
  RETURN_IF_ERROR(Spend(budget, 1));
  if (!a.IsReal()) return Scalar::Undefined();
  if (a.is_rational() && a.rational().IsInteger()) {
    if (a.rational().Sign() < 0) return Special(0);
    if (mpz_fits_ulong_p(mpq_numref(a.rational().get()))) {
      const unsigned long n = mpz_get_ui(mpq_numref(a.rational().get()));
      const double bits = n < 2 ? 1.0 : static_cast<double>(n) * std::log2(static_cast<double>(n));
      if (bits <= static_cast<double>(budget->max_integer_bits)) {
        RETURN_IF_ERROR(Spend(budget, 1 + static_cast<int64_t>(n / 16)));
        Rational r;
        mpz_fac_ui(mpq_numref(r.get()), n);
        return Scalar::FromRational(std::move(r));
      }
    }
  }
  RETURN_IF_ERROR(Spend(budget, 64));
  Real x, im;
  a.ToComplex(&x, &im);
  mpfr_add_ui(x.get(), x.get(), 1, MPFR_RNDN);
  if (mpfr_cmp_ui(x.get(), 1000) < 0) {
    Real r;
    mpfr_gamma(r.get(), x.get(), MPFR_RNDN);
    return Scalar::RealValue(r);
  }
  mpfr_lngamma(x.get(), x.get(), MPFR_RNDN);
  return ExpOrOverflow(x);
}

absl::StatusOr<Scalar> Binomial(const Scalar& n, const Scalar& k, ArithBudget* budget) {
  RETURN_IF_ERROR(Spend(budget, 1));
  if (!n.IsReal() || !k.IsReal()) return Scalar::Undefined();
  if (n.is_rational() && k.is_rational() && n.rational().IsInteger() &&
      k.rational().IsInteger()) {
    mpz_srcptr nz = mpq_numref(n.rational().get());
    mpz_srcptr kz = mpq_numref(k.rational().get());
    if (mpz_sgn(kz) < 0) return Scalar::FromInt(0);
    if (mpz_sgn(nz) >= 0 && mpz_cmp(kz, nz) > 0) return Scalar::FromInt(0);
    if (mpz_fits_ulong_p(kz) && mpz_sizeinbase(nz, 2) < 62) {
      unsigned long kk = mpz_get_ui(kz);
      if (mpz_sgn(nz) >= 0) kk = std::min(kk, mpz_get_ui(nz) - kk);
      const double bits =
          static_cast<double>(kk) * static_cast<double>(mpz_sizeinbase(nz, 2) + 1);
      if (bits <= static_cast<double>(budget->max_integer_bits)) {
        RETURN_IF_ERROR(Spend(budget, 1 + static_cast<int64_t>(kk / 16)));
        Rational r;
        mpz_bin_ui(mpq_numref(r.get()), nz, kk);
        return Scalar::FromRational(std::move(r));
      }
    }
    if (mpz_sgn(nz) < 0) return Scalar::Undefined();
  }
  RETURN_IF_ERROR(Spend(budget, 64));
  // exp(lgamma(n+1) - lgamma(k+1) - lgamma(n-k+1)) for n >= k >= 0.
  Real nr, kr, im, a, b, c;
  n.ToComplex(&nr, &im);
  k.ToComplex(&kr, &im);
  if (mpfr_sgn(nr.get()) < 0 || mpfr_sgn(kr.get()) < 0 || mpfr_cmp(kr.get(), nr.get()) > 0) {
    return Scalar::Undefined();
  }
  mpfr_add_ui(a.get(), nr.get(), 1, MPFR_RNDN);
  mpfr_lngamma(a.get(), a.get(), MPFR_RNDN);
  mpfr_add_ui(b.get(), kr.get(), 1, MPFR_RNDN);
  mpfr_lngamma(b.get(), b.get(), MPFR_RNDN);
  mpfr_sub(c.get(), nr.get(), kr.get(), MPFR_RNDN);
  mpfr_add_ui(c.get(), c.get(), 1, MPFR_RNDN);
  mpfr_lngamma(c.get(), c.get(), MPFR_RNDN);
  mpfr_sub(a.get(), a.get(), b.get(), MPFR_RNDN);
  mpfr_sub(a.get(), a.get(), c.get(), MPFR_RNDN);
  return ExpOrOverflow(a);
}

absl::StatusOr<Scalar> ApplyFunction(std::string_view name, const Scalar& a,
                                     ArithBudget* budget) {
  RETURN_IF_ERROR(Spend(budget, 4));
  using K = Scalar::Kind;
  if (name == "sqrt") return Root(a, Scalar::FromInt(2), budget);
  if (a.kind() == K::kInfinity) {
    if (name == "abs") return Scalar::Infinity(1);
    if (name == "exp" && a.sign() != 0) {
      return a.sign() > 0 ? a : Scalar::FromInt(0);
    }
    if (name == "ln" && a.sign() > 0) return a;
    return Scalar::Undefined();
  }
  if (a.kind() == K::kOverflow) {
    if (name == "abs") return Scalar::Overflow(1);
    if ((name == "floor" || name == "ceil")) return a;
    return Scalar::Undefined();
  }
  if (!a.is_numeric()) return Scalar::Undefined();
  if (a.is_rational()) {
    const Rational& q = a.rational();
    if (name == "abs") {
      Rational r;
      mpq_abs(r.get(), q.get());
      return Scalar::FromRational(std::move(r));
    }
    if (name == "floor" || name == "ceil") {
      Rational r;
      if (name == "floor") {
        mpz_fdiv_q(mpq_numref(r.get()), mpq_numref(q.get()), mpq_denref(q.get()));
      } else {
        mpz_cdiv_q(mpq_numref(r.get()), mpq_numref(q.get()), mpq_denref(q.get()));
      }
      return Scalar::FromRational(std::move(r));
    }
    // Exact values at 0 and 1.
    if (q.Sign() == 0 && (name == "sin" || name == "tan" || name == "asin" || name == "atan" ||
                          name == "sinh" || name == "tanh")) {
      return Scalar::FromInt(0);
    }
    if (q.Sign() == 0 && (name == "cos" || name == "exp" || name == "cosh" || name == "sec")) {
      return Scalar::FromInt(1);
    }
    if (name == "ln" && mpq_cmp_ui(q.get(), 1, 1) == 0) return Scalar::FromInt(0);
  }
  Real x, im, r;
  a.ToComplex(&x, &im);
  const bool real = mpfr_zero_p(im.get());
  if (name == "abs") {
    mpfr_hypot(r.get(), x.get(), im.get(), MPFR_RNDN);
    return Scalar::RealValue(r);
  }
  if (name == "exp") {
    if (real) return ExpOrOverflow(x);
    return CExp(x, im);
  }
  if (name == "ln") {
    Real lr, li;
    if (!CLog(x, im, &lr, &li)) return Scalar::Infinity(-1);
    return Scalar::ComplexValue(lr, li);
  }
  if (!real) return Scalar::Undefined();
  const mpfr_rnd_t rn = MPFR_RNDN;
  if (name == "floor" || name == "ceil") {
    if (name == "floor") {
      mpfr_floor(r.get(), x.get());
    } else {
      mpfr_ceil(r.get(), x.get());
    }
    if (mpfr_get_exp(r.get()) < 200) {
      Rational q;
      mpfr_get_z(mpq_numref(q.get()), r.get(), MPFR_RNDN);
      return Scalar::FromRational(std::move(q));
    }
    return Scalar::RealValue(r);
  }
  if (name == "sin" || name == "cos" || name == "tan" || name == "sec" || name == "csc" ||
      name == "cot") {
    RETURN_IF_ERROR(CheckPeriodicArgument(x, name));
  }
  if (name == "sin") {
    mpfr_sin(r.get(), x.get(), rn);
  } else if (name == "cos") {
    mpfr_cos(r.get(), x.get(), rn);
  } else if (name == "tan") {
    mpfr_tan(r.get(), x.get(), rn);
  } else if (name == "sec") {
    mpfr_sec(r.get(), x.get(), rn);
  } else if (name == "csc") {
    mpfr_csc(r.get(), x.get(), rn);
  } else if (name == "cot") {
    mpfr_cot(r.get(), x.get(), rn);
  } else if (name == "asin") {
    mpfr_asin(r.get(), x.get(), rn);
  } else if (name == "acos") {
    mpfr_acos(r.get(), x.get(), rn);
  } else if (name == "atan") {
    mpfr_atan(r.get(), x.get(), rn);
  } else if (name == "acot") {
    mpfr_ui_div(r.get(), 1, x.get(), rn);
    mpfr_atan(r.get(), r.get(), rn);
  } else if (name == "asec") {
    mpfr_ui_div(r.get(), 1, x.get(), rn);
    mpfr_acos(r.get(), r.get(), rn);
  } else if (name == "acsc") {
    mpfr_ui_div(r.get(), 1, x.get(), rn);
    mpfr_asin(r.get(), r.get(), rn);
  } else if (name == "sinh") {
    mpfr_sinh(r.get(), x.get(), rn);
  } else if (name == "cosh") {
    mpfr_cosh(r.get(), x.get(), rn);
  } else if (name == "tanh") {
    mpfr_tanh(r.get(), x.get(), rn);
  } else {
    return Scalar::Undefined();
  }
  return Scalar::RealValue(r);
}

// ---------------------------------------------------------------------------------------------
// Comparison

namespace {

// round(x * 10^p) half away from zero, into `out`. false when |x| is too large to round exactly.
bool RoundScaled(const Scalar& s, bool imag, int p, mpz_t out) {
  if (s.is_rational() && !imag) {
    mpz_t pow10, t;
    mpz_init(pow10);
    mpz_init(t);
    mpz_ui_pow_ui(pow10, 10, static_cast<unsigned long>(p));
    // |num| * 10^p * 2 + den, floor-divided by 2 den, with the sign restored.
    mpz_abs(t, mpq_numref(s.rational().get()));
    mpz_mul(t, t, pow10);
    mpz_mul_2exp(t, t, 1);
    mpz_add(t, t, mpq_denref(s.rational().get()));
    mpz_mul_2exp(pow10, mpq_denref(s.rational().get()), 1);
    mpz_fdiv_q(out, t, pow10);
    if (s.rational().Sign() < 0) mpz_neg(out, out);
    mpz_clear(pow10);
    mpz_clear(t);
    return true;
  }
  Real re, im;
  s.ToComplex(&re, &im);
  Real& x = imag ? im : re;
  if (!mpfr_zero_p(x.get()) && mpfr_get_exp(x.get()) > 4096) return false;
  Real scale;
  mpfr_set_ui(scale.get(), 10, MPFR_RNDN);
  mpfr_pow_ui(scale.get(), scale.get(), static_cast<unsigned long>(p), MPFR_RNDN);
  mpfr_mul(x.get(), x.get(), scale.get(), MPFR_RNDN);
  mpfr_round(x.get(), x.get());
  mpfr_get_z(out, x.get(), MPFR_RNDN);
  return true;
}

ScalarEq RoundedEqual(const Scalar& a, const Scalar& b, int precision) {
  const int p = std::clamp(precision, 0, 1000);
  for (int part = 0; part < 2; ++part) {
    mpz_t x, y;
    mpz_init(x);
    mpz_init(y);
    const bool ok = RoundScaled(a, part == 1, p, x) && RoundScaled(b, part == 1, p, y);
    const bool eq = ok && mpz_cmp(x, y) == 0;
    mpz_clear(x);
    mpz_clear(y);
    if (!ok) return CompareWithTolerance(a, b, std::pow(10.0, -p));
    if (!eq) return ScalarEq::kDifferent;
  }
  return ScalarEq::kEqual;
}

// |a-b| <= max(tol * max(|a|, |b|), floor).
bool Close(const Scalar& a, const Scalar& b, mpfr_srcptr tol, mpfr_srcptr floor) {
  Real ar, ai, br, bi, d, t, ma, mb;
  a.ToComplex(&ar, &ai);
  b.ToComplex(&br, &bi);
  mpfr_sub(d.get(), ar.get(), br.get(), MPFR_RNDN);
  mpfr_sub(t.get(), ai.get(), bi.get(), MPFR_RNDN);
  mpfr_hypot(d.get(), d.get(), t.get(), MPFR_RNDN);
  mpfr_hypot(ma.get(), ar.get(), ai.get(), MPFR_RNDN);
  mpfr_hypot(mb.get(), br.get(), bi.get(), MPFR_RNDN);
  mpfr_max(ma.get(), ma.get(), mb.get(), MPFR_RNDN);
  mpfr_mul(ma.get(), ma.get(), tol, MPFR_RNDN);
  mpfr_max(ma.get(), ma.get(), floor, MPFR_RNDN);
  return mpfr_lessequal_p(d.get(), ma.get()) != 0;
}

// Decisions that do not need the numeric values.
bool SpecialCase(const Scalar& a, const Scalar& b, ScalarEq* out) {
  using K = Scalar::Kind;
  if (a.kind() == K::kUndefined || b.kind() == K::kUndefined) {
    *out = ScalarEq::kUnknown;
    return true;
  }
  if (a.kind() == K::kInfinity && b.kind() == K::kInfinity && a.sign() == 0 && b.sign() == 0) {
    *out = ScalarEq::kUnknown;  // two complex infinities (x/0): nothing to compare
    return true;
  }
  if (a.kind() == K::kInfinity || b.kind() == K::kInfinity) {
    *out = (a.kind() == b.kind() && a.sign() == b.sign()) ? ScalarEq::kEqual
                                                          : ScalarEq::kDifferent;
    return true;
  }
  if (a.kind() == K::kOverflow || b.kind() == K::kOverflow) {
    if (a.kind() == b.kind() && a.sign() == b.sign()) {
      *out = ScalarEq::kUnknown;
    } else {
      *out = (a.kind() == b.kind() && (a.sign() == 0 || b.sign() == 0)) ? ScalarEq::kUnknown
                                                                        : ScalarEq::kDifferent;
    }
    return true;
  }
  return false;
}

}  // namespace

ScalarEq CompareScalars(const Scalar& a, const Scalar& b, int precision) {
  ScalarEq special;
  if (SpecialCase(a, b, &special)) return special;
  if (a.is_rational() && b.is_rational() && a.rational() == b.rational()) return ScalarEq::kEqual;
  if (a.inexact() || b.inexact()) return RoundedEqual(a, b, precision);
  if (a.is_rational() && b.is_rational()) return ScalarEq::kDifferent;
  Real tol, floor;
  mpfr_set_ui_2exp(tol.get(), 1, -200, MPFR_RNDN);
  mpfr_set_ui_2exp(floor.get(), 1, -220, MPFR_RNDN);  // cancellation residue of 256-bit sums
  return Close(a, b, tol.get(), floor.get()) ? ScalarEq::kEqual : ScalarEq::kDifferent;
}

void ReleaseThreadCaches() { mpfr_free_cache2(MPFR_FREE_LOCAL_CACHE); }

ScalarEq CompareWithTolerance(const Scalar& a, const Scalar& b, double rel_tol) {
  ScalarEq special;
  if (SpecialCase(a, b, &special)) return special;
  if (a.is_rational() && b.is_rational() && a.rational() == b.rational()) return ScalarEq::kEqual;
  Real tol, floor;
  mpfr_set_d(tol.get(), rel_tol, MPFR_RNDN);
  mpfr_set_d(floor.get(), rel_tol, MPFR_RNDN);  // absolute below magnitude 1
  return Close(a, b, tol.get(), floor.get()) ? ScalarEq::kEqual : ScalarEq::kDifferent;
}

}  // namespace rlvr::math
