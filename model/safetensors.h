// safetensors files: an 8-byte little-endian header length, a JSON header naming each tensor's
// dtype, shape and [begin, end) byte range, then the raw data. Sharded checkpoints add
// model.safetensors.index.json ("weight_map": tensor name -> shard file).
#ifndef RLVR_MODEL_SAFETENSORS_H_
#define RLVR_MODEL_SAFETENSORS_H_

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "model/tensor.h"

namespace rlvr::model {

// Reads every tensor of one file, widened to f32. INVALID_ARGUMENT (naming the file, tensor and
// value) on a truncated file, a header that is not JSON, an unknown dtype, a shape whose size
// disagrees with its byte range, overlapping or out-of-file ranges, and (as the reference
// implementation) byte ranges that leave gaps or trailing bytes. NOT_FOUND when `path` does not
// exist. The file is mapped, not copied.
absl::StatusOr<std::map<std::string, Tensor>> ReadSafetensors(const std::string& path);

// The same, for a whole file held in memory; `source` names it in error messages.
absl::StatusOr<std::map<std::string, Tensor>> ParseSafetensors(std::string_view bytes,
                                                               const std::string& source);

// Writes `tensors` to `path`, each stored as `dtype`.
absl::Status WriteSafetensors(const std::string& path, const std::map<std::string, Tensor>& tensors,
                              DType dtype);

// Reads a checkpoint directory: model.safetensors, or the shards listed by
// model.safetensors.index.json. NOT_FOUND when neither exists or a listed shard is missing
// (naming it); INVALID_ARGUMENT when the index and the shards disagree about a tensor, or the
// index names a file outside `dir`.
absl::StatusOr<std::map<std::string, Tensor>> ReadCheckpointTensors(const std::string& dir);

// Writes `tensors` into `dir` (created if missing) as `shards` files, 1 to the tensor count
// (1: model.safetensors; more: the index plus model-0000i-of-0000n.safetensors, Hugging Face's
// naming, tensors in name order split by bytes). Removes the other layout's model.safetensors or
// index so that ReadCheckpointTensors reads what was written.
absl::Status WriteCheckpointTensors(const std::string& dir,
                                    const std::map<std::string, Tensor>& tensors, DType dtype,
                                    int shards);

}  // namespace rlvr::model

#endif  // RLVR_MODEL_SAFETENSORS_H_
