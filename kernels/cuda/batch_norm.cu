// Batch normalization on [N, C, S], following kernels/cpu/batch_norm.cpp's numerics:
// per-channel sums of (x - x[0, c, 0]) and its square (forward) or of gy and
// gy * (x - mean) (backward), taken in the input's precision (float for 16-bit types) in
// runs of 16 terms and flushed into double. A channel's N*S values are split over
// `splits` blocks, whose partial sums a per-channel pass adds in a fixed order, so the
// result does not depend on the run. Elementwise passes then write out or gx.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "kernels/cuda/batch_norm_launch.h"
#include "kernels/cuda/block_reduce.cuh"
#include "kernels/cuda/dtype.cuh"

namespace ember::cuda {
namespace {

using ew::acc_t;
// The precision of the short runs before the double flush (the CPU's Lane: float for the
// 16-bit floats and f32, double for f64).
template <class T>
using lane_t = acc_t<T>;

constexpr int kThreads = 256;  // a multiple of 32: the block reductions shuffle full warps
constexpr int kRun = 16;

// Two sums at once over the block (coop::block_allreduce).
struct Sum2 {
  double a, b;
};
struct AddSum2 {
  __device__ Sum2 operator()(Sum2 x, Sum2 y) const { return {x.a + y.a, x.b + y.b}; }
};

// Block blockIdx.x = c * splits + part sums its share [part*chunk, (part+1)*chunk) of
// channel c's flat (n, s) positions into partial[2 * blockIdx.x + {0, 1}].
// kBackward: (gy, gy * (x - mean)); otherwise (x - shift, (x - shift)^2), shift = x[0, c, 0].
template <class T, bool kBackward>
__global__ void channel_sums(const T* x, const T* gy, const T* mean, BnDims d, int splits, int64_t chunk,
                             double* partial) {
  using L = lane_t<T>;
  const int64_t c = blockIdx.x / splits, part = blockIdx.x % splits;
  const int64_t m = d.N * d.S;
  const int64_t j0 = part * chunk;
  const int64_t j1 = j0 + chunk < m ? j0 + chunk : m;
  const L center = kBackward ? static_cast<L>(static_cast<double>(ew::load(mean[c])))
                             : static_cast<L>(m > 0 ? static_cast<double>(ew::load(x[c * d.S])) : 0.0);
  double sa = 0, sb = 0;
  int64_t j = j0 + threadIdx.x;
  if (j < j1) {
    // Walk (n, s) by kThreads positions at a time without dividing per element.
    int64_t n = j / d.S, s = j - n * d.S;
    const int64_t qn = kThreads / d.S, qs = kThreads - qn * d.S;
    L ra = 0, rb = 0;
    int run = 0;
    for (; j < j1; j += kThreads) {
      const int64_t at = (n * d.C + c) * d.S + s;
      if (kBackward) {
        const L g = static_cast<L>(ew::load(gy[at]));
        ra += g;
        rb += g * (static_cast<L>(ew::load(x[at])) - center);
      } else {
        const L v = static_cast<L>(ew::load(x[at])) - center;
        ra += v;
        rb += v * v;
      }
      if (++run == kRun) {
        sa += static_cast<double>(ra);
        sb += static_cast<double>(rb);
        ra = rb = 0;
        run = 0;
      }
      n += qn;
      s += qs;
      if (s >= d.S) {
        s -= d.S;
        ++n;
      }
    }
    sa += static_cast<double>(ra);
    sb += static_cast<double>(rb);
  }
  __shared__ Sum2 smem[kThreads / 32];
  const Sum2 total = coop::block_allreduce(Sum2{sa, sb}, smem, AddSum2{});
  if (threadIdx.x == 0) {
    partial[2 * blockIdx.x] = total.a;
    partial[2 * blockIdx.x + 1] = total.b;
  }
}

template <class T>
__global__ void finish_stats(const T* x, const double* partial, BnDims d, int splits, double eps, T* mean, T* invstd) {
  using A = acc_t<T>;
  const int64_t c = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  if (c >= d.C) return;
  double s = 0, s2 = 0;
  for (int p = 0; p < splits; ++p) {
    s += partial[2 * (c * splits + p)];
    s2 += partial[2 * (c * splits + p) + 1];
  }
  const double m = static_cast<double>(d.N * d.S);
  const double shift = m > 0 ? static_cast<double>(ew::load(x[c * d.S])) : 0.0;
  const double md = s / m;
  const double var = fmax(s2 / m - md * md, 0.0);
  mean[c] = ew::to_storage<T>(static_cast<A>(md + shift));
  invstd[c] = ew::to_storage<T>(static_cast<A>(1.0 / sqrt(var + eps)));
}

// out = x * scale + shift with the CPU's per-channel scale and shift (computed in A from
// the stored T statistics). I: the index type, 32-bit when the tensor allows.
template <class T, class I>
__global__ void apply_norm(const T* x, const T* mean, const T* invstd, const T* w, const T* b, T* y, I total, I S,
                           I C) {
  using A = acc_t<T>;
  for (I i = blockIdx.x * static_cast<I>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<I>(gridDim.x) * blockDim.x) {
    const I c = (i / S) % C;
    const A scale = ew::load(invstd[c]) * (w ? ew::load(w[c]) : A(1));
    const A shift = (b ? ew::load(b[c]) : A(0)) - ew::load(mean[c]) * scale;
    y[i] = ew::to_storage<T>(ew::load(x[i]) * scale + shift);
  }
}

// Per channel: gw, gb and the coefficients of gx = k * (gy - mean_g - (x - mean) * proj),
// stored as doubles (exact for A) in coef[4c..4c+3] = k, mean_g, proj, mean.
template <class T>
__global__ void finish_backward(const double* partial, const T* weight, const T* mean, const T* invstd, BnDims d,
                                int splits, bool training, T* gw, T* gb, double* coef) {
  using A = acc_t<T>;
  const int64_t c = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  if (c >= d.C) return;
  double sg = 0, sgx = 0;
  for (int p = 0; p < splits; ++p) {
    sg += partial[2 * (c * splits + p)];
    sgx += partial[2 * (c * splits + p) + 1];
  }
  const double m = static_cast<double>(d.N * d.S);
  const double mu = static_cast<double>(ew::load(mean[c])), is = static_cast<double>(ew::load(invstd[c]));
  sgx *= is;
  if (gw) gw[c] = ew::to_storage<T>(static_cast<A>(sgx));
  if (gb) gb[c] = ew::to_storage<T>(static_cast<A>(sg));
  const double w = weight ? static_cast<double>(ew::load(weight[c])) : 1.0;
  coef[4 * c] = static_cast<A>(w * is);
  coef[4 * c + 1] = training ? static_cast<A>(sg / m) : A(0);
  coef[4 * c + 2] = training ? static_cast<A>(sgx / m * is) : A(0);
  coef[4 * c + 3] = static_cast<A>(mu);
}

template <class T, class I>
__global__ void apply_backward(const T* x, const T* gy, const double* coef, T* gx, I total, I S, I C) {
  using A = acc_t<T>;
  for (I i = blockIdx.x * static_cast<I>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<I>(gridDim.x) * blockDim.x) {
    const I c = (i / S) % C;
    const A k = static_cast<A>(coef[4 * c]), mean_g = static_cast<A>(coef[4 * c + 1]);
    const A proj = static_cast<A>(coef[4 * c + 2]), mu = static_cast<A>(coef[4 * c + 3]);
    gx[i] = ew::to_storage<T>(k * (ew::load(gy[i]) - mean_g - (ew::load(x[i]) - mu) * proj));
  }
}

int blocks_for(int64_t n) {
  const int64_t want = (n + kThreads - 1) / kThreads;
  return static_cast<int>(want < (1 << 20) ? want : (1 << 20));  // grid-stride loops cover the rest
}

// Runs channel_sums over C * splits blocks.
template <class T, bool kBackward>
cudaError_t sums(const T* x, const T* gy, const T* mean, const BnDims& d, int splits, double* partial,
                 cudaStream_t stream) {
  const int64_t m = d.N * d.S;
  const int64_t chunk = (m + splits - 1) / splits;
  const int64_t blocks = d.C * splits;
  if (blocks > 0x7fffffff) return cudaErrorInvalidConfiguration;
  channel_sums<T, kBackward>
      <<<static_cast<unsigned>(blocks), kThreads, 0, stream>>>(x, gy, mean, d, splits, chunk, partial);
  return cudaGetLastError();
}

template <class T>
cudaError_t forward(const void* xv, const void* wv, const void* bv, void* meanv, void* invstdv, void* outv,
                    const BnDims& d, bool compute_stats, double eps, int splits, double* work, cudaStream_t stream) {
  const T* x = static_cast<const T*>(xv);
  T* mean = static_cast<T*>(meanv);
  T* invstd = static_cast<T*>(invstdv);
  if (compute_stats) {
    if (cudaError_t e = sums<T, false>(x, nullptr, nullptr, d, splits, work, stream); e != cudaSuccess) return e;
    finish_stats<T><<<static_cast<unsigned>((d.C + kThreads - 1) / kThreads), kThreads, 0, stream>>>(x, work, d, splits,
                                                                                                     eps, mean, invstd);
    if (cudaError_t e = cudaGetLastError(); e != cudaSuccess) return e;
  }
  const int64_t total = d.N * d.C * d.S;
  if (total == 0) return cudaSuccess;
  const T* w = static_cast<const T*>(wv);
  const T* b = static_cast<const T*>(bv);
  T* y = static_cast<T*>(outv);
  if (total < (int64_t{1} << 31))
    apply_norm<T, uint32_t><<<blocks_for(total), kThreads, 0, stream>>>(
        x, mean, invstd, w, b, y, static_cast<uint32_t>(total), static_cast<uint32_t>(d.S), static_cast<uint32_t>(d.C));
  else
    apply_norm<T, int64_t><<<blocks_for(total), kThreads, 0, stream>>>(x, mean, invstd, w, b, y, total, d.S, d.C);
  return cudaGetLastError();
}

template <class T>
cudaError_t backward(const void* xv, const void* gyv, const void* wv, const void* meanv, const void* invstdv, void* gxv,
                     void* gwv, void* gbv, const BnDims& d, bool training, int splits, double* work,
                     cudaStream_t stream) {
  const T* x = static_cast<const T*>(xv);
  const T* gy = static_cast<const T*>(gyv);
  const T* mean = static_cast<const T*>(meanv);
  T* gx = static_cast<T*>(gxv);
  double* partial = work;
  double* coef = work + 2 * d.C * splits;
  // Eval mode needs no sums unless gw or gb is wanted: gx = gy * weight * invstd.
  const bool need_sums = training || gwv || gbv;
  if (need_sums) {
    if (cudaError_t e = sums<T, true>(x, gy, mean, d, splits, partial, stream); e != cudaSuccess) return e;
  }
  finish_backward<T><<<static_cast<unsigned>((d.C + kThreads - 1) / kThreads), kThreads, 0, stream>>>(
      partial, static_cast<const T*>(wv), mean, static_cast<const T*>(invstdv), d, need_sums ? splits : 0, training,
      static_cast<T*>(gwv), static_cast<T*>(gbv), coef);
  if (cudaError_t e = cudaGetLastError(); e != cudaSuccess) return e;
  const int64_t total = d.N * d.C * d.S;
  if (!gx || total == 0) return cudaSuccess;
  if (total < (int64_t{1} << 31))
    apply_backward<T, uint32_t><<<blocks_for(total), kThreads, 0, stream>>>(
        x, gy, coef, gx, static_cast<uint32_t>(total), static_cast<uint32_t>(d.S), static_cast<uint32_t>(d.C));
  else
    apply_backward<T, int64_t><<<blocks_for(total), kThreads, 0, stream>>>(x, gy, coef, gx, total, d.S, d.C);
  return cudaGetLastError();
}

bool valid(const BnDims& d, int splits, const double* work) {
  return d.N >= 0 && d.C >= 0 && d.S >= 0 && splits >= 1 && (work != nullptr || d.C == 0);
}

}  // namespace

cudaError_t launch_batch_norm(DType dt, const void* x, const void* weight, const void* bias, void* mean, void* invstd,
                              void* out, const BnDims& d, bool compute_stats, double eps, int splits, double* work,
                              cudaStream_t stream) {
  if (!valid(d, splits, work)) return cudaErrorInvalidValue;
  if (d.C == 0) return cudaSuccess;
  return ew::dispatch_floating(dt, [&](auto tag) {
    return forward<typename decltype(tag)::type>(x, weight, bias, mean, invstd, out, d, compute_stats, eps, splits,
                                                 work, stream);
  });
}

cudaError_t launch_batch_norm_backward(DType dt, const void* x, const void* gy, const void* weight, const void* mean,
                                       const void* invstd, void* gx, void* gw, void* gb, const BnDims& d, bool training,
                                       int splits, double* work, cudaStream_t stream) {
  if (!valid(d, splits, work)) return cudaErrorInvalidValue;
  if (d.C == 0 || (!gx && !gw && !gb)) return cudaSuccess;
  return ew::dispatch_floating(dt, [&](auto tag) {
    return backward<typename decltype(tag)::type>(x, gy, weight, mean, invstd, gx, gw, gb, d, training, splits, work,
                                                  stream);
  });
}

}  // namespace ember::cuda
