// Binary elementwise kernels on broadcast operands: the shared functors of
// kernels/common/elementwise_ops.h (the CPU kernels run the same ones) on the compute type
// (float for f16/bf16), one case per EMBER_BINARY line of core/ops.def.
#include "kernels/common/elementwise_ops.h"
#include "kernels/cuda/elementwise.cuh"
#include "kernels/cuda/elementwise_launch.h"

namespace ember::cuda {
namespace {

template <class F>
cudaError_t run(const TensorRef& a, const TensorRef& b, const TensorRef& out, int sm, cudaStream_t s) {
  return ew::dispatch_numeric(out.dtype, [&]<class T>(ew::Tag<T>) {
    const TensorRef* in[] = {&a, &b};
    return ew::elementwise<T, T, T>(F{}, out, in, sm, s);
  });
}

}  // namespace

cudaError_t launch_binary(OpId op, const TensorRef& a, const TensorRef& b, const TensorRef& out, int sm,
                          cudaStream_t s) {
  if (a.dtype != out.dtype || b.dtype != out.dtype) return cudaErrorNotSupported;
  switch (op) {
#define EMBER_OP(name, family)
#define EMBER_BINARY(name, functor) \
  case OpId::name: return run<kernels::functor>(a, b, out, sm, s);
#include "ember/core/ops.def"
#undef EMBER_BINARY
#undef EMBER_OP
    default: return cudaErrorNotSupported;
  }
}

}  // namespace ember::cuda
