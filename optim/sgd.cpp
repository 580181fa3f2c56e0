#include "ember/optim/sgd.h"

#include <cmath>

#include "ember/core/dispatch.h"
#include "ember/core/error.h"
#include "ember/core/ops/copy.h"
#include "ember/core/ops/factory.h"

namespace ember::optim {
namespace {

ParamGroup sgd_defaults(const SGDOptions& o) {
  ParamGroup d;
  d.lr = o.lr;
  d.momentum = o.momentum;
  d.dampening = o.dampening;
  d.weight_decay = o.weight_decay;
  d.nesterov = o.nesterov;
  return d;
}

}  // namespace

SGD::SGD(std::vector<Tensor> params, SGDOptions options)
    : SGD(single_group(std::move(params)), options) {}

SGD::SGD(std::vector<ParamGroup> groups, SGDOptions options)
    : Optimizer("sgd", std::move(groups), sgd_defaults(options)), options_(options) {
  check_groups();
}

void SGD::check_group(const ParamGroup& g, size_t i) const {
  const double lr = need(g.lr, "lr", i);
  const double momentum = need(g.momentum, "momentum", i);
  const double dampening = need(g.dampening, "dampening", i);
  const double wd = need(g.weight_decay, "weight_decay", i);
  const bool nesterov = need(g.nesterov, "nesterov", i);
  EMBER_CHECK(lr >= 0.0, ValueError, "sgd: lr must be >= 0, got {} (param group {})", lr, i);
  EMBER_CHECK(momentum >= 0.0, ValueError, "sgd: momentum must be >= 0, got {} (param group {})",
              momentum, i);
  EMBER_CHECK(std::isfinite(dampening), ValueError,
              "sgd: dampening must be finite, got {} (param group {})", dampening, i);
  EMBER_CHECK(wd >= 0.0, ValueError, "sgd: weight_decay must be >= 0, got {} (param group {})", wd,
              i);
  EMBER_CHECK(!nesterov || (momentum > 0.0 && dampening == 0.0), ValueError,
              "sgd: nesterov needs momentum > 0 and dampening == 0, got momentum {} and "
              "dampening {} (param group {})",
              momentum, dampening, i);
}

void SGD::update_group(const ParamGroup& g, const std::vector<ParamUpdate>& items) {
  if (!update_fused(g, items)) Optimizer::update_group(g, items);
}

bool SGD::update_fused(const ParamGroup& g, const std::vector<ParamUpdate>& items) {
  const bool momentum = *g.momentum != 0.0;
  if (!detail::fusable(items, momentum ? std::vector<const char*>{"momentum_buffer"} : std::vector<const char*>{}))
    return false;
  // Parameters whose buffer exists, and those whose buffer starts now (first_step).
  struct Lists {
    std::vector<Tensor> params, grads, bufs;
  } old_bufs, new_bufs;
  for (const auto& it : items) {
    Lists* l = &old_bufs;
    if (momentum) {
      auto f = it.state->tensors.find("momentum_buffer");
      if (f == it.state->tensors.end()) {
        l = &new_bufs;
        l->bufs.push_back(empty(it.param.shape(), it.param.dtype(), it.param.device()));
      } else {
        l->bufs.push_back(f->second);
      }
    }
    l->params.push_back(it.param);
    l->grads.push_back(it.grad);
  }
  const Device device = items.front().param.device();
  auto kernel = get_kernel<OpId::fused_sgd>(device);
  FusedSGDArgs a{.lr = *g.lr,
                 .momentum = *g.momentum,
                 .dampening = *g.dampening,
                 .weight_decay = *g.weight_decay,
                 .nesterov = *g.nesterov};
  if (!old_bufs.params.empty()) kernel(old_bufs.params, old_bufs.grads, old_bufs.bufs, a);
  if (!new_bufs.params.empty()) {
    a.first_step = true;
    kernel(new_bufs.params, new_bufs.grads, new_bufs.bufs, a);
  }
  // Only now that they hold the first direction do the new buffers join the state.
  size_t k = 0;
  for (const auto& it : items)
    if (momentum && !it.state->tensors.count("momentum_buffer"))
      it.state->tensors.emplace("momentum_buffer", new_bufs.bufs[k++]);
  for (const Lists* l : {&old_bufs, &new_bufs}) {
    detail::bump_versions(l->params);
    detail::bump_versions(l->bufs);
  }
  return true;
}

void SGD::update(const ParamGroup& g, Tensor& param, const Tensor& grad, ParamState& state) {
  const double lr = *g.lr, momentum = *g.momentum, dampening = *g.dampening;
  const double wd = *g.weight_decay;
  Tensor d = grad;
  if (wd != 0.0) d = grad + param * wd;
  if (momentum != 0.0) {
    auto it = state.tensors.find("momentum_buffer");
    Tensor buf;
    if (it == state.tensors.end()) {
      // PyTorch starts the buffer at the first gradient itself, undamped.
      buf = clone(d);
      state.tensors.emplace("momentum_buffer", buf);
    } else {
      buf = it->second;
      buf.mul_(momentum).add_(d, 1.0 - dampening);
    }
    d = *g.nesterov ? d + buf * momentum : buf;
  }
  param.add_(d, -lr);
}

}  // namespace ember::optim
