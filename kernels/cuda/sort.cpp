// argsort on CUDA: the keys made comparable the CPU kernel's way (f16/bf16 widened to f32,
// -0 as +0, every NaN the one positive NaN, which the radix order puts after +inf), a
// workspace from the caching allocator, and sort.cu's CUB segmented sort.
#include <limits>

#include "ember/core/autograd/grad_mode.h"
#include "ember/core/dispatch.h"
#include "ember/core/ops/binary.h"
#include "ember/core/ops/factory.h"
#include "kernels/cuda/check.h"
#include "kernels/cuda/kernels.h"
#include "kernels/cuda/runtime.h"
#include "kernels/cuda/sort_launch.h"

namespace ember::cuda {
namespace {

void argsort_cuda(const Tensor& rows, const Tensor& indices, bool descending) {
  const char* op = "argsort";
  EMBER_CHECK(rows.device().is_cuda() && indices.device() == rows.device(), DeviceError,
              "{}: CUDA kernel got rows on {} and indices on {}", op, rows.device(), indices.device());
  EMBER_CHECK(rows.dtype() != DType::boolean, DTypeError, "{}: expected a numeric tensor, got {}", op, rows.dtype());
  const int dev = rows.device().index;
  DeviceGuard guard(dev);
  NoGradGuard ng;
  Tensor keys = is_half(rows.dtype()) ? rows.to(DType::f32) : rows;
  if (is_floating(keys.dtype())) {
    keys = keys + 0.0;  // -0 + 0 = +0
    keys = where(isnan(keys), full({}, std::numeric_limits<double>::quiet_NaN(), keys.dtype(), keys.device())
                                  .expand(keys.shape()),
                 keys)
               .contiguous();
  }
  const int64_t r = rows.size(0), n = rows.size(1);
  const Tensor order = arange(0.0, static_cast<double>(n), 1.0, DType::i64, rows.device()).expand({r, n}).contiguous();
  const Tensor offsets = arange(0.0, static_cast<double>((r + 1) * n), static_cast<double>(n > 0 ? n : 1), DType::i64,
                                rows.device());
  Tensor keys_out = make_tensor(keys.shape(), keys.dtype(), keys.device());
  ArgSortArgs a;
  a.keys = keys.dtype();
  a.keys_in = keys.raw_data();
  a.keys_out = keys_out.raw_data();
  a.order_in = order.data<int64_t>();
  a.order_out = indices.data<int64_t>();
  a.offsets = offsets.data<int64_t>();
  a.rows = r;
  a.n = n;
  a.descending = descending;
  size_t bytes = 0;
  EMBER_CUDA_CHECK_LAUNCH(op, argsort_workspace_bytes(a, &bytes, stream(dev)));
  Tensor workspace = make_tensor({static_cast<int64_t>(bytes > 0 ? bytes : 1)}, DType::u8, rows.device());
  EMBER_CUDA_CHECK_LAUNCH(op, launch_argsort(a, workspace.raw_data(), bytes, stream(dev)));
}

}  // namespace

void register_sort_kernels() { register_kernel<OpId::argsort>(DeviceType::cuda, &argsort_cuda); }

}  // namespace ember::cuda
