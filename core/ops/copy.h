#pragma once
// Copies, casts and device moves. All differentiable (the gradient is cast/moved back).
#include "ember/core/tensor.h"

namespace ember {

Tensor to_device(const Tensor& x, Device device);
Tensor to_dtype(const Tensor& x, DType dtype);
// A contiguous tensor with x's values (x itself if already contiguous).
Tensor contiguous(const Tensor& x);
// A new contiguous tensor with x's values, never aliasing x.
Tensor clone(const Tensor& x);

}  // namespace ember
