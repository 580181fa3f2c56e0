// The fused cross-entropy kernels on CUDA (cross_entropy.cu); the contract is
// kernel::CrossEntropy / kernel::CrossEntropyBackward in core/kernel_types.h.
#include "ember/core/dispatch.h"
#include "kernels/cuda/check.h"
#include "kernels/cuda/cross_entropy_launch.h"
#include "kernels/cuda/kernels.h"
#include "kernels/cuda/runtime.h"
#include "kernels/cuda/tensor_ref.h"

namespace ember::cuda {
namespace {

// Every operand on x's CUDA device with the layout the kernels index directly.
void check_operand(const char* op, const char* what, const Tensor& v, const Tensor& x, DType dtype,
                   const Shape& shape) {
  EMBER_CHECK(v.device() == x.device(), DeviceError, "{}: scores on {} but {} on {}", op, x.device(), what,
              v.device());
  EMBER_CHECK(v.dtype() == dtype && v.shape() == shape && v.is_contiguous(), ShapeError,
              "{}: {} must be contiguous {} {}, got {} {}", op, what, dtype, shape_str(shape), v.dtype(),
              shape_str(v.shape()));
}

CrossEntropyShape checked_shape(const char* op, const Tensor& x, const Tensor& target, const Tensor& lse,
                                const CrossEntropyArgs& args) {
  EMBER_CHECK(x.device().is_cuda(), DeviceError, "{}: CUDA kernel got scores on {}", op, x.device());
  EMBER_CHECK(is_floating(x.dtype()), DTypeError, "{}: expected floating-point scores, got {}", op, x.dtype());
  EMBER_CHECK(x.dim() == 2 && x.is_contiguous(), ShapeError, "{}: expected contiguous [N, C] scores, got {}", op,
              shape_str(x.shape()));
  const int64_t n = x.shape()[0];
  check_operand(op, "target", target, x, DType::i64, {n});
  check_operand(op, "lse", lse, x, x.dtype() == DType::f64 ? DType::f64 : DType::f32, {n});
  CrossEntropyShape s;
  s.n = n;
  s.c = x.shape()[1];
  s.label_smoothing = args.label_smoothing;
  s.ignore_index = args.ignore_index;
  return s;
}

void cross_entropy_forward_cuda(const Tensor& x, const Tensor& target, const Tensor& loss, const Tensor& lse,
                                const CrossEntropyArgs& args) {
  const char* op = "cross_entropy_forward";
  const CrossEntropyShape s = checked_shape(op, x, target, lse, args);
  check_operand(op, "loss", loss, x, x.dtype(), {s.n});
  if (s.n == 0) return;
  const int dev = x.device().index;
  DeviceGuard guard(dev);
  EMBER_CUDA_CHECK_LAUNCH(op, launch_cross_entropy_forward(x.dtype(), x.raw_data(),
                                                           static_cast<const int64_t*>(target.raw_data()),
                                                           loss.raw_data(), lse.raw_data(), s, stream(dev)));
}

void cross_entropy_backward_cuda(const Tensor& x, const Tensor& target, const Tensor& lse, const Tensor& gl,
                                 const Tensor& gx, const CrossEntropyArgs& args) {
  const char* op = "cross_entropy_backward";
  const CrossEntropyShape s = checked_shape(op, x, target, lse, args);
  check_operand(op, "gl", gl, x, x.dtype(), {s.n});
  check_operand(op, "gx", gx, x, x.dtype(), x.shape());
  if (s.n == 0 || s.c == 0) return;
  const int dev = x.device().index;
  DeviceGuard guard(dev);
  EMBER_CUDA_CHECK_LAUNCH(op, launch_cross_entropy_backward(x.dtype(), x.raw_data(),
                                                            static_cast<const int64_t*>(target.raw_data()),
                                                            lse.raw_data(), gl.raw_data(), gx.raw_data(), s,
                                                            stream(dev)));
}

}  // namespace

void register_cross_entropy_kernels() {
  register_kernel<OpId::cross_entropy_forward>(DeviceType::cuda, &cross_entropy_forward_cuda);
  register_kernel<OpId::cross_entropy_backward>(DeviceType::cuda, &cross_entropy_backward_cuda);
}

}  // namespace ember::cuda
