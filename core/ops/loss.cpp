// Losses are composites of differentiable ops: their gradients come from the graph. The
// one exception is cross_entropy on [N, C] scores, whose row losses come from a fused
// kernel with a hand-written backward (one pass over the scores each way instead of
// log_softmax, gather, sums and their saved intermediates).
#include "ember/core/ops/loss.h"

#include "ember/core/autograd/function.h"
#include "ember/core/autograd/grad_mode.h"
#include "ember/core/dispatch.h"
#include "ember/core/ops/binary.h"
#include "ember/core/ops/factory.h"
#include "ember/core/ops/indexing.h"
#include "ember/core/ops/reduce.h"
#include "ember/core/ops/softmax.h"
#include "ember/core/ops/unary.h"

namespace ember {
namespace {

Tensor reduce_loss(const Tensor& loss, Reduction r) {
  switch (r) {
    case Reduction::none: return loss;
    case Reduction::sum: return sum(loss);
    case Reduction::mean: return mean(loss);
  }
  return loss;
}

void check_same(const Tensor& input, const Tensor& target, const char* op) {
  EMBER_CHECK(input.defined() && target.defined(), ValueError, "{}: an operand is undefined", op);
  EMBER_CHECK(input.shape() == target.shape(), ShapeError, "{}: input shape {} and target shape {} differ", op,
              shape_str(input.shape()), shape_str(target.shape()));
  EMBER_CHECK(input.dtype() == target.dtype(), DTypeError, "{}: input dtype {} and target dtype {} differ", op,
              input.dtype(), target.dtype());
  EMBER_CHECK(is_floating(input.dtype()), DTypeError, "{}: expected floating-point tensors, got {}", op, input.dtype());
  EMBER_CHECK(input.device() == target.device(), DeviceError, "{}: input on {} but target on {}", op, input.device(),
              target.device());
}

// Validates class-index targets against [N, C, d...] scores; returns the mask of
// targets that count (not ignore_index) as the scores' dtype.
Tensor check_class_targets(const Tensor& scores, const Tensor& target, int64_t ignore_index, const char* op) {
  EMBER_CHECK(scores.defined() && target.defined(), ValueError, "{}: an operand is undefined", op);
  EMBER_CHECK(is_floating(scores.dtype()), DTypeError, "{}: expected floating-point scores, got {}", op,
              scores.dtype());
  EMBER_CHECK(scores.dim() >= 2, ShapeError, "{}: scores must be [N, C, ...], got shape {}", op,
              shape_str(scores.shape()));
  EMBER_CHECK(target.dtype() == DType::i64, DTypeError, "{}: target must hold int64 class indices, got {}", op,
              target.dtype());
  EMBER_CHECK(target.device() == scores.device(), DeviceError, "{}: scores on {} but target on {}", op,
              scores.device(), target.device());
  Shape expect = scores.shape();
  expect.erase(expect.begin() + 1);
  EMBER_CHECK(target.shape() == expect, ShapeError, "{}: target shape {} does not match scores shape {} (expected {})",
              op, shape_str(target.shape()), shape_str(scores.shape()), shape_str(expect));
  const int64_t C = scores.shape()[1];
  Tensor valid = ne(target, static_cast<double>(ignore_index));
  if (target.numel() > 0) {
    NoGradGuard ng;
    Tensor t = where(valid, target, zeros({}, DType::i64, target.device()));
    int64_t lo = amin(t).item<int64_t>(), hi = amax(t).item<int64_t>();
    EMBER_CHECK(lo >= 0 && hi < C, IndexError, "{}: target class {} is outside [0, {}) (ignore_index is {})", op,
                lo < 0 ? lo : hi, C, ignore_index);
  }
  return valid;
}

// -log_probs[i, target[i]] where valid, else 0; shape of target.
Tensor picked_nll(const Tensor& log_probs, const Tensor& target, const Tensor& valid) {
  Tensor safe = where(valid, target, zeros({}, DType::i64, target.device()));
  Tensor picked = gather(log_probs, 1, safe.unsqueeze(1)).squeeze(1);
  return neg(picked) * valid.to(log_probs.dtype());
}

Tensor reduce_class_loss(const Tensor& loss, const Tensor& validf, Reduction r) {
  if (r == Reduction::mean) return sum(loss) / sum(validf);
  return reduce_loss(loss, r);
}

// Per-row cross-entropy of [N, C] scores (contract of kernel::CrossEntropy); targets are
// validated by the caller. The graph node maps row losses to the scores' gradient with the
// backward kernel, so the reduction stays ordinary differentiable ops on the rows. That
// backward is not itself differentiable: the engine runs every backward under grad mode
// off, so ember has no double backward to support.
Tensor fused_row_losses(const Tensor& scores, const Tensor& target, double label_smoothing, int64_t ignore_index) {
  const Tensor x = scores.detach().contiguous();
  const Tensor t = target.contiguous();
  const int64_t n = x.shape()[0];
  Tensor loss = make_tensor({n}, x.dtype(), x.device());
  Tensor lse = make_tensor({n}, x.dtype() == DType::f64 ? DType::f64 : DType::f32, x.device());
  const CrossEntropyArgs args{label_smoothing, ignore_index};
  get_kernel<OpId::cross_entropy_forward>(x.device())(x, t, loss, lse, args);
  autograd::attach("cross_entropy", {scores}, {loss}, {x, t, lse},
                   [args](const std::vector<Tensor>& g, const std::vector<Tensor>& s, const autograd::FnNode&) {
                     const Tensor& xs = s[0];
                     Tensor gl = g[0].to(xs.dtype()).contiguous();
                     Tensor gx = make_tensor(xs.shape(), xs.dtype(), xs.device());
                     get_kernel<OpId::cross_entropy_backward>(xs.device())(xs, s[1], s[2], gl,
                                                                                            gx, args);
                     return std::vector<Tensor>{gx};
                   });
  return loss;
}

}  // namespace

Tensor nll_loss(const Tensor& log_probs, const Tensor& target, Reduction reduction, int64_t ignore_index) {
  Tensor valid = check_class_targets(log_probs, target, ignore_index, "nll_loss");
  Tensor loss = picked_nll(log_probs, target, valid);
  return reduce_class_loss(loss, valid.to(log_probs.dtype()), reduction);
}

Tensor cross_entropy(const Tensor& logits, const Tensor& target, Reduction reduction, double label_smoothing,
                     int64_t ignore_index) {
  EMBER_CHECK(label_smoothing >= 0.0 && label_smoothing <= 1.0, ValueError,
              "cross_entropy: label_smoothing {} is outside [0, 1]", label_smoothing);
  Tensor valid = check_class_targets(logits, target, ignore_index, "cross_entropy");
  Tensor validf = valid.to(logits.dtype());
  if (logits.dim() == 2)
    return reduce_class_loss(fused_row_losses(logits, target, label_smoothing, ignore_index), validf, reduction);
  // [N, C, d...]: the composite, whose gradient comes from the graph.
  Tensor logp = log_softmax(logits, 1);
  Tensor loss = picked_nll(logp, target, valid);
  if (label_smoothing > 0.0) {
    const double C = static_cast<double>(logits.shape()[1]);
    // Smoothed target: (1-ε) one-hot + ε/C uniform.
    Tensor uniform = neg(sum(logp, {1})) * validf * (1.0 / C);
    loss = loss * (1.0 - label_smoothing) + uniform * label_smoothing;
  }
  return reduce_class_loss(loss, validf, reduction);
}

Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  check_same(input, target, "mse_loss");
  Tensor d = input - target;
  return reduce_loss(d * d, reduction);
}

