#pragma once
// MLP: Linear -> activation (-> Dropout) -> ... -> Linear, as an nn.Sequential would lay it
// out, so parameter names are "0.weight", "2.weight", ... (with dropout: "0", "3", ...).
// Inputs with more than 2 dims are flattened from dim 1 ([N, 1, 28, 28] -> [N, 784]).
#include <string>
#include <vector>

#include "ember/core/generator.h"
#include "ember/layers/sequential.h"

namespace ember::nn {

class MLP : public Sequential {
 public:
  // sizes = {in, hidden..., out} (at least 2 entries); activation as make_activation();
  // dropout > 0 adds Dropout after each hidden activation.
  explicit MLP(std::vector<int64_t> sizes, const std::string& activation = "relu", double dropout = 0.0,
               Generator* gen = nullptr);
  Tensor forward(const Tensor& x) override;
  // One input only (the same flattening as forward).
  std::vector<Tensor> forward_multi(const std::vector<Tensor>& inputs) override;
  const std::vector<int64_t> sizes;

 protected:
  void check_input(const Tensor& x) const override;
};

}  // namespace ember::nn
