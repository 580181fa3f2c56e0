#pragma once
// Shape-only layers: Flatten and Identity.
#include "ember/layers/module.h"

namespace ember::nn {

// Flattens dims start_dim..end_dim into one (default: everything but the batch dim).
class Flatten : public Module {
 public:
  explicit Flatten(int64_t start_dim = 1, int64_t end_dim = -1);
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;
  const int64_t start_dim;
  const int64_t end_dim;

 protected:
  void check_input(const Tensor& x) const override;
};

// Returns its input (a placeholder, e.g. a ResNet's max-pool on small images).
class Identity : public Module {
 public:
  Identity() : Module("Identity") {}
  Tensor forward(const Tensor& x) override { return x; }
};

}  // namespace ember::nn
