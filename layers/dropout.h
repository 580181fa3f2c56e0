#pragma once
// Dropout: in training zeroes each element with probability p and scales the rest by
// 1/(1-p); identity in eval mode.
#include "ember/core/generator.h"
#include "ember/layers/module.h"

namespace ember::nn {

class Dropout : public Module {
 public:
  // The masks come from gen (which must outlive the layer) or, when null, from the
  // global generator.
  explicit Dropout(double p = 0.5, Generator* gen = nullptr);
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;
  const double p;

 private:
  Generator* gen_;
};

}  // namespace ember::nn
