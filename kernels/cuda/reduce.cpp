// sum / amax / amin / max_dim / min_dim on CUDA: plan the reduction (reduce_plan.h),
// allocate the partials' workspace when one output's reduction spans several blocks,
// and launch reduce.cu.
#include "ember/core/dispatch.h"
#include "kernels/common/reduce_plan.h"
#include "kernels/cuda/check.h"
#include "kernels/cuda/kernels.h"
#include "kernels/cuda/reduce_launch.h"
#include "kernels/cuda/runtime.h"
#include "kernels/cuda/tensor_ref.h"

namespace ember::cuda {
namespace {

void check_numeric(const Tensor& x, const char* op) {
  EMBER_CHECK(x.dtype() != DType::boolean, DTypeError, "{}: expected a numeric tensor, got {}", op, x.dtype());
}

// The kernel runs on x's device and writes `out` there.
void check_device(const Tensor& x, const Tensor& out, const char* op) {
  EMBER_CHECK(x.device().is_cuda() && out.device() == x.device(), DeviceError,
              "{}: CUDA kernel got an input on {} and an output on {}", op, x.device(), out.device());
}

void launch(OpId kind, const char* op, const Tensor& x, const Tensor& values, const Tensor& indices,
            uint64_t mask) {
  const TensorRef xr = make_ref(x, op);
  const TensorRef vr = make_ref(values, op);
  const kernels::ReducePlan plan = kernels::make_reduce_plan(xr.g, vr.g, mask);
  if (plan.n_out == 0) return;
  const int dev = x.device().index;
  DeviceGuard guard(dev);
  const kernels::ReduceLaunch cfg = kernels::plan_reduce_launch(plan, sm_count(dev));
  Tensor workspace;
  if (cfg.splits > 1) {
    workspace = make_tensor({cfg.splits * plan.n_out * kReducePartialBytes}, DType::u8, x.device());
  }
  const cudaError_t status =
      launch_reduce(kind, xr.dtype, plan, cfg, xr.data, vr.data, indices.defined() ? indices.data<int64_t>() : nullptr,
                    workspace.defined() ? workspace.raw_data() : nullptr, stream(dev));
  EMBER_CUDA_CHECK_LAUNCH(op, status);
}

template <OpId kKind>
void reduce_cuda(const Tensor& x, const Tensor& out, uint64_t mask) {
  const char* op = op_name(kKind);
  check_numeric(x, op);
  check_device(x, out, op);
  EMBER_CHECK(out.dtype() == x.dtype(), DTypeError, "{}: the CUDA kernel writes {} into an output of {}", op,
              x.dtype(), out.dtype());
  EMBER_CHECK(out.dim() == x.dim(), ShapeError, "{}: output rank {} differs from input rank {} (shape {})", op,
              out.dim(), x.dim(), shape_str(x.shape()));
  for (int64_t d = 0; d < x.dim(); ++d) {
    const bool reduced = d < 64 && ((mask >> d) & 1u);
    EMBER_CHECK(out.shape()[d] == (reduced ? 1 : x.shape()[d]), ShapeError,
                "{}: output shape {} does not fit input shape {} reduced over mask {:#x}", op, shape_str(out.shape()),
                shape_str(x.shape()), mask);
  }
  launch(kKind, op, x, out, Tensor(), mask);
}

template <bool kMax>
void arg_reduce_cuda(const Tensor& x, const Tensor& values, const Tensor& indices, int64_t dim) {
  const char* op = kMax ? "max" : "min";
  check_numeric(x, op);
  check_device(x, values, op);
  check_device(x, indices, op);
  EMBER_CHECK(dim >= 0 && dim < x.dim(), ShapeError, "{}: dim {} is out of range for shape {}", op, dim,
              shape_str(x.shape()));
  EMBER_CHECK(x.shape()[dim] > 0, ValueError, "{}: dim {} of shape {} is empty", op, dim, shape_str(x.shape()));
  EMBER_CHECK(values.dtype() == x.dtype() && indices.dtype() == DType::i64, DTypeError,
              "{}: expected values of {} and i64 indices, got {} and {}", op, x.dtype(), values.dtype(),
              indices.dtype());
  // The kernel addresses both outputs with values' strides.
  EMBER_CHECK(values.shape() == indices.shape() && values.strides() == indices.strides(), ShapeError,
              "{}: values and indices must share one layout (shapes {} and {})", op, shape_str(values.shape()),
              shape_str(indices.shape()));
  launch(kMax ? OpId::max_dim : OpId::min_dim, op, x, values, indices, dim < 64 ? uint64_t{1} << dim : 0);
}

}  // namespace

void register_reduce_kernels() {
  register_kernel<OpId::sum>(DeviceType::cuda, &reduce_cuda<OpId::sum>);
  register_kernel<OpId::amax>(DeviceType::cuda, &reduce_cuda<OpId::amax>);
  register_kernel<OpId::amin>(DeviceType::cuda, &reduce_cuda<OpId::amin>);
  register_kernel<OpId::max_dim>(DeviceType::cuda, &arg_reduce_cuda<true>);
  register_kernel<OpId::min_dim>(DeviceType::cuda, &arg_reduce_cuda<false>);
}

}  // namespace ember::cuda
