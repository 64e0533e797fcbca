#include "verifiers/math/value.h"

#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "verifiers/math/evaluator.h"
#include "verifiers/math/parser.h"

namespace rlvr::math {
namespace {

ArithBudget Budget(int64_t bits = 1 << 16) { return ArithBudget{bits, 1'000'000}; }

Scalar Q(int64_t num, int64_t den = 1) {
  Rational q;
  mpq_set_si(q.get(), static_cast<long>(num), static_cast<unsigned long>(den));
  mpq_canonicalize(q.get());
  return Scalar::FromRational(std::move(q));
}

Scalar Dec(const char* text) {
  Scalar s = Scalar::FromRational(*Rational::FromDecimal(text, 1 << 16));
  s.set_inexact(true);
  return s;
}

// Evaluates a whole answer string (through the parser).
Scalar Eval(const std::string& text, int64_t bits = 1 << 16) {
  WorkBudget wb;
  wb.max_integer_bits = bits;
  Tree tree;
  absl::Status st = ParseMath(text, wb, &tree);
  EXPECT_TRUE(st.ok()) << text << ": " << st;
  if (!st.ok()) return Scalar::Undefined();
  EvalEnv env;
  env.max_integer_bits = bits;
  ArithBudget b = Budget(bits);
  absl::StatusOr<Scalar> s = Evaluate(tree, tree.root(), env, &b);
  EXPECT_TRUE(s.ok()) << text << ": " << s.status();
  return s.ok() ? *s : Scalar::Undefined();
}

// A move takes the limbs without allocating; the moved-from value must still behave as a value
// (it reads as 0, and can be assigned, moved into and destroyed), which ASan checks in CI.
TEST(RationalTest, MovedFromValuesStayUsable) {
  Rational big;
  ASSERT_EQ(mpq_set_str(big.get(), "123456789012345678901234567890/7", 10), 0);
  Rational taken(std::move(big));
  EXPECT_EQ(taken.ToString(), "123456789012345678901234567890/7");
  EXPECT_EQ(big.Sign(), 0);  // NOLINT(bugprone-use-after-move): the contract under test
  EXPECT_TRUE(big.IsInteger());
  EXPECT_EQ(big.ToString(), "0");
  Rational again(std::move(taken));
  Rational from_empty(std::move(taken));  // moving an empty value gives 0
  EXPECT_EQ(from_empty.ToString(), "0");
  taken = Rational(5);  // move-assigning into an empty value
  EXPECT_EQ(taken.ToString(), "5");
  Rational copy_target(std::move(again));
  again = copy_target;  // copy-assigning into an empty value
  EXPECT_EQ(again.ToString(), "123456789012345678901234567890/7");
  Rational swapped(9);
  swapped = std::move(again);  // both live: the values trade places
  EXPECT_EQ(swapped.ToString(), "123456789012345678901234567890/7");
  Rational empty_source(std::move(copy_target));
  Rational live(3);
  live = std::move(copy_target);  // an empty source makes the target 0
  EXPECT_EQ(live.ToString(), "0");
  EXPECT_EQ(copy_target.ToString(), "0");
  // A default value is 0 with nothing allocated; reading it (also from a const reference) and
  // copying it keep it so; writing allocates.
  const Rational zero;
  EXPECT_EQ(zero.Sign(), 0);
  EXPECT_TRUE(zero.IsInteger());
  EXPECT_EQ(zero, Rational(0));
  Rational copied(zero);
  EXPECT_EQ(copied.ToString(), "0");
  mpq_set_si(copied.get(), -7, 2);
  EXPECT_EQ(copied.ToString(), "-7/2");
  EXPECT_EQ(zero.ToString(), "0");
  Rational assigned;
  assigned = zero;
  EXPECT_EQ(assigned.ToString(), "0");
  assigned = copied;
  EXPECT_EQ(assigned.ToString(), "-7/2");
  std::vector<Rational> many;
  for (int k = 0; k < 100; ++k) many.emplace_back(k);  // reallocations move every element
  EXPECT_EQ(many[99].ToString(), "99");
  EXPECT_EQ(many[0].ToString(), "0");
}

TEST(RationalTest, FromDecimal) {
  struct {
    const char* text;
    const char* want;
  } cases[] = {
      {"123", "123"},       {"-1.25", "-5/4"},      {"1.5e-3", "3/2000"}, {"2E3", "2000"},
      {"0.(3)", "1/3"},     {"0.1(6)", "1/6"},      {"1.(9)", "2"},       {"000", "0"},
      {".5", "1/2"},        {"0.(142857)", "1/7"},  {"12.50", "25/2"},
  };
  for (const auto& c : cases) {
    absl::StatusOr<Rational> r = Rational::FromDecimal(c.text, 1 << 16);
    ASSERT_TRUE(r.ok()) << c.text << ": " << r.status();
    EXPECT_EQ(r->ToString(), c.want) << c.text;
  }
}

TEST(RationalTest, FromDecimalErrors) {
  absl::StatusOr<Rational> r = Rational::FromDecimal("1.2.3", 1 << 16);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("1.2.3"), std::string::npos);
  r = Rational::FromDecimal("1e100000", 1 << 16);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(r.status().message().find("1e100000"), std::string::npos);
  // An exponent of any length is still a number, only too big to hold exactly.
  for (const char* text : {"7e777777777777777777777774", "-77777777E777777777777774", "1e-99999999999"}) {
    r = Rational::FromDecimal(text, 1 << 16);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted) << text << r.status();
  }
}

