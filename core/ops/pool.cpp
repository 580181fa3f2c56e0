#include "ember/core/ops/pool.h"

#include "ember/core/autograd/function.h"
#include "ember/core/dispatch.h"

namespace ember {

using autograd::attach;
using G = std::vector<Tensor>;

namespace {

int64_t pooled_size(int64_t in, int64_t k, int64_t s, int64_t p, bool ceil_mode) {
  int64_t num = in + 2 * p - k;
  if (num < 0) return 0;  // the window does not fit
  int64_t out = (ceil_mode ? (num + s - 1) / s : num / s) + 1;
  // The last window must start inside the input or its left padding.
  if (ceil_mode && (out - 1) * s >= in + p) --out;
  return out;
}

Pool2dOptions resolve(const Tensor& x, Pool2dOptions o, const char* op) {
  EMBER_CHECK(x.defined(), ValueError, "{}: input is undefined", op);
  EMBER_CHECK(x.dim() == 4, ShapeError, "{}: input must be [N, C, H, W], got shape {}", op, shape_str(x.shape()));
  EMBER_CHECK(is_floating(x.dtype()), DTypeError, "{}: expected a floating-point tensor, got {}", op, x.dtype());
  for (int i = 0; i < 2; ++i) {
    if (o.stride[i] == 0) o.stride[i] = o.kernel[i];
    EMBER_CHECK(o.kernel[i] > 0 && o.stride[i] > 0 && o.padding[i] >= 0, ValueError,
                "{}: kernel {} and stride {} must be positive, padding {} non-negative", op, shape_str(o.kernel),
                shape_str(o.stride), shape_str(o.padding));
    EMBER_CHECK(2 * o.padding[i] <= o.kernel[i], ValueError,
                "{}: padding {} must be at most half the kernel size {}", op, shape_str(o.padding),
                shape_str(o.kernel));
  }
  return o;
}

Tensor pool(const Tensor& x, const Pool2dOptions& opt_in, bool is_max) {
  const char* name = is_max ? "max_pool2d" : "avg_pool2d";
  Pool2dOptions opt = resolve(x, opt_in, name);
  const int64_t oh = pooled_size(x.size(2), opt.kernel[0], opt.stride[0], opt.padding[0], opt.ceil_mode);
  const int64_t ow = pooled_size(x.size(3), opt.kernel[1], opt.stride[1], opt.padding[1], opt.ceil_mode);
  EMBER_CHECK(oh > 0 && ow > 0, ShapeError, "{}: input {} is too small for kernel {}: output would be {}x{}", name,
              shape_str(x.shape()), shape_str(opt.kernel), oh, ow);
  Shape os{x.size(0), x.size(1), oh, ow};
  Tensor out = make_tensor(os, x.dtype(), x.device());
  Tensor idx = is_max ? make_tensor(os, DType::i64, x.device()) : Tensor();
  get_kernel<kernel::Pool2d>(is_max ? OpId::max_pool2d : OpId::avg_pool2d, x.device().type)(
      x.detach().contiguous(), out, idx, opt);
  Shape xs = x.shape();
  attach(name, {x}, {out}, {idx}, [opt, is_max, xs](const G& g, const G& s, const auto&) {
    Tensor gx = make_tensor(xs, g[0].dtype(), g[0].device());
    get_kernel<kernel::Pool2dBackward>(is_max ? OpId::max_pool2d_backward : OpId::avg_pool2d_backward,
                                       g[0].device().type)(g[0].contiguous(), s[0], gx, opt);
    return G{gx};
  });
  return out;
}

}  // namespace

Tensor max_pool2d(const Tensor& x, const Pool2dOptions& opt) { return pool(x, opt, true); }
Tensor avg_pool2d(const Tensor& x, const Pool2dOptions& opt) { return pool(x, opt, false); }

Tensor adaptive_avg_pool2d(const Tensor& x, Pair output_size) {
  EMBER_CHECK(x.defined(), ValueError, "adaptive_avg_pool2d: input is undefined");
  EMBER_CHECK(x.dim() == 4, ShapeError, "adaptive_avg_pool2d: input must be [N, C, H, W], got shape {}",
              shape_str(x.shape()));
  EMBER_CHECK(is_floating(x.dtype()), DTypeError, "adaptive_avg_pool2d: expected a floating-point tensor, got {}",
              x.dtype());
  EMBER_CHECK(output_size[0] > 0 && output_size[1] > 0, ValueError,
              "adaptive_avg_pool2d: output size {} must be positive", shape_str(output_size));
  Shape os{x.size(0), x.size(1), output_size[0], output_size[1]};
  Tensor out = make_tensor(os, x.dtype(), x.device());
  get_kernel<OpId::adaptive_avg_pool2d>(x.device())(x.detach().contiguous(), out, Tensor(), Pool2dOptions{});
  Shape xs = x.shape();
  attach("adaptive_avg_pool2d", {x}, {out}, {}, [xs](const G& g, const G&, const auto&) {
    Tensor gx = make_tensor(xs, g[0].dtype(), g[0].device());
    get_kernel<OpId::adaptive_avg_pool2d_backward>(g[0].device())(g[0].contiguous(), Tensor(), gx,
                                                                              Pool2dOptions{});
    return G{gx};
  });
  return out;
}

}  // namespace ember
