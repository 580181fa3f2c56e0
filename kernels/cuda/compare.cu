// Comparisons (bool out): the shared functors of kernels/common/elementwise_ops.h, one
// case per EMBER_COMPARE line of core/ops.def; and where.
#include "kernels/common/elementwise_ops.h"
#include "kernels/cuda/elementwise.cuh"
#include "kernels/cuda/elementwise_launch.h"

namespace ember::cuda {
namespace {

template <class F>
cudaError_t run(const TensorRef& a, const TensorRef& b, const TensorRef& out, int sm, cudaStream_t s) {
  return ew::dispatch_all(a.dtype, [&]<class T>(ew::Tag<T>) {
    const TensorRef* in[] = {&a, &b};
    return ew::elementwise<bool, T, T>(F{}, out, in, sm, s);
  });
}

// Selecting moves bits, so one instantiation per element size serves every dtype.
struct Select {
  template <class U> __device__ U operator()(bool c, U a, U b) const { return c ? a : b; }
};

}  // namespace

cudaError_t launch_compare(OpId op, const TensorRef& a, const TensorRef& b, const TensorRef& out, int sm,
                           cudaStream_t s) {
  if (a.dtype != b.dtype || out.dtype != DType::boolean) return cudaErrorNotSupported;
  switch (op) {
#define EMBER_OP(name, family)
#define EMBER_COMPARE(name, functor) \
  case OpId::name: return run<kernels::functor>(a, b, out, sm, s);
#include "ember/core/ops.def"
#undef EMBER_COMPARE
#undef EMBER_OP
    default: return cudaErrorNotSupported;
  }
}

cudaError_t launch_where(const TensorRef& cond, const TensorRef& a, const TensorRef& b, const TensorRef& out, int sm,
                         cudaStream_t s) {
  if (cond.dtype != DType::boolean || a.dtype != out.dtype || b.dtype != out.dtype) return cudaErrorNotSupported;
  return ew::dispatch_by_size(out.dtype, [&]<class U>(ew::Tag<U>) {
    const TensorRef* in[] = {&cond, &a, &b};
    return ew::elementwise<U, bool, U, U>(Select{}, out, in, sm, s);
  });
}

}  // namespace ember::cuda
