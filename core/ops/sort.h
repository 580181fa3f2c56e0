#pragma once
// Sorting along one dim (the last by default). Stable: equal values keep their order; NaN
// sorts after every number (before, descending), as in PyTorch. The values carry the
// gradient, to the elements they came from; indices are i64.
#include <cstdint>

#include "ember/core/ops/reduce.h"
#include "ember/core/tensor.h"

namespace ember {

ValuesIndices sort(const Tensor& x, int64_t dim = -1, bool descending = false);
Tensor argsort(const Tensor& x, int64_t dim = -1, bool descending = false);
// The k largest (largest = true) or smallest along dim, in sorted order; 0 <= k <= size(dim).
ValuesIndices topk(const Tensor& x, int64_t k, int64_t dim = -1, bool largest = true);

}  // namespace ember