TEST(ScalarTest, ExactArithmeticOnBigIntegers) {
  ArithBudget b = Budget();
  // 2^64 + 1 != 2^64, exactly.
  Scalar two64 = *Pow(Q(2), Q(64), &b);
  ASSERT_TRUE(two64.is_rational());
  EXPECT_EQ(two64.ToString(), "18446744073709551616");
  Scalar plus1 = *Add(two64, Q(1), &b);
  EXPECT_EQ(CompareScalars(two64, plus1, 6), ScalarEq::kDifferent);
  EXPECT_EQ(CompareScalars(*Sub(plus1, Q(1), &b), two64, 6), ScalarEq::kEqual);
  // 1/2004! vs 1/2006!: both exact and different.
  Scalar f2004 = *Factorial(Q(2004), &b), f2006 = *Factorial(Q(2006), &b);
  ASSERT_TRUE(f2004.is_rational() && f2006.is_rational());
  EXPECT_EQ(CompareScalars(*Div(Q(1), f2004, &b), *Div(Q(1), f2006, &b), 6),
            ScalarEq::kDifferent);
  EXPECT_EQ(CompareScalars(*Div(f2006, f2004, &b), Q(2006 * 2005), 6), ScalarEq::kEqual);
}

TEST(ScalarTest, PowerAndRoots) {
  ArithBudget b = Budget();
  EXPECT_EQ(Pow(Q(2), Q(-2), &b)->ToString(), "1/4");
  EXPECT_EQ(Pow(Q(8), Q(2, 3), &b)->ToString(), "4");
  EXPECT_EQ(Pow(Q(4, 9), Q(1, 2), &b)->ToString(), "2/3");
  EXPECT_EQ(Pow(Q(0), Q(0), &b)->ToString(), "1");
  EXPECT_EQ(Pow(Q(0), Q(-1), &b)->kind(), Scalar::Kind::kInfinity);
  EXPECT_EQ(Root(Q(-27), Q(3), &b)->ToString(), "-3");
  EXPECT_EQ(Root(Q(16), Q(4), &b)->ToString(), "2");
  Scalar s2 = *Root(Q(2), Q(2), &b);
  EXPECT_EQ(s2.kind(), Scalar::Kind::kReal);
  EXPECT_EQ(CompareScalars(*Mul(s2, s2, &b), Q(2), 6), ScalarEq::kEqual);
  Scalar i2 = *Root(Q(-4), Q(2), &b);
  EXPECT_EQ(i2.kind(), Scalar::Kind::kComplex);
  EXPECT_EQ(CompareScalars(*Mul(i2, i2, &b), Q(-4), 6), ScalarEq::kEqual);
}

