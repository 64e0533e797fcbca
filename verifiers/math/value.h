// Exact and numeric scalar values: exact rationals on GMP integers of any size, and complex numbers
// of 256-bit MPFR reals for everything algebraic or transcendental. Arithmetic stays exact while the
// operands are rational and the result fits the integer-size budget, then falls back to MPFR; a
// result too large even for MPFR's exponent range becomes kOverflow with its sign, so that it can
// still be told apart from any finite value by magnitude.
//
// Thread-safety: values are plain objects (no shared state). Every MPFR variable gets its precision
// explicitly; nothing reads or writes MPFR's global default precision.
#ifndef RLVR_VERIFIERS_MATH_VALUE_H_
#define RLVR_VERIFIERS_MATH_VALUE_H_

#include <gmp.h>
#include <mpfr.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace rlvr::math {

// Working precision of numeric evaluation, in bits.
inline constexpr mpfr_prec_t kPrecBits = 256;

// RAII owner of an mpq_t (always canonical).
class Rational {
 public:
  // Zero, with nothing allocated until the value is written.
  Rational() noexcept {}  // NOLINT(modernize-use-equals-default): q_ stays uninitialised
  explicit Rational(int64_t v);
  Rational(const Rational& o) {
    if (o.live_) {
      mpq_init(q_);
      mpq_set(q_, o.q_);
      live_ = true;
    }
  }
  Rational& operator=(const Rational& o) {
    if (this != &o) mpq_set(get(), o.get());
    return *this;
  }
  // A move takes the limbs, with no allocation; the moved-from value is 0 again.
  Rational(Rational&& o) noexcept {
    if (o.live_) {
      q_[0] = o.q_[0];
      live_ = true;
      o.live_ = false;
    }
  }
  Rational& operator=(Rational&& o) noexcept {
    if (this == &o) return *this;
    if (!o.live_) {
      if (live_) mpq_set_ui(q_, 0, 1);
      return *this;
    }
    if (live_) {
      mpq_swap(q_, o.q_);
    } else {
      q_[0] = o.q_[0];
      live_ = true;
      o.live_ = false;
    }
    return *this;
  }
  ~Rational() {
    if (live_) mpq_clear(q_);
  }

  // Parses "123", "-1.25", "1.5e-3", "0.(3)" (repeating part in parentheses).
  static absl::StatusOr<Rational> FromDecimal(std::string_view text, int64_t max_bits);

  // For writing: allocates a zero first if nothing is held.
  mpq_ptr get() {
    if (!live_) {
      mpq_init(q_);
      live_ = true;
    }
    return q_;
  }
  // For reading: an unallocated value reads as a shared constant zero (no write, so const
  // values stay safe to read from many threads).
  mpq_srcptr get() const { return live_ ? q_ : Zero(); }
  int Sign() const { return mpq_sgn(get()); }
  bool IsInteger() const { return mpz_cmp_ui(mpq_denref(get()), 1) == 0; }
  // Bits of numerator plus denominator.
  int64_t Bits() const;
  bool operator==(const Rational& o) const { return mpq_equal(get(), o.get()) != 0; }
  std::string ToString() const;

 private:
  static mpq_srcptr Zero();

  mpq_t q_;            // initialised only while live_
  bool live_ = false;  // whether q_ holds an mpq_init'ed value
};

// RAII owner of an mpfr_t at kPrecBits.
class Real {
 public:
  Real() { mpfr_init2(x_, kPrecBits); mpfr_set_zero(x_, 1); }
  Real(const Real& o) {
    mpfr_init2(x_, kPrecBits);
    mpfr_set(x_, o.x_, MPFR_RNDN);
  }
  Real& operator=(const Real& o) {
    if (this != &o) mpfr_set(x_, o.x_, MPFR_RNDN);
    return *this;
  }
  ~Real() { mpfr_clear(x_); }
  mpfr_ptr get() { return x_; }
  mpfr_srcptr get() const { return x_; }

 private:
  mpfr_t x_;
};

// A scalar value. kRational is exact; kReal / kComplex are MPFR numbers; kInfinity is ±∞ (sign 0:
// complex infinity, "zoo"); kOverflow is a finite value beyond MPFR's exponent range with known
// sign; kUndefined is anything else (0/0, log of 0, an unknown function).
class Scalar {
 public:
  enum class Kind : uint8_t { kRational, kReal, kComplex, kInfinity, kOverflow, kUndefined };

