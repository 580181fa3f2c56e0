// CUDA gather, scatter_add and index_select: checks the contract of kernel_types.h and
// calls indexing.cu's launchers. Index values are range-checked by the front-ends
// (core/ops/indexing.cpp); the kernels still never touch memory through a bad index.
#include "ember/core/dispatch.h"
#include "kernels/cuda/check.h"
#include "kernels/cuda/indexing_launch.h"
#include "kernels/cuda/kernels.h"
#include "kernels/cuda/runtime.h"
#include "kernels/cuda/tensor_ref.h"

namespace ember::cuda {
namespace {

void check_operands(const char* op, const Tensor& a, int64_t dim, const Tensor& index, const Tensor& b) {
  EMBER_CHECK(index.dtype() == DType::i64, DTypeError, "{}: index must be int64, got {}", op, index.dtype());
  EMBER_CHECK(a.dtype() == b.dtype(), DTypeError, "{}: operands have dtypes {} and {}", op, a.dtype(), b.dtype());
  EMBER_CHECK(a.device() == b.device() && index.device() == a.device(), DeviceError,
              "{}: operands on {}, {} and index on {}", op, a.device(), b.device(), index.device());
  EMBER_CHECK(a.dim() > 0 && dim >= 0 && dim < a.dim(), ShapeError, "{}: dim {} is out of range for shape {}", op, dim,
              shape_str(a.shape()));
}

// gather/scatter_add iterate over index's shape, which must fit inside both operands
// (except along dim for the indexed one).
void check_gather_shapes(const char* op, const Tensor& indexed, int64_t dim, const Tensor& index, const Tensor& plain) {
  bool ok = indexed.dim() == index.dim() && plain.dim() == index.dim();
  for (int64_t d = 0; ok && d < index.dim(); ++d)
    ok = index.size(d) <= plain.size(d) && (d == dim || index.size(d) <= indexed.size(d));
  EMBER_CHECK(ok, ShapeError, "{}: index shape {} does not fit shapes {} and {} (dim {})", op, shape_str(index.shape()),
              shape_str(indexed.shape()), shape_str(plain.shape()), dim);
}

void gather_cuda(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& out) {
  check_operands("gather", x, dim, index, out);
  check_gather_shapes("gather", x, dim, index, out);
  EMBER_CHECK(out.shape() == index.shape(), ShapeError, "gather: out shape {} must equal index shape {}",
              shape_str(out.shape()), shape_str(index.shape()));
  const int dev = x.device().index;
  DeviceGuard guard(dev);
  EMBER_CUDA_CHECK_LAUNCH("gather", launch_gather(make_ref(x, "gather"), static_cast<int>(dim),
                                                  make_ref(index, "gather"), make_ref(out, "gather"), stream(dev)));
}

void scatter_add_cuda(const Tensor& out, int64_t dim, const Tensor& index, const Tensor& src) {
  check_operands("scatter_add", out, dim, index, src);
  EMBER_CHECK(out.dtype() != DType::boolean, DTypeError, "scatter_add: expected a numeric tensor, got {}", out.dtype());
  check_gather_shapes("scatter_add", out, dim, index, src);
  const int dev = out.device().index;
  DeviceGuard guard(dev);
  EMBER_CUDA_CHECK_LAUNCH(
      "scatter_add", launch_scatter_add(make_ref(out, "scatter_add"), static_cast<int>(dim),
                                        make_ref(index, "scatter_add"), make_ref(src, "scatter_add"), stream(dev)));
}

void index_select_cuda(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& out) {
  check_operands("index_select", x, dim, index, out);
  bool ok = index.dim() <= 1 && out.dim() == x.dim() && out.size(dim) == index.numel();
  for (int64_t d = 0; ok && d < x.dim(); ++d) ok = d == dim || out.size(d) == x.size(d);
  EMBER_CHECK(ok, ShapeError, "index_select: out shape {} does not match input {} with a {}-element index at dim {}",
              shape_str(out.shape()), shape_str(x.shape()), index.numel(), dim);
  const int dev = x.device().index;
  DeviceGuard guard(dev);
  EMBER_CUDA_CHECK_LAUNCH(
      "index_select", launch_index_select(make_ref(x, "index_select"), static_cast<int>(dim),
                                          make_ref(index, "index_select"), make_ref(out, "index_select"), stream(dev)));
}

}  // namespace

void register_indexing_kernels() {
  register_kernel<OpId::gather>(DeviceType::cuda, &gather_cuda);
  register_kernel<OpId::scatter_add>(DeviceType::cuda, &scatter_add_cuda);
  register_kernel<OpId::index_select>(DeviceType::cuda, &index_select_cuda);
}

}  // namespace ember::cuda
