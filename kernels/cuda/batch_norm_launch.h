#pragma once
// Launchers of batch_norm.cu (plain types: see launch.h). x, gy, out, gx: [N, C, S]
// contiguous; weight, bias, mean, invstd, gw, gb: [C], all of dtype dt (f32, f64, f16,
// bf16). weight/bias/gx/gw/gb may be null (absent or not needed).
#include <cuda_runtime_api.h>

#include <cstdint>

#include "kernels/cuda/launch.h"

namespace ember::cuda {

struct BnDims {
  int64_t N = 0, C = 0, S = 0;
};

// How many blocks share one channel's reduction over its N*S values: enough blocks to
// fill the GPU a few times over, but never fewer than ~4096 values per block.
inline int batch_norm_splits(const BnDims& d, int sm_count) {
  const int64_t m = d.N * d.S;
  const int64_t c = d.C > 0 ? d.C : 1;
  int64_t s = (4 * static_cast<int64_t>(sm_count > 0 ? sm_count : 1) + c - 1) / c;
  if (s > m / 4096) s = m / 4096;
  if (s > 1024) s = 1024;
  return s < 1 ? 1 : static_cast<int>(s);
}

// Device scratch, in doubles, that a call with `splits` needs.
inline int64_t batch_norm_work_doubles(const BnDims& d, int splits) { return 2 * d.C * splits + 4 * d.C; }

// With compute_stats, writes mean and invstd = 1/sqrt(biased var + eps) first; then
// out = (x - mean) * invstd * weight + bias.
cudaError_t launch_batch_norm(DType dt, const void* x, const void* weight, const void* bias, void* mean, void* invstd,
                              void* out, const BnDims& d, bool compute_stats, double eps, int splits, double* work,
                              cudaStream_t stream);

// gw = sum(gy * xhat), gb = sum(gy) per channel; gx through the batch statistics when
// training, gx = gy * weight * invstd otherwise.
cudaError_t launch_batch_norm_backward(DType dt, const void* x, const void* gy, const void* weight, const void* mean,
                                       const void* invstd, void* gx, void* gw, void* gb, const BnDims& d, bool training,
                                       int splits, double* work, cudaStream_t stream);

}  // namespace ember::cuda
