#pragma once
// The elementwise machinery of the .cu files: out = f(in...) over operands that share
// out's shape (broadcast inputs have stride 0). On the host the dims of all operands are
// coalesced; when every operand is then one dense run and suitably aligned, a kernel moves
// 16 bytes per load/store; otherwise a grid-stride kernel computes each operand's offset.
// f takes the compute type of each input (float for f16/bf16) and returns the compute
// type of the output. Include from .cu files only.
#include <cstdint>
#include <type_traits>
#include <utility>

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "kernels/common/elementwise.h"
#include "kernels/cuda/dtype.cuh"
#include "kernels/cuda/launch.h"

namespace ember::cuda::ew {

using kernels::MultiGeometry;

inline constexpr int kThreads = 256;

// Enough blocks to fill every SM (8 x 256 threads = 2048, the most an SM holds); the
// grid-stride loops cover the rest.
inline int grid_size(int64_t work, int sm_count) {
  const int64_t want = (work + kThreads - 1) / kThreads;
  const int64_t cap = static_cast<int64_t>(sm_count > 0 ? sm_count : 1) * 8;
  const int64_t g = want < cap ? want : cap;
  return static_cast<int>(g > 0 ? g : 1);
}

template <int K, class T>
struct alignas(sizeof(T) * K) Vec {
  T v[K];
};

// The machine word of each vector width: moving a Vec through it makes one 16/8/4/2-byte
// memory access (element-wise copies of the struct may otherwise be split up).
template <int kBytes> struct Word;
template <> struct Word<16> { using type = uint4; };
template <> struct Word<8> { using type = uint2; };
template <> struct Word<4> { using type = uint32_t; };
template <> struct Word<2> { using type = uint16_t; };

template <int K, class T>
__device__ __forceinline__ Vec<K, T> load_vec(const T* p, int64_t v) {
  using W = typename Word<sizeof(T) * K>::type;
  Vec<K, T> r;
  *reinterpret_cast<W*>(&r) = reinterpret_cast<const W*>(p)[v];
  return r;
}

template <int K, class T>
__device__ __forceinline__ void store_vec(T* p, int64_t v, const Vec<K, T>& r) {
  using W = typename Word<sizeof(T) * K>::type;
  reinterpret_cast<W*>(p)[v] = *reinterpret_cast<const W*>(&r);
}

template <int K, class Out, class F, class... In>
__device__ __forceinline__ Vec<K, Out> apply_vec(const F& f, const Vec<K, In>... in) {
  Vec<K, Out> r;
  EMBER_UNROLL
  for (int j = 0; j < K; ++j) r.v[j] = to_storage<Out>(f(load(in.v[j])...));
  return r;
}

// Every operand dense and aligned to K elements: K elements per thread per step, then a
// scalar tail of the last n % K elements.
template <int K, class Out, class F, class... In>
__global__ void __launch_bounds__(kThreads) vec_kernel(F f, int64_t n, Out* out, const In*... in) {
  const int64_t nvec = n / K;
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  const int64_t first = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  for (int64_t v = first; v < nvec; v += step) {
    store_vec<K>(out, v, apply_vec<K, Out>(f, load_vec<K>(in, v)...));
  }
  for (int64_t i = nvec * K + first; i < n; i += step) out[i] = to_storage<Out>(f(load(in[i])...));
}

template <class Out, class F, class I, int N, class... In, size_t... J>
__device__ __forceinline__ void apply_at(const F& f, I i, const MultiGeometry<N>& m, Out* out,
                                         std::index_sequence<J...>, const In*... in) {
  int64_t off[N];
  kernels::strided_offsets<N, I>(i, m, off);
  out[off[0]] = to_storage<Out>(f(load(in[off[J + 1]])...));
}

// Any strides. `narrow` (numel < 2^32) picks 32-bit index division; the branch is the
// same for every thread.
template <class Out, class F, class... In>
__global__ void __launch_bounds__(kThreads)
    strided_kernel(F f, int64_t n, bool narrow, MultiGeometry<1 + sizeof...(In)> m, Out* out, const In*... in) {
  using Seq = std::index_sequence_for<In...>;
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  const int64_t first = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (narrow) {
    for (int64_t i = first; i < n; i += step) apply_at<Out>(f, static_cast<uint32_t>(i), m, out, Seq{}, in...);
  } else {
    for (int64_t i = first; i < n; i += step) apply_at<Out>(f, i, m, out, Seq{}, in...);
  }
}

inline bool aligned_to(const void* p, size_t bytes) {
  return reinterpret_cast<uintptr_t>(p) % bytes == 0;
}

template <class... T>
inline constexpr size_t max_size_of() {
  size_t m = 1;
  ((m = sizeof(T) > m ? sizeof(T) : m), ...);
  return m;
}

template <bool kVectorize, class Out, class... In, class F, size_t... J>
cudaError_t launch_impl(const F& f, const TensorRef& out, const TensorRef* const* in, int sm_count,
                        cudaStream_t stream, std::index_sequence<J...>) {
  constexpr int N = 1 + sizeof...(In);
  const int64_t n = out.numel;
  if (n == 0) return cudaSuccess;
  Geometry g[N] = {out.g, in[J]->g...};
  kernels::coalesce_dims(g, N);
  Out* o = static_cast<Out*>(out.data);
  if constexpr (kVectorize) {
    constexpr int K = static_cast<int>(16 / max_size_of<Out, In...>());
    const bool dense = kernels::is_dense(g[0]) && (kernels::is_dense(g[J + 1]) && ...);
    const bool aligned = aligned_to(out.data, sizeof(Out) * K) &&
                         (aligned_to(in[J]->data, sizeof(In) * K) && ...);
    if (dense && aligned && n >= K) {
      vec_kernel<K, Out><<<grid_size(n / K, sm_count), kThreads, 0, stream>>>(
          f, n, o, static_cast<const In*>(in[J]->data)...);
      return cudaGetLastError();
    }
  }
  const MultiGeometry<N> m = kernels::make_multi_geometry<N>(g);
  strided_kernel<Out><<<grid_size(n, sm_count), kThreads, 0, stream>>>(
      f, n, n <= static_cast<int64_t>(UINT32_MAX), m, o, static_cast<const In*>(in[J]->data)...);
  return cudaGetLastError();
}

// out = f(in...) elementwise; in[k] has element type In_k and out's shape.
template <class Out, class... In, class F>
cudaError_t elementwise(const F& f, const TensorRef& out, const TensorRef* const (&in)[sizeof...(In)], int sm_count,
                        cudaStream_t stream) {
  return launch_impl<true, Out, In...>(f, out, in, sm_count, stream, std::index_sequence_for<In...>{});
}

// The same without the vectorized kernel: half the instantiations, for the many dtype
// pairs of casting copies.
template <class Out, class... In, class F>
cudaError_t elementwise_strided(const F& f, const TensorRef& out, const TensorRef* const (&in)[sizeof...(In)],
                                int sm_count, cudaStream_t stream) {
  return launch_impl<false, Out, In...>(f, out, in, sm_count, stream, std::index_sequence_for<In...>{});
}

}  // namespace ember::cuda::ew