// A real base to a small rational power p/q is taken as (q-th root)^p; it must agree with MPFR's
// general power (the path for q > 32) to far better than the 2^-200 of real equality.
TEST(ScalarTest, RationalPowersOfRealsMatchTheGeneralPower) {
  ArithBudget b = Budget();
  Real x;
  mpfr_set_d(x.get(), 1.37, MPFR_RNDN);
  const Scalar base = Scalar::RealValue(x);
  for (const auto& [p, q] : std::vector<std::pair<int64_t, int64_t>>{
           {2, 3}, {-3, 2}, {7, 32}, {1 << 20, 3}, {-(1 << 20), 31}, {5, 12}, {7, 1024}}) {
    const Scalar got = *Pow(base, Q(p, q), &b);
    ASSERT_EQ(got.kind(), Scalar::Kind::kReal) << p << "/" << q;
    Real e, want;
    mpfr_set_si(e.get(), static_cast<long>(p), MPFR_RNDN);
    mpfr_div_si(e.get(), e.get(), static_cast<long>(q), MPFR_RNDN);
    mpfr_pow(want.get(), x.get(), e.get(), MPFR_RNDN);
    EXPECT_EQ(CompareScalars(got, Scalar::RealValue(want), 6), ScalarEq::kEqual) << p << "/" << q;
  }
  // (1.37^(1/3))^3 is 1.37; 1.37^(2/3) is not 1.37^(3/2).
  EXPECT_EQ(CompareScalars(*Pow(*Pow(base, Q(1, 3), &b), Q(3), &b), base, 6), ScalarEq::kEqual);
  EXPECT_EQ(CompareScalars(*Pow(base, Q(2, 3), &b), *Pow(base, Q(3, 2), &b), 6),
            ScalarEq::kDifferent);
  // q past 32 takes MPFR's power: still the same value as the root of the root.
  EXPECT_EQ(
      CompareScalars(*Pow(base, Q(1, 64), &b), *Pow(*Pow(base, Q(1, 2), &b), Q(1, 32), &b), 6),
      ScalarEq::kEqual);
}

TEST(ScalarTest, IntegerBitsCapFallsBackToMpfr) {
  ArithBudget b = Budget(/*bits=*/128);
  Scalar big = *Pow(Q(3), Q(200), &b);  // ~317 bits > 128
  EXPECT_EQ(big.kind(), Scalar::Kind::kReal);
  Scalar small = *Pow(Q(3), Q(50), &b);
  EXPECT_TRUE(small.is_rational());
}

TEST(ScalarTest, OverflowIsDecidedByMagnitude) {
  ArithBudget b = Budget();
  Scalar huge = *Pow(Q(10), *Pow(Q(10), Q(10), &b), &b);
  EXPECT_EQ(huge.kind(), Scalar::Kind::kOverflow);
  EXPECT_EQ(huge.sign(), 1);
  EXPECT_EQ(CompareScalars(huge, Q(5), 6), ScalarEq::kDifferent);
  EXPECT_EQ(CompareScalars(huge, huge, 6), ScalarEq::kUnknown);
  EXPECT_EQ(CompareScalars(huge, *Neg(huge), 6), ScalarEq::kDifferent);
  Scalar shifted = *Div(*Sub(huge, Q(5), &b), Q(16), &b);
  EXPECT_EQ(shifted.kind(), Scalar::Kind::kOverflow);
  EXPECT_EQ(Sub(huge, huge, &b)->kind(), Scalar::Kind::kUndefined);
}

TEST(ScalarTest, FactorialAndBinomial) {
  ArithBudget b = Budget();
  EXPECT_EQ(Factorial(Q(10), &b)->ToString(), "3628800");
  EXPECT_EQ(Factorial(Q(-1), &b)->kind(), Scalar::Kind::kInfinity);
  Scalar million = *Factorial(Q(1000000), &b);  // beyond the bit cap: MPFR via lgamma
  EXPECT_EQ(million.kind(), Scalar::Kind::kReal);
  EXPECT_EQ(Binomial(Q(5), Q(2), &b)->ToString(), "10");
  EXPECT_EQ(Binomial(Q(5), Q(7), &b)->ToString(), "0");
  EXPECT_EQ(Binomial(Q(-3), Q(2), &b)->ToString(), "6");
  EXPECT_EQ(Binomial(Q(1000000), Q(500000), &b)->kind(), Scalar::Kind::kReal);
  ArithBudget tiny{1 << 16, 10};
  absl::StatusOr<Scalar> r = Factorial(Q(100000), &tiny);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted);
}

