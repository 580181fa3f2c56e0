// Elementwise unary kernels: one loop template over the shared functors of
// kernels/common/elementwise_ops.h (the same ones the CUDA kernels run), registered for
// every EMBER_UNARY line of core/ops.def.
#include "ember/core/dispatch.h"
#include "kernels/common/elementwise_ops.h"
#include "kernels/cpu/loops.h"
#include "kernels/cpu/register.h"

namespace ember::cpu {
namespace {

template <class F>
void unary_kernel(const Tensor& x, const Tensor& out, const ScalarArgs& args) {
  const F f = kernels::make_unary<F>(args);
  auto run = [&]<class T>() {
    using A = acc_t<T>;
    unary_loop<T, T>(x, out, [f](T v) { return T(f(static_cast<A>(v))); });
  };
  if constexpr (F::kIntegers)
    detail::dispatch_numeric(x.dtype(), "unary", run);
  else
    detail::dispatch_floating(x.dtype(), "unary", run);
}

}  // namespace

void register_unary_kernels() {
#define EMBER_OP(name, family)
#define EMBER_UNARY(name, functor) register_kernel<OpId::name>(DeviceType::cpu, &unary_kernel<kernels::functor>);
#include "ember/core/ops.def"
#undef EMBER_UNARY
#undef EMBER_OP
}

}  // namespace ember::cpu