  Scalar() = default;
  static Scalar FromRational(Rational q);
  static Scalar FromInt(int64_t v) { return FromRational(Rational(v)); }
  static Scalar RealValue(const Real& re);
  static Scalar ComplexValue(const Real& re, const Real& im);
  static Scalar Infinity(int sign);
  static Scalar Overflow(int sign);
  static Scalar Undefined() { Scalar s; s.kind_ = Kind::kUndefined; return s; }
  static Scalar Pi();
  static Scalar E();
  static Scalar I();

  Kind kind() const { return kind_; }
  bool is_rational() const { return kind_ == Kind::kRational; }
  bool is_numeric() const { return kind_ <= Kind::kComplex; }
  const Rational& rational() const { return q_; }
  int sign() const { return sign_; }
  // Whether this value was computed from a decimal literal (1.5, 2e3): compared by rounding.
  bool inexact() const { return inexact_; }
  void set_inexact(bool v) { inexact_ = v; }

  // Real and imaginary parts as MPFR (any numeric kind).
  void ToComplex(Real* re, Real* im) const;
  bool IsReal() const { return kind_ == Kind::kRational || kind_ == Kind::kReal; }
  std::string ToString() const;

 private:
  Kind kind_ = Kind::kRational;
  int sign_ = 0;
  bool inexact_ = false;
  Rational q_;
  std::shared_ptr<const Real> re_, im_;  // kReal: re_; kComplex: re_, im_
};

// Limits applied by the arithmetic: integers beyond `max_integer_bits` switch to MPFR; `steps`
// counts work and is decremented; an operation on an exhausted counter returns RESOURCE_EXHAUSTED.
struct ArithBudget {
  int64_t max_integer_bits;
  int64_t steps_left;
};

absl::StatusOr<Scalar> Add(const Scalar& a, const Scalar& b, ArithBudget* budget);
absl::StatusOr<Scalar> Sub(const Scalar& a, const Scalar& b, ArithBudget* budget);
absl::StatusOr<Scalar> Mul(const Scalar& a, const Scalar& b, ArithBudget* budget);
absl::StatusOr<Scalar> Div(const Scalar& a, const Scalar& b, ArithBudget* budget);
absl::StatusOr<Scalar> Neg(const Scalar& a);
absl::StatusOr<Scalar> Pow(const Scalar& a, const Scalar& b, ArithBudget* budget);
// The real n-th root for odd n of a negative real; the principal root otherwise.
absl::StatusOr<Scalar> Root(const Scalar& a, const Scalar& n, ArithBudget* budget);
absl::StatusOr<Scalar> Factorial(const Scalar& a, ArithBudget* budget);
absl::StatusOr<Scalar> Binomial(const Scalar& n, const Scalar& k, ArithBudget* budget);
// Named one-argument functions: sqrt, abs, floor, ceil, exp, ln, sin, cos, tan, sec, csc, cot,
// asin, acos, atan, asec, acsc, acot, sinh, cosh, tanh. kUndefined for an unknown name.
absl::StatusOr<Scalar> ApplyFunction(std::string_view name, const Scalar& a, ArithBudget* budget);

// How two evaluated scalars compare.
enum class ScalarEq { kEqual, kDifferent, kUnknown };

// Equality of two values. Rationals compare exactly. When either side is inexact (came from a
// decimal literal), both are rounded to `precision` decimal places (half away from zero) and
// compared. Otherwise MPFR values compare with a relative tolerance of 2^-200 (absolute 2^-220
// near 0, the residue of cancellation at 256 bits).
// Overflowed values differ from every finite value; two overflows of the same sign are kUnknown.
ScalarEq CompareScalars(const Scalar& a, const Scalar& b, int precision);

// Frees this thread's MPFR caches (constants, the mpz pool). MPFR keeps them per thread; call it
// before a thread that compared answers exits, or they leak (a few hundred bytes per thread).
void ReleaseThreadCaches();

// Equality within a relative tolerance `rel_tol` (absolute below 1): for random-point evaluation.
ScalarEq CompareWithTolerance(const Scalar& a, const Scalar& b, double rel_tol);

}  // namespace rlvr::math

#endif  // RLVR_VERIFIERS_MATH_VALUE_H_
