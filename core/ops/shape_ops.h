#pragma once
// Joining, splitting and padding. All differentiable.
#include <vector>

#include "ember/core/tensor.h"

namespace ember {

Tensor cat(const std::vector<Tensor>& tensors, int64_t dim = 0);
Tensor stack(const std::vector<Tensor>& tensors, int64_t dim = 0);
// Views of consecutive chunks of split_size (the last may be smaller).
std::vector<Tensor> split(const Tensor& x, int64_t split_size, int64_t dim = 0);
std::vector<Tensor> split(const Tensor& x, const std::vector<int64_t>& sizes, int64_t dim = 0);
// Constant padding. pads lists (before, after) pairs starting from the LAST dim, as in
// PyTorch's F.pad: {left, right, top, bottom} pads a 2-D image. Negative pads crop.
Tensor pad(const Tensor& x, const std::vector<int64_t>& pads, double value = 0.0);

}  // namespace ember
