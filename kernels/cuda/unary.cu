// Unary elementwise kernels: the shared functors of kernels/common/elementwise_ops.h (the
// CPU kernels run the same ones) on the compute type (float for f16/bf16), one case per
// EMBER_UNARY line of core/ops.def.
#include "kernels/common/elementwise_ops.h"
#include "kernels/cuda/elementwise.cuh"
#include "kernels/cuda/elementwise_launch.h"

namespace ember::cuda {
namespace {

template <class F>
cudaError_t run(const ScalarArgs& args, const TensorRef& x, const TensorRef& out, int sm, cudaStream_t s) {
  const F f = kernels::make_unary<F>(args);
  auto body = [&]<class T>(ew::Tag<T>) {
    const TensorRef* in[] = {&x};
    return ew::elementwise<T, T>(f, out, in, sm, s);
  };
  if constexpr (F::kIntegers) return ew::dispatch_numeric(x.dtype, body);
  else return ew::dispatch_floating(x.dtype, body);
}

}  // namespace

cudaError_t launch_unary(OpId op, const TensorRef& x, const TensorRef& out, const ScalarArgs& args, int sm,
                         cudaStream_t s) {
  if (x.dtype != out.dtype) return cudaErrorNotSupported;
  switch (op) {
#define EMBER_OP(name, family)
#define EMBER_UNARY(name, functor) \
  case OpId::name: return run<kernels::functor>(args, x, out, sm, s);
#include "ember/core/ops.def"
#undef EMBER_UNARY
#undef EMBER_OP
    default: return cudaErrorNotSupported;
  }
}

}  // namespace ember::cuda
