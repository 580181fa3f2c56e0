#pragma once
// Launchers of the softmax kernels (softmax.cu). Plain types only: nvcc includes this.
#include <cstdint>

#include <cuda_runtime_api.h>

#include "kernels/cuda/launch.h"

namespace ember::cuda {

// A contiguous tensor seen as [outer, d, inner], softmax taken along d.
struct SoftmaxShape {
  int64_t outer = 1;
  int64_t d = 1;
  int64_t inner = 1;
};

// y = softmax(x) or log_softmax(x); x and y contiguous, dtype f32/f64/f16/bf16
// (cudaErrorNotSupported otherwise).
cudaError_t launch_softmax(bool log, DType dtype, const void* x, void* y, SoftmaxShape s, cudaStream_t stream);

// From the forward output y and its gradient gy (contiguous):
// softmax gx = y * (gy - sum(gy * y)); log_softmax gx = gy - exp(y) * sum(gy).
cudaError_t launch_softmax_backward(bool log, DType dtype, const void* y, const void* gy, void* gx, SoftmaxShape s,
                                    cudaStream_t stream);

}  // namespace ember::cuda
