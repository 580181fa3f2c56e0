#pragma once
// A tensor kept by a Node for its backward. It holds the data without history (so
// no reference cycle through the saving node) and remembers the version at save time.
#include <string>

#include "ember/core/tensor.h"

namespace ember::autograd {

class SavedTensor {
 public:
  SavedTensor() = default;
  explicit SavedTensor(const Tensor& t);
  // Throws AutogradError if released or modified in place since it was saved.
  Tensor unpack(const std::string& node_name) const;
  void release() { data_ = Tensor(); released_ = true; }
  bool defined() const { return data_.defined() || released_; }

 private:
  Tensor data_;
  uint32_t saved_version_ = 0;
  bool released_ = false;
};

}  // namespace ember::autograd
