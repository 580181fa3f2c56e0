#include "ember/layers/sequential.h"

namespace ember::nn {

Sequential::Sequential(std::initializer_list<std::shared_ptr<Module>> modules) : Module("Sequential") {
  for (const auto& m : modules) push_back(m);
}

std::shared_ptr<Module>& Sequential::operator[](size_t i) {
  EMBER_CHECK(i < modules_.size(), IndexError, "Sequential: index {} out of range for {} modules", i,
              modules_.size());
  return modules_[i];
}

const std::shared_ptr<Module>& Sequential::operator[](size_t i) const {
  return const_cast<Sequential&>(*this)[i];
}

std::vector<Tensor> Sequential::forward_multi(const std::vector<Tensor>& inputs) {
  std::vector<Tensor> ys = inputs;
  for (const auto& m : modules_)
    if (m) ys = (*m)(ys);  // one-tensor children run forward(Tensor) through the default
  return ys;
}

Tensor Sequential::forward(const Tensor& x) {
  Tensor y = x;
  for (const auto& m : modules_)
    if (m) y = (*m)(y);
  return y;
}

}  // namespace ember::nn
