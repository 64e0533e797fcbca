// The CUDA Device: kernels.h launchers and cuBLAS sgemm (fp32, no TF32) on one non-blocking stream
// of one GPU. NewCudaBackend (sampler/backend.h) is PagedBackend over it.
#ifndef RLVR_SAMPLER_CUDA_CUDA_DEVICE_H_
#define RLVR_SAMPLER_CUDA_CUDA_DEVICE_H_

#include <memory>

#include "absl/status/statusor.h"
#include "sampler/cuda/device.h"

namespace rlvr::sampler::cuda {

// UNAVAILABLE when no CUDA device is visible (with cudaGetDeviceCount's reason) or the kernels were
// not built for the device's architecture; INVALID_ARGUMENT for an index outside the visible ones.
absl::StatusOr<std::unique_ptr<Device>> NewCudaDevice(int device);

}  // namespace rlvr::sampler::cuda

#endif  // RLVR_SAMPLER_CUDA_CUDA_DEVICE_H_
