#pragma once
// Index-based ops. Index tensors are i64 on the same device; out-of-range indices are an
// IndexError naming the op, the index and the size.
#include "ember/core/tensor.h"

namespace ember {

// out[i][j] = x[i][index[i][j]] for dim 1 (and likewise for any dim); index has x's rank.
Tensor gather(const Tensor& x, int64_t dim, const Tensor& index);
// Returns a copy of x with src added at index along dim (x unchanged).
Tensor scatter_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src);
// Picks entries of a 1-D index along dim.
Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index);
// [..] i64 -> [.., num_classes] i64; num_classes < 0 means max(index) + 1.
Tensor one_hot(const Tensor& index, int64_t num_classes = -1);

}  // namespace ember
