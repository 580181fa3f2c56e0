#include "ember/layers/flatten.h"

#include <algorithm>

namespace ember::nn {

Flatten::Flatten(int64_t s, int64_t e) : Module("Flatten"), start_dim(s), end_dim(e) {}

void Flatten::check_input(const Tensor& x) const {
  const int64_t n = std::max<int64_t>(x.dim(), 1);  // a scalar flattens like a 1-element vector
  const int64_t s = start_dim < 0 ? start_dim + n : start_dim, e = end_dim < 0 ? end_dim + n : end_dim;
  EMBER_CHECK(s >= 0 && s < n && e >= 0 && e < n && s <= e, ShapeError,
              "{}: cannot flatten dims {}..{} of an input with shape {}", label("flatten"), start_dim, end_dim,
              shape_str(x.shape()));
}

Tensor Flatten::forward(const Tensor& x) { return x.flatten(start_dim, end_dim); }

std::string Flatten::extra_repr() const { return fmt::format("start_dim={}, end_dim={}", start_dim, end_dim); }

}  // namespace ember::nn
