#include "ember/core/ops/softmax.h"

#include "ember/core/autograd/function.h"
#include "ember/core/dispatch.h"

namespace ember {

using autograd::attach;
using G = std::vector<Tensor>;

namespace {

Tensor softmax_impl(const Tensor& x, int64_t dim, bool log) {
  const char* name = log ? "log_softmax" : "softmax";
  EMBER_CHECK(x.defined(), ValueError, "{}: input is undefined", name);
  EMBER_CHECK(is_floating(x.dtype()), DTypeError, "{}: expected a floating-point tensor, got {}", name, x.dtype());
  Tensor xx = x.dim() == 0 ? x.reshape({1}) : x;
  int64_t d = wrap_dim(dim, xx.dim(), name);
  Tensor xc = xx.detach().contiguous();
  Tensor y = make_tensor(xx.shape(), x.dtype(), x.device());
  get_kernel<kernel::Softmax>(log ? OpId::log_softmax : OpId::softmax, x.device().type)(xc, y, d);
  y = y.view(x.shape());
  attach(name, {x}, {y}, {y}, [d, log](const G& g, const G& s, const auto&) {
    Tensor yy = s[0].dim() == 0 ? s[0].reshape({1}) : s[0];
    Tensor gy = g[0].reshape(yy.shape()).contiguous();
    Tensor gx = make_tensor(yy.shape(), yy.dtype(), yy.device());
    get_kernel<kernel::SoftmaxBackward>(log ? OpId::log_softmax_backward : OpId::softmax_backward,
                                        yy.device().type)(yy.contiguous(), gy, gx, d);
    return G{gx.view(s[0].shape())};
  });
  return y;
}

}  // namespace

Tensor softmax(const Tensor& x, int64_t dim) { return softmax_impl(x, dim, false); }
Tensor log_softmax(const Tensor& x, int64_t dim) { return softmax_impl(x, dim, true); }

Tensor Tensor::softmax(int64_t dim) const { return ember::softmax(*this, dim); }
Tensor Tensor::log_softmax(int64_t dim) const { return ember::log_softmax(*this, dim); }

}  // namespace ember
