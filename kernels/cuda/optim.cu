// Fused optimizer updates: a "multi-tensor apply". The host packs up to kTensors tensors'
// pointers and up to kBlocks chunks of kChunk elements into the kernel's arguments; each
// block updates one chunk of one tensor. Large tensors span several blocks (and, when the
// table fills, several launches); small ones share a launch, so a model's parameters take
// a few launches instead of several per parameter.
#include <cstdint>
#include <type_traits>

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "kernels/common/optim_math.h"
#include "kernels/cuda/optim_launch.h"

namespace ember::cuda {
namespace {

constexpr int64_t kChunk = 65536;
constexpr int kThreads = 512;
constexpr int kBlocks = 320;

// Kernel arguments are limited to 4 KiB: fewer tensors per launch when there are more lists.
template <int N>
struct ListTable {
  static constexpr int kTensors = N <= 3 ? 48 : 32;
  void* ptrs[N][kTensors];
  int64_t numel[kTensors];
  int chunk[kBlocks];            // chunk index within its tensor
  unsigned char tensor[kBlocks];  // entry in ptrs/numel
};
static_assert(ListTable<3>::kTensors <= 256 && ListTable<5>::kTensors <= 256);
static_assert(sizeof(ListTable<3>) <= 3300 && sizeof(ListTable<5>) <= 3300);

template <class T> struct Acc { using type = float; };
template <> struct Acc<double> { using type = double; };
template <class T> using acc_t = typename Acc<T>::type;

template <class T>
__device__ __forceinline__ acc_t<T> load(const T* p, int64_t i) {
  if constexpr (std::is_same_v<T, __half>) return __half2float(p[i]);
  else if constexpr (std::is_same_v<T, __nv_bfloat16>) return __bfloat162float(p[i]);
  else return p[i];
}
template <class T>
__device__ __forceinline__ void store(T* p, int64_t i, acc_t<T> v) {
  if constexpr (std::is_same_v<T, __half>) p[i] = __float2half_rn(v);
  else if constexpr (std::is_same_v<T, __nv_bfloat16>) p[i] = __float2bfloat16_rn(v);
  else p[i] = v;
}

template <class T>
struct SgdOp {
  static constexpr int kLists = 3;
  kernels::SgdCoeffs<acc_t<T>> c;
  __device__ void operator()(void* const* ptrs, int64_t i) const {
    using A = acc_t<T>;
    T* p = static_cast<T*>(ptrs[0]);
    const T* g = static_cast<const T*>(ptrs[1]);
    T* b = static_cast<T*>(ptrs[2]);
    A pv = load(p, i);
    A bv = b && !c.first_step ? load(b, i) : A(0);
    kernels::sgd_update<A>(pv, load(g, i), bv, c);
    store(p, i, pv);
    if (b) store(b, i, bv);
  }
};

template <class T>
struct AdamOp {
  static constexpr int kLists = 5;
  kernels::AdamCoeffs<acc_t<T>> c;
  __device__ void operator()(void* const* ptrs, int64_t i) const {
    using A = acc_t<T>;
    T* p = static_cast<T*>(ptrs[0]);
    const T* g = static_cast<const T*>(ptrs[1]);
    T* m = static_cast<T*>(ptrs[2]);
    T* v = static_cast<T*>(ptrs[3]);
    T* vmax = static_cast<T*>(ptrs[4]);
    A pv = load(p, i), mv = load(m, i), vv = load(v, i);
    A xv = vmax ? load(vmax, i) : A(0);
    kernels::adam_update<A>(pv, load(g, i), mv, vv, xv, c);
    store(p, i, pv);
    store(m, i, mv);
    store(v, i, vv);
    if (vmax) store(vmax, i, xv);
  }
};

template <class Op>
__global__ void __launch_bounds__(kThreads) multi_tensor_kernel(ListTable<Op::kLists> table, Op op) {
  constexpr int N = Op::kLists;
  const int t = table.tensor[blockIdx.x];
  const int64_t begin = static_cast<int64_t>(table.chunk[blockIdx.x]) * kChunk;
  const int64_t n = table.numel[t];
  const int64_t end = n < begin + kChunk ? n : begin + kChunk;
  void* ptrs[N];
#pragma unroll
  for (int l = 0; l < N; ++l) ptrs[l] = table.ptrs[l][t];
  for (int64_t i = begin + threadIdx.x; i < end; i += kThreads) op(ptrs, i);
}

// lists[l] is null for an absent optional list.
template <class Op>
cudaError_t apply(int64_t n_tensors, void* const* const* lists, const int64_t* numels, const Op& op,
                  cudaStream_t stream) {
  constexpr int N = Op::kLists;
  constexpr int kTensors = ListTable<N>::kTensors;
  ListTable<N> table{};
  int nt = 0, nb = 0;
  auto launch = [&]() {
    multi_tensor_kernel<Op><<<nb, kThreads, 0, stream>>>(table, op);
    nb = 0;
    return cudaGetLastError();
  };
  for (int64_t k = 0; k < n_tensors; ++k) {
    const int64_t n = numels[k];
    if (n <= 0) continue;
    for (int l = 0; l < N; ++l) table.ptrs[l][nt] = lists[l] ? lists[l][k] : nullptr;
    table.numel[nt] = n;
    const int64_t chunks = (n + kChunk - 1) / kChunk;
    for (int64_t c = 0; c < chunks; ++c) {
      table.tensor[nb] = static_cast<unsigned char>(nt);
      table.chunk[nb] = static_cast<int>(c);
      ++nb;
      const bool last_chunk = c + 1 == chunks;
      if (nb == kBlocks || (last_chunk && nt + 1 == kTensors)) {
        // Arguments are copied at launch, so the table can be refilled at once.
        if (cudaError_t e = launch(); e != cudaSuccess) return e;
        if (last_chunk) {
          nt = -1;
        } else {  // the rest of this tensor's chunks go to the next launch, as entry 0
          for (int l = 0; l < N; ++l) table.ptrs[l][0] = table.ptrs[l][nt];
          table.numel[0] = table.numel[nt];
          nt = 0;
        }
      }
    }
    ++nt;
  }
  return nb > 0 ? launch() : cudaSuccess;
}

template <class F>
cudaError_t dispatch_floating(DT dt, F&& fn) {
  switch (dt) {
    case DT::f32: return fn(float{});
    case DT::f64: return fn(double{});
    case DT::f16: return fn(__half{});
    case DT::bf16: return fn(__nv_bfloat16{});
    default: return cudaErrorNotSupported;
  }
}

}  // namespace

cudaError_t launch_fused_sgd(DT dtype, int64_t n_tensors, void* const* params, void* const* grads,
                             void* const* bufs, const int64_t* numels, const kernels::SgdHyper& h,
                             cudaStream_t stream) {
  if (n_tensors <= 0) return cudaSuccess;
  return dispatch_floating(dtype, [&](auto tag) {
    using T = decltype(tag);
    SgdOp<T> op{kernels::sgd_coeffs<acc_t<T>>(h)};
    void* const* lists[3] = {params, grads, h.momentum != 0.0 ? bufs : nullptr};
    return apply(n_tensors, lists, numels, op, stream);
  });
}

cudaError_t launch_fused_adam(DT dtype, int64_t n_tensors, void* const* params, void* const* grads,
                              void* const* exp_avgs, void* const* exp_avg_sqs, void* const* max_exp_avg_sqs,
                              const int64_t* numels, const kernels::AdamHyper& h, cudaStream_t stream) {
  if (n_tensors <= 0) return cudaSuccess;
  return dispatch_floating(dtype, [&](auto tag) {
    using T = decltype(tag);
    AdamOp<T> op{kernels::adam_coeffs<acc_t<T>>(h)};
    void* const* lists[5] = {params, grads, exp_avgs, exp_avg_sqs, h.amsgrad ? max_exp_avg_sqs : nullptr};
    return apply(n_tensors, lists, numels, op, stream);
  });
}

}  // namespace ember::cuda
