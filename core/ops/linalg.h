#pragma once
// Matrix products (oneDNN on the CPU for f32; our loops for f64).
#include "ember/core/tensor.h"

namespace ember {

// a: [..., M, K], b: [..., K, N] with broadcast batch dims -> [..., M, N].
// 1-D operands follow NumPy's rules (a vector is promoted and the dim removed).
Tensor matmul(const Tensor& a, const Tensor& b);
// x: [..., in], weight: [out, in], bias: [out] or undefined -> [..., out] = x·Wᵀ + b.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor());

}  // namespace ember
