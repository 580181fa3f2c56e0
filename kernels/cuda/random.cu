// Random draws on the device: the same functions of (seed, counter, element index) as the
// CPU kernels (core/philox.h), so a seed gives the same tensor on both devices.
#include <cstdint>
#include <type_traits>

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "core/philox.h"
#include "kernels/cuda/dtype.cuh"
#include "kernels/cuda/random_launch.h"

namespace ember::cuda {
namespace {

constexpr int kThreads = 256;

// As the CPU's casts from f64: 16-bit floats round through f32 (to nearest even); bool
// is v != 0 (static_cast<bool>).
template <class T>
__device__ __forceinline__ T from_double(double v) {
  return ew::to_storage<T>(v);
}

// Integers are stored exactly; floating dtypes get the value through f64, as on the CPU.
template <class T>
__device__ __forceinline__ T from_int(int64_t v) {
  if constexpr (std::is_same_v<T, bool>) return v != 0;
  else if constexpr (std::is_integral_v<T>) return static_cast<T>(v);
  else return from_double<T>(static_cast<double>(v));
}

__device__ __forceinline__ double load_prob(const TensorRef& r, bool dense, int64_t i) {
  const int64_t off = dense ? i : kernels::strided_offset(i, r.g);
  switch (r.dtype) {
    case DType::f64: return static_cast<const double*>(r.data)[off];
    case DType::f16: return ew::load(static_cast<const __half*>(r.data)[off]);
    case DType::bf16: return ew::load(static_cast<const __nv_bfloat16*>(r.data)[off]);
    default: return static_cast<const float*>(r.data)[off];
  }
}

__device__ __forceinline__ int64_t first_index() { return blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; }
__device__ __forceinline__ int64_t grid_stride() { return static_cast<int64_t>(gridDim.x) * blockDim.x; }

// One thread per Philox counter: elements 2c and 2c + 1 (words 0-1 and 2-3).
template <class T>
__global__ void uniform_kernel(T* out, int64_t n, uint64_t seed, uint64_t offset, bool wide) {
  const int64_t counters = (n + 1) / 2;
  for (int64_t c = first_index(); c < counters; c += grid_stride()) {
    const philox::Block b = philox::philox4x32_10(seed, offset + static_cast<uint64_t>(c));
    const int64_t i = 2 * c;
    out[i] = from_double<T>(wide ? philox::uniform_bits53(b.w[0], b.w[1]) : philox::uniform_bits24(b.w[0]));
    if (i + 1 < n)
      out[i + 1] = from_double<T>(wide ? philox::uniform_bits53(b.w[2], b.w[3]) : philox::uniform_bits24(b.w[2]));
  }
}

template <class T>
__global__ void bernoulli_kernel(T* out, int64_t n, uint64_t seed, uint64_t offset, double p, TensorRef probs,
                                 bool has_probs, bool dense) {
  const int64_t counters = (n + 1) / 2;
  for (int64_t c = first_index(); c < counters; c += grid_stride()) {
    const philox::Block b = philox::philox4x32_10(seed, offset + static_cast<uint64_t>(c));
    const int64_t i = 2 * c;
    const double p0 = has_probs ? load_prob(probs, dense, i) : p;
    out[i] = from_double<T>(philox::uniform_bits53(b.w[0], b.w[1]) < p0 ? 1.0 : 0.0);
    if (i + 1 < n) {
      const double p1 = has_probs ? load_prob(probs, dense, i + 1) : p;
      out[i + 1] = from_double<T>(philox::uniform_bits53(b.w[2], b.w[3]) < p1 ? 1.0 : 0.0);
    }
  }
}

template <class T>
__global__ void normal_kernel(T* out, int64_t n, uint64_t seed, uint64_t offset) {
  for (int64_t i = first_index(); i < n; i += grid_stride()) out[i] = from_double<T>(philox::normal(seed, offset, i));
}

template <class T>
__global__ void integer_kernel(T* out, int64_t n, uint64_t seed, uint64_t offset, int64_t low, uint64_t range) {
  for (int64_t i = first_index(); i < n; i += grid_stride())
    out[i] = from_int<T>(philox::integer(seed, offset, i, low, range));
}

int blocks_for(int64_t work) {
  const int64_t want = (work + kThreads - 1) / kThreads;
  return static_cast<int>(want < 65536 ? want : 65536);
}

template <class T>
cudaError_t run(const RandomDraw& d, void* out_raw, int64_t n, const TensorRef* probs, cudaStream_t stream) {
  T* out = static_cast<T*>(out_raw);
  switch (d.kind) {
    case OpId::random_uniform:
      if constexpr (std::is_integral_v<T>) return cudaErrorNotSupported;
      else uniform_kernel<T><<<blocks_for((n + 1) / 2), kThreads, 0, stream>>>(out, n, d.seed, d.offset,
                                                                              std::is_same_v<T, double>);
      break;
    case OpId::random_normal:
      if constexpr (std::is_integral_v<T>) return cudaErrorNotSupported;
      else normal_kernel<T><<<blocks_for(n), kThreads, 0, stream>>>(out, n, d.seed, d.offset);
      break;
    case OpId::random_bernoulli: {
      const TensorRef pr = probs ? *probs : TensorRef{};
      const bool dense = probs && kernels::is_dense(pr.g);
      bernoulli_kernel<T><<<blocks_for((n + 1) / 2), kThreads, 0, stream>>>(out, n, d.seed, d.offset, d.p, pr,
                                                                           probs != nullptr, dense);
      break;
    }
    case OpId::random_int:
      integer_kernel<T><<<blocks_for(n), kThreads, 0, stream>>>(out, n, d.seed, d.offset, d.low, d.range);
      break;
    default: return cudaErrorInvalidValue;
  }
  return cudaGetLastError();
}

}  // namespace

cudaError_t launch_random(const RandomDraw& draw, void* out, DType dtype, int64_t n, const TensorRef* probs,
                          cudaStream_t stream) {
  if (n <= 0) return cudaSuccess;
  return ew::dispatch_all(dtype, [&](auto tag) {
    return run<typename decltype(tag)::type>(draw, out, n, probs, stream);
  });
}

}  // namespace ember::cuda
