#pragma once
// Elementwise activations as modules. They accept any shape and have no parameters.
#include <memory>
#include <string>

#include "ember/layers/module.h"

namespace ember::nn {

class ReLU : public Module {
 public:
  ReLU() : Module("ReLU") {}
  Tensor forward(const Tensor& x) override;
};

class LeakyReLU : public Module {
 public:
  explicit LeakyReLU(double negative_slope = 0.01) : Module("LeakyReLU"), negative_slope(negative_slope) {}
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;
  const double negative_slope;
};

// The exact (erf) form, PyTorch's default approximate='none'.
class GELU : public Module {
 public:
  GELU() : Module("GELU") {}
  Tensor forward(const Tensor& x) override;
};

class Sigmoid : public Module {
 public:
  Sigmoid() : Module("Sigmoid") {}
  Tensor forward(const Tensor& x) override;
};

class Tanh : public Module {
 public:
  Tanh() : Module("Tanh") {}
  Tensor forward(const Tensor& x) override;
};

// "relu", "leaky_relu", "gelu", "sigmoid", "tanh" (ValueError listing these otherwise).
std::shared_ptr<Module> make_activation(const std::string& name);

}  // namespace ember::nn
