#include "model/tensor.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace rlvr::model {
namespace {

uint32_t Bits(float f) { return std::bit_cast<uint32_t>(f); }
float FromBits(uint32_t b) { return std::bit_cast<float>(b); }

// The value of a half by its definition, computed independently of HalfToFloat.
double HalfValue(uint16_t h) {
  const int sign = (h & 0x8000) ? -1 : 1;
  const int exponent = (h >> 10) & 0x1f;
  const int mantissa = h & 0x3ff;
  if (exponent == 0x1f) return mantissa == 0 ? sign * INFINITY : NAN;
  if (exponent == 0) return sign * std::ldexp(mantissa, -24);
  return sign * std::ldexp(1024 + mantissa, exponent - 25);
}

TEST(DTypeTest, ParsesBothSpellings) {
  EXPECT_EQ(*ParseDType("F32"), DType::kF32);
  EXPECT_EQ(*ParseDType("f16"), DType::kF16);
  EXPECT_EQ(*ParseDType("BF16"), DType::kBF16);
  EXPECT_EQ(*ParseDType("bf16"), DType::kBF16);
  absl::StatusOr<DType> bad = ParseDType("I8");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("\"I8\""), absl::string_view::npos) << bad.status();
  EXPECT_FALSE(ParseDType("").ok());
  EXPECT_FALSE(ParseDType("Bf16").ok());
  for (DType d : {DType::kF32, DType::kF16, DType::kBF16}) EXPECT_EQ(*ParseDType(DTypeName(d)), d);
  EXPECT_EQ(DTypeSize(DType::kF32), 4u);
  EXPECT_EQ(DTypeSize(DType::kF16), 2u);
  EXPECT_EQ(DTypeSize(DType::kBF16), 2u);
}

TEST(HalfTest, KnownValues) {
  EXPECT_EQ(FloatToHalf(1.0f), 0x3c00);
  EXPECT_EQ(FloatToHalf(-2.0f), 0xc000);
  EXPECT_EQ(FloatToHalf(65504.0f), 0x7bff);
  EXPECT_EQ(FloatToHalf(0.1f), 0x2e66);
  EXPECT_EQ(FloatToHalf(std::ldexp(1.0f, -24)), 0x0001);
  EXPECT_EQ(FloatToHalf(std::ldexp(1.0f, -14)), 0x0400);
  EXPECT_EQ(FloatToHalf(INFINITY), 0x7c00);
  EXPECT_EQ(FloatToHalf(-INFINITY), 0xfc00);
  EXPECT_EQ(FloatToHalf(-0.0f), 0x8000);
  EXPECT_EQ(FloatToHalf(1e10f), 0x7c00);
  EXPECT_EQ(FloatToHalf(1e-10f), 0x0000);
  EXPECT_EQ(FloatToHalf(-1e-10f), 0x8000);
  EXPECT_EQ(FloatToHalf(65519.996f), 0x7bff);  // just below the halfway point to 65536
  EXPECT_EQ(FloatToHalf(65520.0f), 0x7c00);    // the halfway point: ties to even = infinity
  EXPECT_EQ(FloatToHalf(std::ldexp(1.0f, -25)), 0x0000);  // halfway to 2^-24: even = 0
  EXPECT_EQ(FloatToHalf(std::nextafter(std::ldexp(1.0f, -25), 1.0f)), 0x0001);
  EXPECT_EQ(FloatToHalf(std::ldexp(3.0f, -25)), 0x0002);  // 1.5 * 2^-24: ties to even = 2
  EXPECT_EQ(HalfToFloat(0x3555), 0.333251953125f);
  EXPECT_TRUE(std::isnan(HalfToFloat(0x7e00)));
  EXPECT_TRUE(std::isnan(HalfToFloat(0xfc01)));
}

TEST(HalfTest, EveryHalfDecodesToItsValueAndRoundTrips) {
  for (uint32_t h = 0; h <= 0xffff; ++h) {
    const float f = HalfToFloat(static_cast<uint16_t>(h));
    const double want = HalfValue(static_cast<uint16_t>(h));
    if (std::isnan(want)) {
      ASSERT_TRUE(std::isnan(f)) << std::hex << h;
      ASSERT_EQ(std::signbit(f), (h & 0x8000) != 0) << std::hex << h;
      const uint16_t back = FloatToHalf(f);
      ASSERT_EQ(back & 0x7c00, 0x7c00) << std::hex << h;
      ASSERT_NE(back & 0x3ff, 0) << std::hex << h;  // still a NaN
      ASSERT_EQ(back & 0x8000, h & 0x8000) << std::hex << h;
      if (h & 0x200) {
        ASSERT_EQ(back, h) << std::hex << h;  // quiet NaNs keep their payload
      }
      continue;
    }
    ASSERT_EQ(static_cast<double>(f), want) << std::hex << h;
    ASSERT_EQ(std::signbit(f), (h & 0x8000) != 0) << std::hex << h;
    ASSERT_EQ(FloatToHalf(f), h) << std::hex << h;
  }
}

