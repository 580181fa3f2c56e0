#include "ember/layers/mlp.h"

#include <algorithm>

#include "ember/layers/activation.h"
#include "ember/layers/dropout.h"
#include "ember/layers/linear.h"

namespace ember::nn {

MLP::MLP(std::vector<int64_t> sizes_, const std::string& activation, double dropout, Generator* gen)
    : Sequential("MLP"), sizes(std::move(sizes_)) {
  EMBER_CHECK(sizes.size() >= 2, ValueError, "MLP: sizes needs at least {{in, out}}, got {} entries", sizes.size());
  for (int64_t s : sizes) EMBER_CHECK(s > 0, ValueError, "MLP: layer sizes must be positive, got {}", s);
  for (size_t i = 0; i + 1 < sizes.size(); ++i) {
    push_back(std::make_shared<Linear>(sizes[i], sizes[i + 1], true, gen));
    if (i + 2 < sizes.size()) {
      push_back(make_activation(activation));
      if (dropout > 0.0) push_back(std::make_shared<Dropout>(dropout, gen));
    }
  }
}

void MLP::check_input(const Tensor& x) const {
  const std::string who = label("mlp");
  EMBER_CHECK(x.dim() >= 2, ShapeError, "{}: expected an input [N, {}] (or [N, ...] to flatten), got shape {}", who,
              sizes.front(), shape_str(x.shape()));
  const int64_t features = x.dim() == 2 ? x.size(1) : x.numel() / std::max<int64_t>(x.size(0), 1);
  EMBER_CHECK(x.size(0) == 0 || features == sizes.front(), ShapeError,
              "{}: input has {} features per sample but the first layer expects {} (input shape {})", who, features,
              sizes.front(), shape_str(x.shape()));
}

Tensor MLP::forward(const Tensor& x) { return Sequential::forward(x.dim() > 2 ? x.flatten(1) : x); }

std::vector<Tensor> MLP::forward_multi(const std::vector<Tensor>& inputs) {
  EMBER_CHECK(inputs.size() == 1, ValueError, "{}: takes one input, got {}", label("mlp"), inputs.size());
  return {forward(inputs[0])};
}

}  // namespace ember::nn
