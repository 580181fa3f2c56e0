#pragma once
// Shape and stride arithmetic shared by every backend (no device code here).
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace ember {

using Shape = std::vector<int64_t>;
using Strides = std::vector<int64_t>;

int64_t numel_of(std::span<const int64_t> shape);
Strides contiguous_strides(std::span<const int64_t> shape);
// Wraps a possibly negative dim into [0, ndim); throws IndexError naming op otherwise.
int64_t wrap_dim(int64_t dim, int64_t ndim, const char* op);
// NumPy broadcasting of two shapes; throws ShapeError naming op.
Shape broadcast_shapes(std::span<const int64_t> a, std::span<const int64_t> b, const char* op);
// Strides that read a tensor of shape/strides as if it had shape `to` (0 on broadcast dims).
Strides broadcast_strides(std::span<const int64_t> shape, std::span<const int64_t> strides,
                          std::span<const int64_t> to);
std::string shape_str(std::span<const int64_t> shape);

}  // namespace ember
