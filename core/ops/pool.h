#pragma once
// 2-D pooling, NCHW. Output size: floor((H + 2p - k)/s) + 1, or ceil with ceil_mode (a
// window must start inside the input or its left padding, as in PyTorch).
#include <array>

#include "ember/core/tensor.h"

namespace ember {

using Pair = std::array<int64_t, 2>;

struct Pool2dOptions {
  Pair kernel{2, 2};
  Pair stride{0, 0};  // {0, 0}: same as kernel
  Pair padding{0, 0};
  bool ceil_mode = false;
  bool count_include_pad = true;  // avg only
};

// Padding counts as -inf. Gradient goes to the (first) maximum of each window.
Tensor max_pool2d(const Tensor& x, const Pool2dOptions& opt);
Tensor avg_pool2d(const Tensor& x, const Pool2dOptions& opt);
// Averages over PyTorch's adaptive windows [floor(i*H/oh), ceil((i+1)*H/oh)).
Tensor adaptive_avg_pool2d(const Tensor& x, Pair output_size);

}  // namespace ember
