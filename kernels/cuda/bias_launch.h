#pragma once
// Bias kernels used around the cuBLAS and cuDNN calls (bias.cu). Plain types only.
#include <cstdint>

#include "kernels/cuda/launch.h"

namespace ember::cuda {

// out[r, j] = bias[j] for r < rows, j < n: contiguous rows of elem_size-byte elements.
cudaError_t launch_bias_rows(void* out, const void* bias, int elem_size, int64_t rows, int64_t n,
                             cudaStream_t stream);

// y[o, c, i] += bias[c] over a contiguous [outer, channels, inner] tensor (floating dtypes).
cudaError_t launch_bias_add_channels(void* y, const void* bias, DType dtype, int64_t outer, int64_t channels,
                                     int64_t inner, cudaStream_t stream);

// gb[c] = sum over o, i of gy[o, c, i] (floating dtypes), accumulated in f32 (f64 for f64)
// in a fixed order, so the result does not change from run to run.
cudaError_t launch_bias_grad_channels(const void* gy, void* gb, DType dtype, int64_t outer, int64_t channels,
                                      int64_t inner, cudaStream_t stream);

}  // namespace ember::cuda
