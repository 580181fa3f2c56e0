#include "ember/core/autograd/saved.h"

namespace ember::autograd {

SavedTensor::SavedTensor(const Tensor& t) {
  if (!t.defined()) return;
  data_ = t.detach();
  saved_version_ = t.version();
}

Tensor SavedTensor::unpack(const std::string& node_name) const {
  EMBER_CHECK(!released_, AutogradError,
              "{}: backward through a graph that was already freed; call backward with "
              "retain_graph=true the first time to backward twice",
              node_name);
  if (!data_.defined()) return data_;
  EMBER_CHECK(data_.version() == saved_version_, AutogradError,
              "{}: a tensor of shape {} saved for backward was modified in place (saved at version "
              "{}, now version {}); its gradient would be wrong",
              node_name, shape_str(data_.shape()), saved_version_, data_.version());
  return data_;
}

}  // namespace ember::autograd