TEST(HalfTest, MidpointsRoundToEven) {
  // Between every two adjacent finite halves of one sign; a midpoint needs 12 significant bits,
  // so it is exact in f32.
  for (uint32_t h = 0; h < 0x7bff; ++h) {
    for (uint32_t sign : {0u, 0x8000u}) {
      const uint16_t lo = static_cast<uint16_t>(h | sign),
                     hi = static_cast<uint16_t>((h + 1) | sign);
      const float mid = static_cast<float>((HalfValue(lo) + HalfValue(hi)) / 2);
      const uint16_t even = (h & 1) ? hi : lo;
      ASSERT_EQ(FloatToHalf(mid), even) << std::hex << lo;
      const float toward_hi = std::nextafter(mid, sign ? -INFINITY : INFINITY);
      const float toward_lo = std::nextafter(mid, 0.0f);
      ASSERT_EQ(FloatToHalf(toward_hi), hi) << std::hex << lo;
      ASSERT_EQ(FloatToHalf(toward_lo), lo) << std::hex << lo;
    }
  }
}

TEST(HalfTest, RandomFloatsRoundToTheNearestHalf) {
  // Oracle: the nearest of all finite halves by search, ties to the even bit pattern.
  std::vector<std::pair<double, uint16_t>> halves;
  for (uint32_t h = 0; h <= 0x7bff; ++h) halves.push_back({HalfValue(static_cast<uint16_t>(h)), h});
  std::mt19937_64 rng(7);
  for (int i = 0; i < 300000; ++i) {
    // Exponents spread over the whole half range and a little beyond.
    const float f = FromBits(static_cast<uint32_t>(rng()) % 0x47900000u);
    const double v = f;
    auto it = std::lower_bound(halves.begin(), halves.end(), std::make_pair(v, uint16_t{0}));
    uint16_t want;
    if (it == halves.end()) {
      want = v >= 65520.0 ? 0x7c00 : 0x7bff;
    } else if (it->first == v || it == halves.begin()) {
      want = it->second;
    } else {
      const auto below = it - 1;
      const double d_lo = v - below->first, d_hi = it->first - v;
      if (d_lo < d_hi) {
        want = below->second;
      } else if (d_hi < d_lo) {
        want = it->second;
      } else {
        want = (below->second & 1) ? it->second : below->second;
      }
    }
    ASSERT_EQ(FloatToHalf(f), want) << f;
    ASSERT_EQ(FloatToHalf(-f), want | 0x8000) << f;
  }
}

#if defined(__GNUC__) && !defined(__clang__) && defined(__FLT16_MAX__)
TEST(HalfTest, AgreesWithCompilerFloat16) {
  std::mt19937 rng(11);
  for (int i = 0; i < 1000000; ++i) {
    const float f = FromBits(static_cast<uint32_t>(rng()));
    if (std::isnan(f)) continue;
    const _Float16 h = static_cast<_Float16>(f);
    ASSERT_EQ(FloatToHalf(f), std::bit_cast<uint16_t>(h)) << f;
  }
}
#endif

TEST(BFloat16Test, KnownValues) {
  EXPECT_EQ(FloatToBFloat16(1.0f), 0x3f80);
  EXPECT_EQ(FloatToBFloat16(-2.0f), 0xc000);
  EXPECT_EQ(FloatToBFloat16(INFINITY), 0x7f80);
  EXPECT_EQ(FloatToBFloat16(-0.0f), 0x8000);
  EXPECT_EQ(FloatToBFloat16(std::numeric_limits<float>::max()),
            0x7f80);  // rounds up past the largest
  EXPECT_EQ(FloatToBFloat16(std::numeric_limits<float>::denorm_min()), 0x0000);
  EXPECT_EQ(FloatToBFloat16(FromBits(0x00018000)), 0x0002);  // subnormal tie, odd -> even
  EXPECT_EQ(FloatToBFloat16(FromBits(0x3f808000)), 0x3f80);  // tie, even stays
  EXPECT_EQ(FloatToBFloat16(FromBits(0x3f818000)), 0x3f82);  // tie, odd rounds up
  EXPECT_EQ(FloatToBFloat16(FromBits(0x3f808001)), 0x3f81);
  EXPECT_TRUE(
      std::isnan(BFloat16ToFloat(FloatToBFloat16(FromBits(0x7f800001)))));  // signalling NaN
  EXPECT_TRUE(std::isnan(BFloat16ToFloat(FloatToBFloat16(FromBits(0xff800001)))));
  EXPECT_TRUE(std::isnan(BFloat16ToFloat(FloatToBFloat16(NAN))));
}