TEST(ScalarTest, PeriodicFunctionsOfHugeArgumentsAreRefusedQuickly) {
  ArithBudget b = Budget();
  // 2^1023 still reduces (MPFR needs ~1300 bits of pi); 2^1025 and beyond are refused.
  Scalar two1023 = *Pow(Q(2), Q(1023), &b);
  Scalar two1025 = *Pow(Q(2), Q(1025), &b);
  absl::StatusOr<Scalar> edge = ApplyFunction("sin", two1023, &b);
  ASSERT_TRUE(edge.ok()) << edge.status();
  for (const char* f : {"sin", "cos", "tan", "sec", "csc", "cot"}) {
    absl::StatusOr<Scalar> r = ApplyFunction(f, two1025, &b);
    ASSERT_FALSE(r.ok()) << f;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted) << f << r.status();
    EXPECT_NE(r.status().message().find(std::string(f) + " of a number near 2^1026"),
              std::string::npos) << r.status();
  }
  // exp(i*y) and a complex power reduce their imaginary part the same way.
  Scalar huge_imag = *Mul(two1025, Scalar::I(), &b);
  absl::StatusOr<Scalar> r = ApplyFunction("exp", huge_imag, &b);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted) << r.status();
  // sec(11111111!): the fuzzer's input that used to take minutes.
  Scalar big = *Factorial(Q(11111111), &b);
  r = ApplyFunction("sec", big, &b);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted) << r.status();
}

TEST(ScalarTest, Functions) {
  ArithBudget b = Budget();
  EXPECT_EQ(ApplyFunction("sin", Q(0), &b)->ToString(), "0");
  EXPECT_EQ(ApplyFunction("floor", Q(-7, 2), &b)->ToString(), "-4");
  EXPECT_EQ(ApplyFunction("ceil", Q(-7, 2), &b)->ToString(), "-3");
  EXPECT_EQ(ApplyFunction("abs", Q(-7, 2), &b)->ToString(), "7/2");
  EXPECT_EQ(ApplyFunction("nosuch", Q(1), &b)->kind(), Scalar::Kind::kUndefined);
  EXPECT_EQ(ApplyFunction("asin", Q(2), &b)->kind(), Scalar::Kind::kUndefined);
  Scalar pi = Scalar::Pi();
  EXPECT_EQ(CompareScalars(*ApplyFunction("cos", pi, &b), Q(-1), 6), ScalarEq::kEqual);
  EXPECT_EQ(CompareScalars(*ApplyFunction("sin", pi, &b), Q(0), 6), ScalarEq::kEqual);
  EXPECT_EQ(CompareScalars(*ApplyFunction("ln", Scalar::E(), &b), Q(1), 6), ScalarEq::kEqual);
}

TEST(ScalarTest, DivisionByZero) {
  ArithBudget b = Budget();
  EXPECT_EQ(Div(Q(1), Q(0), &b)->kind(), Scalar::Kind::kInfinity);
  EXPECT_EQ(Div(Q(0), Q(0), &b)->kind(), Scalar::Kind::kUndefined);
  // Two x/0 values are not "equal".
  EXPECT_EQ(CompareScalars(*Div(Q(12), Q(0), &b), *Div(Q(1), Q(0), &b), 6), ScalarEq::kUnknown);
}

TEST(CompareScalarsTest, RoundingRule) {
  // A decimal against an exact value: both rounded to `precision` places.
  EXPECT_EQ(CompareScalars(Q(1, 12), Dec("0.0833333333333333"), 6), ScalarEq::kEqual);
  EXPECT_EQ(CompareScalars(Q(1, 3), Dec("0.33"), 6), ScalarEq::kDifferent);
  EXPECT_EQ(CompareScalars(Q(1, 3), Dec("0.33"), 2), ScalarEq::kEqual);
  EXPECT_EQ(CompareScalars(Q(2, 3), Dec("0.666667"), 6), ScalarEq::kEqual);
  EXPECT_EQ(CompareScalars(Q(2, 3), Dec("0.666666"), 6), ScalarEq::kDifferent);
  EXPECT_EQ(CompareScalars(Q(-1, 3), Dec("-0.333333"), 6), ScalarEq::kEqual);
  EXPECT_EQ(CompareScalars(Q(-1, 3), Dec("0.333333"), 6), ScalarEq::kDifferent);
  // Half away from zero: 0.0000005 rounds to 0.000001.
  EXPECT_EQ(CompareScalars(Dec("0.0000005"), Dec("0.000001"), 6), ScalarEq::kEqual);
  ArithBudget b = Budget();
  Scalar sqrt17 = *Root(Q(17), Q(2), &b);
  EXPECT_EQ(CompareScalars(sqrt17, Dec("4.123105625617661"), 6), ScalarEq::kEqual);
  EXPECT_EQ(CompareScalars(sqrt17, Dec("4.1231"), 6), ScalarEq::kDifferent);
  // Exact values never use the rounding rule.
  EXPECT_EQ(CompareScalars(Q(1000001, 1000000), Q(1), 6), ScalarEq::kDifferent);
}

