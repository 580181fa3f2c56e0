#pragma once
// Copies, casts and device moves. All differentiable (the gradient is cast/moved back).
#include "ember/core/tensor.h"

namespace ember {

// non_blocking: a host->device copy from pinned memory (Tensor::pin_memory) may still be in
// flight on the current stream when this returns; do not write the source until that
// stream is synchronised. Otherwise (and for every other kind of copy) it is complete.
Tensor to_device(const Tensor& x, Device device, bool non_blocking = false);
Tensor to_dtype(const Tensor& x, DType dtype);
// A contiguous tensor with x's values (x itself if already contiguous).
Tensor contiguous(const Tensor& x);
// A new contiguous tensor with x's values, never aliasing x.
Tensor clone(const Tensor& x);

}  // namespace ember
