#pragma once
// Pieces shared by the softmax and cross-entropy kernels: exp/log in the compute type, the
// max that skips NaN like the CPU's std::max, and a reduction over the threads of one row.
// Include from .cu files only.
#include <cuda_runtime.h>

namespace ember::cuda::rows {

__device__ __forceinline__ float exp_(float v) { return expf(v); }
__device__ __forceinline__ double exp_(double v) { return exp(v); }
__device__ __forceinline__ float log_(float v) { return logf(v); }
__device__ __forceinline__ double log_(double v) { return log(v); }

// fmax skips NaN like the CPU's std::max(mx, v): a NaN element does not become the max
// (it turns the sum, and so the whole row, into NaN instead).
struct MaxF {
  __device__ float operator()(float a, float b) const { return fmaxf(a, b); }
  __device__ double operator()(double a, double b) const { return fmax(a, b); }
};
struct AddF {
  template <class A> __device__ A operator()(A a, A b) const { return a + b; }
};

// Combines v over the threads of one row; every one of them gets the result. With
// blockDim.x == 32 a row is one warp and this is warp-synchronous; otherwise the row is the
// whole block (blockDim.x a multiple of 32, smem holding blockDim.x / 32 values), and every
// thread of the block calls this the same number of times.
template <class A, class F>
__device__ A row_reduce(A v, A* smem, F f) {
  for (int m = 16; m > 0; m >>= 1) v = f(v, __shfl_xor_sync(0xffffffffu, v, m));
  if (blockDim.x == 32) return v;
  __syncthreads();  // the previous reduction's readers are done with smem
  if ((threadIdx.x & 31) == 0) smem[threadIdx.x >> 5] = v;
  __syncthreads();
  v = smem[0];
  for (unsigned w = 1; w < (blockDim.x >> 5); ++w) v = f(v, smem[w]);
  return v;
}

}  // namespace ember::cuda::rows
