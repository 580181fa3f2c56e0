#include "ember/core/ops/binary.h"

#include <limits>

#include "ember/core/autograd/function.h"
#include "ember/core/dispatch.h"
#include "ember/core/ops/factory.h"
#include "ember/core/ops/unary.h"

namespace ember {

using autograd::attach;
using autograd::sum_to;
using G = std::vector<Tensor>;

namespace {

void check_pair(const Tensor& a, const Tensor& b, const char* op) {
  EMBER_CHECK(a.defined() && b.defined(), ValueError, "{}: an operand is undefined", op);
  EMBER_CHECK(a.device() == b.device(), DeviceError,
              "{}: operands are on different devices ({} and {}); move one with .to()", op, a.device(),
              b.device());
  EMBER_CHECK(a.dtype() == b.dtype(), DTypeError,
              "{}: operands have different dtypes ({} with shape {} and {} with shape {}); convert one "
              "with .to(dtype)",
              op, a.dtype(), shape_str(a.shape()), b.dtype(), shape_str(b.shape()));
}

// Broadcasts a and b and runs the kernel of `op` into a new tensor of out_dtype.
Tensor run_binary(OpId op, const Tensor& a, const Tensor& b, DType out_dtype, bool compare) {
  const char* name = op_name(op);
  check_pair(a, b, name);
  Shape shape = broadcast_shapes(a.shape(), b.shape(), name);
  // Kernels ignore autograd: an operand already of the output's shape goes as it is (a
  // detached copy of its handle would cost an allocation per op).
  auto operand = [&](const Tensor& t) { return t.shape() == shape ? t : t.detach().expand(shape); };
  const Tensor ea = operand(a), eb = operand(b);
  Tensor out = make_tensor(shape, out_dtype, a.device());
  if (compare)
    get_kernel<kernel::Compare>(op, a.device().type)(ea, eb, out);
  else
    get_kernel<kernel::Binary>(op, a.device().type)(ea, eb, out);
  return out;
}

Tensor arith(OpId op, const Tensor& a, const Tensor& b) {
  check_pair(a, b, op_name(op));
  EMBER_CHECK(a.dtype() != DType::boolean, DTypeError, "{}: not defined for bool tensors", op_name(op));
  return run_binary(op, a, b, a.dtype(), false);
}

Tensor scalar_like(const Tensor& a, double v, const char* op) {
  EMBER_CHECK(a.defined(), ValueError, "{}: an operand is undefined", op);
  return full({}, v, a.dtype(), a.device());
}

}  // namespace

Tensor add(const Tensor& a, const Tensor& b) {
  Tensor y = arith(OpId::add, a, b);
  if (autograd::wants_node(a, b))
    attach("add", {a, b}, {y}, {}, [sa = a.shape(), sb = b.shape()](const G& g, const G&, const auto& n) {
      return G{n.needs_input_grad(0) ? sum_to(g[0], sa) : Tensor(),
               n.needs_input_grad(1) ? sum_to(g[0], sb) : Tensor()};
    });
  return y;
}

Tensor sub(const Tensor& a, const Tensor& b) {
  Tensor y = arith(OpId::sub, a, b);
  if (autograd::wants_node(a, b))
    attach("sub", {a, b}, {y}, {}, [sa = a.shape(), sb = b.shape()](const G& g, const G&, const auto& n) {
      return G{n.needs_input_grad(0) ? sum_to(g[0], sa) : Tensor(),
               n.needs_input_grad(1) ? sum_to(neg(g[0]), sb) : Tensor()};
    });
  return y;
}

Tensor mul(const Tensor& a, const Tensor& b) {
  Tensor y = arith(OpId::mul, a, b);
  attach("mul", {a, b}, {y}, {a, b}, [](const G& g, const G& s, const auto& n) {
    return G{n.needs_input_grad(0) ? sum_to(mul(g[0], s[1]), s[0].shape()) : Tensor(),
             n.needs_input_grad(1) ? sum_to(mul(g[0], s[0]), s[1].shape()) : Tensor()};
  });
  return y;
}

Tensor div(const Tensor& a, const Tensor& b) {
  EMBER_CHECK(!a.defined() || is_floating(a.dtype()), DTypeError,
              "div: integer division is not supported (dtype {}); convert to a floating dtype first",
              a.dtype());
  Tensor y = arith(OpId::div, a, b);
  attach("div", {a, b}, {y}, {a, b}, [](const G& g, const G& s, const auto& n) {
    Tensor ga, gb;
    if (n.needs_input_grad(0)) ga = sum_to(div(g[0], s[1]), s[0].shape());
    if (n.needs_input_grad(1)) gb = sum_to(neg(mul(g[0], div(s[0], mul(s[1], s[1])))), s[1].shape());
    return G{ga, gb};
  });
  return y;
}

namespace {
// Gradient of max/min: to the winner, split evenly on ties (as PyTorch).
G extremum_backward(const Tensor& g, const Tensor& a, const Tensor& b, bool is_max, const autograd::FnNode& n) {
  Tensor win_a = is_max ? gt(a, b) : lt(a, b);
  Tensor tie = eq(a, b);
  Tensor wa = add(win_a.to(g.dtype()), tie.to(g.dtype()) * 0.5);
  Tensor ga, gb;
  if (n.needs_input_grad(0)) ga = sum_to(mul(g, wa), a.shape());
  if (n.needs_input_grad(1)) gb = sum_to(mul(g, 1.0 - wa), b.shape());
  return G{ga, gb};
}
}  // namespace

Tensor maximum(const Tensor& a, const Tensor& b) {
  Tensor y = arith(OpId::maximum, a, b);
  attach("maximum", {a, b}, {y}, {a, b}, [](const G& g, const G& s, const auto& n) {
    return extremum_backward(g[0], s[0], s[1], true, n);
  });
  return y;
}

Tensor minimum(const Tensor& a, const Tensor& b) {
  Tensor y = arith(OpId::minimum, a, b);
  attach("minimum", {a, b}, {y}, {a, b}, [](const G& g, const G& s, const auto& n) {
    return extremum_backward(g[0], s[0], s[1], false, n);
  });
  return y;
}

Tensor maximum(const Tensor& a, double b) { return maximum(a, scalar_like(a, b, "maximum")); }
Tensor minimum(const Tensor& a, double b) { return minimum(a, scalar_like(a, b, "minimum")); }

Tensor pow(const Tensor& a, const Tensor& b) {
  EMBER_CHECK(!a.defined() || is_floating(a.dtype()), DTypeError, "pow: expected floating-point tensors, got {}",
              a.dtype());
  Tensor y = arith(OpId::pow, a, b);
  attach("pow", {a, b}, {y}, {a, b, y}, [](const G& g, const G& s, const auto& n) {
    Tensor ga, gb;
    // d/da a^b = b a^(b-1); d/db a^b = a^b log a (taken as 0 where a == 0, as PyTorch)
    if (n.needs_input_grad(0)) ga = sum_to(g[0] * s[1] * pow(s[0], s[1] - 1.0), s[0].shape());
    if (n.needs_input_grad(1)) {
      Tensor la = where(eq(s[0], 0.0), zeros_like(s[0]), log(s[0]));
      gb = sum_to(g[0] * s[2] * la, s[1].shape());
    }
    return G{ga, gb};
  });
  return y;
}

// One front-end per EMBER_COMPARE line of ops.def.
#define EMBER_OP(name, family)
#define EMBER_COMPARE(name, functor)                                                                          \
  Tensor name(const Tensor& a, const Tensor& b) { return run_binary(OpId::name, a, b, DType::boolean, true); } \
  Tensor name(const Tensor& a, double b) { return name(a, scalar_like(a, b, #name)); }
#include "ember/core/ops.def"
#undef EMBER_COMPARE
#undef EMBER_OP

// Composites of the comparison kernels, so they run on every device: NaN is the one value
// unequal to itself, and x - x is NaN exactly for NaN and +-inf.
Tensor isnan(const Tensor& x) {
  EMBER_CHECK(x.defined(), ValueError, "isnan: input is undefined");
  if (!is_floating(x.dtype())) return zeros(x.shape(), DType::boolean, x.device());
  const Tensor d = x.detach();
  return ne(d, d);
}

Tensor isinf(const Tensor& x) {
  EMBER_CHECK(x.defined(), ValueError, "isinf: input is undefined");
  if (!is_floating(x.dtype())) return zeros(x.shape(), DType::boolean, x.device());
  return eq(abs(x.detach()), std::numeric_limits<double>::infinity());
}

Tensor isfinite(const Tensor& x) {
  EMBER_CHECK(x.defined(), ValueError, "isfinite: input is undefined");
  if (!is_floating(x.dtype())) return ones(x.shape(), DType::boolean, x.device());
  const Tensor d = x.detach();
  return eq(sub(d, d), 0.0);
}

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  check_pair(a, b, "where");
  EMBER_CHECK(cond.defined(), ValueError, "where: the condition is undefined");
  EMBER_CHECK(cond.dtype() == DType::boolean, DTypeError, "where: condition must be a bool tensor, got {}",
              cond.dtype());
  EMBER_CHECK(cond.device() == a.device(), DeviceError, "where: condition on {} but values on {}",
              cond.device(), a.device());
  Shape shape = broadcast_shapes(broadcast_shapes(cond.shape(), a.shape(), "where"), b.shape(), "where");
  Tensor out = make_tensor(shape, a.dtype(), a.device());
  get_kernel<OpId::where>(a.device())(cond.detach().expand(shape), a.detach().expand(shape),
                                         b.detach().expand(shape), out);
  Shape sa = a.shape(), sb = b.shape();
  attach("where", {a, b}, {out}, {cond}, [sa, sb](const G& g, const G& s, const auto& n) {
    Tensor z = zeros({}, g[0].dtype(), g[0].device());
    Tensor ga, gb;
    if (n.needs_input_grad(0)) ga = sum_to(where(s[0], g[0], z), sa);
    if (n.needs_input_grad(1)) gb = sum_to(where(s[0], z, g[0]), sb);
    return G{ga, gb};
  });
  return out;
}

Tensor where(const Tensor& cond, const Tensor& a, double b) { return where(cond, a, scalar_like(a, b, "where")); }

Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }

// ---- in-place forms ----

Tensor& Tensor::add_(const Tensor& other, double alpha) {
  EMBER_CHECK(!(grad_enabled() && requires_grad()), AutogradError,
              "add_: in-place update of a tensor that requires grad while grad mode is on");
  check_pair(*this, other, "add_");
  EMBER_CHECK(broadcast_shapes(shape(), other.shape(), "add_") == shape(), ShapeError,
              "add_: an operand of shape {} cannot be broadcast into the in-place result of shape {}",
              shape_str(other.shape()), shape_str(shape()));
  Tensor o = alpha == 1.0 ? other.detach() : affine(other.detach(), alpha, 0.0);
  Tensor eo = o.expand(shape());
  get_kernel<OpId::add>(device())(detach(), eo, *this);
  bump_version();
  return *this;
}

Tensor& Tensor::add_(double value) {
  EMBER_CHECK(!(grad_enabled() && requires_grad()), AutogradError,
              "add_: in-place update of a tensor that requires grad while grad mode is on");
  get_kernel<OpId::affine>(device())(detach(), *this, ScalarArgs{1.0, value});
  bump_version();
  return *this;
}

Tensor& Tensor::mul_(const Tensor& other) {
  EMBER_CHECK(!(grad_enabled() && requires_grad()), AutogradError,
              "mul_: in-place update of a tensor that requires grad while grad mode is on");
  check_pair(*this, other, "mul_");
  EMBER_CHECK(broadcast_shapes(shape(), other.shape(), "mul_") == shape(), ShapeError,
              "mul_: an operand of shape {} cannot be broadcast into the in-place result of shape {}",
              shape_str(other.shape()), shape_str(shape()));
  get_kernel<OpId::mul>(device())(detach(), other.detach().expand(shape()), *this);
  bump_version();
  return *this;
}

Tensor& Tensor::mul_(double value) {
  EMBER_CHECK(!(grad_enabled() && requires_grad()), AutogradError,
              "mul_: in-place update of a tensor that requires grad while grad mode is on");
  get_kernel<OpId::affine>(device())(detach(), *this, ScalarArgs{value, 0.0});
  bump_version();
  return *this;
}

}  // namespace ember
