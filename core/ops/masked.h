#pragma once
// Selection by a mask. The number of selected elements is known only after the mask is
// read, so on a CUDA device these wait for it (as PyTorch's do).
#include "ember/core/tensor.h"

namespace ember {

// The positions of the nonzero (true) elements of x, [K, x.dim()] i64 in row-major order.
Tensor nonzero(const Tensor& x);
// The elements of x where mask (bool, broadcast to x's shape) is true, as [K] in row-major
// order. Differentiable in x (the gradient goes back to the selected elements).
Tensor masked_select(const Tensor& x, const Tensor& mask);
// PyTorch's x[mask] for a bool mask over x's first mask.dim() dims (shape equal to those
// dims): the selected sub-tensors stacked, [K, x.shape()[mask.dim():]...]. Differentiable.
Tensor index(const Tensor& x, const Tensor& mask);

}  // namespace ember
