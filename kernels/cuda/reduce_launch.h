#pragma once
// Launchers of the reduction kernels (reduce.cu). Plain types only: nvcc includes this.
#include <cstdint>

#include <cuda_runtime_api.h>

#include "kernels/common/reduce_plan.h"
#include "kernels/cuda/launch.h"

namespace ember::cuda {

// Bytes of scratch per partial result when a launch has splits > 1: the workspace holds
// splits * plan.n_out of them.
inline constexpr int64_t kReducePartialBytes = 16;

// kind: sum, amax, amin, max_dim or min_dim (the last two with indices).
// x: plan's input (dtype any numeric, not bool); values: out's data in x's dtype;
// indices: i64 with values' layout (max_dim/min_dim only, else null); workspace: device
// memory of splits * n_out * kReducePartialBytes bytes when launch.splits > 1.
// Returns cudaErrorNotSupported for a dtype the kernels do not handle (bool) and
// cudaErrorInvalidValue for a missing indices or workspace pointer.
cudaError_t launch_reduce(OpId kind, DType dtype, const kernels::ReducePlan& plan,
                          const kernels::ReduceLaunch& launch, const void* x, void* values, int64_t* indices,
                          void* workspace, cudaStream_t stream);

}  // namespace ember::cuda
