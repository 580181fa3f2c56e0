// sum / amax / amin over a set of dims and max / min with indices along one dim. The
// structure (which elements feed which output, how blocks split the work) comes from
// reduce_plan.h; here only the per-element math, which matches kernels/cpu/reduce.cpp:
// float sums accumulate in double and integer sums in int64, amax/amin propagate NaN,
// argmax/argmin return the first NaN or else the first extremum.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstdint>
#include <type_traits>

#include "kernels/cuda/block_reduce.cuh"
#include "kernels/cuda/dtype.cuh"
#include "kernels/cuda/reduce_launch.h"

namespace ember::cuda {
namespace {

using kernels::ReduceLaunch;
using kernels::ReduceMode;
using kernels::ReducePlan;
using kernels::strided_offset;

// C: the type an element is compared in (ew::acc_t: f16/bf16 in float like the CPU; u8
// widened to a full word for the warp shuffles). Sum: the sum's accumulator (double for
// floating dtypes, int64 for integers, as the CPU's sum_acc_t).
template <class T> struct Traits {
  using C = std::conditional_t<std::is_same_v<T, uint8_t>, int32_t, ew::acc_t<T>>;
  using Sum = std::conditional_t<std::is_floating_point_v<ew::acc_t<T>>, double, int64_t>;
  static constexpr bool kFloat = std::is_floating_point_v<C>;
  static __device__ C load(T v) { return static_cast<C>(ew::load(v)); }
  // Wider sums round to T as the CPU does (through float for f16/bf16).
  template <class A> static __device__ T store(A a) { return ew::to_storage<T>(a); }
};

// The identities of max and min: -inf/+inf for floats, the type's range for integers.
template <class T> __device__ typename Traits<T>::C lowest() {
  if constexpr (Traits<T>::kFloat) return -INFINITY;
  else if constexpr (sizeof(T) == 1) return 0;
  else if constexpr (sizeof(T) == 4) return INT32_MIN;
  else return INT64_MIN;
}
template <class T> __device__ typename Traits<T>::C highest() {
  if constexpr (Traits<T>::kFloat) return INFINITY;
  else if constexpr (sizeof(T) == 1) return 255;
  else if constexpr (sizeof(T) == 4) return INT32_MAX;
  else return INT64_MAX;
}
template <class C> __device__ bool is_nan(C v) { return v != v; }

template <class T_> struct SumOp {
  using T = T_;
  using Acc = typename Traits<T>::Sum;
  static __device__ Acc init() { return Acc(0); }
  static __device__ Acc make(T v, int64_t) { return static_cast<Acc>(Traits<T>::load(v)); }
  static __device__ Acc combine(Acc a, Acc b) { return a + b; }
  static __device__ void store(Acc a, T* values, int64_t*, int64_t off) { values[off] = Traits<T>::store(a); }
};

template <class T_, bool kMax> struct ExtremumOp {
  using T = T_;
  using Acc = typename Traits<T>::C;
  static __device__ Acc init() { return kMax ? lowest<T>() : highest<T>(); }
  static __device__ Acc make(T v, int64_t) { return Traits<T>::load(v); }
  static __device__ Acc combine(Acc a, Acc b) {
    if constexpr (Traits<T>::kFloat) {
      if (is_nan(a)) return a;
      if (is_nan(b)) return b;
    }
    return (kMax ? a > b : a < b) ? a : b;
  }
  static __device__ void store(Acc a, T* values, int64_t*, int64_t off) { values[off] = Traits<T>::store(a); }
};
template <class T> using MaxOp = ExtremumOp<T, true>;
template <class T> using MinOp = ExtremumOp<T, false>;

// Value and index. No constructors: it lives in __shared__ arrays.
template <class C> struct VI {
  C v;
  int64_t i;
};

// Any order of combining gives the CPU's sequential answer (see arg_first_wins).
template <class T_, bool kMax> struct ArgOp {
  using T = T_;
  using C = typename Traits<T>::C;
  using Acc = VI<C>;
  static __device__ Acc init() { return {kMax ? lowest<T>() : highest<T>(), INT64_MAX}; }
  static __device__ Acc make(T v, int64_t r) { return {Traits<T>::load(v), r}; }
  static __device__ Acc combine(Acc a, Acc b) { return kernels::arg_first_wins<kMax>(a.v, a.i, b.v, b.i) ? a : b; }
  static __device__ void store(Acc a, T* values, int64_t* indices, int64_t off) {
    values[off] = Traits<T>::store(a.v);
    indices[off] = a.i;
  }
};
template <class T> using ArgMaxOp = ArgOp<T, true>;
template <class T> using ArgMinOp = ArgOp<T, false>;

// Op::combine as the functor the cooperative reductions take.
template <class Op>
struct Combine {
  __device__ typename Op::Acc operator()(typename Op::Acc a, typename Op::Acc b) const { return Op::combine(a, b); }
};

__device__ __forceinline__ int64_t inner_offset(int64_t r, const kernels::Geometry& g) {
  return g.ndim == 1 ? r * g.strides[0] : strided_offset(r, g);
}

// Split blockIdx.y of output o covers reduced elements [y*chunk, min((y+1)*chunk, n_red)).
template <class Op>
__global__ void __launch_bounds__(512)
    reduce_rows(const typename Op::T* x, ReducePlan p, int64_t chunk, typename Op::T* values, int64_t* indices,
                typename Op::Acc* partial) {
  using Acc = typename Op::Acc;
  __shared__ Acc smem[32];
  const int64_t split = blockIdx.y;
  const int64_t r_begin = split * chunk;
  const int64_t r_end = p.n_red - r_begin < chunk ? p.n_red : r_begin + chunk;
  for (int64_t o = blockIdx.x; o < p.n_out; o += gridDim.x) {
    const typename Op::T* base = x + strided_offset(o, p.outer);
    Acc acc = Op::init();
    for (int64_t r = r_begin + threadIdx.x; r < r_end; r += blockDim.x) {
      acc = Op::combine(acc, Op::make(base[inner_offset(r, p.inner)], r));
    }
    acc = coop::block_allreduce(acc, smem, Combine<Op>{});
    if (threadIdx.x == 0) {
      if (partial) partial[split * p.n_out + o] = acc;
      else Op::store(acc, values, indices, strided_offset(o, p.out));
    }
  }
}

// threadIdx.x picks the output, threadIdx.y strides through its share of the reduction.
template <class Op>
__global__ void __launch_bounds__(256)
    reduce_cols(const typename Op::T* x, ReducePlan p, int64_t chunk, typename Op::T* values, int64_t* indices,
                typename Op::Acc* partial) {
  using Acc = typename Op::Acc;
  __shared__ Acc smem[256];
  const int64_t split = blockIdx.y;
  const int64_t r_begin = split * chunk;
  const int64_t r_end = p.n_red - r_begin < chunk ? p.n_red : r_begin + chunk;
  for (int64_t tile = blockIdx.x; tile * blockDim.x < p.n_out; tile += gridDim.x) {
    const int64_t o = tile * blockDim.x + threadIdx.x;
    Acc acc = Op::init();
    if (o < p.n_out) {
      const typename Op::T* base = x + strided_offset(o, p.outer);
      for (int64_t r = r_begin + threadIdx.y; r < r_end; r += blockDim.y) {
        acc = Op::combine(acc, Op::make(base[inner_offset(r, p.inner)], r));
      }
    }
    acc = coop::column_allreduce(acc, smem, Combine<Op>{});
    if (threadIdx.y == 0 && o < p.n_out) {
      if (partial) partial[split * p.n_out + o] = acc;
      else Op::store(acc, values, indices, strided_offset(o, p.out));
    }
  }
}

// Combines the splits' partials of each output in split order.
template <class Op>
__global__ void reduce_finish(const typename Op::Acc* partial, int splits, int64_t n_out, kernels::Geometry out,
                              typename Op::T* values, int64_t* indices) {
  for (int64_t o = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; o < n_out;
       o += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    typename Op::Acc a = partial[o];
    for (int s = 1; s < splits; ++s) a = Op::combine(a, partial[s * n_out + o]);
    Op::store(a, values, indices, strided_offset(o, out));
  }
}

template <class Op>
cudaError_t run(const ReducePlan& p, const ReduceLaunch& l, const void* x, void* values, int64_t* indices,
                void* workspace, cudaStream_t stream) {
  using T = typename Op::T;
  using Acc = typename Op::Acc;
  static_assert(sizeof(Acc) <= kReducePartialBytes, "workspace too small for this accumulator");
  if (p.n_out == 0) return cudaSuccess;
  if (l.splits > 1 && workspace == nullptr) return cudaErrorInvalidValue;
  Acc* partial = l.splits > 1 ? static_cast<Acc*>(workspace) : nullptr;
  const T* xp = static_cast<const T*>(x);
  T* vp = static_cast<T*>(values);
  const dim3 grid(static_cast<unsigned>(l.grid_x), static_cast<unsigned>(l.splits));
  if (l.mode == ReduceMode::rows) {
    reduce_rows<Op><<<grid, l.block_x, 0, stream>>>(xp, p, l.chunk, vp, indices, partial);
  } else {
    reduce_cols<Op><<<grid, dim3(l.block_x, l.block_y), 0, stream>>>(xp, p, l.chunk, vp, indices, partial);
  }
  cudaError_t err = cudaGetLastError();
  if (err != cudaSuccess || partial == nullptr) return err;
  const int64_t blocks = (p.n_out + 255) / 256;
  reduce_finish<Op><<<static_cast<unsigned>(blocks < 65535 ? blocks : 65535), 256, 0, stream>>>(
      partial, l.splits, p.n_out, p.out, vp, indices);
  return cudaGetLastError();
}

template <template <class> class Op, class... Args>
cudaError_t for_dtype(DType dtype, Args... args) {
  return ew::dispatch_numeric(dtype, [&]<class T>(ew::Tag<T>) { return run<Op<T>>(args...); });
}

}  // namespace

cudaError_t launch_reduce(OpId kind, DType dtype, const ReducePlan& plan, const ReduceLaunch& launch,
                          const void* x, void* values, int64_t* indices, void* workspace, cudaStream_t stream) {
  switch (kind) {
    case OpId::sum: return for_dtype<SumOp>(dtype, plan, launch, x, values, indices, workspace, stream);
    case OpId::amax: return for_dtype<MaxOp>(dtype, plan, launch, x, values, indices, workspace, stream);
    case OpId::amin: return for_dtype<MinOp>(dtype, plan, launch, x, values, indices, workspace, stream);
    case OpId::max_dim:
      if (indices == nullptr) return cudaErrorInvalidValue;
      return for_dtype<ArgMaxOp>(dtype, plan, launch, x, values, indices, workspace, stream);
    case OpId::min_dim:
      if (indices == nullptr) return cudaErrorInvalidValue;
      return for_dtype<ArgMinOp>(dtype, plan, launch, x, values, indices, workspace, stream);
    default: return cudaErrorInvalidValue;
  }
}

}  // namespace ember::cuda
