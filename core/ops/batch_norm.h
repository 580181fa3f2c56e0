#pragma once
// Batch normalization over the channel dim (dim 1) of [N, C] or [N, C, *] inputs.
#include "ember/core/tensor.h"

namespace ember {

// training: normalizes with the batch statistics (biased variance) and, if running
// buffers are given, updates them in place (unbiased variance, as PyTorch):
//   running = (1 - momentum) * running + momentum * batch_stat
// eval: normalizes with running_mean/running_var (which must be given).
// weight/bias ([C]) may be undefined (no affine transform). Differentiable in x, weight
// and bias; the running buffers never carry gradients.
Tensor batch_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, const Tensor& running_mean,
                  const Tensor& running_var, bool training, double momentum = 0.1, double eps = 1e-5);

}  // namespace ember
