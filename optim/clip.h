#pragma once
// Gradient clipping, PyTorch's torch.nn.utils.clip_grad_norm_ / clip_grad_value_. Both act in
// place on the grads of `params` and skip parameters whose grad is undefined, and frozen ones
// (requires_grad false, a gradient possibly left from before they were frozen), which the
// optimizers skip too.
#include <vector>

#include "ember/core/tensor.h"

namespace ember::optim {

// Scales all grads by min(1, max_norm / (total_norm + 1e-6)), where total_norm is the
// norm_type-norm of all grads taken together (the norm of the per-grad norms), and returns
// total_norm as it was before clipping (0 when no parameter has a grad). norm_type is > 0 or
// infinity (max abs). The per-grad norms are combined and the factor computed in double, for
// any grad dtype (PyTorch does both in the grads' dtype). With error_if_nonfinite, a NaN or
// infinite total norm throws ValueError before any grad is changed; without, the grads are
// multiplied by the NaN factor as PyTorch does.
double clip_grad_norm_(const std::vector<Tensor>& params, double max_norm, double norm_type = 2.0,
                       bool error_if_nonfinite = false);

// The norm_type-norm of all grads of `params` taken together, as clip_grad_norm_ computes it,
// without changing them: for logging. NaN or infinite when a grad holds such values; 0 when no
// parameter has a grad.
double grad_norm(const std::vector<Tensor>& params, double norm_type = 2.0);

// Clamps every grad element to [-clip_value, clip_value]; clip_value >= 0.
void clip_grad_value_(const std::vector<Tensor>& params, double clip_value);

}  // namespace ember::optim
