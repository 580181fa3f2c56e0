// Comparisons (bool out) and where, mirroring kernels/cpu/binary.cpp.
#include "kernels/cuda/elementwise.cuh"
#include "kernels/cuda/elementwise_launch.h"

namespace ember::cuda {
namespace {

struct Eq { template <class A> __device__ bool operator()(A a, A b) const { return a == b; } };
struct Ne { template <class A> __device__ bool operator()(A a, A b) const { return a != b; } };
struct Lt { template <class A> __device__ bool operator()(A a, A b) const { return a < b; } };
struct Le { template <class A> __device__ bool operator()(A a, A b) const { return a <= b; } };
struct Gt { template <class A> __device__ bool operator()(A a, A b) const { return a > b; } };
struct Ge { template <class A> __device__ bool operator()(A a, A b) const { return a >= b; } };

// Selecting moves bits, so one instantiation per element size serves every dtype.
struct Select {
  template <class U> __device__ U operator()(bool c, U a, U b) const { return c ? a : b; }
};

template <class F>
cudaError_t run(const F& f, const TensorRef& a, const TensorRef& b, const TensorRef& out, int sm, cudaStream_t s) {
  return ew::dispatch_all(a.dtype, [&]<class T>(ew::Tag<T>) {
    const TensorRef* in[] = {&a, &b};
    return ew::elementwise<bool, T, T>(f, out, in, sm, s);
  });
}

}  // namespace

cudaError_t launch_compare(Op op, const TensorRef& a, const TensorRef& b, const TensorRef& out, int sm,
                           cudaStream_t s) {
  if (a.dtype != b.dtype || out.dtype != DT::boolean) return cudaErrorNotSupported;
  switch (op) {
    case Op::eq: return run(Eq{}, a, b, out, sm, s);
    case Op::ne: return run(Ne{}, a, b, out, sm, s);
    case Op::lt: return run(Lt{}, a, b, out, sm, s);
    case Op::le: return run(Le{}, a, b, out, sm, s);
    case Op::gt: return run(Gt{}, a, b, out, sm, s);
    case Op::ge: return run(Ge{}, a, b, out, sm, s);
    default: return cudaErrorNotSupported;
  }
}

cudaError_t launch_where(const TensorRef& cond, const TensorRef& a, const TensorRef& b, const TensorRef& out, int sm,
                         cudaStream_t s) {
  if (cond.dtype != DT::boolean || a.dtype != out.dtype || b.dtype != out.dtype) return cudaErrorNotSupported;
  return ew::dispatch_by_size(out.dtype, [&]<class U>(ew::Tag<U>) {
    const TensorRef* in[] = {&cond, &a, &b};
    return ew::elementwise<U, bool, U, U>(Select{}, out, in, sm, s);
  });
}

}  // namespace ember::cuda
