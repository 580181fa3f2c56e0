// softmax / log_softmax and their backward passes on CUDA (softmax.cu). The kernels walk
// a contiguous [outer, d, inner] view, so strided operands are made contiguous first.
#include "ember/core/dispatch.h"
#include "kernels/cuda/check.h"
#include "kernels/cuda/kernels.h"
#include "kernels/cuda/runtime.h"
#include "kernels/cuda/softmax_launch.h"
#include "kernels/cuda/tensor_ref.h"

namespace ember::cuda {
namespace {

SoftmaxShape view_of(const Tensor& x, int64_t dim, const char* op) {
  EMBER_CHECK(is_floating(x.dtype()), DTypeError, "{}: expected a floating-point tensor, got {}", op, x.dtype());
  EMBER_CHECK(dim >= 0 && dim < x.dim(), ShapeError, "{}: dim {} is out of range for shape {}", op, dim,
              shape_str(x.shape()));
  SoftmaxShape s;
  for (int64_t i = 0; i < dim; ++i) s.outer *= x.shape()[i];
  s.d = x.shape()[dim];
  for (int64_t i = dim + 1; i < x.dim(); ++i) s.inner *= x.shape()[i];
  return s;
}

void check_output(const Tensor& x, const Tensor& out, const char* op) {
  EMBER_CHECK(x.device().is_cuda() && out.device() == x.device(), DeviceError,
              "{}: CUDA kernel got an input on {} and an output on {}", op, x.device(), out.device());
  EMBER_CHECK(out.shape() == x.shape() && out.dtype() == x.dtype(), ShapeError,
              "{}: output {} {} does not match input {} {}", op, shape_str(out.shape()), out.dtype(),
              shape_str(x.shape()), x.dtype());
  EMBER_CHECK(out.is_contiguous(), ValueError, "{}: the CUDA kernel writes a contiguous output (shape {})", op,
              shape_str(out.shape()));
}

template <bool kLog>
void softmax_cuda(const Tensor& x, const Tensor& out, int64_t dim) {
  const char* op = kLog ? "log_softmax" : "softmax";
  const SoftmaxShape s = view_of(x, dim, op);
  check_output(x, out, op);
  if (x.numel() == 0) return;
  const Tensor xc = x.contiguous();
  const int dev = x.device().index;
  DeviceGuard guard(dev);
  EMBER_CUDA_CHECK_LAUNCH(op, launch_softmax(kLog, x.dtype(), xc.raw_data(), out.raw_data(), s, stream(dev)));
}

template <bool kLog>
void softmax_backward_cuda(const Tensor& y, const Tensor& gy, const Tensor& gx, int64_t dim) {
  const char* op = kLog ? "log_softmax_backward" : "softmax_backward";
  const SoftmaxShape s = view_of(y, dim, op);
  EMBER_CHECK(gy.device() == y.device(), DeviceError, "{}: gradient on {} but y on {}", op, gy.device(), y.device());
  EMBER_CHECK(gy.shape() == y.shape() && gy.dtype() == y.dtype(), ShapeError,
              "{}: gradient {} {} does not match y {} {}", op, shape_str(gy.shape()), gy.dtype(),
              shape_str(y.shape()), y.dtype());
  check_output(y, gx, op);
  if (y.numel() == 0) return;
  const Tensor yc = y.contiguous();
  const Tensor gc = gy.contiguous();
  const int dev = y.device().index;
  DeviceGuard guard(dev);
  EMBER_CUDA_CHECK_LAUNCH(op, launch_softmax_backward(kLog, y.dtype(), yc.raw_data(), gc.raw_data(),
                                                      gx.raw_data(), s, stream(dev)));
}

}  // namespace

void register_softmax_kernels() {
  register_kernel<OpId::softmax>(DeviceType::cuda, &softmax_cuda<false>);
  register_kernel<OpId::log_softmax>(DeviceType::cuda, &softmax_cuda<true>);
  register_kernel<OpId::softmax_backward>(DeviceType::cuda, &softmax_backward_cuda<false>);
  register_kernel<OpId::log_softmax_backward>(DeviceType::cuda, &softmax_backward_cuda<true>);
}

}  // namespace ember::cuda
