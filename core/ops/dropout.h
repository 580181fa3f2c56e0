#pragma once
#include "ember/core/generator.h"
#include "ember/core/tensor.h"

namespace ember {

// In training, zeroes each element with probability p and scales the rest by 1/(1-p);
// in eval (training=false) returns x. The mask is drawn from gen (or the global one).
Tensor dropout(const Tensor& x, double p, bool training, Generator* gen = nullptr);

}  // namespace ember
