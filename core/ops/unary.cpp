#include "ember/core/ops/unary.h"

#include <cmath>

#include "ember/core/autograd/function.h"
#include "ember/core/dispatch.h"
#include "ember/core/ops/binary.h"
#include "ember/core/ops/factory.h"

namespace ember {

using autograd::attach;
using G = std::vector<Tensor>;

namespace {

Tensor run_unary(OpId op, const Tensor& x, ScalarArgs args = {}, bool floating_only = true) {
  EMBER_CHECK(x.defined(), ValueError, "{}: input is undefined", op_name(op));
  EMBER_CHECK(!floating_only || is_floating(x.dtype()), DTypeError,
              "{}: expected a floating-point tensor, got {} (shape {})", op_name(op), x.dtype(),
              shape_str(x.shape()));
  EMBER_CHECK(x.dtype() != DType::boolean, DTypeError, "{}: not defined for bool tensors (shape {})",
              op_name(op), shape_str(x.shape()));
  Tensor out = make_tensor(x.shape(), x.dtype(), x.device());
  get_kernel<kernel::Unary>(op, x.device().type)(x, out, args);
  return out;
}

}  // namespace

Tensor neg(const Tensor& x) {
  Tensor y = run_unary(OpId::neg, x, {}, false);
  attach("neg", {x}, {y}, {}, [](const G& g, const G&, const auto&) { return G{neg(g[0])}; });
  return y;
}

Tensor abs(const Tensor& x) {
  Tensor y = run_unary(OpId::abs, x, {}, false);
  attach("abs", {x}, {y}, {x}, [](const G& g, const G& s, const auto&) { return G{g[0] * sign(s[0])}; });
  return y;
}

Tensor sign(const Tensor& x) {
  Tensor y = run_unary(OpId::sign, x, {}, false);
  attach("sign", {x}, {y}, {}, [](const G& g, const G&, const auto&) { return G{zeros_like(g[0])}; });
  return y;
}

Tensor exp(const Tensor& x) {
  Tensor y = run_unary(OpId::exp, x);
  attach("exp", {x}, {y}, {y}, [](const G& g, const G& s, const auto&) { return G{g[0] * s[0]}; });
  return y;
}

Tensor log(const Tensor& x) {
  Tensor y = run_unary(OpId::log, x);
  attach("log", {x}, {y}, {x}, [](const G& g, const G& s, const auto&) { return G{g[0] / s[0]}; });
  return y;
}

Tensor log1p(const Tensor& x) {
  Tensor y = run_unary(OpId::log1p, x);
  attach("log1p", {x}, {y}, {x}, [](const G& g, const G& s, const auto&) { return G{g[0] / (s[0] + 1.0)}; });
  return y;
}

Tensor sqrt(const Tensor& x) {
  Tensor y = run_unary(OpId::sqrt, x);
  attach("sqrt", {x}, {y}, {y}, [](const G& g, const G& s, const auto&) { return G{g[0] / (s[0] * 2.0)}; });
  return y;
}

Tensor rsqrt(const Tensor& x) {
  Tensor y = run_unary(OpId::rsqrt, x);
  // d/dx x^-1/2 = -1/2 x^-3/2 = -1/2 y^3
  attach("rsqrt", {x}, {y}, {y}, [](const G& g, const G& s, const auto&) {
    return G{g[0] * pow(s[0], 3.0) * -0.5};
  });
  return y;
}

Tensor pow(const Tensor& x, double e) {
  Tensor y = run_unary(OpId::pow_scalar, x, {e, 0});
  attach("pow", {x}, {y}, {x}, [e](const G& g, const G& s, const auto&) {
    if (e == 0.0) return G{zeros_like(g[0])};
    return G{g[0] * pow(s[0], e - 1.0) * e};
  });
  return y;
}

Tensor pow(double base, const Tensor& x) {
  Tensor y = run_unary(OpId::rpow_scalar, x, {base, 0});
  attach("rpow", {x}, {y}, {y}, [base](const G& g, const G& s, const auto&) {
    return G{g[0] * s[0] * std::log(base)};
  });
  return y;
}

Tensor relu(const Tensor& x) {
  Tensor y = run_unary(OpId::relu, x, {}, false);
  attach("relu", {x}, {y}, {y}, [](const G& g, const G& s, const auto&) {
    Tensor gx = make_tensor(s[0].shape(), s[0].dtype(), s[0].device());
    get_kernel<OpId::relu_backward>(gx.device())(g[0], s[0], gx);
    return G{gx};
  });
  return y;
}

Tensor leaky_relu(const Tensor& x, double slope) {
  Tensor y = run_unary(OpId::leaky_relu, x, {slope, 0});
  attach("leaky_relu", {x}, {y}, {x}, [slope](const G& g, const G& s, const auto&) {
    return G{where(gt(s[0], 0.0), g[0], g[0] * slope)};
  });
  return y;
}

Tensor gelu(const Tensor& x) {
  Tensor y = run_unary(OpId::gelu, x);
  // d/dx x·Φ(x) = Φ(x) + x·φ(x)
  attach("gelu", {x}, {y}, {x}, [](const G& g, const G& s, const auto&) {
    const Tensor& v = s[0];
    Tensor cdf = (run_unary(OpId::gelu, v) / v);  // Φ(x) = gelu(x)/x, except at 0
    cdf = where(eq(v, 0.0), full_like(v, 0.5), cdf);
    Tensor pdf = exp(v * v * -0.5) * 0.3989422804014327;
    return G{g[0] * (cdf + v * pdf)};
  });
  return y;
}

Tensor sigmoid(const Tensor& x) {
  Tensor y = run_unary(OpId::sigmoid, x);
  attach("sigmoid", {x}, {y}, {y}, [](const G& g, const G& s, const auto&) {
    return G{g[0] * s[0] * (1.0 - s[0])};
  });
  return y;
}

Tensor tanh(const Tensor& x) {
  Tensor y = run_unary(OpId::tanh, x);
  attach("tanh", {x}, {y}, {y}, [](const G& g, const G& s, const auto&) {
    return G{g[0] * (1.0 - s[0] * s[0])};
  });
  return y;
}

Tensor clamp(const Tensor& x, double lo, double hi) {
  EMBER_CHECK(std::isnan(lo) || std::isnan(hi) || lo <= hi, ValueError,
              "clamp: min {} is greater than max {}", lo, hi);
  Tensor y = run_unary(OpId::clamp, x, {lo, hi});
  attach("clamp", {x}, {y}, {x}, [lo, hi](const G& g, const G& s, const auto&) {
    Tensor r = g[0];
    if (!std::isnan(lo)) r = where(ge(s[0], lo), r, 0.0);
    if (!std::isnan(hi)) r = where(le(s[0], hi), r, 0.0);
    return G{r};
  });
  return y;
}
Tensor clamp_min(const Tensor& x, double lo) { return clamp(x, lo, NAN); }
Tensor clamp_max(const Tensor& x, double hi) { return clamp(x, NAN, hi); }

Tensor affine(const Tensor& x, double a, double b) {
  Tensor y = run_unary(OpId::affine, x, {a, b}, false);
  attach("affine", {x}, {y}, {}, [a](const G& g, const G&, const auto&) {
    return G{a == 1.0 ? g[0] : affine(g[0], a, 0.0)};
  });
  return y;
}

Tensor Tensor::neg() const { return ember::neg(*this); }
Tensor Tensor::abs() const { return ember::abs(*this); }
Tensor Tensor::exp() const { return ember::exp(*this); }
Tensor Tensor::log() const { return ember::log(*this); }
Tensor Tensor::sqrt() const { return ember::sqrt(*this); }
Tensor Tensor::pow(double e) const { return ember::pow(*this, e); }
Tensor Tensor::relu() const { return ember::relu(*this); }
Tensor Tensor::sigmoid() const { return ember::sigmoid(*this); }
Tensor Tensor::tanh() const { return ember::tanh(*this); }

Tensor operator-(const Tensor& a) { return neg(a); }
Tensor operator+(const Tensor& a, double b) { return affine(a, 1.0, b); }
Tensor operator-(const Tensor& a, double b) { return affine(a, 1.0, -b); }
Tensor operator*(const Tensor& a, double b) { return affine(a, b, 0.0); }
Tensor operator/(const Tensor& a, double b) { return affine(a, 1.0 / b, 0.0); }
Tensor operator+(double a, const Tensor& b) { return affine(b, 1.0, a); }
Tensor operator-(double a, const Tensor& b) { return affine(b, -1.0, a); }
Tensor operator*(double a, const Tensor& b) { return affine(b, a, 0.0); }
Tensor operator/(double a, const Tensor& b) { return pow(b, -1.0) * a; }

}  // namespace ember
