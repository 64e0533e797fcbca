// NewCudaBackend where rlvr is built without CUDA (no nvcc, or RLVR_WITH_CUDA=OFF).
#include "sampler/backend.h"

namespace rlvr::sampler {

absl::StatusOr<std::unique_ptr<Backend>> NewCudaBackend(int device) {
  (void)device;
  return absl::UnavailableError("rlvr was built without CUDA (no nvcc, or RLVR_WITH_CUDA=OFF)");
}

}  // namespace rlvr::sampler
