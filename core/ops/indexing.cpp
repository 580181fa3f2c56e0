#include "ember/core/ops/indexing.h"

#include "ember/core/autograd/function.h"
#include "ember/core/dispatch.h"
#include "ember/core/ops/binary.h"
#include "ember/core/ops/factory.h"
#include "ember/core/ops/reduce.h"

namespace ember {

using autograd::attach;
using G = std::vector<Tensor>;

namespace {

void check_index(const Tensor& index, const Tensor& x, int64_t bound, const char* op) {
  EMBER_CHECK(index.defined(), ValueError, "{}: index is undefined", op);
  EMBER_CHECK(index.dtype() == DType::i64, DTypeError, "{}: index must be int64, got {}", op, index.dtype());
  EMBER_CHECK(index.device() == x.device(), DeviceError, "{}: index on {} but input on {}", op, index.device(),
              x.device());
  if (index.numel() == 0) return;
  NoGradGuard ng;
  int64_t lo = amin(index).item<int64_t>(), hi = amax(index).item<int64_t>();
  EMBER_CHECK(lo >= 0 && hi < bound, IndexError, "{}: index {} is out of range for a dim of size {}", op,
              lo < 0 ? lo : hi, bound);
}

// gather/scatter_add: index has x's rank, and no larger than x on the other dims.
void check_gather_shape(const Tensor& x, int64_t dim, const Tensor& index, const char* op) {
  EMBER_CHECK(index.defined(), ValueError, "{}: index is undefined", op);
  EMBER_CHECK(index.dim() == x.dim(), ShapeError, "{}: index has {} dims but input has {} (shapes {} and {})", op,
              index.dim(), x.dim(), shape_str(index.shape()), shape_str(x.shape()));
  for (int64_t d = 0; d < x.dim(); ++d)
    EMBER_CHECK(d == dim || index.shape()[d] <= x.shape()[d], ShapeError,
                "{}: index shape {} exceeds input shape {} at dim {}", op, shape_str(index.shape()),
                shape_str(x.shape()), d);
}

}  // namespace

Tensor gather(const Tensor& x, int64_t dim, const Tensor& index) {
  EMBER_CHECK(x.defined(), ValueError, "gather: input is undefined");
  int64_t d = wrap_dim(dim, x.dim(), "gather");
  check_gather_shape(x, d, index, "gather");
  check_index(index, x, x.dim() == 0 ? 1 : x.shape()[d], "gather");
  // The kernels index shape()[d]: a 0-d input goes through its 1-element view.
  if (x.dim() == 0) return gather(x.reshape({1}), 0, index.reshape({1})).reshape({});
  Tensor out = make_tensor(index.shape(), x.dtype(), x.device());
  get_kernel<OpId::gather>(x.device())(x.detach(), d, index, out);
  Shape xs = x.shape();
  attach("gather", {x}, {out}, {index}, [xs, d](const G& g, const G& s, const auto&) {
    Tensor gx = zeros(xs, g[0].dtype(), g[0].device());
    get_kernel<OpId::scatter_add>(gx.device())(gx, d, s[0], g[0].contiguous());
    return G{gx};
  });
  return out;
}

Tensor scatter_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src) {
  EMBER_CHECK(x.defined() && src.defined(), ValueError, "scatter_add: an operand is undefined");
  int64_t d = wrap_dim(dim, x.dim(), "scatter_add");
  check_gather_shape(x, d, index, "scatter_add");
  EMBER_CHECK(src.dtype() == x.dtype() && src.device() == x.device(), DTypeError,
              "scatter_add: src ({} on {}) must match input ({} on {})", src.dtype(), src.device(), x.dtype(),
              x.device());
  EMBER_CHECK(src.dim() == index.dim(), ShapeError, "scatter_add: src has {} dims but index has {} (shapes {} and {})",
              src.dim(), index.dim(), shape_str(src.shape()), shape_str(index.shape()));
  if (x.dim() == 0)
    return scatter_add(x.reshape({1}), 0, index.reshape({1}), src.reshape({1})).reshape({});
  for (int64_t i = 0; i < index.dim(); ++i)
    EMBER_CHECK(index.shape()[i] <= src.shape()[i], ShapeError, "scatter_add: index shape {} exceeds src shape {}",
                shape_str(index.shape()), shape_str(src.shape()));
  check_index(index, x, x.shape()[d], "scatter_add");
  Tensor out;
  if (is_half(x.dtype())) {
    // Sums in f32, rounded once at the end: rounding after every add loses the small
    // terms (4096 ones add up to 2048 in f16), and the result would depend on the order
    // of the adds, which on the GPU is that of its atomics.
    Tensor acc = x.detach().to(DType::f32);
    get_kernel<OpId::scatter_add>(x.device())(acc, d, index, src.detach().to(DType::f32));
    out = acc.to(x.dtype());
  } else {
    out = x.detach().clone();
    get_kernel<OpId::scatter_add>(x.device())(out, d, index, src.detach());
  }
  attach("scatter_add", {x, src}, {out}, {index}, [d](const G& g, const G& s, const auto& n) {
    Tensor gsrc;
    if (n.needs_input_grad(1)) gsrc = gather(g[0], d, s[0]);
    return G{n.needs_input_grad(0) ? g[0] : Tensor(), gsrc};
  });
  return out;
}

Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index) {
  EMBER_CHECK(x.defined(), ValueError, "index_select: input is undefined");
  EMBER_CHECK(index.defined() && index.dim() <= 1, ShapeError, "index_select: index must be 1-D, got shape {}",
              index.defined() ? shape_str(index.shape()) : "undefined");
  EMBER_CHECK(x.dim() > 0, ShapeError, "index_select: cannot index a 0-d tensor");
  int64_t d = wrap_dim(dim, x.dim(), "index_select");
  check_index(index, x, x.shape()[d], "index_select");
  Shape os = x.shape();
  os[d] = index.numel();
  Tensor out = make_tensor(os, x.dtype(), x.device());
  get_kernel<OpId::index_select>(x.device())(x.detach(), d, index.reshape({index.numel()}), out);
  Shape xs = x.shape();
  attach("index_select", {x}, {out}, {index}, [xs, d](const G& g, const G& s, const auto&) {
    // index_add as a scatter_add with the index broadcast along the other dims
    Shape ishape(xs.size(), 1);
    ishape[d] = s[0].numel();
    Tensor idx = s[0].reshape(ishape).expand(g[0].shape());
    Tensor gx = zeros(xs, g[0].dtype(), g[0].device());
    get_kernel<OpId::scatter_add>(gx.device())(gx, d, idx, g[0].contiguous());
    return G{gx};
  });
  return out;
}

Tensor one_hot(const Tensor& index, int64_t num_classes) {
  EMBER_CHECK(index.defined(), ValueError, "one_hot: index is undefined");
  EMBER_CHECK(index.dtype() == DType::i64, DTypeError, "one_hot: index must be int64, got {}", index.dtype());
  if (num_classes < 0) {
    EMBER_CHECK(index.numel() > 0, ValueError, "one_hot: cannot infer num_classes from an empty index");
    num_classes = amax(index).item<int64_t>() + 1;
  }
  if (index.numel() > 0) {
    int64_t lo = amin(index).item<int64_t>(), hi = amax(index).item<int64_t>();
    EMBER_CHECK(lo >= 0 && hi < num_classes, IndexError, "one_hot: class {} is outside [0, {})", lo < 0 ? lo : hi,
                num_classes);
  }
  Tensor classes = arange(num_classes, DType::i64, index.device());
  return eq(index.unsqueeze(-1), classes).to(DType::i64);
}

}  // namespace ember
