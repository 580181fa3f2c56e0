#include "ember/optim/fused.h"

#include "ember/core/anomaly.h"

namespace ember::optim::detail {

bool fusable(const std::vector<ParamUpdate>& items, const std::vector<const char*>& state_names) {
  if (items.empty() || detect_anomaly()) return false;
  const Tensor& like = items.front().param;
  if (!is_floating(like.dtype())) return false;
  auto fits = [&](const Tensor& t, int64_t numel) {
    return t.defined() && t.dtype() == like.dtype() && t.device() == like.device() && t.is_contiguous() &&
           t.numel() == numel;
  };
  for (const ParamUpdate& it : items) {
    const int64_t n = it.param.numel();
    if (!fits(it.param, n) || !fits(it.grad, n)) return false;
    for (const char* name : state_names) {
      auto f = it.state->tensors.find(name);
      if (f != it.state->tensors.end() && !fits(f->second, n)) return false;
    }
  }
  return true;
}

void bump_versions(const std::vector<Tensor>& tensors) {
  for (const Tensor& t : tensors) t.bump_version();
}

}  // namespace ember::optim::detail
