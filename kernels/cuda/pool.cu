// Max, average and adaptive-average pooling on NCHW planes, forward and backward.
// One thread per output element forward; one thread per input element backward, which
// gathers the gradient of every output whose window covers it, in the CPU kernel's
// (oh, ow) order and with its rounding: no atomics, the same result on every run, and
// the same adds and divides as the CPU kernel in the same order, so the same bits.
// That also makes zeroing gx unnecessary: every element is written exactly once. The
// per-element bodies live in kernels/common/pool_geometry.h, tested on the CPU.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "kernels/cuda/dtype.cuh"
#include "kernels/cuda/pool_launch.h"

namespace ember::cuda {
namespace {

// Element type <-> accumulation type (float for the 16-bit floats, as on the CPU), with
// the conversions of dtype.cuh, so that no implicit __half/__nv_bfloat16 operator is needed.
template <class T>
struct Cv {
  using A = ew::acc_t<T>;
  __host__ __device__ A load(T v) const { return ew::load(v); }
  __host__ __device__ T store(A v) const { return ew::to_storage<T>(v); }
};

constexpr int kThreads = 256;

int blocks_for(int64_t n) {
  const int64_t want = (n + kThreads - 1) / kThreads;
  return static_cast<int>(want < (1 << 20) ? want : (1 << 20));  // grid-stride loops cover the rest
}

#define EMBER_GRID_LOOP(i, n)                                                            \
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < (n); \
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)

// Forward: i runs over [planes, OH, OW]; backward: over [planes, H, W].
template <class T>
__global__ void max_pool_fwd(const T* x, T* y, int64_t* indices, int64_t total, PoolGeom g) {
  using A = typename Cv<T>::A;
  const Cv<T> cv{};
  EMBER_GRID_LOOP(i, total) {
    const int64_t ow = i % g.OW, oh = (i / g.OW) % g.OH, p = i / (g.OW * g.OH);
    A best;
    int64_t bi;
    kernels::window_max<A>(x + p * g.H * g.W, g, kernels::max_window(g, oh, ow), cv, &best, &bi);
    y[i] = cv.store(best);
    indices[i] = bi;
  }
}

template <class T, bool kAdaptive>
__global__ void avg_pool_fwd(const T* x, T* y, int64_t total, PoolGeom g) {
  const Cv<T> cv{};
  EMBER_GRID_LOOP(i, total) {
    const int64_t ow = i % g.OW, oh = (i / g.OW) % g.OH, p = i / (g.OW * g.OH);
    y[i] = kernels::avg_pool_at<typename Cv<T>::A, kAdaptive>(x + p * g.H * g.W, g, oh, ow, cv);
  }
}

template <class T>
__global__ void max_pool_bwd(const T* gy, const int64_t* indices, T* gx, int64_t total, PoolGeom g) {
  const Cv<T> cv{};
  EMBER_GRID_LOOP(i, total) {
    const int64_t w = i % g.W, h = (i / g.W) % g.H, p = i / (g.W * g.H);
    const int64_t base = p * g.OH * g.OW;
    gx[i] = kernels::max_pool_grad_at<typename Cv<T>::A>(gy + base, indices + base, g, h, w, cv);
  }
}

template <class T, bool kAdaptive>
__global__ void avg_pool_bwd(const T* gy, T* gx, int64_t total, PoolGeom g) {
  const Cv<T> cv{};
  EMBER_GRID_LOOP(i, total) {
    const int64_t w = i % g.W, h = (i / g.W) % g.H, p = i / (g.W * g.H);
    gx[i] = kernels::avg_pool_grad_at<typename Cv<T>::A, kAdaptive>(gy + p * g.OH * g.OW, g, h, w, cv);
  }
}

template <class T>
cudaError_t forward(OpId kind, const void* xv, void* yv, int64_t* indices, int64_t planes, const PoolGeom& g,
                    cudaStream_t stream) {
  const T* x = static_cast<const T*>(xv);
  T* y = static_cast<T*>(yv);
  const int64_t total = planes * g.OH * g.OW;
  if (total == 0) return cudaSuccess;
  const int blocks = blocks_for(total);
  switch (kind) {
    case OpId::max_pool2d:
      if (!indices) return cudaErrorInvalidValue;
      max_pool_fwd<T><<<blocks, kThreads, 0, stream>>>(x, y, indices, total, g);
      break;
    case OpId::avg_pool2d:
      avg_pool_fwd<T, false><<<blocks, kThreads, 0, stream>>>(x, y, total, g);
      break;
    case OpId::adaptive_avg_pool2d:
      avg_pool_fwd<T, true><<<blocks, kThreads, 0, stream>>>(x, y, total, g);
      break;
    default: return cudaErrorInvalidValue;
  }
  return cudaGetLastError();
}

template <class T>
cudaError_t backward(OpId kind, const void* gyv, const int64_t* indices, void* gxv, int64_t planes,
                     const PoolGeom& g, cudaStream_t stream) {
  const T* gy = static_cast<const T*>(gyv);
  T* gx = static_cast<T*>(gxv);
  const int64_t total = planes * g.H * g.W;
  if (total == 0) return cudaSuccess;
  const int blocks = blocks_for(total);
  switch (kind) {
    case OpId::max_pool2d:
      if (!indices) return cudaErrorInvalidValue;
      max_pool_bwd<T><<<blocks, kThreads, 0, stream>>>(gy, indices, gx, total, g);
      break;
    case OpId::avg_pool2d:
      avg_pool_bwd<T, false><<<blocks, kThreads, 0, stream>>>(gy, gx, total, g);
      break;
    case OpId::adaptive_avg_pool2d:
      avg_pool_bwd<T, true><<<blocks, kThreads, 0, stream>>>(gy, gx, total, g);
      break;
    default: return cudaErrorInvalidValue;
  }
  return cudaGetLastError();
}

bool valid(const PoolGeom& g) {
  return g.H >= 0 && g.W >= 0 && g.OH >= 0 && g.OW >= 0 && g.kh > 0 && g.kw > 0 && g.sh > 0 && g.sw > 0;
}

}  // namespace

cudaError_t launch_pool2d(OpId kind, DType dt, const void* x, void* out, int64_t* indices, int64_t planes,
                          const PoolGeom& g, cudaStream_t stream) {
  if (!valid(g)) return cudaErrorInvalidValue;
  return ew::dispatch_floating(dt, [&](auto tag) {
    return forward<typename decltype(tag)::type>(kind, x, out, indices, planes, g, stream);
  });
}

cudaError_t launch_pool2d_backward(OpId kind, DType dt, const void* gy, const int64_t* indices, void* gx,
                                   int64_t planes, const PoolGeom& g, cudaStream_t stream) {
  if (!valid(g)) return cudaErrorInvalidValue;
  return ew::dispatch_floating(dt, [&](auto tag) {
    return backward<typename decltype(tag)::type>(kind, gy, indices, gx, planes, g, stream);
  });
}

}  // namespace ember::cuda