Tensor l1_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  check_same(input, target, "l1_loss");
  return reduce_loss(abs(input - target), reduction);
}

Tensor smooth_l1_loss(const Tensor& input, const Tensor& target, Reduction reduction, double beta) {
  check_same(input, target, "smooth_l1_loss");
  EMBER_CHECK(beta >= 0.0, ValueError, "smooth_l1_loss: beta must be >= 0, got {}", beta);
  Tensor d = abs(input - target);
  if (beta == 0.0) return reduce_loss(d, reduction);
  Tensor quad = d * d * (0.5 / beta);
  Tensor lin = d - 0.5 * beta;
  return reduce_loss(where(lt(d, beta), quad, lin), reduction);
}

Tensor binary_cross_entropy_with_logits(const Tensor& logits, const Tensor& target, Reduction reduction,
                                        const Tensor& pos_weight) {
  check_same(logits, target, "binary_cross_entropy_with_logits");
  // Stable form: (1-y)x + w·(log1p(exp(-|x|)) + max(-x, 0)), w = 1 + (pw-1)y.
  Tensor softplus_neg = log1p(exp(neg(abs(logits)))) + relu(neg(logits));
  Tensor loss;
  if (pos_weight.defined()) {
    EMBER_CHECK(pos_weight.dtype() == logits.dtype() && pos_weight.device() == logits.device(), DTypeError,
                "binary_cross_entropy_with_logits: pos_weight ({} on {}) must match logits ({} on {})",
                pos_weight.dtype(), pos_weight.device(), logits.dtype(), logits.device());
    broadcast_shapes(pos_weight.shape(), logits.shape(), "binary_cross_entropy_with_logits");
    Tensor w = (pos_weight - 1.0) * target + 1.0;
    loss = (1.0 - target) * logits + w * softplus_neg;
  } else {
    loss = (1.0 - target) * logits + softplus_neg;
  }
  return reduce_loss(loss, reduction);
}

}  // namespace ember
