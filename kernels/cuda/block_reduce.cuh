#pragma once
// Reductions across the threads of a warp, a block or a block's columns, for the .cu
// kernels (reduce.cu, softmax.cu, cross_entropy.cu, batch_norm.cu). The warp part is CUB's
// (cub::WarpReduce from the toolkit's CCCL); across warps the partials are combined in warp
// order, so a result depends on the block's shape but not on timing. Every thread gets the
// result. Include from .cu files only.
#include <cub/util_ptx.cuh>
#include <cub/warp/warp_reduce.cuh>

namespace ember::cuda::coop {

struct Sum {
  template <class A> __device__ __forceinline__ A operator()(A a, A b) const { return a + b; }
};

// v combined over the 32 lanes of the calling warp (all of them call this).
template <class A, class F>
__device__ __forceinline__ A warp_allreduce(A v, F f) {
  using Reduce = cub::WarpReduce<A>;
  // The shuffle implementation of a full warp keeps nothing in it; one per warp of the
  // largest block all the same, as CUB's contract asks.
  __shared__ typename Reduce::TempStorage tmp[32];
  const A r = Reduce(tmp[(threadIdx.y * blockDim.x + threadIdx.x) >> 5]).Reduce(v, f);  // valid in lane 0
  return cub::ShuffleIndex<32>(r, 0, 0xffffffffu);
}

// v combined over the threads of each row of the block (threadIdx.y picks the row). With
// blockDim.x == 32 a row is one warp; otherwise the block must be one row (blockDim.y ==
// 1, blockDim.x a multiple of 32) and smem must hold blockDim.x / 32 values. Every thread
// of the block calls this the same number of times.
template <class A, class F>
__device__ A block_allreduce(A v, A* smem, F f) {
  v = warp_allreduce(v, f);
  if (blockDim.x == 32) return v;
  __syncthreads();  // the previous call's readers are done with smem
  if ((threadIdx.x & 31) == 0) smem[threadIdx.x >> 5] = v;
  __syncthreads();
  v = smem[0];
  for (unsigned w = 1; w < (blockDim.x >> 5); ++w) v = f(v, smem[w]);
  return v;
}

// v combined over threadIdx.y for each threadIdx.x, in y order. smem holds blockDim.x *
// blockDim.y values; every thread of the block calls this the same number of times.
template <class A, class F>
__device__ A column_allreduce(A v, A* smem, F f) {
  if (blockDim.y == 1) return v;
  __syncthreads();  // the previous call's readers are done with smem
  smem[threadIdx.y * blockDim.x + threadIdx.x] = v;
  __syncthreads();
  v = smem[threadIdx.x];
  for (unsigned k = 1; k < blockDim.y; ++k) v = f(v, smem[k * blockDim.x + threadIdx.x]);
  return v;
}

}  // namespace ember::cuda::coop
