#include "ember/optim/adam.h"

#include <cmath>
#include <map>

#include "ember/core/dispatch.h"
#include "ember/core/error.h"
#include "ember/core/ops/binary.h"
#include "ember/core/ops/factory.h"
#include "ember/core/ops/unary.h"

namespace ember::optim {
namespace {

ParamGroup adam_defaults(const AdamOptions& o) {
  ParamGroup d;
  d.lr = o.lr;
  d.betas = o.betas;
  d.eps = o.eps;
  d.weight_decay = o.weight_decay;
  d.amsgrad = o.amsgrad;
  return d;
}

AdamOptions from_adamw(const AdamWOptions& o) {
  return {.lr = o.lr,
          .betas = o.betas,
          .eps = o.eps,
          .weight_decay = o.weight_decay,
          .amsgrad = o.amsgrad};
}

}  // namespace

Adam::Adam(std::vector<Tensor> params, AdamOptions options)
    : Adam(single_group(std::move(params)), options) {}

Adam::Adam(std::vector<ParamGroup> groups, AdamOptions options)
    : Adam("adam", std::move(groups), options, /*decoupled=*/false) {}

Adam::Adam(std::string name, std::vector<ParamGroup> groups, AdamOptions options, bool decoupled)
    : Optimizer(std::move(name), std::move(groups), adam_defaults(options)), decoupled_(decoupled) {
  check_groups();
}

AdamW::AdamW(std::vector<Tensor> params, AdamWOptions options)
    : AdamW(single_group(std::move(params)), options) {}

AdamW::AdamW(std::vector<ParamGroup> groups, AdamWOptions options)
    : Adam("adamw", std::move(groups), from_adamw(options), /*decoupled=*/true) {}

void Adam::check_group(const ParamGroup& g, size_t i) const {
  const std::string& op = name();
  const double lr = need(g.lr, "lr", i);
  const double eps = need(g.eps, "eps", i);
  const double wd = need(g.weight_decay, "weight_decay", i);
  need(g.amsgrad, "amsgrad", i);
  EMBER_CHECK(g.betas.has_value(), ValueError, "{}: param group {} has no betas", op, i);
  const auto [b1, b2] = *g.betas;
  EMBER_CHECK(lr >= 0.0, ValueError, "{}: lr must be >= 0, got {} (param group {})", op, lr, i);
  EMBER_CHECK(eps >= 0.0, ValueError, "{}: eps must be >= 0, got {} (param group {})", op, eps, i);
  EMBER_CHECK(b1 >= 0.0 && b1 < 1.0, ValueError,
              "{}: betas[0] must be in [0, 1), got {} (param group {})", op, b1, i);
  EMBER_CHECK(b2 >= 0.0 && b2 < 1.0, ValueError,
              "{}: betas[1] must be in [0, 1), got {} (param group {})", op, b2, i);
  EMBER_CHECK(wd >= 0.0, ValueError, "{}: weight_decay must be >= 0, got {} (param group {})", op,
              wd, i);
}

void Adam::check_state(const ParamState& st, size_t i) const {
  for (const char* k : {"exp_avg", "exp_avg_sq"})
    EMBER_CHECK(st.tensors.count(k), ValueError,
                "{}: load_state_dict: the state of parameter {} has no '{}'", name(), i, k);
  auto step = st.scalars.find("step");
  EMBER_CHECK(step != st.scalars.end(), ValueError,
              "{}: load_state_dict: the state of parameter {} has no 'step'", name(), i);
  EMBER_CHECK(step->second >= 0.0 && step->second == std::floor(step->second), ValueError,
              "{}: load_state_dict: parameter {} has step {}; expected a whole number >= 0", name(),
              i, step->second);
}

void Adam::update_group(const ParamGroup& g, const std::vector<ParamUpdate>& items) {
  if (!update_fused(g, items)) Optimizer::update_group(g, items);
}

bool Adam::update_fused(const ParamGroup& g, const std::vector<ParamUpdate>& items) {
  const bool amsgrad = *g.amsgrad;
  std::vector<const char*> names{"exp_avg", "exp_avg_sq"};
  if (amsgrad) names.push_back("max_exp_avg_sq");
  if (!detail::fusable(items, names)) return false;
  // A state with only some of its moments is left to the per-tensor path's error.
  for (const auto& it : items) {
    const auto& t = it.state->tensors;
    if (!t.empty() && !(t.count("exp_avg") && t.count("exp_avg_sq") && it.state->scalars.count("step")))
      return false;
  }

  struct Lists {
    std::vector<Tensor> params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs;
  };
  std::map<double, Lists> by_step;  // the bias corrections depend on each tensor's step
  for (const auto& it : items) {
    ParamState& st = *it.state;
    if (st.tensors.empty()) {
      st.scalars["step"] = 0.0;
      st.tensors["exp_avg"] = zeros_like(it.param);
      st.tensors["exp_avg_sq"] = zeros_like(it.param);
    }
    // Created on first use, so amsgrad may also be switched on for a group mid-training.
    if (amsgrad && !st.tensors.count("max_exp_avg_sq")) st.tensors["max_exp_avg_sq"] = zeros_like(it.param);
    const double step = (st.scalars["step"] += 1.0);
    Lists& l = by_step[step];
    l.params.push_back(it.param);
    l.grads.push_back(it.grad);
    l.exp_avgs.push_back(st.tensors.at("exp_avg"));
    l.exp_avg_sqs.push_back(st.tensors.at("exp_avg_sq"));
    if (amsgrad) l.max_exp_avg_sqs.push_back(st.tensors.at("max_exp_avg_sq"));
  }

  const auto [beta1, beta2] = *g.betas;
  auto kernel = get_kernel<OpId::fused_adam>(items.front().param.device());
  for (auto& [step, l] : by_step) {
    const FusedAdamArgs a{.lr = *g.lr,
                          .beta1 = beta1,
                          .beta2 = beta2,
                          .eps = *g.eps,
                          .weight_decay = *g.weight_decay,
                          .step = step,
                          .decoupled = decoupled_,
                          .amsgrad = amsgrad};
    kernel(l.params, l.grads, l.exp_avgs, l.exp_avg_sqs, l.max_exp_avg_sqs, a);
    for (const auto* list : {&l.params, &l.exp_avgs, &l.exp_avg_sqs, &l.max_exp_avg_sqs})
      detail::bump_versions(*list);
  }
  return true;
}

void Adam::update(const ParamGroup& g, Tensor& param, const Tensor& grad, ParamState& st) {
  const double lr = *g.lr, eps = *g.eps, wd = *g.weight_decay;
  const auto [beta1, beta2] = *g.betas;
  if (st.tensors.empty()) {
    st.scalars["step"] = 0.0;
    st.tensors["exp_avg"] = zeros_like(param);
    st.tensors["exp_avg_sq"] = zeros_like(param);
  }
  const double step = (st.scalars["step"] += 1.0);
  Tensor& exp_avg = st.tensors.at("exp_avg");
  Tensor& exp_avg_sq = st.tensors.at("exp_avg_sq");

  Tensor d = grad;
  if (decoupled_)
    param.mul_(1.0 - lr * wd);
  else if (wd != 0.0)
    d = grad + param * wd;

  exp_avg.mul_(beta1).add_(d, 1.0 - beta1);
  exp_avg_sq.mul_(beta2).add_(d * d, 1.0 - beta2);

  const double bias_correction1 = 1.0 - std::pow(beta1, step);
  const double bias_correction2 = 1.0 - std::pow(beta2, step);
  const double step_size = lr / bias_correction1;
  const double bias_correction2_sqrt = std::sqrt(bias_correction2);

  Tensor v = exp_avg_sq;
  if (*g.amsgrad) {
    // Created on first use, so amsgrad may also be switched on for a group mid-training.
    auto it = st.tensors.find("max_exp_avg_sq");
    if (it == st.tensors.end()) it = st.tensors.emplace("max_exp_avg_sq", zeros_like(param)).first;
    it->second.copy_(maximum(it->second, exp_avg_sq));
    v = it->second;
  }
  Tensor denom = ember::sqrt(v) / bias_correction2_sqrt + eps;
  param.add_(exp_avg / denom, -step_size);
}

}  // namespace ember::optim
