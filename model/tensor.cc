// Element types and their conversions. The f16 and bf16 conversions work on the bit patterns so
// that rounding (to nearest, ties to even), signed zeros, subnormals, infinities and NaNs are exact
// on every host; tensor_test.cc checks all 65536 patterns of each.
#include "model/tensor.h"

#include <bit>
#include <cmath>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace rlvr::model {

static_assert(std::endian::native == std::endian::little,
              "safetensors data is little-endian; a big-endian host needs byte swaps here");

absl::StatusOr<DType> ParseDType(std::string_view name) {
  if (name == "F32" || name == "f32") return DType::kF32;
  if (name == "F16" || name == "f16") return DType::kF16;
  if (name == "BF16" || name == "bf16") return DType::kBF16;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown dtype \"", std::string(name), "\"; expected F32, F16 or BF16"));
}

std::string_view DTypeName(DType dtype) {
  switch (dtype) {
    case DType::kF32:
      return "F32";
    case DType::kF16:
      return "F16";
    case DType::kBF16:
      return "BF16";
  }
  return "?";
}

size_t DTypeSize(DType dtype) { return dtype == DType::kF32 ? 4 : 2; }

float HalfToFloat(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  const uint32_t exponent = (h >> 10) & 0x1f;
  const uint32_t mantissa = h & 0x3ff;
  if (exponent == 0) {
    // Zero or subnormal: mantissa * 2^-24, exact in f32.
    const float magnitude = std::ldexp(static_cast<float>(mantissa), -24);
    return std::bit_cast<float>(std::bit_cast<uint32_t>(magnitude) | sign);
  }
  if (exponent == 0x1f) {
    // Infinity, or NaN with its payload kept in the top mantissa bits.
    return std::bit_cast<float>(sign | 0x7f800000u | (mantissa << 13));
  }
  return std::bit_cast<float>(sign | ((exponent + (127 - 15)) << 23) | (mantissa << 13));
}

uint16_t FloatToHalf(float f) {
  const uint32_t bits = std::bit_cast<uint32_t>(f);
  const uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000);
  const uint32_t abs = bits & 0x7fffffffu;
  if (abs > 0x7f800000u) {
    // NaN: keep the top payload bits and force the quiet bit so the result stays a NaN.
    return sign | 0x7e00 | static_cast<uint16_t>((abs >> 13) & 0x3ff);
  }
  // 65520 = 0x477ff000 is halfway between the largest half (65504, odd mantissa) and 2^16:
  // ties go to even, which is infinity.
  if (abs >= 0x477ff000u) return sign | 0x7c00;
  if (abs >= 0x38800000u) {
    // Normal half (>= 2^-14): rebias the exponent, drop 13 mantissa bits, round to nearest even.
    // A carry out of the mantissa correctly bumps the exponent.
    uint32_t h = (abs - ((127u - 15u) << 23)) >> 13;
    const uint32_t rest = abs & 0x1fff;
    if (rest > 0x1000 || (rest == 0x1000 && (h & 1))) ++h;
    return sign | static_cast<uint16_t>(h);
  }
  // Subnormal half: the value in units of 2^-24. At or below 2^-25 (halfway to the smallest
  // subnormal, even side) it rounds to zero.
  if (abs <= 0x33000000u) return sign;
  const uint32_t biased_exponent = abs >> 23;  // 102..112 here
  const uint32_t mantissa = (abs & 0x7fffff) | 0x800000;
  const uint32_t shift = 126 - biased_exponent;  // 14..24
  uint32_t h = mantissa >> shift;
  const uint32_t rest = mantissa & ((1u << shift) - 1);
  const uint32_t half = 1u << (shift - 1);
  if (rest > half || (rest == half && (h & 1))) ++h;  // may carry into the smallest normal: right
  return sign | static_cast<uint16_t>(h);
}

float BFloat16ToFloat(uint16_t b) { return std::bit_cast<float>(static_cast<uint32_t>(b) << 16); }

uint16_t FloatToBFloat16(float f) {
  const uint32_t bits = std::bit_cast<uint32_t>(f);
  if ((bits & 0x7fffffffu) > 0x7f800000u) {
    return static_cast<uint16_t>((bits >> 16) | 0x40);  // NaN stays NaN (quiet)
  }
  // Round to nearest even; overflow past the largest bf16 carries into infinity as it should.
  const uint32_t rounding = 0x7fffu + ((bits >> 16) & 1);
  return static_cast<uint16_t>((bits + rounding) >> 16);
}

int64_t Tensor::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string Tensor::ShapeString() const {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) s += ", ";
    s += std::to_string(shape[i]);
  }
  s += "]";
  return s;
}

absl::Status DecodeElements(DType dtype, std::string_view bytes, std::vector<float>* out) {
  const size_t size = DTypeSize(dtype);
  if (bytes.size() % size != 0) {
    return absl::InvalidArgumentError(absl::StrCat(bytes.size(), " bytes is not a whole number of ",
                                                   std::string(DTypeName(dtype)), " elements (",
                                                   size, " bytes each)"));
  }
  const size_t n = bytes.size() / size;
  out->resize(n);
  float* dst = out->data();
  const char* src = bytes.data();
  switch (dtype) {
    case DType::kF32:
      if (n > 0) std::memcpy(dst, src, n * 4);
      break;
    case DType::kF16:
      for (size_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, src + 2 * i, 2);
        dst[i] = HalfToFloat(h);
      }
      break;
    case DType::kBF16:
      for (size_t i = 0; i < n; ++i) {
        uint16_t b;
        std::memcpy(&b, src + 2 * i, 2);
        dst[i] = BFloat16ToFloat(b);
      }
      break;
  }
  return absl::OkStatus();
}

std::string EncodeElements(DType dtype, const std::vector<float>& values) {
  std::string bytes(values.size() * DTypeSize(dtype), '\0');
  char* dst = bytes.data();
  switch (dtype) {
    case DType::kF32:
      if (!values.empty()) std::memcpy(dst, values.data(), values.size() * 4);
      break;
    case DType::kF16:
      for (size_t i = 0; i < values.size(); ++i) {
        const uint16_t h = FloatToHalf(values[i]);
        std::memcpy(dst + 2 * i, &h, 2);
      }
      break;
    case DType::kBF16:
      for (size_t i = 0; i < values.size(); ++i) {
        const uint16_t b = FloatToBFloat16(values[i]);
        std::memcpy(dst + 2 * i, &b, 2);
      }
      break;
  }
  return bytes;
}

}  // namespace rlvr::model
