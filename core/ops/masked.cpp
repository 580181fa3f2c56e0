#include "ember/core/ops/masked.h"

#include <vector>

#include "ember/core/autograd/grad_mode.h"
#include "ember/core/ops/binary.h"
#include "ember/core/ops/factory.h"
#include "ember/core/ops/indexing.h"

namespace ember {
namespace {

// The flat indices of the true elements of a bool tensor, on `device`.
Tensor flat_true(const Tensor& b, Device device) {
  const std::vector<uint8_t> v = b.contiguous().cpu().to(DType::u8).to_vector<uint8_t>();
  std::vector<int64_t> idx;
  for (size_t i = 0; i < v.size(); ++i)
    if (v[i]) idx.push_back(static_cast<int64_t>(i));
  const auto k = static_cast<int64_t>(idx.size());
  return from_vector(idx, {k}).to(device);
}

void check_mask(const Tensor& mask, const char* op) {
  EMBER_CHECK(mask.defined(), ValueError, "{}: mask is undefined", op);
  EMBER_CHECK(mask.dtype() == DType::boolean, DTypeError, "{}: mask must be a bool tensor, got {}", op, mask.dtype());
}

}  // namespace

Tensor nonzero(const Tensor& x) {
  EMBER_CHECK(x.defined(), ValueError, "nonzero: input is undefined");
  NoGradGuard ng;
  const Tensor b = x.dtype() == DType::boolean ? x : ne(x, 0.0);
  const Tensor flat = flat_true(b.reshape({b.numel()}), Device::cpu());
  const int64_t k = flat.numel(), nd = x.dim();
  Tensor out = make_tensor({k, nd}, DType::i64, Device::cpu());
  const int64_t* f = flat.data<int64_t>();
  int64_t* o = out.data<int64_t>();
  for (int64_t i = 0; i < k; ++i) {
    int64_t rest = f[i];
    for (int64_t d = nd - 1; d >= 0; --d) {
      o[i * nd + d] = rest % x.size(d);
      rest /= x.size(d);
    }
  }
  return out.to(x.device());
}

Tensor masked_select(const Tensor& x, const Tensor& mask) {
  EMBER_CHECK(x.defined(), ValueError, "masked_select: input is undefined");
  check_mask(mask, "masked_select");
  EMBER_CHECK(mask.device() == x.device(), DeviceError, "masked_select: mask on {} but input on {}", mask.device(),
              x.device());
  const Shape shape = broadcast_shapes(x.shape(), mask.shape(), "masked_select");
  Tensor idx;
  {
    NoGradGuard ng;
    idx = flat_true(mask.expand(shape), x.device());
  }
  return index_select(x.expand(shape).reshape({numel_of(shape)}), 0, idx);
}

Tensor index(const Tensor& x, const Tensor& mask) {
  EMBER_CHECK(x.defined(), ValueError, "index: input is undefined");
  check_mask(mask, "index");
  EMBER_CHECK(mask.device() == x.device(), DeviceError, "index: mask on {} but input on {}", mask.device(), x.device());
  const int64_t k = mask.dim();
  EMBER_CHECK(k >= 1 && k <= x.dim() && Shape(x.shape().begin(), x.shape().begin() + k) == mask.shape(), ShapeError,
              "index: a mask of shape {} does not match the leading dims of shape {}", shape_str(mask.shape()),
              shape_str(x.shape()));
  Shape rows{numel_of(mask.shape())};
  rows.insert(rows.end(), x.shape().begin() + k, x.shape().end());
  Tensor idx;
  {
    NoGradGuard ng;
    idx = flat_true(mask, x.device());
  }
  return index_select(x.reshape(rows), 0, idx);
}

}  // namespace ember
