#include "ember/core/ops/batch_norm.h"

#include "ember/core/autograd/function.h"
#include "ember/core/dispatch.h"
#include "ember/core/ops/factory.h"
#include "ember/core/ops/unary.h"

namespace ember {

using autograd::attach;
using G = std::vector<Tensor>;

namespace {
void check_channel_vector(const Tensor& t, const Tensor& x, int64_t C, const char* what) {
  if (!t.defined()) return;
  EMBER_CHECK(t.dim() == 1 && t.size(0) == C, ShapeError, "batch_norm: {} has shape {} but the input has {} channels",
              what, shape_str(t.shape()), C);
  EMBER_CHECK(t.device() == x.device(), DeviceError, "batch_norm: {} is on {} but the input is on {}", what,
              t.device(), x.device());
  EMBER_CHECK(t.dtype() == x.dtype(), DTypeError, "batch_norm: {} has dtype {} but the input has {}", what, t.dtype(),
              x.dtype());
}
}  // namespace

Tensor batch_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, const Tensor& running_mean,
                  const Tensor& running_var, bool training, double momentum, double eps) {
  EMBER_CHECK(x.defined(), ValueError, "batch_norm: input is undefined");
  EMBER_CHECK(x.dim() >= 2, ShapeError, "batch_norm: input must be [N, C, ...], got shape {}", shape_str(x.shape()));
  EMBER_CHECK(is_floating(x.dtype()), DTypeError, "batch_norm: expected a floating-point input, got {}", x.dtype());
  EMBER_CHECK(eps > 0, ValueError, "batch_norm: eps must be positive, got {}", eps);
  const int64_t N = x.size(0), C = x.size(1);
  const int64_t S = x.numel() / std::max<int64_t>(N * C, 1);
  check_channel_vector(weight, x, C, "weight");
  check_channel_vector(bias, x, C, "bias");
  check_channel_vector(running_mean, x, C, "running_mean");
  check_channel_vector(running_var, x, C, "running_var");
  EMBER_CHECK(running_mean.defined() == running_var.defined(), ValueError,
              "batch_norm: running_mean and running_var must be given together");
  EMBER_CHECK(training || running_mean.defined(), ValueError, "batch_norm: eval mode needs running_mean/running_var");
  EMBER_CHECK(!training || N * S > 1, ValueError,
              "batch_norm: training needs more than one value per channel, got input shape {}", shape_str(x.shape()));

  Tensor x3 = x.detach().contiguous().view({N, C, S});
  Tensor out = make_tensor({N, C, S}, x.dtype(), x.device());
  Tensor mean, invstd;
  Tensor w = weight.defined() ? weight.detach().contiguous() : Tensor();
  Tensor b = bias.defined() ? bias.detach().contiguous() : Tensor();
  if (training) {
    mean = make_tensor({C}, x.dtype(), x.device());
    invstd = make_tensor({C}, x.dtype(), x.device());
    get_kernel<OpId::batch_norm>(x.device())(x3, w, b, mean, invstd, out, true, eps);
    if (running_mean.defined()) {
      NoGradGuard ng;
      // invstd = 1/sqrt(var_biased + eps): recover the unbiased variance for the buffer.
      const double m = static_cast<double>(N * S);
      Tensor var_unbiased = (pow(invstd, -2.0) - eps) * (m / std::max(m - 1.0, 1.0));
      Tensor rm = running_mean, rv = running_var;
      rm.mul_(1.0 - momentum).add_(mean, momentum);
      rv.mul_(1.0 - momentum).add_(var_unbiased, momentum);
    }
  } else {
    NoGradGuard ng;
    mean = running_mean.detach().contiguous();
    invstd = rsqrt(running_var.detach() + eps);
    get_kernel<OpId::batch_norm>(x.device())(x3, w, b, mean, invstd, out, false, eps);
  }
  out = out.view(x.shape());
  std::vector<Tensor> inputs{x};
  const bool has_w = weight.defined(), has_b = bias.defined();
  if (has_w) inputs.push_back(weight);
  if (has_b) inputs.push_back(bias);
  attach("batch_norm", inputs, {out}, {x3, w, mean, invstd},
         [training, has_w, has_b, N, C, S](const G& g, const G& s, const auto& n) {
           Tensor gy = g[0].contiguous().view({N, C, S});
           const Tensor& xs = s[0];
           G r(n.next_edges.size());
           Tensor gx = n.needs_input_grad(0) ? make_tensor(xs.shape(), xs.dtype(), xs.device()) : Tensor();
           size_t wi = 1, bi = has_w ? 2 : 1;
           Tensor gw = has_w && n.needs_input_grad(wi) ? make_tensor({C}, xs.dtype(), xs.device()) : Tensor();
           Tensor gb = has_b && n.needs_input_grad(bi) ? make_tensor({C}, xs.dtype(), xs.device()) : Tensor();
           get_kernel<OpId::batch_norm_backward>(xs.device())(xs, gy, s[1], s[2], s[3], gx, gw, gb,
                                                                             training);
           if (gx.defined()) r[0] = gx.view(g[0].shape());
           if (gw.defined()) r[wi] = gw;
           if (gb.defined()) r[bi] = gb;
           return r;
         });
  return out;
}

}  // namespace ember
