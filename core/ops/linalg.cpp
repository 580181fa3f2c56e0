#include "ember/core/ops/linalg.h"

#include "ember/core/autograd/function.h"
#include "ember/core/dispatch.h"
#include "ember/core/ops/reduce.h"

namespace ember {

using autograd::attach;
using autograd::sum_to;
using G = std::vector<Tensor>;

namespace {

void check_operands(const Tensor& a, const Tensor& b, const char* op) {
  EMBER_CHECK(a.defined() && b.defined(), ValueError, "{}: an operand is undefined", op);
  EMBER_CHECK(a.device() == b.device(), DeviceError, "{}: operands on different devices ({} and {})", op,
              a.device(), b.device());
  EMBER_CHECK(a.dtype() == b.dtype(), DTypeError, "{}: operands have different dtypes ({} and {})", op, a.dtype(),
              b.dtype());
  EMBER_CHECK(is_floating(a.dtype()), DTypeError, "{}: expected floating-point operands, got {}", op, a.dtype());
}

// Makes a [B, R, C] operand acceptable to every backend: one of the two matrix strides
// must be 1 (row- or column-major), otherwise it is copied.
Tensor matrix_operand(const Tensor& t) {
  const auto& st = t.strides();
  const auto& sh = t.shape();
  bool ok = (st[2] == 1 || sh[2] == 1) || (st[1] == 1 || sh[1] == 1);
  return ok ? t : t.contiguous();
}

// Raw batched product: a [B,M,K], b [B,K,N] -> [B,M,N]; no autograd.
Tensor bmm_raw(const Tensor& a, const Tensor& b, const Tensor& bias = Tensor()) {
  Tensor out = make_tensor({a.shape()[0], a.shape()[1], b.shape()[2]}, a.dtype(), a.device());
  get_kernel<OpId::matmul>(a.device())(matrix_operand(a), matrix_operand(b), bias, out);
  return out;
}

// a [..., M, K] @ b [..., K, N] for operands with at least 2 dims.
Tensor matmul_nd(const Tensor& a, const Tensor& b) {
  const int64_t M = a.size(-2), K = a.size(-1), K2 = b.size(-2), N = b.size(-1);
  EMBER_CHECK(K == K2, ShapeError, "matmul: inner dimensions differ: {} @ {} ({} vs {})", shape_str(a.shape()),
              shape_str(b.shape()), K, K2);
  Shape ab(a.shape().begin(), a.shape().end() - 2), bb(b.shape().begin(), b.shape().end() - 2);
  Shape batch = broadcast_shapes(ab, bb, "matmul");
  const int64_t B = numel_of(batch);
  Shape ea = batch, eb = batch;
  ea.insert(ea.end(), {M, K});
  eb.insert(eb.end(), {K, N});
  Tensor a3 = a.detach().expand(ea).reshape({B, M, K});
  Tensor b3 = b.detach().expand(eb).reshape({B, K, N});
  Shape os = batch;
  os.insert(os.end(), {M, N});
  Tensor out = bmm_raw(a3, b3).view(os);
  attach("matmul", {a, b}, {out}, {a, b}, [](const G& g, const G& s, const auto& n) {
    Tensor ga, gb;
    if (n.needs_input_grad(0)) ga = sum_to(matmul_nd(g[0], s[1].transpose(-1, -2)), s[0].shape());
    if (n.needs_input_grad(1)) gb = sum_to(matmul_nd(s[0].transpose(-1, -2), g[0]), s[1].shape());
    return G{ga, gb};
  });
  return out;
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
  check_operands(a, b, "matmul");
  EMBER_CHECK(a.dim() >= 1 && b.dim() >= 1, ShapeError, "matmul: operands must have at least 1 dim, got {} and {}",
              shape_str(a.shape()), shape_str(b.shape()));
  if (a.dim() == 1 && b.dim() == 1) return matmul_nd(a.unsqueeze(0), b.unsqueeze(1)).reshape({});
  if (a.dim() == 1) return matmul_nd(a.unsqueeze(0), b).squeeze(-2);
  if (b.dim() == 1) return matmul_nd(a, b.unsqueeze(1)).squeeze(-1);
  return matmul_nd(a, b);
}

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  check_operands(x, weight, "linear");
  EMBER_CHECK(weight.dim() == 2, ShapeError, "linear: weight must be 2-D [out, in], got shape {}",
              shape_str(weight.shape()));
  EMBER_CHECK(x.dim() >= 1 && x.size(-1) == weight.size(1), ShapeError,
              "linear: input has {} features but weight expects {} (input shape {}, weight shape {})",
              x.dim() >= 1 ? x.size(-1) : 0, weight.size(1), shape_str(x.shape()), shape_str(weight.shape()));
  const int64_t in = weight.size(1), out_f = weight.size(0);
  if (bias.defined()) {
    check_operands(x, bias, "linear");
    EMBER_CHECK(bias.dim() == 1 && bias.size(0) == out_f, ShapeError,
                "linear: bias has shape {} but weight has {} outputs", shape_str(bias.shape()), out_f);
  }
  Tensor x3 = x.detach().reshape({1, -1, in});
  Tensor wt = weight.detach().t().unsqueeze(0);  // [1, in, out], column-major
  Tensor bc = bias.defined() ? bias.detach().contiguous() : Tensor();
  Tensor y = bmm_raw(x3, wt, bc);
  Shape os(x.shape().begin(), x.shape().end() - 1);
  os.push_back(out_f);
  y = y.view(os);
  std::vector<Tensor> inputs{x, weight};
  if (bias.defined()) inputs.push_back(bias);
  attach("linear", inputs, {y}, {x, weight}, [in, out_f](const G& g, const G& s, const auto& n) {
    Tensor g2 = g[0].reshape({-1, out_f});
    G r(n.next_edges.size());
    if (n.needs_input_grad(0)) r[0] = matmul(g2, s[1]).reshape(s[0].shape());
    if (n.needs_input_grad(1)) r[1] = matmul(g2.t(), s[0].reshape({-1, in}));
    if (n.next_edges.size() > 2 && n.needs_input_grad(2)) r[2] = sum(g2, {0});
    return r;
  });
  return y;
}

Tensor Tensor::matmul(const Tensor& o) const { return ember::matmul(*this, o); }

}  // namespace ember
