#include "ember/layers/linear.h"

#include <cmath>

#include "ember/core/ops/factory.h"
#include "ember/core/ops/linalg.h"
#include "ember/layers/init.h"

namespace ember::nn {

Linear::Linear(int64_t in_features_, int64_t out_features_, bool with_bias, Generator* gen)
    : Module("Linear"), in_features(in_features_), out_features(out_features_) {
  EMBER_CHECK(in_features >= 0 && out_features >= 0, ValueError,
              "Linear: feature counts must be non-negative, got in_features={} out_features={}", in_features,
              out_features);
  weight = empty({out_features, in_features});
  if (with_bias) bias = empty({out_features});
  reset_parameters(gen);
  register_parameter("weight", &weight);
  register_parameter("bias", &bias);
}

void Linear::reset_parameters(Generator* gen) {
  init::kaiming_uniform_(weight, std::sqrt(5.0), init::FanMode::fan_in, init::Nonlinearity::leaky_relu, gen);
  if (bias.defined()) {
    double bound = in_features > 0 ? 1.0 / std::sqrt(static_cast<double>(in_features)) : 0.0;
    init::uniform_(bias, -bound, bound, gen);
  }
}

void Linear::check_input(const Tensor& x) const {
  EMBER_CHECK(x.dim() >= 1, ShapeError, "{}: expected an input with at least 1 dim [..., {}], got a scalar",
              label("linear"), in_features);
  EMBER_CHECK(x.size(-1) == in_features, ShapeError,
              "{}: input has {} features (last dim) but weight expects {} (input shape {})", label("linear"),
              x.size(-1), in_features, shape_str(x.shape()));
  check_same_dtype_device(x, weight, "linear", "weight");
}

Tensor Linear::forward(const Tensor& x) { return linear(x, weight, bias); }

std::string Linear::extra_repr() const {
  return fmt::format("in_features={}, out_features={}, bias={}", in_features, out_features,
                     bias.defined() ? "True" : "False");
}

}  // namespace ember::nn
