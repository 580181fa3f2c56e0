#pragma once
// Numerically stable (max-subtracted) softmax family along one dim; fused backward.
#include "ember/core/tensor.h"

namespace ember {

Tensor softmax(const Tensor& x, int64_t dim);
Tensor log_softmax(const Tensor& x, int64_t dim);

}  // namespace ember
