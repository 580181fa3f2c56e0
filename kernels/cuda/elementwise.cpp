// CUDA kernels of the Unary, Binary, Compare and Where families. The dtype sets are the
// CPU kernels' (both read them off the shared functors); anything else throws DTypeError
// here, before a launcher sees it.
#include "ember/core/dispatch.h"
#include "kernels/common/elementwise_ops.h"
#include "kernels/cuda/check.h"
#include "kernels/cuda/elementwise_launch.h"
#include "kernels/cuda/kernels.h"
#include "kernels/cuda/runtime.h"
#include "kernels/cuda/tensor_ref.h"

namespace ember::cuda {
namespace {

// Every operand on out's CUDA device with out's shape (the front-ends broadcast).
void check_operands(const char* op, const Tensor& out, std::initializer_list<const Tensor*> in) {
  EMBER_CHECK(out.device().is_cuda(), DeviceError, "{}: CUDA kernel got an output on {}", op, out.device());
  for (const Tensor* t : in) {
    EMBER_CHECK(t->device() == out.device(), DeviceError, "{}: operand on {} but output on {}", op, t->device(),
                out.device());
    EMBER_CHECK(t->shape() == out.shape(), ShapeError, "{}: operand shape {} != output shape {}", op,
                shape_str(t->shape()), shape_str(out.shape()));
  }
}

void check_same_dtype(const char* op, const Tensor& t, DType want) {
  EMBER_CHECK(t.dtype() == want, DTypeError, "{}: operand has dtype {} but {} is expected", op, t.dtype(), want);
}

template <OpId kId, class F>
void unary_cuda(const Tensor& x, const Tensor& out, const ScalarArgs& args) {
  const char* op = op_name(kId);
  check_operands(op, out, {&x});
  if constexpr (F::kIntegers) {
    EMBER_CHECK(is_floating(x.dtype()) || is_integral(x.dtype()), DTypeError, "{}: expected a numeric tensor, got {}",
                op, x.dtype());
  } else {
    EMBER_CHECK(is_floating(x.dtype()), DTypeError, "{}: expected a floating-point tensor, got {}", op, x.dtype());
  }
  check_same_dtype(op, out, x.dtype());
  const int dev = out.device().index;
  DeviceGuard guard(dev);
  EMBER_CUDA_CHECK_LAUNCH(op, launch_unary(kId, make_ref(x, op), make_ref(out, op), args, sm_count(dev),
                                           stream(dev)));
}

template <OpId kId>
void binary_cuda(const Tensor& a, const Tensor& b, const Tensor& out) {
  const char* op = op_name(kId);
  check_operands(op, out, {&a, &b});
  EMBER_CHECK(out.dtype() != DType::boolean, DTypeError, "{}: expected a numeric tensor, got {}", op, out.dtype());
  check_same_dtype(op, a, out.dtype());
  check_same_dtype(op, b, out.dtype());
  const int dev = out.device().index;
  DeviceGuard guard(dev);
  EMBER_CUDA_CHECK_LAUNCH(op, launch_binary(kId, make_ref(a, op), make_ref(b, op), make_ref(out, op),
                                            sm_count(dev), stream(dev)));
}

template <OpId kId>
void compare_cuda(const Tensor& a, const Tensor& b, const Tensor& out) {
  const char* op = op_name(kId);
  check_operands(op, out, {&a, &b});
  check_same_dtype(op, b, a.dtype());
  check_same_dtype(op, out, DType::boolean);
  const int dev = out.device().index;
  DeviceGuard guard(dev);
  EMBER_CUDA_CHECK_LAUNCH(op, launch_compare(kId, make_ref(a, op), make_ref(b, op), make_ref(out, op),
                                             sm_count(dev), stream(dev)));
}

void where_cuda(const Tensor& cond, const Tensor& a, const Tensor& b, const Tensor& out) {
  const char* op = "where";
  check_operands(op, out, {&cond, &a, &b});
  check_same_dtype(op, cond, DType::boolean);
  check_same_dtype(op, a, out.dtype());
  check_same_dtype(op, b, out.dtype());
  const int dev = out.device().index;
  DeviceGuard guard(dev);
  EMBER_CUDA_CHECK_LAUNCH(op, launch_where(make_ref(cond, op), make_ref(a, op), make_ref(b, op), make_ref(out, op),
                                           sm_count(dev), stream(dev)));
}

}  // namespace

void register_elementwise_kernels() {
#define EMBER_OP(name, family)
#define EMBER_UNARY(name, functor) \
  register_kernel<OpId::name>(DeviceType::cuda, &unary_cuda<OpId::name, kernels::functor>);
#define EMBER_BINARY(name, functor) register_kernel<OpId::name>(DeviceType::cuda, &binary_cuda<OpId::name>);
#define EMBER_COMPARE(name, functor) register_kernel<OpId::name>(DeviceType::cuda, &compare_cuda<OpId::name>);
#include "ember/core/ops.def"
#undef EMBER_COMPARE
#undef EMBER_BINARY
#undef EMBER_UNARY
#undef EMBER_OP
  register_kernel<OpId::where>(DeviceType::cuda, &where_cuda);
}

}  // namespace ember::cuda
