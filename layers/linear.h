#pragma once
// Linear: y = x·Wᵀ + b over the last dim, as torch.nn.Linear.
#include "ember/core/generator.h"
#include "ember/layers/module.h"

namespace ember::nn {

class Linear : public Module {
 public:
  // PyTorch's initialisation: weight kaiming_uniform_(a = sqrt(5)), i.e. U(-1/sqrt(in), 1/sqrt(in)),
  // bias U(-1/sqrt(in), 1/sqrt(in)); drawn from gen (default: the global generator).
  Linear(int64_t in_features, int64_t out_features, bool bias = true, Generator* gen = nullptr);
  // Input [..., in_features] -> [..., out_features].
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;
  void reset_parameters(Generator* gen = nullptr);

  const int64_t in_features;
  const int64_t out_features;
  Tensor weight;  // [out_features, in_features]
  Tensor bias;    // [out_features], undefined without bias

 protected:
  void check_input(const Tensor& x) const override;
};

}  // namespace ember::nn
