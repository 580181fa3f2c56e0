// Fused cross-entropy over the rows of contiguous [n, c] scores; the math matches
// kernels/cpu/cross_entropy.cpp (max-subtracted logsumexp, f16/bf16 and f32 in float, f64 in
// double, a row of -inf gives max 0 instead of inf - inf, a NaN never becomes the max).
//
// Forward: a warp per row when rows are short (four rows per block), a whole block per row
// when they are long; the row's max, sum of exponentials and sum of scores are reduced across
// the group and its first thread writes the loss and the logsumexp. Backward needs no
// reduction (the forward kept the logsumexp): one thread per element of gx.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cmath>
#include <cstdint>

#include "kernels/cuda/cross_entropy_launch.h"
#include "kernels/cuda/dtype.cuh"
#include "kernels/common/elementwise_ops.h"
#include "kernels/cuda/block_reduce.cuh"

namespace ember::cuda {
namespace {

template <class T> using Acc = ew::acc_t<T>;
using ew::load;

using kernels::math::exp;
using kernels::math::log;
// fmax skips NaN like the CPU's std::max(mx, v): a NaN score does not become the max (it
// turns the row's sum, and so its loss, into NaN instead).
struct MaxF {
  template <class A> __device__ A operator()(A a, A b) const { return kernels::math::max(a, b); }
};
using coop::Sum;
template <class A, class F>
__device__ A row_reduce(A v, A* smem, F f) {
  return coop::block_allreduce(v, smem, f);
}

constexpr int kRowsPerWarpBlock = 4;
constexpr int kRowBlock = 512;       // threads per row when rows are long
constexpr int64_t kWarpRowMax = 1024;  // longest row given to a single warp
constexpr int kBackwardBlock = 256;
constexpr int64_t kMaxGrid = int64_t{1} << 20;  // grid-stride loops cover the rest

// keep = 1 - eps, smooth = eps, both in the compute type (rounded once on the host).
template <class T>
__global__ void __launch_bounds__(kRowBlock) xent_forward(const T* __restrict__ x, const int64_t* __restrict__ target,
                                                          T* __restrict__ loss, Acc<T>* __restrict__ lse,
                                                          CrossEntropyShape s, Acc<T> keep, Acc<T> smooth) {
  using A = Acc<T>;
  __shared__ A smem[32];
  const unsigned lane = threadIdx.x;
  const unsigned group = blockDim.x;
  const bool smoothing = s.label_smoothing > 0.0;
  // The row is the same for a whole warp (blockDim.x == 32) or a whole block (blockDim.y
  // == 1), so the shuffles and barriers inside row_reduce see every thread they expect.
  for (int64_t row = static_cast<int64_t>(blockIdx.x) * blockDim.y + threadIdx.y; row < s.n;
       row += static_cast<int64_t>(gridDim.x) * blockDim.y) {
    const T* px = x + row * s.c;
    A mx = -INFINITY;
    for (int64_t i = lane; i < s.c; i += group) mx = MaxF{}(mx, load(px[i]));
    mx = row_reduce(mx, smem, MaxF{});
    if (mx == A(-INFINITY)) mx = 0;  // all -inf: avoid inf - inf
    A sum = 0, sx = 0;
    for (int64_t i = lane; i < s.c; i += group) {
      const A v = load(px[i]);
      sum += exp(v - mx);
      sx += v;
    }
    sum = row_reduce(sum, smem, Sum{});
    if (smoothing) sx = row_reduce(sx, smem, Sum{});
    if (lane == 0) {
      const A l = mx + log(sum);
      lse[row] = l;
      const int64_t t = target[row];
      A out;
      if (t == s.ignore_index) {
        out = A(0);
      } else if (t < 0 || t >= s.c) {
        out = A(NAN);
      } else {
        out = l - load(px[t]);
        if (smoothing) out = out * keep + (l - sx / static_cast<A>(s.c)) * smooth;
      }
      loss[row] = ew::to_storage<T>(out);
    }
  }
}

// keep = 1 - eps, spread = eps / c, in the compute type.
template <class T>
__global__ void __launch_bounds__(kBackwardBlock) xent_backward(const T* __restrict__ x,
                                                                const int64_t* __restrict__ target,
                                                                const Acc<T>* __restrict__ lse,
                                                                const T* __restrict__ gl, T* __restrict__ gx,
                                                                CrossEntropyShape s, Acc<T> keep, Acc<T> spread) {
  using A = Acc<T>;
  const int64_t total = s.n * s.c;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < total;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t row = i / s.c;
    const int64_t col = i - row * s.c;
    const int64_t t = target[row];
    A out;
    if (t == s.ignore_index) {
      out = A(0);
    } else if (t < 0 || t >= s.c) {
      out = A(NAN);
    } else {
      A q = exp(load(x[i]) - lse[row]) - spread;
      if (col == t) q -= keep;
      out = load(gl[row]) * q;
    }
    gx[i] = ew::to_storage<T>(out);
  }
}

unsigned grid_of(int64_t blocks) { return static_cast<unsigned>(blocks < kMaxGrid ? blocks : kMaxGrid); }

template <class T>
cudaError_t forward_typed(const void* x, const int64_t* target, void* loss, void* lse, CrossEntropyShape s,
                          cudaStream_t stream) {
  using A = Acc<T>;
  const A keep = static_cast<A>(1.0 - s.label_smoothing);
  const A smooth = static_cast<A>(s.label_smoothing);
  const bool warp_rows = s.c <= kWarpRowMax;
  const dim3 block = warp_rows ? dim3(32, kRowsPerWarpBlock) : dim3(kRowBlock, 1);
  const int64_t blocks = warp_rows ? (s.n + kRowsPerWarpBlock - 1) / kRowsPerWarpBlock : s.n;
  xent_forward<T><<<grid_of(blocks), block, 0, stream>>>(static_cast<const T*>(x), target, static_cast<T*>(loss),
                                                         static_cast<A*>(lse), s, keep, smooth);
  return cudaGetLastError();
}

template <class T>
cudaError_t backward_typed(const void* x, const int64_t* target, const void* lse, const void* gl, void* gx,
                           CrossEntropyShape s, cudaStream_t stream) {
  using A = Acc<T>;
  const A keep = static_cast<A>(1.0 - s.label_smoothing);
  const A spread = static_cast<A>(s.label_smoothing / static_cast<double>(s.c));
  const int64_t blocks = (s.n * s.c + kBackwardBlock - 1) / kBackwardBlock;
  xent_backward<T><<<grid_of(blocks), kBackwardBlock, 0, stream>>>(
      static_cast<const T*>(x), target, static_cast<const A*>(lse), static_cast<const T*>(gl),
      static_cast<T*>(gx), s, keep, spread);
  return cudaGetLastError();
}

}  // namespace

cudaError_t launch_cross_entropy_forward(DType dtype, const void* x, const int64_t* target, void* loss, void* lse,
                                         CrossEntropyShape s, cudaStream_t stream) {
  if (s.n == 0) return cudaSuccess;
  return ew::dispatch_floating(
      dtype, [&]<class T>(ew::Tag<T>) { return forward_typed<T>(x, target, loss, lse, s, stream); });
}

cudaError_t launch_cross_entropy_backward(DType dtype, const void* x, const int64_t* target, const void* lse,
                                          const void* gl, void* gx, CrossEntropyShape s, cudaStream_t stream) {
  if (s.n == 0 || s.c == 0) return cudaSuccess;
  return ew::dispatch_floating(
      dtype, [&]<class T>(ew::Tag<T>) { return backward_typed<T>(x, target, lse, gl, gx, s, stream); });
}

}  // namespace ember::cuda
