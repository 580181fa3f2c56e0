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
#include "kernels/cuda/dtype.cuh"
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

using ew::acc_t;

template <class T>
__device__ __forceinline__ acc_t<T> load(const T* p, int64_t i) {
  return ew::load(p[i]);
}
template <class T>
__device__ __forceinline__ void store(T* p, int64_t i, acc_t<T> v) {
  p[i] = ew::to_storage<T>(v);
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

// Every parameter of a launch (table and op, with padding) within the 4 KiB that every
// toolkit and card accepts.
static_assert(sizeof(ListTable<3>) + sizeof(SgdOp<double>) + 16 <= 4096);
static_assert(sizeof(ListTable<5>) + sizeof(AdamOp<double>) + 16 <= 4096);

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
  ListTable<N> table{};
  cudaError_t err = cudaSuccess;
  kernels::pack_multi_tensor(
      n_tensors, numels, kChunk, ListTable<N>::kTensors, kBlocks,
      [&](int s, int64_t k) {
        for (int l = 0; l < N; ++l) table.ptrs[l][s] = lists[l] ? lists[l][k] : nullptr;
        table.numel[s] = numels[k];
      },
      [&](int b, int s, int64_t c) {
        table.tensor[b] = static_cast<unsigned char>(s);
        table.chunk[b] = static_cast<int>(c);
      },
      [&](int nb) {
        // Arguments are copied at launch, so the table can be refilled at once.
        multi_tensor_kernel<Op><<<nb, kThreads, 0, stream>>>(table, op);
        err = cudaGetLastError();
        return err == cudaSuccess;
      });
  return err;
}

}  // namespace

cudaError_t launch_fused_sgd(DType dtype, int64_t n_tensors, void* const* params, void* const* grads,
                             void* const* bufs, const int64_t* numels, const FusedSGDArgs& h,
                             cudaStream_t stream) {
  if (n_tensors <= 0) return cudaSuccess;
  return ew::dispatch_floating(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    SgdOp<T> op{kernels::sgd_coeffs<acc_t<T>>(h)};
    void* const* lists[3] = {params, grads, h.momentum != 0.0 ? bufs : nullptr};
    return apply(n_tensors, lists, numels, op, stream);
  });
}

cudaError_t launch_fused_adam(DType dtype, int64_t n_tensors, void* const* params, void* const* grads,
                              void* const* exp_avgs, void* const* exp_avg_sqs, void* const* max_exp_avg_sqs,
                              const int64_t* numels, const FusedAdamArgs& h, cudaStream_t stream) {
  if (n_tensors <= 0) return cudaSuccess;
  return ew::dispatch_floating(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    AdamOp<T> op{kernels::adam_coeffs<acc_t<T>>(h)};
    void* const* lists[5] = {params, grads, exp_avgs, exp_avg_sqs, h.amsgrad ? max_exp_avg_sqs : nullptr};
    return apply(n_tensors, lists, numels, op, stream);
  });
}

}  // namespace ember::cuda
