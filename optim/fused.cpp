#include "ember/optim/fused.h"

#include <utility>

#include "ember/core/anomaly.h"

namespace ember::optim::detail {
namespace {

const TensorImpl* last_with_grad(const ParamGroup& g) {
  for (auto it = g.params.rbegin(); it != g.params.rend(); ++it)
    if (it->grad().defined()) return it->impl();
  return nullptr;
}

}  // namespace

bool GroupBatch::add(const ParamGroup& group, const Tensor& param, const Tensor& grad, ParamState& state) {
  try {
    // step() visits a group's parameters in order, so an empty batch means a new group.
    if (items_.empty()) last_ = last_with_grad(group);
    items_.push_back({param, grad, &state});
  } catch (...) {
    items_.clear();
    throw;
  }
  return param.impl() == last_;
}

std::vector<PendingUpdate> GroupBatch::take() { return std::exchange(items_, {}); }

bool fusable(const std::vector<PendingUpdate>& items, const std::vector<const char*>& state_names) {
  if (items.empty() || detect_anomaly()) return false;
  const Tensor& like = items.front().param;
  if (!is_floating(like.dtype())) return false;
  auto fits = [&](const Tensor& t, int64_t numel) {
    return t.defined() && t.dtype() == like.dtype() && t.device() == like.device() && t.is_contiguous() &&
           t.numel() == numel;
  };
  for (const PendingUpdate& it : items) {
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
