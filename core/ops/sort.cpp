#include "ember/core/ops/sort.h"

#include "ember/core/autograd/grad_mode.h"
#include "ember/core/dispatch.h"
#include "ember/core/ops/factory.h"
#include "ember/core/ops/indexing.h"

namespace ember {

Tensor argsort(const Tensor& x, int64_t dim, bool descending) {
  EMBER_CHECK(x.defined(), ValueError, "argsort: input is undefined");
  EMBER_CHECK(x.dtype() != DType::boolean, DTypeError, "argsort: not defined for bool tensors (shape {})",
              shape_str(x.shape()));
  if (x.dim() == 0) {
    (void)wrap_dim(dim, 0, "argsort");
    return zeros({}, DType::i64, x.device());
  }
  const int64_t d = wrap_dim(dim, x.dim(), "argsort");
  // The kernel sorts contiguous rows: move dim last, sort, move it back.
  const Tensor moved = x.detach().transpose(d, x.dim() - 1).contiguous();
  const int64_t n = moved.size(-1);
  const int64_t r = n > 0 ? moved.numel() / n : 0;
  Tensor idx = make_tensor({r, n}, DType::i64, x.device());
  if (r > 0 && n > 0) get_kernel<OpId::argsort>(x.device())(moved.reshape({r, n}), idx, descending);
  return idx.reshape(moved.shape()).transpose(d, x.dim() - 1).contiguous();
}

ValuesIndices sort(const Tensor& x, int64_t dim, bool descending) {
  Tensor idx = argsort(x, dim, descending);
  if (x.dim() == 0) return {x, idx};
  const int64_t d = wrap_dim(dim, x.dim(), "sort");
  return {gather(x, d, idx), idx};
}

ValuesIndices topk(const Tensor& x, int64_t k, int64_t dim, bool largest) {
  EMBER_CHECK(x.defined(), ValueError, "topk: input is undefined");
  EMBER_CHECK(x.dim() > 0, ShapeError, "topk: needs at least one dim, got a 0-d tensor");
  const int64_t d = wrap_dim(dim, x.dim(), "topk");
  EMBER_CHECK(k >= 0 && k <= x.size(d), ValueError, "topk: k = {} is outside [0, {}] (dim {} of shape {})", k,
              x.size(d), d, shape_str(x.shape()));
  Tensor idx = argsort(x, d, largest).narrow(d, 0, k).contiguous();
  return {gather(x, d, idx), idx};
}

}  // namespace ember
