#pragma once
// Launchers of the fused cross-entropy kernels (cross_entropy.cu). Plain types only: nvcc
// includes this. The math is kernel::CrossEntropy's in core/kernel_types.h.
#include <cstdint>

#include <cuda_runtime_api.h>

#include "kernels/cuda/launch.h"

namespace ember::cuda {

struct CrossEntropyShape {
  int64_t n = 0;  // rows
  int64_t c = 0;  // classes
  double label_smoothing = 0.0;
  int64_t ignore_index = -100;
};

// x: contiguous [n, c] of `dtype` (f32/f64/f16/bf16, cudaErrorNotSupported otherwise);
// target: contiguous i64 [n]; loss: [n] of `dtype`; lse: [n] of double for f64, float for
// the others.
cudaError_t launch_cross_entropy_forward(DType dtype, const void* x, const int64_t* target, void* loss, void* lse,
                                         CrossEntropyShape s, cudaStream_t stream);

// gl: [n] of `dtype`; gx: contiguous [n, c] of `dtype`; lse as the forward wrote it.
cudaError_t launch_cross_entropy_backward(DType dtype, const void* x, const int64_t* target, const void* lse,
                                          const void* gl, void* gx, CrossEntropyShape s, cudaStream_t stream);

}  // namespace ember::cuda