TEST(BFloat16Test, EveryBFloat16RoundTrips) {
  for (uint32_t b = 0; b <= 0xffff; ++b) {
    const float f = BFloat16ToFloat(static_cast<uint16_t>(b));
    ASSERT_EQ(Bits(f), b << 16);
    if (std::isnan(f)) {
      const uint16_t back = FloatToBFloat16(f);
      ASSERT_TRUE(std::isnan(BFloat16ToFloat(back))) << std::hex << b;
      ASSERT_EQ(back & 0x8000, b & 0x8000) << std::hex << b;
      if (b & 0x40) {
        ASSERT_EQ(back, b) << std::hex << b;
      }
      continue;
    }
    ASSERT_EQ(FloatToBFloat16(f), b) << std::hex << b;
  }
}

TEST(BFloat16Test, MidpointsRoundToEven) {
  for (uint32_t b = 0; b < 0x7f80; ++b) {
    for (uint32_t sign : {0u, 0x8000u}) {
      const uint32_t lo = b | sign, hi = (b + 1) | sign;
      const uint32_t mid = (lo << 16) | 0x8000;  // exactly halfway, also across binades
      ASSERT_EQ(FloatToBFloat16(FromBits(mid)), (b & 1) ? hi : lo) << std::hex << lo;
      ASSERT_EQ(FloatToBFloat16(FromBits(mid + 1)), hi) << std::hex << lo;
      ASSERT_EQ(FloatToBFloat16(FromBits(mid - 1)), lo) << std::hex << lo;
    }
  }
}

TEST(TensorTest, NumelAndShapeString) {
  Tensor t;
  t.shape = {4096, 1024};
  EXPECT_EQ(t.numel(), 4096 * 1024);
  EXPECT_EQ(t.ShapeString(), "[4096, 1024]");
  t.shape = {};
  EXPECT_EQ(t.numel(), 1);  // a scalar
  EXPECT_EQ(t.ShapeString(), "[]");
  t.shape = {3, 0};
  EXPECT_EQ(t.numel(), 0);
}

TEST(ElementsTest, EncodeDecodeEveryDType) {
  const std::vector<float> values = {0.0f,   -0.0f, 1.0f,     -1.5f,    0.1f,
                                     3.0e4f, 1e-6f, INFINITY, -INFINITY};
  for (DType d : {DType::kF32, DType::kF16, DType::kBF16}) {
    const std::string bytes = EncodeElements(d, values);
    ASSERT_EQ(bytes.size(), values.size() * DTypeSize(d));
    std::vector<float> back;
    ASSERT_TRUE(DecodeElements(d, bytes, &back).ok());
    ASSERT_EQ(back.size(), values.size());
    for (size_t i = 0; i < values.size(); ++i) {
      float want = values[i];
      if (d == DType::kF16) want = HalfToFloat(FloatToHalf(values[i]));
      if (d == DType::kBF16) want = BFloat16ToFloat(FloatToBFloat16(values[i]));
      EXPECT_EQ(Bits(back[i]), Bits(want)) << DTypeName(d) << " " << i;
    }
  }
  // Little-endian layout.
  EXPECT_EQ(EncodeElements(DType::kF16, {1.0f}), std::string("\x00\x3c", 2));
  EXPECT_EQ(EncodeElements(DType::kBF16, {1.0f}), std::string("\x80\x3f", 2));
  EXPECT_EQ(EncodeElements(DType::kF32, {1.0f}), std::string("\x00\x00\x80\x3f", 4));
}

TEST(ElementsTest, DecodeRejectsPartialElements) {
  std::vector<float> out;
  absl::Status s = DecodeElements(DType::kF32, std::string(7, '\0'), &out);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("7 bytes"), absl::string_view::npos) << s;
  EXPECT_EQ(DecodeElements(DType::kBF16, std::string(3, '\0'), &out).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(DecodeElements(DType::kF16, "", &out).ok());
  EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace rlvr::model
