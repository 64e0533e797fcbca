// The host Device: host memory and the CPU references of the kernels (kernels_reference.h).
// Slow and straightforward; it lets the paged backend run, and be tested, without a GPU.
#ifndef RLVR_SAMPLER_CUDA_HOST_DEVICE_H_
#define RLVR_SAMPLER_CUDA_HOST_DEVICE_H_

#include <memory>

#include "sampler/cuda/device.h"

namespace rlvr::sampler::cuda {

std::unique_ptr<Device> NewHostDevice();

}  // namespace rlvr::sampler::cuda

#endif  // RLVR_SAMPLER_CUDA_HOST_DEVICE_H_
