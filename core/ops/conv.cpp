#include "ember/core/ops/conv.h"

#include "ember/core/autograd/function.h"
#include "ember/core/dispatch.h"

namespace ember {

using autograd::attach;
using G = std::vector<Tensor>;

namespace {

int64_t out_size(int64_t in, int64_t k, int64_t s, int64_t p, int64_t d) {
  int64_t span = in + 2 * p - d * (k - 1) - 1;
  return span < 0 ? 0 : span / s + 1;  // C++ division truncates toward zero: a negative span means no output
}

void check_conv(const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dOptions& o) {
  EMBER_CHECK(x.defined() && w.defined(), ValueError, "conv2d: input or weight is undefined");
  EMBER_CHECK(x.dim() == 4, ShapeError, "conv2d: input must be [N, C, H, W], got shape {}", shape_str(x.shape()));
  EMBER_CHECK(w.dim() == 4, ShapeError, "conv2d: weight must be [O, C/groups, kH, kW], got shape {}",
              shape_str(w.shape()));
  EMBER_CHECK(x.dtype() == w.dtype() && is_floating(x.dtype()), DTypeError,
              "conv2d: input ({}) and weight ({}) must share a floating-point dtype", x.dtype(), w.dtype());
  EMBER_CHECK(x.device() == w.device(), DeviceError, "conv2d: input on {} but weight on {}", x.device(), w.device());
  for (int i = 0; i < 2; ++i) {
    EMBER_CHECK(o.stride[i] > 0 && o.dilation[i] > 0 && o.padding[i] >= 0, ValueError,
                "conv2d: stride {} and dilation {} must be positive and padding {} non-negative",
                shape_str(o.stride), shape_str(o.dilation), shape_str(o.padding));
  }
  EMBER_CHECK(o.groups > 0 && w.size(0) % o.groups == 0, ValueError,
              "conv2d: {} output channels are not divisible by groups={}", w.size(0), o.groups);
  EMBER_CHECK(x.size(1) == w.size(1) * o.groups, ShapeError,
              "conv2d: input has {} channels but weight expects {} (input shape {}, weight shape {}, groups {})",
              x.size(1), w.size(1) * o.groups, shape_str(x.shape()), shape_str(w.shape()), o.groups);
  if (b.defined()) {
    EMBER_CHECK(b.dim() == 1 && b.size(0) == w.size(0), ShapeError, "conv2d: bias has shape {} but weight has {} outputs",
                shape_str(b.shape()), w.size(0));
    EMBER_CHECK(b.device() == x.device(), DeviceError, "conv2d: bias on {} but input on {}", b.device(), x.device());
    EMBER_CHECK(b.dtype() == x.dtype(), DTypeError, "conv2d: bias has dtype {} but input has {}", b.dtype(),
                x.dtype());
  }
}

}  // namespace

Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv2dOptions& opt) {
  check_conv(x, weight, bias, opt);
  const int64_t oh = out_size(x.size(2), weight.size(2), opt.stride[0], opt.padding[0], opt.dilation[0]);
  const int64_t ow = out_size(x.size(3), weight.size(3), opt.stride[1], opt.padding[1], opt.dilation[1]);
  EMBER_CHECK(oh > 0 && ow > 0, ShapeError,
              "conv2d: input {} is too small for kernel {}x{} (padding {}, dilation {}): output would be {}x{}",
              shape_str(x.shape()), weight.size(2), weight.size(3), shape_str(opt.padding), shape_str(opt.dilation),
              oh, ow);
  Tensor out = make_tensor({x.size(0), weight.size(0), oh, ow}, x.dtype(), x.device());
  Tensor xc = x.detach().contiguous(), wc = weight.detach().contiguous();
  Tensor bc = bias.defined() ? bias.detach().contiguous() : Tensor();
  get_kernel<OpId::conv2d>(x.device())(xc, wc, bc, out, opt);
  std::vector<Tensor> inputs{x, weight};
  if (bias.defined()) inputs.push_back(bias);
  const bool has_bias = bias.defined();
  attach("conv2d", inputs, {out}, {xc, wc}, [opt, has_bias](const G& g, const G& s, const auto& n) {
    const Tensor& xs = s[0];
    const Tensor& ws = s[1];
    Tensor gy = g[0].contiguous();
    G r(n.next_edges.size());
    if (n.needs_input_grad(0)) {
      r[0] = make_tensor(xs.shape(), xs.dtype(), xs.device());
      get_kernel<OpId::conv2d_backward_data>(xs.device())(gy, ws, r[0], opt);
    }
    const bool need_w = n.needs_input_grad(1), need_b = has_bias && n.needs_input_grad(2);
    if (need_w || need_b) {
      Tensor gw = make_tensor(ws.shape(), ws.dtype(), ws.device());
      Tensor gb = has_bias ? make_tensor({ws.size(0)}, ws.dtype(), ws.device()) : Tensor();
      get_kernel<OpId::conv2d_backward_weight>(xs.device())(xs, gy, gw, gb, opt);
      if (need_w) r[1] = gw;
      if (need_b) r[2] = gb;
    }
    return r;
  });
  return out;
}

}  // namespace ember
