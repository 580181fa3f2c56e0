// CUDA pooling: checks the contract of kernel_types.h and calls pool.cu's launchers.
#include "ember/core/dispatch.h"
#include "kernels/cuda/check.h"
#include "kernels/cuda/kernels.h"
#include "kernels/cuda/pool_launch.h"
#include "kernels/cuda/runtime.h"
#include "kernels/cuda/tensor_ref.h"

namespace ember::cuda {
namespace {

// The backward op of each forward pooling op.
constexpr OpId backward_of(OpId forward) {
  return forward == OpId::max_pool2d   ? OpId::max_pool2d_backward
         : forward == OpId::avg_pool2d ? OpId::avg_pool2d_backward
                                       : OpId::adaptive_avg_pool2d_backward;
}

// in: [N, C, H, W], out: [N, C, OH, OW]. Adaptive pooling passes default options: its
// stride is resolved here too so that the geometry is always valid.
PoolGeom geometry(const Tensor& in, const Tensor& out, const Pool2dOptions& o) {
  PoolGeom g;
  g.H = in.size(2);
  g.W = in.size(3);
  g.OH = out.size(2);
  g.OW = out.size(3);
  g.kh = o.kernel[0];
  g.kw = o.kernel[1];
  g.sh = o.stride[0] == 0 ? o.kernel[0] : o.stride[0];
  g.sw = o.stride[1] == 0 ? o.kernel[1] : o.stride[1];
  g.ph = o.padding[0];
  g.pw = o.padding[1];
  g.count_include_pad = o.count_include_pad;
  return g;
}

void check_args(const char* op, const Tensor& in, const Tensor& out, const Tensor& indices, bool is_max,
                const PoolGeom& g) {
  EMBER_CHECK(in.dim() == 4 && out.dim() == 4 && in.size(0) == out.size(0) && in.size(1) == out.size(1), ShapeError,
              "{}: expected [N, C, H, W] and [N, C, OH, OW], got {} and {}", op, shape_str(in.shape()),
              shape_str(out.shape()));
  EMBER_CHECK(in.is_contiguous() && out.is_contiguous(), ValueError,
              "{}: the CUDA kernel needs contiguous tensors (shapes {} and {})", op, shape_str(in.shape()),
              shape_str(out.shape()));
  EMBER_CHECK(is_floating(in.dtype()) && out.dtype() == in.dtype(), DTypeError,
              "{}: expected matching floating-point tensors, got {} and {}", op, in.dtype(), out.dtype());
  EMBER_CHECK(g.kh > 0 && g.kw > 0 && g.sh > 0 && g.sw > 0 && g.ph >= 0 && g.pw >= 0, ValueError,
              "{}: kernel {}x{} and stride {}x{} must be positive, padding {}x{} non-negative", op, g.kh, g.kw, g.sh,
              g.sw, g.ph, g.pw);
  if (!is_max) return;
  EMBER_CHECK(
      indices.defined() && indices.dtype() == DType::i64 && indices.is_contiguous() && indices.shape() == out.shape(),
      ValueError, "{}: indices must be contiguous int64 of shape {}", op, shape_str(out.shape()));
  EMBER_CHECK(indices.device() == in.device(), DeviceError, "{}: indices on {} but data on {}", op, indices.device(),
              in.device());
}

template <OpId K>
void pool_forward(const Tensor& x, const Tensor& out, const Tensor& indices, const Pool2dOptions& opt) {
  const char* op = op_name(K);
  const PoolGeom g = geometry(x, out, opt);
  check_args(op, x, out, indices, K == OpId::max_pool2d, g);
  const int dev = x.device().index;
  DeviceGuard guard(dev);
  int64_t* ip = K == OpId::max_pool2d ? indices.data<int64_t>() : nullptr;
  EMBER_CUDA_CHECK_LAUNCH(
      op, launch_pool2d(K, x.dtype(), x.raw_data(), out.raw_data(), ip, x.size(0) * x.size(1), g, stream(dev)));
}

template <OpId K>
void pool_backward(const Tensor& gy, const Tensor& indices, const Tensor& gx, const Pool2dOptions& opt) {
  const char* op = op_name(backward_of(K));
  const PoolGeom g = geometry(gx, gy, opt);
  check_args(op, gx, gy, indices, K == OpId::max_pool2d, g);
  const int dev = gy.device().index;
  DeviceGuard guard(dev);
  const int64_t* ip = K == OpId::max_pool2d ? indices.data<int64_t>() : nullptr;
  EMBER_CUDA_CHECK_LAUNCH(op, launch_pool2d_backward(K, gy.dtype(), gy.raw_data(), ip, gx.raw_data(),
                                                     gx.size(0) * gx.size(1), g, stream(dev)));
}

template <OpId K>
void register_pool() {
  register_kernel<K>(DeviceType::cuda, &pool_forward<K>);
  register_kernel<backward_of(K)>(DeviceType::cuda, &pool_backward<K>);
}

}  // namespace

void register_pool_kernels() {
  register_pool<OpId::max_pool2d>();
  register_pool<OpId::avg_pool2d>();
  register_pool<OpId::adaptive_avg_pool2d>();
}

}  // namespace ember::cuda
