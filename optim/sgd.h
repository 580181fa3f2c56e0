#pragma once
// SGD with momentum, dampening, Nesterov momentum and L2 weight decay, with PyTorch's exact
// update (torch.optim.SGD, maximize=False). For each parameter p with gradient g:
//     d = g + weight_decay * p                      (when weight_decay != 0)
//     b = d                                          (first step with momentum: no dampening)
//     b = momentum * b + (1 - dampening) * d         (later steps)
//     d = nesterov ? d + momentum * b : b            (when momentum != 0)
//     p = p - lr * d
// State per parameter: tensor "momentum_buffer" (only when momentum != 0).
// A group whose parameters, gradients and buffers share one device and one floating dtype
// (and are contiguous) is updated by one fused kernel (kernel::FusedSGD) with the same
// math; any other group tensor by tensor.
#include <vector>

#include "ember/optim/fused.h"
#include "ember/optim/optimizer.h"

namespace ember::optim {

struct SGDOptions {
  double lr = 0.01;
  double momentum = 0.0;
  double dampening = 0.0;
  double weight_decay = 0.0;
  bool nesterov = false;  // needs momentum > 0 and dampening == 0
};

class SGD : public Optimizer {
 public:
  explicit SGD(std::vector<Tensor> params, SGDOptions options = {});
  explicit SGD(std::vector<ParamGroup> groups, SGDOptions options = {});

  const SGDOptions& options() const { return options_; }

 protected:
  void check_group(const ParamGroup& group, size_t index) const override;
  void update(const ParamGroup& group, Tensor& param, const Tensor& grad,
              ParamState& state) override;
  void update_group(const ParamGroup& group, const std::vector<ParamUpdate>& items) override;
  std::vector<std::string> state_tensor_names() const override { return {"momentum_buffer"}; }

 private:
  // False (nothing changed) when the group cannot be fused.
  bool update_fused(const ParamGroup& group, const std::vector<ParamUpdate>& items);

  SGDOptions options_;
};

}  // namespace ember::optim
