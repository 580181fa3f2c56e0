#pragma once
// Kernel signatures, one per op family. Front-ends (core/ops) check arguments, allocate
// outputs and broadcast; kernels only compute. Inputs may be non-contiguous; outputs
// passed to kernels are freshly allocated and contiguous unless stated.
#include <cstdint>
#include <vector>

#include "ember/core/kernel_abi.h"
#include "ember/core/ops/conv.h"
#include "ember/core/ops/pool.h"
#include "ember/core/tensor.h"

namespace ember {

// One tag per op family: Fn is the kernel's signature (dispatch.h checks it).
namespace kernel {
// dst and src have equal shapes; any strides, dtypes and devices. The copy is complete
// when the kernel returns unless non_blocking is set and the backend can leave a host<->
// device transfer in flight on the current stream (CUDA, pinned host memory): the host
// side must then not be written (source) or read (destination) before that stream is
// synchronised.
struct Copy {
  using Fn = void (*)(const Tensor& src, const Tensor& dst, bool non_blocking);
};
struct Fill {
  using Fn = void (*)(const Tensor& dst, double value);
};
struct Unary {
  using Fn = void (*)(const Tensor& x, const Tensor& out, const ScalarArgs& args);
};
// a and b are already broadcast (expanded) to out's shape.
struct Binary {
  using Fn = void (*)(const Tensor& a, const Tensor& b, const Tensor& out);
};
struct Compare {
  using Fn = void (*)(const Tensor& a, const Tensor& b, const Tensor& out);
};
struct Where {
  using Fn = void (*)(const Tensor& cond, const Tensor& a, const Tensor& b, const Tensor& out);
};
// out has x's rank with size 1 on every reduced dim (reduce_mask bit d set).
struct Reduce {
  using Fn = void (*)(const Tensor& x, const Tensor& out, uint64_t reduce_mask);
};
// values/indices have x's rank with size 1 on dim.
struct ArgReduce {
  using Fn = void (*)(const Tensor& x, const Tensor& values, const Tensor& indices,
                             int64_t dim);
};
// a: [B,M,K], b: [B,K,N] (any strides), out: [B,M,N] contiguous. bias: undefined or [N].
struct Matmul {
  using Fn = void (*)(const Tensor& a, const Tensor& b, const Tensor& bias, const Tensor& out);
};
// rows [R, N] contiguous, numeric (not bool); indices [R, N] i64 contiguous: each row's
// stable order, ascending (NaN after every number) or descending (NaN first), as PyTorch's
// sort(stable=True).
struct ArgSort {
  using Fn = void (*)(const Tensor& rows, const Tensor& indices, bool descending);
};
struct Softmax {
  using Fn = void (*)(const Tensor& x, const Tensor& out, int64_t dim);
};
// y is the forward output, gy its gradient.
struct SoftmaxBackward {
  using Fn = void (*)(const Tensor& y, const Tensor& gy, const Tensor& gx, int64_t dim);
};
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
struct CrossEntropy {
  using Fn = void (*)(const Tensor& x, const Tensor& target, const Tensor& loss, const Tensor& lse,
                                const CrossEntropyArgs& args);
};
// From the forward's x, target and lse and the gradient gl [N] of each row's loss
// (contiguous, x's dtype): gx [N, C] (contiguous, x's dtype)
//   gx[i] = gl[i] * (softmax(x_i) - ((1-eps) onehot(t_i) + eps/C)),  softmax(x_i) = exp(x_i - lse_i),
// and gx[i] = 0 where t_i == ignore_index (NaN for an out-of-range target, as the forward).
struct CrossEntropyBackward {
  using Fn = void (*)(const Tensor& x, const Tensor& target, const Tensor& lse, const Tensor& gl,
                                        const Tensor& gx, const CrossEntropyArgs& args);
};
// out[i][j][k] = x[i][index[i][j][k]][k] (dim = 1 shown); index is i64 with out's shape.
struct Gather {
  using Fn = void (*)(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& out);
};
// out[i][index[i][j][k]][k] += src[i][j][k]; out is modified in place.
struct ScatterAdd {
  using Fn = void (*)(const Tensor& out, int64_t dim, const Tensor& index, const Tensor& src);
};
struct IndexSelect {
  using Fn = void (*)(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& out);
};
// Convolution: x [N,C,H,W], w [O,C/g,kH,kW], out [N,O,OH,OW], all contiguous.
struct Conv2d {
  using Fn = void (*)(const Tensor& x, const Tensor& w, const Tensor& bias, const Tensor& out,
                          const Conv2dOptions& opt);
};
struct Conv2dBackwardData {
  using Fn = void (*)(const Tensor& gy, const Tensor& w, const Tensor& gx, const Conv2dOptions& opt);
};
// gb is undefined when the convolution has no bias.
struct Conv2dBackwardWeight {
  using Fn = void (*)(const Tensor& x, const Tensor& gy, const Tensor& gw, const Tensor& gb,
                                        const Conv2dOptions& opt);
};
// x [N,C,H,W] contiguous -> out [N,C,OH,OW]; indices (i64, out's shape) only for max.
struct Pool2d {
  using Fn = void (*)(const Tensor& x, const Tensor& out, const Tensor& indices, const Pool2dOptions& opt);
};
// gy [N,C,OH,OW] -> gx [N,C,H,W] (zeroed by the kernel).
struct Pool2dBackward {
  using Fn = void (*)(const Tensor& gy, const Tensor& indices, const Tensor& gx, const Pool2dOptions& opt);
};
// x/out [N,C,S] contiguous; weight/bias [C] or undefined; mean/invstd [C].
// With compute_stats, mean and invstd = 1/sqrt(biased var + eps) are written first.
struct BatchNorm {
  using Fn = void (*)(const Tensor& x, const Tensor& weight, const Tensor& bias, const Tensor& mean,
                             const Tensor& invstd, const Tensor& out, bool compute_stats, double eps);
};
// training: full gradient through the batch statistics; eval: gx = gy * w * invstd.
// gw/gb may be undefined (not needed).
struct BatchNormBackward {
  using Fn = void (*)(const Tensor& x, const Tensor& gy, const Tensor& weight, const Tensor& mean,
                                     const Tensor& invstd, const Tensor& gx, const Tensor& gw, const Tensor& gb,
                                     bool training);
};
// out: contiguous, any dtype the op accepts (uniform/normal: floating; bernoulli, int: all).
// probs: undefined, or (random_bernoulli only) a floating tensor of out's shape, any strides,
// holding each element's probability (then args.p is unused).
struct Random {
  using Fn = void (*)(const Tensor& out, const Tensor& probs, const RandomArgs& args);
};
// Lists of equal length; tensor k of every list has the same numel; all tensors contiguous,
// of one floating dtype and on one device; updated in place. momentum_buffers is empty when
// momentum == 0. The math is done in f32 for f16/bf16/f32 and in f64 for f64.
struct FusedSGD {
  using Fn = void (*)(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                            const std::vector<Tensor>& momentum_buffers, const FusedSGDArgs& args);
};
// max_exp_avg_sqs is empty unless amsgrad.
struct FusedAdam {
  using Fn = void (*)(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                             const std::vector<Tensor>& exp_avgs, const std::vector<Tensor>& exp_avg_sqs,
                             const std::vector<Tensor>& max_exp_avg_sqs, const FusedAdamArgs& args);
};
}  // namespace kernel

}  // namespace ember
