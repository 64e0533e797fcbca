#include "sampler/sampling.h"

#include <cmath>
#include <limits>
#include <map>
#include <vector>

#include "gtest/gtest.h"

namespace rlvr::sampler {
namespace {

SamplingOptions Opts(float temperature) {
  SamplingOptions o;
  o.temperature = temperature;
  return o;
}

double LogSoftmax(const std::vector<float>& l, size_t i) {
  double mx = *std::max_element(l.begin(), l.end()), s = 0;
  for (float v : l) s += std::exp(v - mx);
  return l[i] - mx - std::log(s);
}

TEST(SamplingTest, GreedyTakesTheArgmaxLowestIdOnTies) {
  Rng rng(1);
  std::vector<float> l = {0.5f, 2.0f, 2.0f, -1.0f};
  TokenChoice c = SampleToken(l.data(), 4, Opts(0), rng);
  EXPECT_EQ(c.token, 1);
  EXPECT_NEAR(c.logprob, LogSoftmax(l, 1), 1e-6);
  EXPECT_EQ(c.sampling_logprob, 0.0f);
}

TEST(SamplingTest, SameSeedSameTokensDifferentSeedDiffers) {
  std::vector<float> l(50);
  for (size_t i = 0; i < l.size(); ++i) l[i] = std::sin(static_cast<float>(i));
  auto draw = [&](uint64_t seed) {
    Rng rng(seed);
    std::vector<int32_t> out;
    for (int i = 0; i < 40; ++i) out.push_back(SampleToken(l.data(), 50, Opts(1), rng).token);
    return out;
  };
  EXPECT_EQ(draw(7), draw(7));
  EXPECT_NE(draw(7), draw(8));
}

TEST(SamplingTest, FrequenciesFollowTheTemperedSoftmax) {
  std::vector<float> l = {1.0f, 0.0f, -1.0f, 0.5f};
  for (float t : {1.0f, 0.5f, 2.0f}) {
    Rng rng(42);
    std::vector<int> count(4);
    const int n = 40000;
    for (int i = 0; i < n; ++i) ++count[SampleToken(l.data(), 4, Opts(t), rng).token];
    double z = 0;
    for (float v : l) z += std::exp(v / t);
    for (int i = 0; i < 4; ++i) {
      const double p = std::exp(l[i] / t) / z;
      const double sd = std::sqrt(p * (1 - p) / n);
      EXPECT_NEAR(count[i] / static_cast<double>(n), p, 5 * sd) << "t=" << t << " token " << i;
    }
  }
}

TEST(SamplingTest, LogprobsNamePolicyAndSamplingLaw) {
  std::vector<float> l = {2.0f, 1.0f, 0.0f, -3.0f};
  SamplingOptions o = Opts(0.7f);
  o.top_k = 2;
  Rng rng(3);
  for (int i = 0; i < 50; ++i) {
    TokenChoice c = SampleToken(l.data(), 4, o, rng);
    ASSERT_LT(c.token, 2);  // top-k 2 keeps tokens 0 and 1
    EXPECT_NEAR(c.logprob, LogSoftmax(l, static_cast<size_t>(c.token)), 1e-5);
    const double w0 = std::exp(2.0 / 0.7), w1 = std::exp(1.0 / 0.7);
    const double q = (c.token == 0 ? w0 : w1) / (w0 + w1);
    EXPECT_NEAR(c.sampling_logprob, std::log(q), 1e-5);
  }
  EXPECT_TRUE(SamplingDiffersFromPolicy(o));
  EXPECT_FALSE(SamplingDiffersFromPolicy(Opts(1)));
}

TEST(SamplingTest, TopPAndMinPTruncate) {
  // Probabilities ~ 0.64, 0.24, 0.09, 0.03 at temperature 1.
  std::vector<float> l = {3.0f, 2.0f, 1.0f, 0.0f};
  SamplingOptions p = Opts(1);
  p.top_p = 0.8f;  // keeps the first two (0.64 < 0.8 <= 0.88)
  SamplingOptions m = Opts(1);
  m.min_p = 0.2f;  // keeps p >= 0.2 * 0.64: the first two
  for (const SamplingOptions& o : {p, m}) {
    Rng rng(5);
    std::map<int32_t, int> seen;
    for (int i = 0; i < 2000; ++i) ++seen[SampleToken(l.data(), 4, o, rng).token];
    EXPECT_EQ(seen.size(), 2u);
    EXPECT_TRUE(seen.count(0) && seen.count(1));
  }
  SamplingOptions k1 = Opts(1.5f);
  k1.top_k = 1;
  Rng rng(9);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(SampleToken(l.data(), 4, k1, rng).token, 0);
}

TEST(SamplingTest, NonFiniteLogitsNeverWin) {
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  std::vector<float> l = {nan, -inf, 0.0f, inf};
  Rng rng(1);
  for (float t : {0.0f, 1.0f}) EXPECT_EQ(SampleToken(l.data(), 4, Opts(t), rng).token, 2);
  std::vector<float> none = {nan, -inf};
  TokenChoice c = SampleToken(none.data(), 2, Opts(1), rng);
  EXPECT_EQ(c.token, 0);
  EXPECT_TRUE(std::isinf(c.logprob));
}

TEST(SamplingTest, ValidationNamesFieldAndValue) {
  struct Case {
    SamplingOptions o;
    const char* needle;
  };
  std::vector<Case> cases;
  SamplingOptions o;
  o.temperature = -1;
  cases.push_back({o, "temperature is -1"});
  o = {};
  o.temperature = std::numeric_limits<float>::quiet_NaN();
  cases.push_back({o, "temperature is nan"});
  o = {};
  o.top_p = 0;
  cases.push_back({o, "top_p is 0"});
  o = {};
  o.top_p = 1.5f;
  cases.push_back({o, "top_p is 1.5"});
  o = {};
  o.top_k = -2;
  cases.push_back({o, "top_k is -2"});
  o = {};
  o.min_p = 1;
  cases.push_back({o, "min_p is 1"});
  o = {};
  o.stop = {""};
  cases.push_back({o, "stop[0] is 0 bytes"});
  o = {};
  o.stop.assign(17, "x");
  cases.push_back({o, "stop has 17"});
  for (const Case& c : cases) {
    absl::Status s = ValidateSamplingOptions(c.o);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.needle;
    EXPECT_NE(s.message().find(c.needle), absl::string_view::npos) << s << " / " << c.needle;
  }
  EXPECT_TRUE(ValidateSamplingOptions(SamplingOptions{}).ok());
}

}  // namespace
}  // namespace rlvr::sampler
