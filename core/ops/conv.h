#pragma once
// 2-D convolution, NCHW. f32 runs on oneDNN (primitives cached per shape); f64 runs on
// direct loops (for gradchecks). Differentiable in input, weight and bias.
#include <array>

#include "ember/core/tensor.h"

namespace ember {

using Pair = std::array<int64_t, 2>;

struct Conv2dOptions {
  Pair stride{1, 1};
  Pair padding{0, 0};
  Pair dilation{1, 1};
  int64_t groups = 1;
};

// x: [N, C, H, W]; weight: [O, C/groups, kH, kW]; bias: [O] or undefined.
// Output: [N, O, (H + 2p - d(k-1) - 1)/s + 1, (W + ...)/s + 1].
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor(), const Conv2dOptions& opt = {});

}  // namespace ember
