#pragma once
// Kernel signatures, one per op family. Front-ends (core/ops) check arguments, allocate
// outputs and broadcast; kernels only compute. Inputs may be non-contiguous; outputs
// passed to kernels are freshly allocated and contiguous unless stated.
#include <cstdint>
#include <vector>

#include "ember/core/ops/conv.h"
#include "ember/core/ops/pool.h"
#include "ember/core/tensor.h"

namespace ember {

struct ScalarArgs {
  double a = 0.0;
  double b = 0.0;
};

// One random draw: element i of the output is a function of (seed, offset, i) only.
struct RandomArgs {
  uint64_t seed = 0;
  uint64_t offset = 0;  // the draw's first Philox counter (Generator::reserve)
  double p = 0.0;       // random_bernoulli without a probability tensor
  int64_t low = 0;      // random_int: values in [low, high)
  int64_t high = 0;
};

// Hyper-parameters of one fused SGD update (optim/sgd.h has the formulas).
struct FusedSGDArgs {
  double lr = 0.0;
  double momentum = 0.0;
  double dampening = 0.0;
  double weight_decay = 0.0;
  bool nesterov = false;
  // The momentum buffers are new: they are written (buffer = update direction), not read.
  bool first_step = false;
};

// Hyper-parameters of one fused Adam/AdamW update (optim/adam.h has the formulas).
struct FusedAdamArgs {
  double lr = 0.0;
  double beta1 = 0.0;
  double beta2 = 0.0;
  double eps = 0.0;
  double weight_decay = 0.0;
  double step = 1.0;       // the step count of every tensor in the call (1 on the first update)
  bool decoupled = false;  // AdamW
  bool amsgrad = false;
};

// Options of the fused cross-entropy kernels (the loss is in core/ops/loss.h).
struct CrossEntropyArgs {
  double label_smoothing = 0.0;  // eps, in [0, 1]
  int64_t ignore_index = -100;
};

namespace kernel {
// dst and src have equal shapes; any strides, dtypes and devices. The copy is complete
// when the kernel returns unless non_blocking is set and the backend can leave a host<->
// device transfer in flight on the current stream (CUDA, pinned host memory): the host
// side must then not be written (source) or read (destination) before that stream is
// synchronised.
using Copy = void (*)(const Tensor& src, const Tensor& dst, bool non_blocking);
using Fill = void (*)(const Tensor& dst, double value);
using Unary = void (*)(const Tensor& x, const Tensor& out, const ScalarArgs& args);
// a and b are already broadcast (expanded) to out's shape.
using Binary = void (*)(const Tensor& a, const Tensor& b, const Tensor& out);
using Compare = void (*)(const Tensor& a, const Tensor& b, const Tensor& out);
using Where = void (*)(const Tensor& cond, const Tensor& a, const Tensor& b, const Tensor& out);
// out has x's rank with size 1 on every reduced dim (reduce_mask bit d set).
using Reduce = void (*)(const Tensor& x, const Tensor& out, uint64_t reduce_mask);
// values/indices have x's rank with size 1 on dim.
using ArgReduce = void (*)(const Tensor& x, const Tensor& values, const Tensor& indices,
                           int64_t dim);
// a: [B,M,K], b: [B,K,N] (any strides), out: [B,M,N] contiguous. bias: undefined or [N].
using Matmul = void (*)(const Tensor& a, const Tensor& b, const Tensor& bias, const Tensor& out);
using Softmax = void (*)(const Tensor& x, const Tensor& out, int64_t dim);
// y is the forward output, gy its gradient.
using SoftmaxBackward = void (*)(const Tensor& y, const Tensor& gy, const Tensor& gx, int64_t dim);
// Cross-entropy of each row of scores x [N, C] (contiguous, floating) against i64 class
// targets t [N] (contiguous). With eps = label_smoothing and lse_i = log sum_c exp(x_ic)
// (max-subtracted, as softmax):
//   loss[i] = (1-eps) (lse_i - x[i, t_i]) + eps (lse_i - mean_c x[i, c])
// (the eps term is left out when eps == 0), which is -sum_c q_c log softmax(x_i)_c for the
// smoothed target q = (1-eps) onehot(t_i) + eps/C; loss[i] = 0 where t_i == ignore_index.
// loss: [N] in x's dtype. lse: [N] in the compute dtype (f64 for f64 scores, f32 for the
// others), written for every row, ignored or not, and kept for the backward. Math in f64
// for f64 and in f32 for f32/f16/bf16. A target outside [0, C) that is not ignore_index
// gives a NaN loss, never an out-of-bounds read (front-ends reject such targets first).
using CrossEntropy = void (*)(const Tensor& x, const Tensor& target, const Tensor& loss, const Tensor& lse,
                              const CrossEntropyArgs& args);
// From the forward's x, target and lse and the gradient gl [N] of each row's loss
// (contiguous, x's dtype): gx [N, C] (contiguous, x's dtype)
//   gx[i] = gl[i] * (softmax(x_i) - ((1-eps) onehot(t_i) + eps/C)),  softmax(x_i) = exp(x_i - lse_i),
// and gx[i] = 0 where t_i == ignore_index (NaN for an out-of-range target, as the forward).
using CrossEntropyBackward = void (*)(const Tensor& x, const Tensor& target, const Tensor& lse, const Tensor& gl,
                                      const Tensor& gx, const CrossEntropyArgs& args);
// out[i][j][k] = x[i][index[i][j][k]][k] (dim = 1 shown); index is i64 with out's shape.
using Gather = void (*)(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& out);
// out[i][index[i][j][k]][k] += src[i][j][k]; out is modified in place.
using ScatterAdd = void (*)(const Tensor& out, int64_t dim, const Tensor& index, const Tensor& src);
using IndexSelect = void (*)(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& out);
// Convolution: x [N,C,H,W], w [O,C/g,kH,kW], out [N,O,OH,OW], all contiguous.
using Conv2d = void (*)(const Tensor& x, const Tensor& w, const Tensor& bias, const Tensor& out,
                        const Conv2dOptions& opt);
using Conv2dBackwardData = void (*)(const Tensor& gy, const Tensor& w, const Tensor& gx, const Conv2dOptions& opt);
// gb is undefined when the convolution has no bias.
using Conv2dBackwardWeight = void (*)(const Tensor& x, const Tensor& gy, const Tensor& gw, const Tensor& gb,
                                      const Conv2dOptions& opt);
// x [N,C,H,W] contiguous -> out [N,C,OH,OW]; indices (i64, out's shape) only for max.
using Pool2d = void (*)(const Tensor& x, const Tensor& out, const Tensor& indices, const Pool2dOptions& opt);
// gy [N,C,OH,OW] -> gx [N,C,H,W] (zeroed by the kernel).
using Pool2dBackward = void (*)(const Tensor& gy, const Tensor& indices, const Tensor& gx, const Pool2dOptions& opt);
// x/out [N,C,S] contiguous; weight/bias [C] or undefined; mean/invstd [C].
// With compute_stats, mean and invstd = 1/sqrt(biased var + eps) are written first.
using BatchNorm = void (*)(const Tensor& x, const Tensor& weight, const Tensor& bias, const Tensor& mean,
                           const Tensor& invstd, const Tensor& out, bool compute_stats, double eps);
// training: full gradient through the batch statistics; eval: gx = gy * w * invstd.
// gw/gb may be undefined (not needed).
using BatchNormBackward = void (*)(const Tensor& x, const Tensor& gy, const Tensor& weight, const Tensor& mean,
                                   const Tensor& invstd, const Tensor& gx, const Tensor& gw, const Tensor& gb,
                                   bool training);
// out: contiguous, any dtype the op accepts (uniform/normal: floating; bernoulli, int: all).
// probs: undefined, or (random_bernoulli only) a floating tensor of out's shape, any strides,
// holding each element's probability (then args.p is unused).
using Random = void (*)(const Tensor& out, const Tensor& probs, const RandomArgs& args);
// Lists of equal length; tensor k of every list has the same numel; all tensors contiguous,
// of one floating dtype and on one device; updated in place. momentum_buffers is empty when
// momentum == 0. The math is done in f32 for f16/bf16/f32 and in f64 for f64.
using FusedSGD = void (*)(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                          const std::vector<Tensor>& momentum_buffers, const FusedSGDArgs& args);
// max_exp_avg_sqs is empty unless amsgrad.
using FusedAdam = void (*)(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                           const std::vector<Tensor>& exp_avgs, const std::vector<Tensor>& exp_avg_sqs,
                           const std::vector<Tensor>& max_exp_avg_sqs, const FusedAdamArgs& args);
}  // namespace kernel

}  // namespace ember
