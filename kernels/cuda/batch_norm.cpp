// CUDA batch normalization: checks the contract of kernel_types.h and calls
// batch_norm.cu's launchers.
//
// Why not cuDNN: cuDNN 9's batch-norm entry points (cudnnBatchNormalizationForward*) are
// the deprecated legacy API, demand eps >= CUDNN_BN_MIN_EPSILON and have no eval-mode
// backward, while ours matches the CPU kernel's contract: compute_stats or given
// statistics, invstd rather than variance, an eval backward (gx = gy * w * invstd), any
// positive eps, f64, and the CPU's numerics (shifted sums flushed into double).
#include "ember/core/dispatch.h"
#include "kernels/cuda/batch_norm_launch.h"
#include "kernels/cuda/check.h"
#include "kernels/cuda/kernels.h"
#include "kernels/cuda/runtime.h"
#include "kernels/cuda/tensor_ref.h"

namespace ember::cuda {
namespace {

// [N, C, S] contiguous; every [C] vector that is defined matches it in dtype and device.
BnDims check_args(const char* op, const Tensor& x, std::initializer_list<const Tensor*> same_shape,
                  std::initializer_list<const Tensor*> per_channel) {
  EMBER_CHECK(x.dim() == 3 && x.is_contiguous(), ShapeError, "{}: expected a contiguous [N, C, S] input, got shape {}",
              op, shape_str(x.shape()));
  EMBER_CHECK(is_floating(x.dtype()), DTypeError, "{}: expected a floating-point input, got {}", op, x.dtype());
  const BnDims d{x.size(0), x.size(1), x.size(2)};
  for (const Tensor* t : same_shape) {
    if (!t->defined()) continue;
    EMBER_CHECK(t->shape() == x.shape() && t->is_contiguous(), ShapeError,
                "{}: expected a contiguous tensor of shape {}, got {}", op, shape_str(x.shape()),
                shape_str(t->shape()));
    EMBER_CHECK(t->device() == x.device(), DeviceError, "{}: operand on {} but the input on {}", op, t->device(),
                x.device());
    EMBER_CHECK(t->dtype() == x.dtype(), DTypeError, "{}: operand has dtype {} but the input {}", op, t->dtype(),
                x.dtype());
  }
  for (const Tensor* t : per_channel) {
    if (!t->defined()) continue;
    EMBER_CHECK(t->dim() == 1 && t->size(0) == d.C && t->is_contiguous(), ShapeError,
                "{}: per-channel operand has shape {} but the input has {} channels", op, shape_str(t->shape()), d.C);
    EMBER_CHECK(t->device() == x.device(), DeviceError, "{}: per-channel operand on {} but the input on {}", op,
                t->device(), x.device());
    EMBER_CHECK(t->dtype() == x.dtype(), DTypeError, "{}: per-channel operand has dtype {} but the input {}", op,
                t->dtype(), x.dtype());
  }
  return d;
}

const void* ptr(const Tensor& t) { return t.defined() ? t.raw_data() : nullptr; }
void* mut_ptr(const Tensor& t) { return t.defined() ? t.raw_data() : nullptr; }

// Scratch for the per-block partial sums, from the caching allocator on this stream.
Tensor workspace(const BnDims& d, int splits, Device dev) {
  return make_tensor({batch_norm_work_doubles(d, splits)}, DType::f64, dev);
}

void batch_norm_cuda(const Tensor& x, const Tensor& weight, const Tensor& bias, const Tensor& mean,
                     const Tensor& invstd, const Tensor& out, bool compute_stats, double eps) {
  const BnDims d = check_args("batch_norm", x, {&out}, {&weight, &bias, &mean, &invstd});
  EMBER_CHECK(mean.defined() && invstd.defined() && out.defined(), ValueError,
              "batch_norm: mean, invstd and out must be given");
  const int dev = x.device().index;
  DeviceGuard guard(dev);
  const int splits = batch_norm_splits(d, sm_count(dev));
  Tensor work = workspace(d, splits, x.device());
  EMBER_CUDA_CHECK_LAUNCH(
      "batch_norm",
      launch_batch_norm(x.dtype(), x.raw_data(), ptr(weight), ptr(bias), mean.raw_data(), invstd.raw_data(),
                        out.raw_data(), d, compute_stats, eps, splits, work.data<double>(), stream(dev)));
}

void batch_norm_backward_cuda(const Tensor& x, const Tensor& gy, const Tensor& weight, const Tensor& mean,
                              const Tensor& invstd, const Tensor& gx, const Tensor& gw, const Tensor& gb,
                              bool training) {
  const BnDims d = check_args("batch_norm_backward", x, {&gy, &gx}, {&weight, &mean, &invstd, &gw, &gb});
  EMBER_CHECK(gy.defined() && mean.defined() && invstd.defined(), ValueError,
              "batch_norm_backward: gy, mean and invstd must be given");
  const int dev = x.device().index;
  DeviceGuard guard(dev);
  const int splits = batch_norm_splits(d, sm_count(dev));
  Tensor work = workspace(d, splits, x.device());
  EMBER_CUDA_CHECK_LAUNCH(
      "batch_norm_backward",
      launch_batch_norm_backward(x.dtype(), x.raw_data(), gy.raw_data(), ptr(weight), mean.raw_data(),
                                 invstd.raw_data(), mut_ptr(gx), mut_ptr(gw), mut_ptr(gb), d, training, splits,
                                 work.data<double>(), stream(dev)));
}

}  // namespace

void register_batch_norm_kernels() {
  register_kernel<OpId::batch_norm>(DeviceType::cuda, &batch_norm_cuda);
  register_kernel<OpId::batch_norm_backward>(DeviceType::cuda, &batch_norm_backward_cuda);
}

}  // namespace ember::cuda
