// CUDA kernels of the Unary, Binary, Compare and Where families. The dtype sets are the
// CPU kernels' (kernels/cpu/unary.cpp, binary.cpp); anything else throws DTypeError here,
// before a launcher sees it.
#include "ember/core/dispatch.h"
#include "kernels/cuda/check.h"
#include "kernels/cuda/elementwise_launch.h"
#include "kernels/cuda/kernels.h"
#include "kernels/cuda/runtime.h"
#include "kernels/cuda/tensor_ref.h"

namespace ember::cuda {
namespace {

Op to_op(OpId id) { return static_cast<Op>(static_cast<uint16_t>(id)); }

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

template <OpId kId, bool kIntegers>
void unary_cuda(const Tensor& x, const Tensor& out, const ScalarArgs& args) {
  const char* op = op_name(kId);
  check_operands(op, out, {&x});
  if constexpr (kIntegers) {
    EMBER_CHECK(is_floating(x.dtype()) || is_integral(x.dtype()), DTypeError, "{}: expected a numeric tensor, got {}",
                op, x.dtype());
  } else {
    EMBER_CHECK(is_floating(x.dtype()), DTypeError, "{}: expected a floating-point tensor, got {}", op, x.dtype());
  }
  check_same_dtype(op, out, x.dtype());
  const int dev = out.device().index;
  DeviceGuard guard(dev);
  EMBER_CUDA_CHECK_LAUNCH(op, launch_unary(to_op(kId), make_ref(x, op), make_ref(out, op), args.a, args.b,
                                           sm_count(dev), stream(dev)));
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
  EMBER_CUDA_CHECK_LAUNCH(op, launch_binary(to_op(kId), make_ref(a, op), make_ref(b, op), make_ref(out, op),
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
  EMBER_CUDA_CHECK_LAUNCH(op, launch_compare(to_op(kId), make_ref(a, op), make_ref(b, op), make_ref(out, op),
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

template <OpId kId, bool kIntegers = false>
void reg_unary() {
  register_kernel(kId, DeviceType::CUDA, &unary_cuda<kId, kIntegers>, "Unary");
}
template <OpId kId>
void reg_binary() {
  register_kernel(kId, DeviceType::CUDA, &binary_cuda<kId>, "Binary");
}
template <OpId kId>
void reg_compare() {
  register_kernel(kId, DeviceType::CUDA, &compare_cuda<kId>, "Compare");
}

}  // namespace

void register_elementwise_kernels() {
  // Integer dtypes exactly where the CPU registers them (reg<Op, true> in cpu/unary.cpp).
  reg_unary<OpId::neg, true>();
  reg_unary<OpId::abs, true>();
  reg_unary<OpId::sign, true>();
  reg_unary<OpId::exp>();
  reg_unary<OpId::log>();
  reg_unary<OpId::log1p>();
  reg_unary<OpId::sqrt>();
  reg_unary<OpId::rsqrt>();
  reg_unary<OpId::pow_scalar>();
  reg_unary<OpId::rpow_scalar>();
  reg_unary<OpId::relu, true>();
  reg_unary<OpId::leaky_relu>();
  reg_unary<OpId::gelu>();
  reg_unary<OpId::sigmoid>();
  reg_unary<OpId::tanh>();
  reg_unary<OpId::clamp>();
  reg_unary<OpId::affine, true>();

  reg_binary<OpId::add>();
  reg_binary<OpId::sub>();
  reg_binary<OpId::mul>();
  reg_binary<OpId::div>();
  reg_binary<OpId::maximum>();
  reg_binary<OpId::minimum>();
  reg_binary<OpId::pow>();
  reg_binary<OpId::relu_backward>();

  reg_compare<OpId::eq>();
  reg_compare<OpId::ne>();
  reg_compare<OpId::lt>();
  reg_compare<OpId::le>();
  reg_compare<OpId::gt>();
  reg_compare<OpId::ge>();
  register_kernel(OpId::where, DeviceType::CUDA, &where_cuda, "Where");
}

}  // namespace ember::cuda
