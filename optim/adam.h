#pragma once
// Adam (with optional AMSGrad) and AdamW, with PyTorch's exact update and bias correction
// (torch.optim.Adam / AdamW, single-tensor path, maximize=False). For each parameter p with
// gradient g, at its own step count t (1 on its first update):
//     Adam:  g = g + weight_decay * p               (L2 penalty folded into the gradient)
//     AdamW: p = p * (1 - lr * weight_decay)        (decoupled decay, before the moments)
//     m = beta1 * m + (1 - beta1) * g
//     v = beta2 * v + (1 - beta2) * g * g
//     v_hat = amsgrad ? (vmax = max(vmax, v)) : v
//     denom = sqrt(v_hat) / sqrt(1 - beta2^t) + eps
//     p = p - (lr / (1 - beta1^t)) * m / denom
// State per parameter: scalar "step"; tensors "exp_avg", "exp_avg_sq" and, with amsgrad,
// "max_exp_avg_sq". A parameter skipped at some step (undefined grad) keeps its step count,
// so counts may differ between parameters, as in PyTorch.
// A group whose parameters, gradients and state share one device and one floating dtype (and
// are contiguous) is updated by fused kernels (kernel::FusedAdam, one call per distinct step
// count) with the same math; any other group tensor by tensor.
#include <utility>
#include <vector>

#include "ember/optim/fused.h"
#include "ember/optim/optimizer.h"

namespace ember::optim {

struct AdamOptions {
  double lr = 1e-3;
  std::pair<double, double> betas{0.9, 0.999};  // each in [0, 1)
  double eps = 1e-8;
  double weight_decay = 0.0;  // L2, added to the gradient
  bool amsgrad = false;
};

// AdamW's defaults differ from Adam's only in weight_decay (PyTorch's 1e-2).
struct AdamWOptions {
  double lr = 1e-3;
  std::pair<double, double> betas{0.9, 0.999};
  double eps = 1e-8;
  double weight_decay = 1e-2;  // decoupled: p *= 1 - lr * weight_decay each step
  bool amsgrad = false;
};

class Adam : public Optimizer {
 public:
  explicit Adam(std::vector<Tensor> params, AdamOptions options = {});
  explicit Adam(std::vector<ParamGroup> groups, AdamOptions options = {});

 protected:
  Adam(std::string name, std::vector<ParamGroup> groups, AdamOptions options, bool decoupled);
  void check_group(const ParamGroup& group, size_t index) const override;
  void update(const ParamGroup& group, Tensor& param, const Tensor& grad,
              ParamState& state) override;
  void update_group(const ParamGroup& group, const std::vector<ParamUpdate>& items) override;
  std::vector<std::string> state_tensor_names() const override {
    return {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"};
  }
  std::vector<std::string> state_scalar_names() const override { return {"step"}; }
  void check_state(const ParamState& state, size_t index) const override;

 private:
  // False (nothing changed) when the group cannot be fused.
  bool update_fused(const ParamGroup& group, const std::vector<ParamUpdate>& items);

  bool decoupled_;
};

class AdamW : public Adam {
 public:
  explicit AdamW(std::vector<Tensor> params, AdamWOptions options = {});
  explicit AdamW(std::vector<ParamGroup> groups, AdamWOptions options = {});
};

}  // namespace ember::optim