TEST(CompareScalarsTest, TightToleranceForExactExpressions) {
  ArithBudget b = Budget();
  Scalar s2 = *Root(Q(2), Q(2), &b);
  Scalar s3 = *Root(Q(3), Q(2), &b);
  // 2^1000 + sqrt(2) vs 2^1000 + sqrt(3): differ far below 1e-6 relative, still different.
  Scalar big = *Pow(Q(2), Q(100), &b);
  EXPECT_EQ(CompareScalars(*Add(big, s2, &b), *Add(big, s3, &b), 6), ScalarEq::kDifferent);
  EXPECT_EQ(CompareWithTolerance(*Add(big, s2, &b), *Add(big, s3, &b), 1e-6), ScalarEq::kEqual);
}

TEST(EvaluatorTest, Expressions) {
  struct {
    const char* text;
    const char* want;
  } cases[] = {
      {"1+2*3", "7"},        {"(1+2)*3", "9"},          {"2^3^2", "512"},
      {"-2^2", "-4"},        {"\\frac{1}{2}+\\frac{1}{3}", "5/6"}, {"10/4", "5/2"},
      {"3!", "6"},           {"\\binom{6}{3}", "20"},   {"|{-5}|", "5"},
      {"2\\frac{1}{4}", "9/4"}, {"0.\\overline{6}", "2/3"}, {"12:4", "3"},
      {"\\sqrt{49}", "7"},   {"\\sqrt[3]{27}", "3"},    {"\\log_2 1024", "10"},
      {"\\lfloor \\frac{7}{2} \\rfloor", "3"},          {"\\max(3, 7, 5)", "7"},
      {"\\gcd(12, 18)", "6"}, {"204_5", "54"},           {"5\\%", "1/20"},
  };
  for (const auto& c : cases) {
    Scalar s = Eval(c.text);
    EXPECT_EQ(s.ToString(), c.want) << c.text;
  }
}

TEST(EvaluatorTest, UnknownFunctionAndVariablesAreUndefined) {
  EXPECT_EQ(Eval("f(2)").kind(), Scalar::Kind::kUndefined);
  EXPECT_EQ(Eval("x+1").kind(), Scalar::Kind::kUndefined);
}

TEST(EvaluatorTest, VariablesFromEnvironment) {
  WorkBudget wb;
  Tree tree;
  ASSERT_TRUE(ParseMath("x^2 + 2x + 1", wb, &tree).ok());
  EvalEnv env;
  env.vars.emplace_back("x", Q(3));
  ArithBudget b = Budget();
  absl::StatusOr<Scalar> s = Evaluate(tree, tree.root(), env, &b);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->ToString(), "16");
}

TEST(EvaluatorTest, StepBudget) {
  WorkBudget wb;
  Tree tree;
  std::string sum = "1";
  for (int k = 0; k < 200; ++k) sum += "+1";
  ASSERT_TRUE(ParseMath(sum, wb, &tree).ok());
  EvalEnv env;
  ArithBudget b{1 << 16, 50};
  absl::StatusOr<Scalar> s = Evaluate(tree, tree.root(), env, &b);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kResourceExhausted);
}

TEST(MpfrTest, ThreadLocalStateAndPerVariablePrecision) {
  // Exponent range and flags are per-thread in a TLS build; we never rely on the global default
  // precision (every Real is initialised with kPrecBits).
  EXPECT_TRUE(mpfr_buildopt_tls_p()) << "MPFR built without thread-local state";
  Real r;
  EXPECT_EQ(mpfr_get_prec(r.get()), kPrecBits);
  std::vector<std::thread> threads;
  std::vector<std::string> out(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      mpfr_set_default_prec(32 + t);  // must not affect our values
      ArithBudget b = Budget();
      out[t] = Root(Q(2), Q(2), &b)->ToString();
      ReleaseThreadCaches();
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 1; t < 4; ++t) EXPECT_EQ(out[t], out[0]);
}

}  // namespace
}  // namespace rlvr::math
