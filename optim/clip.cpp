#include "ember/optim/clip.h"

#include <cmath>

#include "ember/core/autograd/grad_mode.h"
#include "ember/core/error.h"
#include "ember/core/ops/reduce.h"
#include "ember/core/ops/shape_ops.h"
#include "ember/core/ops/unary.h"

namespace ember::optim {
namespace {

std::vector<Tensor> defined_grads(const std::vector<Tensor>& params) {
  std::vector<Tensor> grads;
  for (const Tensor& p : params)
    if (p.defined() && p.requires_grad() && p.grad().defined()) grads.push_back(p.grad());
  return grads;
}

// The p-norm of all elements of t, as a 0-dim tensor on t's device.
Tensor norm(const Tensor& t, double p) {
  if (std::isinf(p)) return amax(abs(t));
  if (p == 1.0) return sum(abs(t));
  if (p == 2.0) return sqrt(sum(t * t));
  return pow(sum(pow(abs(t), p)), 1.0 / p);
}

// The norm of all of grads together. One host sync for the whole set: per-grad norms are
// stacked on the first grad's device.
double total_norm(const std::vector<Tensor>& grads, double norm_type) {
  if (grads.empty()) return 0.0;
  NoGradGuard no_grad;
  const Device device = grads[0].device();
  std::vector<Tensor> norms;
  norms.reserve(grads.size());
  for (const Tensor& g : grads) norms.push_back(norm(g, norm_type).to(DType::f64).to(device));
  return norm(stack(norms), norm_type).item<double>();
}

}  // namespace

double grad_norm(const std::vector<Tensor>& params, double norm_type) {
  EMBER_CHECK(norm_type > 0.0, ValueError, "grad_norm: norm_type must be > 0 or infinity, got {}", norm_type);
  return total_norm(defined_grads(params), norm_type);
}

double clip_grad_norm_(const std::vector<Tensor>& params, double max_norm, double norm_type,
                       bool error_if_nonfinite) {
  EMBER_CHECK(norm_type > 0.0, ValueError,
              "clip_grad_norm_: norm_type must be > 0 or infinity, got {}", norm_type);
  EMBER_CHECK(max_norm >= 0.0, ValueError, "clip_grad_norm_: max_norm must be >= 0, got {}",
              max_norm);
  std::vector<Tensor> grads = defined_grads(params);
  if (grads.empty()) return 0.0;
  NoGradGuard no_grad;
  const double total = total_norm(grads, norm_type);
  EMBER_CHECK(!error_if_nonfinite || std::isfinite(total), ValueError,
              "clip_grad_norm_: the total norm of order {} of the gradients is {}; the grads "
              "are left unchanged",
              norm_type, total);
  const double coef = std::min(max_norm / (total + 1e-6), 1.0);
  // x * 1.0 == x exactly, so the multiply is skipped when nothing is clipped.
  if (!(coef >= 1.0))
    for (Tensor& g : grads) g.mul_(coef);
  return total;
}

void clip_grad_value_(const std::vector<Tensor>& params, double clip_value) {
  EMBER_CHECK(clip_value >= 0.0, ValueError, "clip_grad_value_: clip_value must be >= 0, got {}",
              clip_value);
  NoGradGuard no_grad;
  for (Tensor& g : defined_grads(params)) g.copy_(clamp(g, -clip_value, clip_value));
}

}  // namespace ember::optim
