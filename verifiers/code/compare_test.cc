#include "verifiers/code/compare.h"

#include <cmath>

#include "gtest/gtest.h"

namespace rlvr::code {
namespace {

TEST(CompareTest, TokensIgnoreWhitespace) {
  CompareOptions o;
  EXPECT_TRUE(CompareOutput("1 2\n3\n", "1  2 3", o).equal);
  CompareResult r = CompareOutput("1 2 3", "1 2 4", o);
  EXPECT_FALSE(r.equal);
  EXPECT_EQ(r.detail, "token 3: expected \"3\", got \"4\"");
  EXPECT_FALSE(CompareOutput("1 2", "1 2 3", o).equal);
  EXPECT_FALSE(CompareOutput("YES", "yes", o).equal);
}

TEST(CompareTest, Modes) {
  CompareOptions ci;
  ci.mode = CompareMode::kCaseInsensitive;
  EXPECT_TRUE(CompareOutput("YES\n", "yes", ci).equal);
  CompareOptions exact;
  exact.mode = CompareMode::kExact;
  EXPECT_FALSE(CompareOutput("a\n", "a", exact).equal);
  EXPECT_TRUE(CompareOutput("a\n", "a\n", exact).equal);
  CompareOptions lines;
  lines.mode = CompareMode::kLines;
  EXPECT_TRUE(CompareOutput("a b\nc\n", "a b  \nc\n\n", lines).equal);
  EXPECT_FALSE(CompareOutput("a b\nc\n", "a  b\nc\n", lines).equal);
  EXPECT_TRUE(ParseCompareMode("bogus").status().message().find("bogus") != std::string::npos);
}

TEST(CompareTest, FloatTolerance) {
  CompareOptions o;
  o.float_tolerance = 1e-6;
  EXPECT_TRUE(CompareOutput("0.3333333", "0.33333331", o).equal);
  EXPECT_FALSE(CompareOutput("0.3333", "0.3343", o).equal);
  EXPECT_TRUE(CompareOutput("1000000000", "1000000000.5", o).equal);  // relative
  o.float_mode = FloatMode::kAbs;
  EXPECT_FALSE(CompareOutput("1000000000", "1000000000.5", o).equal);
  EXPECT_TRUE(CompareOutput("nan", "nan", o).equal);  // equal as tokens
  EXPECT_FALSE(NumbersClose(std::nan(""), std::nan(""), 1, FloatMode::kAbs));
  CompareOptions none;
  EXPECT_FALSE(CompareOutput("0.5", "0.50", none).equal);
}

TEST(CompareTest, Values) {
  CompareOptions o;
  using nlohmann::json;
  EXPECT_TRUE(CompareValues(json::parse("[1, 2.0, \"a\", {\"k\": null}]"),
                            json::parse("[1.0, 2, \"a\", {\"k\": null}]"), o).equal);
  EXPECT_FALSE(CompareValues(json::parse("true"), json::parse("1"), o).equal);
  EXPECT_FALSE(CompareValues(json::parse("[1,2]"), json::parse("[2,1]"), o).equal);
  EXPECT_FALSE(CompareValues(json::parse("{\"a\":1}"), json::parse("{\"a\":1,\"b\":2}"), o).equal);
  EXPECT_FALSE(CompareValues(json::parse("0.1"), json::parse("0.1000001"), o).equal);
  o.float_tolerance = 1e-3;
  EXPECT_TRUE(CompareValues(json::parse("0.1"), json::parse("0.1000001"), o).equal);
  EXPECT_TRUE(CompareValues(json::parse("18446744073709551615"), json::parse("18446744073709551615"), o).equal);
  EXPECT_FALSE(CompareValues(json::parse("-1"), json::parse("18446744073709551615"), o).equal);
}

}  // namespace
}  // namespace rlvr::code
