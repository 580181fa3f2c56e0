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

namespace kernel {
// dst and src have equal shapes; any strides, dtypes and devices.
using Copy = void (*)(const Tensor& src, const Tensor& dst);
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
