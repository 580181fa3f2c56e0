#pragma once
// Launchers of pool.cu (plain types: see launch.h). Planes are the N*C contiguous H*W
// (input) or OH*OW (output) slices of an NCHW tensor.
#include <cuda_runtime_api.h>

#include <cstdint>

#include "kernels/common/pool_geometry.h"
#include "kernels/cuda/launch.h"

namespace ember::cuda {

using kernels::PoolGeom;

// kind: the forward op (max_pool2d, avg_pool2d or adaptive_avg_pool2d), also for the backward.
// x [planes, H, W] -> out [planes, OH, OW]; indices (flat h*W+w, out's shape) for max only.
// dt: f32, f64, f16 or bf16 (anything else returns cudaErrorNotSupported).
cudaError_t launch_pool2d(OpId kind, DType dt, const void* x, void* out, int64_t* indices, int64_t planes,
                          const PoolGeom& g, cudaStream_t stream);

// gy [planes, OH, OW] -> gx [planes, H, W]; every element of gx is written.
cudaError_t launch_pool2d_backward(OpId kind, DType dt, const void* gy, const int64_t* indices, void* gx,
                                   int64_t planes, const PoolGeom& g, cudaStream_t stream);

}  // namespace ember::cuda
