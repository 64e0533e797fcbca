// PagedBackend: the Backend interface (sampler/backend.h) over a Device. It owns one device
// allocation per weight version (WeightLayout), the KV cache (paged_kv.h layout), and scratch
// that grows to the largest batch seen; Forward flattens the chunks (BatchPlan), uploads the
// metadata in one copy and runs forward.h's recipe.
//
// Thread-safety: Forward and CopyPage from one thread at a time (the engine's scheduler); Load may
// run on another thread beside them. A CopyPage that fails (a page outside the cache, a device
// error) is reported by the next Forward, as the interface gives CopyPage no status.
#ifndef RLVR_SAMPLER_CUDA_PAGED_BACKEND_H_
#define RLVR_SAMPLER_CUDA_PAGED_BACKEND_H_

#include <memory>

#include "sampler/backend.h"
#include "sampler/cuda/device.h"

namespace rlvr::sampler::cuda {

// The backend's name() is the device's.
std::unique_ptr<Backend> NewPagedBackend(std::shared_ptr<Device> device);

}  // namespace rlvr::sampler::cuda

#endif  // RLVR_SAMPLER_CUDA_PAGED_BACKEND_H_
