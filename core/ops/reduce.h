#pragma once
// Reductions. `dims` empty means all dims. keepdim keeps reduced dims with size 1.
#include <vector>

#include "ember/core/tensor.h"

namespace ember {

Tensor sum(const Tensor& x, std::vector<int64_t> dims = {}, bool keepdim = false);
Tensor mean(const Tensor& x, std::vector<int64_t> dims = {}, bool keepdim = false);
// correction = 1 gives the unbiased estimate (PyTorch's default).
Tensor var(const Tensor& x, std::vector<int64_t> dims = {}, int64_t correction = 1,
           bool keepdim = false);
Tensor std(const Tensor& x, std::vector<int64_t> dims = {}, int64_t correction = 1,
           bool keepdim = false);
// Max/min over dims (no indices). Gradient split evenly among tied maxima.
Tensor amax(const Tensor& x, std::vector<int64_t> dims = {}, bool keepdim = false);
Tensor amin(const Tensor& x, std::vector<int64_t> dims = {}, bool keepdim = false);

struct ValuesIndices {
  Tensor values;
  Tensor indices;  // i64; first occurrence on ties
};
// Along one dim, with indices. Gradient flows to the returned index.
ValuesIndices max(const Tensor& x, int64_t dim, bool keepdim = false);
ValuesIndices min(const Tensor& x, int64_t dim, bool keepdim = false);
Tensor argmax(const Tensor& x, int64_t dim, bool keepdim = false);
Tensor argmin(const Tensor& x, int64_t dim, bool keepdim = false);
// Over all elements (0-dim result).
Tensor max(const Tensor& x);
Tensor min(const Tensor& x);
// The flat (row-major) index of the first maximum / minimum of all elements (0-dim i64).
Tensor argmax(const Tensor& x);
Tensor argmin(const Tensor& x);

}  // namespace ember
