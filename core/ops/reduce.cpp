#include "ember/core/ops/reduce.h"

#include <algorithm>

#include "ember/core/autograd/function.h"
#include "ember/core/dispatch.h"
#include "ember/core/ops/binary.h"
#include "ember/core/ops/factory.h"
#include "ember/core/ops/indexing.h"
#include "ember/core/ops/unary.h"

namespace ember {

using autograd::attach;
using G = std::vector<Tensor>;

namespace {

struct ReducePlan {
  uint64_t mask = 0;
  Shape keep_shape;  // x's shape with reduced dims set to 1
  Shape out_shape;   // keep_shape, or with reduced dims removed
  int64_t count = 1;  // elements reduced into each output
};

ReducePlan plan(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim, const char* op) {
  EMBER_CHECK(x.defined(), ValueError, "{}: input is undefined", op);
  EMBER_CHECK(x.dim() <= 64, ShapeError, "{}: at most 64 dims are supported, got {}", op, x.dim());
  ReducePlan p;
  if (dims.empty()) {
    p.mask = x.dim() == 0 ? 0 : (x.dim() == 64 ? ~uint64_t{0} : (uint64_t{1} << x.dim()) - 1);
  } else {
    for (int64_t d : dims) {
      int64_t w = wrap_dim(d, x.dim(), op);
      if (x.dim() == 0) continue;
      EMBER_CHECK(!(p.mask & (uint64_t{1} << w)), ValueError, "{}: dim {} appears twice in the dims list", op, w);
      p.mask |= uint64_t{1} << w;
    }
  }
  for (int64_t d = 0; d < x.dim(); ++d) {
    bool r = p.mask & (uint64_t{1} << d);
    p.keep_shape.push_back(r ? 1 : x.shape()[d]);
    if (r) p.count *= x.shape()[d];
    if (!r || keepdim) p.out_shape.push_back(r ? 1 : x.shape()[d]);
  }
  return p;
}

Tensor run_reduce(OpId op, const Tensor& x, const ReducePlan& p, DType out_dtype) {
  Tensor out = make_tensor(p.keep_shape, out_dtype, x.device());
  Tensor in = x.dtype() == out_dtype ? x.detach() : x.detach().to(out_dtype);
  get_kernel<kernel::Reduce>(op, x.device().type)(in, out, p.mask);
  return out.view(p.out_shape);
}

}  // namespace

Tensor sum(const Tensor& x, std::vector<int64_t> dims, bool keepdim) {
  ReducePlan p = plan(x, dims, keepdim, "sum");
  DType od = (x.dtype() == DType::boolean || x.dtype() == DType::u8 || x.dtype() == DType::i32) ? DType::i64 : x.dtype();
  Tensor y = run_reduce(OpId::sum, x, p, od);
  Shape keep = p.keep_shape, xs = x.shape();
  attach("sum", {x}, {y}, {}, [keep, xs](const G& g, const G&, const auto&) {
    return G{g[0].reshape(keep).expand(xs)};
  });
  return y;
}

Tensor mean(const Tensor& x, std::vector<int64_t> dims, bool keepdim) {
  EMBER_CHECK(!x.defined() || is_floating(x.dtype()), DTypeError,
              "mean: expected a floating-point tensor, got {}; convert with .to(dtype)", x.dtype());
  ReducePlan p = plan(x, dims, keepdim, "mean");
  return sum(x, dims, keepdim) * (1.0 / static_cast<double>(p.count));
}

namespace {
Tensor var_impl(const Tensor& x, std::vector<int64_t> dims, int64_t correction, bool keepdim,
                const char* name) {
  EMBER_CHECK(!x.defined() || is_floating(x.dtype()), DTypeError, "{}: expected a floating-point tensor, got {}",
              name, x.dtype());
  ReducePlan p = plan(x, dims, keepdim, name);
  Tensor m = mean(x, dims, true);
  Tensor d = x - m;
  double denom = static_cast<double>(std::max<int64_t>(p.count - correction, 0));
  return sum(d * d, dims, keepdim) * (1.0 / denom);
}
}  // namespace

Tensor var(const Tensor& x, std::vector<int64_t> dims, int64_t correction, bool keepdim) {
  return var_impl(x, std::move(dims), correction, keepdim, "var");
}

Tensor std(const Tensor& x, std::vector<int64_t> dims, int64_t correction, bool keepdim) {
  return sqrt(var_impl(x, std::move(dims), correction, keepdim, "std"));
}

namespace {
Tensor extremum(const Tensor& x, std::vector<int64_t> dims, bool keepdim, bool is_max) {
  const char* name = is_max ? "amax" : "amin";
  ReducePlan p = plan(x, dims, keepdim, name);
  EMBER_CHECK(x.numel() > 0, ValueError, "{}: cannot reduce an empty tensor (shape {})", name, shape_str(x.shape()));
  Tensor y = run_reduce(is_max ? OpId::amax : OpId::amin, x, p, x.dtype());
  Shape keep = p.keep_shape;
  // Gradient split evenly among the elements equal to the extremum, as PyTorch does.
  attach(name, {x}, {y}, {x, y}, [keep, dims](const G& g, const G& s, const auto&) {
    Tensor hit = eq(s[0], s[1].reshape(keep)).to(g[0].dtype());
    Tensor cnt = sum(hit, dims, true);
    return G{hit * (g[0].reshape(keep) / cnt)};
  });
  return y;
}

ValuesIndices arg_extremum(const Tensor& x, int64_t dim, bool keepdim, bool is_max,
                           const char* name) {
  EMBER_CHECK(x.defined(), ValueError, "{}: input is undefined", name);
  int64_t d = wrap_dim(dim, x.dim(), name);
  Tensor xx = x.dim() == 0 ? x.reshape({1}) : x;
  EMBER_CHECK(xx.shape()[d] > 0, ValueError, "{}: dim {} of shape {} is empty", name, d, shape_str(x.shape()));
  Shape keep = xx.shape();
  keep[d] = 1;
  Tensor values = make_tensor(keep, x.dtype(), x.device());
  Tensor indices = make_tensor(keep, DType::i64, x.device());
  get_kernel<kernel::ArgReduce>(is_max ? OpId::max_dim : OpId::min_dim, x.device().type)(
      xx.detach(), values, indices, d);
  Shape out_shape = keep;
  if (!keepdim) out_shape.erase(out_shape.begin() + d);
  if (x.dim() == 0) out_shape = {};
  values = values.view(out_shape);
  indices = indices.view(out_shape);
  Shape xs = xx.shape(), orig = x.shape();
  attach(name, {x}, {values}, {indices}, [xs, orig, keep, d](const G& g, const G& s, const auto&) {
    Tensor gx = zeros(xs, g[0].dtype(), g[0].device());
    gx = scatter_add(gx, d, s[0].reshape(keep), g[0].reshape(keep));
    return G{gx.reshape(orig)};
  });
  return {values, indices};
}
}  // namespace

Tensor amax(const Tensor& x, std::vector<int64_t> dims, bool keepdim) { return extremum(x, std::move(dims), keepdim, true); }
Tensor amin(const Tensor& x, std::vector<int64_t> dims, bool keepdim) { return extremum(x, std::move(dims), keepdim, false); }
ValuesIndices max(const Tensor& x, int64_t dim, bool keepdim) { return arg_extremum(x, dim, keepdim, true, "max"); }
ValuesIndices min(const Tensor& x, int64_t dim, bool keepdim) { return arg_extremum(x, dim, keepdim, false, "min"); }
Tensor argmax(const Tensor& x, int64_t dim, bool keepdim) {
  NoGradGuard ng;
  return arg_extremum(x, dim, keepdim, true, "argmax").indices;
}
Tensor argmin(const Tensor& x, int64_t dim, bool keepdim) {
  NoGradGuard ng;
  return arg_extremum(x, dim, keepdim, false, "argmin").indices;
}
Tensor argmax(const Tensor& x) {
  EMBER_CHECK(x.defined(), ValueError, "argmax: input is undefined");
  return argmax(x.reshape({x.numel()}), 0);
}
Tensor argmin(const Tensor& x) {
  EMBER_CHECK(x.defined(), ValueError, "argmin: input is undefined");
  return argmin(x.reshape({x.numel()}), 0);
}
Tensor max(const Tensor& x) { return amax(x); }
Tensor min(const Tensor& x) { return amin(x); }

Tensor Tensor::sum() const { return ember::sum(*this); }
Tensor Tensor::sum(std::vector<int64_t> dims, bool keepdim) const { return ember::sum(*this, std::move(dims), keepdim); }
Tensor Tensor::mean() const { return ember::mean(*this); }
Tensor Tensor::mean(std::vector<int64_t> dims, bool keepdim) const { return ember::mean(*this, std::move(dims), keepdim); }
Tensor Tensor::max() const { return ember::max(*this); }
Tensor Tensor::min() const { return ember::min(*this); }
Tensor Tensor::argmax(int64_t dim, bool keepdim) const { return ember::argmax(*this, dim, keepdim); }

}  // namespace ember
