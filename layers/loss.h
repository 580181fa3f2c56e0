#pragma once
// Losses as modules: thin wrappers of ember/core/ops/loss.h (see there for shapes and
// reductions). Call as loss(input, target).
#include "ember/core/ops/loss.h"
#include "ember/layers/module.h"

namespace ember::nn {

class Loss : public Module {
 public:
  Tensor operator()(const Tensor& input, const Tensor& target);
  virtual Tensor forward(const Tensor& input, const Tensor& target) = 0;
  // A loss needs a target: this one-argument form always throws ValueError.
  Tensor forward(const Tensor& x) final;
  std::string extra_repr() const override;
  const Reduction reduction;

 protected:
  Loss(std::string type_name, Reduction reduction) : Module(std::move(type_name)), reduction(reduction) {}
};

// input: logits [N, C] (or [N, C, d...]); target: int64 class indices [N] (or [N, d...]).
class CrossEntropyLoss : public Loss {
 public:
  explicit CrossEntropyLoss(Reduction reduction = Reduction::mean, double label_smoothing = 0.0,
                            int64_t ignore_index = -100);
  using Loss::forward;
  Tensor forward(const Tensor& input, const Tensor& target) override;
  std::string extra_repr() const override;
  const double label_smoothing;
  const int64_t ignore_index;
};

class MSELoss : public Loss {
 public:
  explicit MSELoss(Reduction reduction = Reduction::mean) : Loss("MSELoss", reduction) {}
  using Loss::forward;
  Tensor forward(const Tensor& input, const Tensor& target) override;
};

class L1Loss : public Loss {
 public:
  explicit L1Loss(Reduction reduction = Reduction::mean) : Loss("L1Loss", reduction) {}
  using Loss::forward;
  Tensor forward(const Tensor& input, const Tensor& target) override;
};

class SmoothL1Loss : public Loss {
 public:
  explicit SmoothL1Loss(Reduction reduction = Reduction::mean, double beta = 1.0);
  using Loss::forward;
  Tensor forward(const Tensor& input, const Tensor& target) override;
  std::string extra_repr() const override;
  const double beta;
};

// pos_weight (optional, broadcastable to the input) is a buffer: it follows .to().
class BCEWithLogitsLoss : public Loss {
 public:
  explicit BCEWithLogitsLoss(Reduction reduction = Reduction::mean, Tensor pos_weight = Tensor());
  using Loss::forward;
  Tensor forward(const Tensor& input, const Tensor& target) override;
  Tensor pos_weight;
};

}  // namespace ember::nn
