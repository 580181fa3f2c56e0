#include "ember/layers/activation.h"

#include "ember/core/ops/unary.h"

namespace ember::nn {

Tensor ReLU::forward(const Tensor& x) { return relu(x); }
Tensor LeakyReLU::forward(const Tensor& x) { return leaky_relu(x, negative_slope); }
std::string LeakyReLU::extra_repr() const { return fmt::format("negative_slope={}", negative_slope); }
Tensor GELU::forward(const Tensor& x) { return gelu(x); }
Tensor Sigmoid::forward(const Tensor& x) { return sigmoid(x); }
Tensor Tanh::forward(const Tensor& x) { return tanh(x); }

std::shared_ptr<Module> make_activation(const std::string& name) {
  if (name == "relu") return std::make_shared<ReLU>();
  if (name == "leaky_relu") return std::make_shared<LeakyReLU>();
  if (name == "gelu") return std::make_shared<GELU>();
  if (name == "sigmoid") return std::make_shared<Sigmoid>();
  if (name == "tanh") return std::make_shared<Tanh>();
  EMBER_THROW(ValueError, "make_activation: unknown activation '{}' (valid: relu, leaky_relu, gelu, sigmoid, tanh)",
              name);
}

}  // namespace ember::nn
