// Host tensors and the on-disk element types of safetensors files.
#ifndef RLVR_MODEL_TENSOR_H_
#define RLVR_MODEL_TENSOR_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace rlvr::model {

enum class DType { kF32, kF16, kBF16 };

// "F32", "F16", "BF16" (safetensors spelling); the wire also accepts "f32", "f16", "bf16".
absl::StatusOr<DType> ParseDType(std::string_view name);
std::string_view DTypeName(DType dtype);  // safetensors spelling
size_t DTypeSize(DType dtype);

float HalfToFloat(uint16_t h);
uint16_t FloatToHalf(float f);  // round to nearest even
float BFloat16ToFloat(uint16_t b);
uint16_t FloatToBFloat16(float f);  // round to nearest even

// A dense row-major float tensor. Weights of every dtype are widened to f32 on load.
struct Tensor {
  std::vector<int64_t> shape;
  std::vector<float> data;

  int64_t numel() const;
  // "[4096, 1024]"
  std::string ShapeString() const;
};

// Converts `bytes` (little-endian elements of `dtype`) to f32 into `out` (resized).
// INVALID_ARGUMENT when the byte count is not a multiple of the element size.
absl::Status DecodeElements(DType dtype, std::string_view bytes, std::vector<float>* out);
// The inverse: f32 values to `dtype` little-endian bytes.
std::string EncodeElements(DType dtype, const std::vector<float>& values);

}  // namespace rlvr::model

#endif  // RLVR_MODEL_TENSOR_H_
