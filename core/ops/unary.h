#pragma once
// Elementwise unary ops on floating-point tensors (neg/abs/sign also on integers).
// Output: same shape and dtype as x, contiguous. All differentiable.
#include "ember/core/tensor.h"

namespace ember {

Tensor neg(const Tensor& x);
Tensor abs(const Tensor& x);
Tensor sign(const Tensor& x);  // gradient zero
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor log1p(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor rsqrt(const Tensor& x);
Tensor pow(const Tensor& x, double exponent);
Tensor pow(double base, const Tensor& x);
Tensor relu(const Tensor& x);
Tensor leaky_relu(const Tensor& x, double negative_slope = 0.01);
// Exact (erf) form, as PyTorch's default.
Tensor gelu(const Tensor& x);
Tensor sigmoid(const Tensor& x);
Tensor tanh(const Tensor& x);
// Either bound may be NaN to mean "no bound". Gradient passes where min <= x <= max.
Tensor clamp(const Tensor& x, double min, double max);
Tensor clamp_min(const Tensor& x, double min);
Tensor clamp_max(const Tensor& x, double max);
// a*x + b in one pass (the scalar forms of + - * /).
Tensor affine(const Tensor& x, double a, double b);

}  // namespace ember
