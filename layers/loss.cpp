#include "ember/layers/loss.h"

namespace ember::nn {
namespace {
const char* reduction_name(Reduction r) {
  switch (r) {
    case Reduction::none: return "none";
    case Reduction::mean: return "mean";
    case Reduction::sum: return "sum";
  }
  return "?";
}
}  // namespace

Tensor Loss::operator()(const Tensor& input, const Tensor& target) {
  EMBER_CHECK(input.defined() && target.defined(), ValueError, "{}: input or target is undefined", type_name());
  return forward(input, target);
}

Tensor Loss::forward(const Tensor&) {
  EMBER_THROW(ValueError, "{}: a loss takes (input, target); call loss(input, target)", type_name());
}

std::string Loss::extra_repr() const { return fmt::format("reduction={}", reduction_name(reduction)); }

CrossEntropyLoss::CrossEntropyLoss(Reduction r, double ls, int64_t ii)
    : Loss("CrossEntropyLoss", r), label_smoothing(ls), ignore_index(ii) {
  EMBER_CHECK(ls >= 0.0 && ls <= 1.0, ValueError, "CrossEntropyLoss: label_smoothing {} is outside [0, 1]", ls);
}
Tensor CrossEntropyLoss::forward(const Tensor& input, const Tensor& target) {
  return cross_entropy(input, target, reduction, label_smoothing, ignore_index);
}
std::string CrossEntropyLoss::extra_repr() const {
  return Loss::extra_repr() + fmt::format(", label_smoothing={}, ignore_index={}", label_smoothing, ignore_index);
}

Tensor MSELoss::forward(const Tensor& input, const Tensor& target) { return mse_loss(input, target, reduction); }
Tensor L1Loss::forward(const Tensor& input, const Tensor& target) { return l1_loss(input, target, reduction); }

SmoothL1Loss::SmoothL1Loss(Reduction r, double b) : Loss("SmoothL1Loss", r), beta(b) {
  EMBER_CHECK(b >= 0.0, ValueError, "SmoothL1Loss: beta {} is negative", b);
}
Tensor SmoothL1Loss::forward(const Tensor& input, const Tensor& target) {
  return smooth_l1_loss(input, target, reduction, beta);
}
std::string SmoothL1Loss::extra_repr() const { return Loss::extra_repr() + fmt::format(", beta={}", beta); }

BCEWithLogitsLoss::BCEWithLogitsLoss(Reduction r, Tensor pw) : Loss("BCEWithLogitsLoss", r), pos_weight(std::move(pw)) {
  register_buffer("pos_weight", &pos_weight);
}
Tensor BCEWithLogitsLoss::forward(const Tensor& input, const Tensor& target) {
  return binary_cross_entropy_with_logits(input, target, reduction, pos_weight);
}

}  // namespace ember::nn
