// Softmax and log-softmax along d of a contiguous [outer, d, inner] tensor, and their
// backward passes; the math matches kernels/cpu/softmax.cpp (max-subtracted, f16/bf16 and
// f32 in float, f64 in double, a row of -inf gives max 0 instead of inf - inf).
//
// Each slice along d is handled by a group of threads that reduce together:
//  - inner == 1 (rows): the slice is contiguous; a warp per slice when d is short (four
//    slices per block), a whole block per slice when it is long;
//  - inner > 1 (cols): threadIdx.x walks neighbouring slices (neighbouring addresses),
//    threadIdx.y shares one slice's d when there are too few slices to fill the device.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstdint>

#include "kernels/cuda/dtype.cuh"
#include "kernels/common/elementwise_ops.h"
#include "kernels/cuda/block_reduce.cuh"
#include "kernels/cuda/softmax_launch.h"

namespace ember::cuda {
namespace {

// The compute type (float for f16/bf16/f32, double for f64) and the CPU-rounding
// conversions come from dtype.cuh.
template <class T> using Acc = ew::acc_t<T>;
using ew::load;
template <class T> __device__ __forceinline__ T store(Acc<T> v) { return ew::to_storage<T>(v); }

using kernels::math::exp;
using kernels::math::log;
// fmax skips NaN like the CPU's std::max(mx, v): a NaN element does not become the max
// (it turns the sum, and so the whole slice, into NaN instead).
struct MaxF {
  template <class A> __device__ A operator()(A a, A b) const { return kernels::math::max(a, b); }
};
using coop::Sum;

constexpr int kMaxThreads = 512;

// Combines v over the threads sharing one slice; all of them get the result. Called by
// every thread of the block (kCols or a block-wide group) or of the warp (warp groups).
template <bool kCols, class A, class F>
__device__ A group_reduce(A v, A* smem, F f) {
  if constexpr (kCols) return coop::column_allreduce(v, smem, f);
  else return coop::block_allreduce(v, smem, f);
}

// One slice per thread group: its first element's offset, its stride and its length (0
// for the padding groups of the last tile, which still join the block's reductions).
struct Slice {
  int64_t base;
  int64_t stride;
  int64_t n;
};

template <bool kCols>
__device__ Slice slice_of(int64_t tile, SoftmaxShape s) {
  const int64_t per_tile = kCols ? blockDim.x : blockDim.y;
  const int64_t item = tile * per_tile + (kCols ? threadIdx.x : threadIdx.y);
  if (item >= s.outer * s.inner) return {0, s.inner, 0};
  return {(item / s.inner) * s.d * s.inner + item % s.inner, s.inner, s.d};
}

template <bool kCols>
__device__ bool tile_in_range(int64_t tile, SoftmaxShape s) {
  return tile * static_cast<int64_t>(kCols ? blockDim.x : blockDim.y) < s.outer * s.inner;
}

template <class T, bool kLog, bool kCols>
__global__ void __launch_bounds__(kMaxThreads) softmax_forward(const T* x, T* y, SoftmaxShape s) {
  using A = Acc<T>;
  __shared__ A smem[kCols ? kMaxThreads : 32];
  const unsigned lane = kCols ? threadIdx.y : threadIdx.x;
  const unsigned group = kCols ? blockDim.y : blockDim.x;
  for (int64_t tile = blockIdx.x; tile_in_range<kCols>(tile, s); tile += gridDim.x) {
    const Slice sl = slice_of<kCols>(tile, s);
    const T* px = x + sl.base;
    T* py = y + sl.base;
    A mx = -INFINITY;
    for (int64_t i = lane; i < sl.n; i += group) mx = MaxF{}(mx, load(px[i * sl.stride]));
    mx = group_reduce<kCols>(mx, smem, MaxF{});
    if (mx == A(-INFINITY)) mx = 0;
    A sum = 0;
    for (int64_t i = lane; i < sl.n; i += group) sum += exp(load(px[i * sl.stride]) - mx);
    sum = group_reduce<kCols>(sum, smem, Sum{});
    if constexpr (kLog) {
      const A lse = mx + log(sum);
      for (int64_t i = lane; i < sl.n; i += group) py[i * sl.stride] = store<T>(load(px[i * sl.stride]) - lse);
    } else {
      const A inv = A(1) / sum;
      for (int64_t i = lane; i < sl.n; i += group) {
        py[i * sl.stride] = store<T>(exp(load(px[i * sl.stride]) - mx) * inv);
      }
    }
  }
}

template <class T, bool kLog, bool kCols>
__global__ void __launch_bounds__(kMaxThreads) softmax_backward(const T* y, const T* gy, T* gx, SoftmaxShape s) {
  using A = Acc<T>;
  __shared__ A smem[kCols ? kMaxThreads : 32];
  const unsigned lane = kCols ? threadIdx.y : threadIdx.x;
  const unsigned group = kCols ? blockDim.y : blockDim.x;
  for (int64_t tile = blockIdx.x; tile_in_range<kCols>(tile, s); tile += gridDim.x) {
    const Slice sl = slice_of<kCols>(tile, s);
    const T* py = y + sl.base;
    const T* pg = gy + sl.base;
    T* po = gx + sl.base;
    A dot = 0;
    for (int64_t i = lane; i < sl.n; i += group) {
      const A g = load(pg[i * sl.stride]);
      dot += kLog ? g : g * load(py[i * sl.stride]);
    }
    dot = group_reduce<kCols>(dot, smem, Sum{});
    for (int64_t i = lane; i < sl.n; i += group) {
      const A yv = load(py[i * sl.stride]);
      const A g = load(pg[i * sl.stride]);
      po[i * sl.stride] = store<T>(kLog ? g - exp(yv) * dot : yv * (g - dot));
    }
  }
}

struct Config {
  dim3 block;
  unsigned grid;
  bool cols;
};

Config configure(SoftmaxShape s) {
  Config c;
  const int64_t slices = s.outer * s.inner;
  int64_t per_block = 1;
  c.cols = s.inner > 1;
  if (!c.cols) {
    c.block = s.d <= 1024 ? dim3(32, 4) : dim3(kMaxThreads, 1);
    per_block = c.block.y;
  } else {
    // Few slices: let 8 threads share each one's d.
    const unsigned by = s.d >= 64 && slices < 16384 ? 8 : 1;
    c.block = dim3(256 / by, by);
    per_block = c.block.x;
  }
  const int64_t tiles = (slices + per_block - 1) / per_block;
  const int64_t cap = int64_t{1} << 30;
  c.grid = static_cast<unsigned>(tiles < cap ? tiles : cap);
  return c;
}

template <class T>
cudaError_t forward_typed(bool log, const void* x, void* y, SoftmaxShape s, cudaStream_t stream) {
  const Config c = configure(s);
  const T* xp = static_cast<const T*>(x);
  T* yp = static_cast<T*>(y);
  if (log && c.cols) softmax_forward<T, true, true><<<c.grid, c.block, 0, stream>>>(xp, yp, s);
  else if (log) softmax_forward<T, true, false><<<c.grid, c.block, 0, stream>>>(xp, yp, s);
  else if (c.cols) softmax_forward<T, false, true><<<c.grid, c.block, 0, stream>>>(xp, yp, s);
  else softmax_forward<T, false, false><<<c.grid, c.block, 0, stream>>>(xp, yp, s);
  return cudaGetLastError();
}

template <class T>
cudaError_t backward_typed(bool log, const void* y, const void* gy, void* gx, SoftmaxShape s, cudaStream_t stream) {
  const Config c = configure(s);
  const T* yp = static_cast<const T*>(y);
  const T* gp = static_cast<const T*>(gy);
  T* op = static_cast<T*>(gx);
  if (log && c.cols) softmax_backward<T, true, true><<<c.grid, c.block, 0, stream>>>(yp, gp, op, s);
  else if (log) softmax_backward<T, true, false><<<c.grid, c.block, 0, stream>>>(yp, gp, op, s);
  else if (c.cols) softmax_backward<T, false, true><<<c.grid, c.block, 0, stream>>>(yp, gp, op, s);
  else softmax_backward<T, false, false><<<c.grid, c.block, 0, stream>>>(yp, gp, op, s);
  return cudaGetLastError();
}

bool empty(SoftmaxShape s) { return s.outer == 0 || s.d == 0 || s.inner == 0; }

}  // namespace

cudaError_t launch_softmax(bool log, DType dtype, const void* x, void* y, SoftmaxShape s, cudaStream_t stream) {
  if (empty(s)) return cudaSuccess;
  return ew::dispatch_floating(dtype, [&]<class T>(ew::Tag<T>) { return forward_typed<T>(log, x, y, s, stream); });
}

cudaError_t launch_softmax_backward(bool log, DType dtype, const void* y, const void* gy, void* gx, SoftmaxShape s,
                                    cudaStream_t stream) {
  if (empty(s)) return cudaSuccess;
  return ew::dispatch_floating(dtype,
                               [&]<class T>(ew::Tag<T>) { return backward_typed<T>(log, y, gy, gx, s, stream); });
}

}  // namespace ember::cuda
