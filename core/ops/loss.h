#pragma once
// Loss functions. Reductions follow PyTorch: Mean averages over elements (for
// cross_entropy/nll: over targets that are not ignore_index), Sum adds, None keeps shape.
#include <cstdint>

#include "ember/core/tensor.h"

namespace ember {

enum class Reduction { none, mean, sum };

// logits: [N, C] (or [N, C, d1, ...]); target: i64 class indices [N] (or [N, d1, ...]).
// Row loss -sum_c q_c log softmax(x)_c for the smoothed target q = (1-eps) onehot + eps/C.
// [N, C] logits run the fused cross_entropy_forward/backward kernels (one graph node for the
// row losses, then the reduction); more dims run the composite of log_softmax and gather.
Tensor cross_entropy(const Tensor& logits, const Tensor& target, Reduction reduction = Reduction::mean,
                     double label_smoothing = 0.0, int64_t ignore_index = -100);
// log_probs: [N, C] (or [N, C, d1, ...]); target as in cross_entropy.
Tensor nll_loss(const Tensor& log_probs, const Tensor& target, Reduction reduction = Reduction::mean,
                int64_t ignore_index = -100);
Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::mean);
Tensor l1_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::mean);
Tensor smooth_l1_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::mean,
                      double beta = 1.0);
// pos_weight: undefined, or broadcastable to input (weight of positive examples).
Tensor binary_cross_entropy_with_logits(const Tensor& logits, const Tensor& target,
                                        Reduction reduction = Reduction::mean,
                                        const Tensor& pos_weight = Tensor());

}  // namespace ember
