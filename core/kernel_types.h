#pragma once
// Kernel signatures, one per op family. Front-ends (core/ops) check arguments, allocate
// outputs and broadcast; kernels only compute. Inputs may be non-contiguous; outputs
// passed to kernels are freshly allocated and contiguous unless stated.
#include <cstdint>

#include "ember/core/ops/conv.h"
#include "ember/core/ops/pool.h"
#include "ember/core/tensor.h"

namespace ember {

struct ScalarArgs {
  double a = 0.0;
  double b = 0.0;
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
}  // namespace kernel

}  // namespace ember
