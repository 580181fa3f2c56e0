// CPU/CUDA parity of the Unary, Binary, Compare and Where kernels: every op, every dtype
// the CPU kernel takes, odd / non-contiguous / misaligned / broadcast operands, and the
// gradients of the differentiable float ops.
#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include <ember/core/dispatch.h>

#include "cuda/parity.h"

using namespace ember;
using namespace ember::testing;

namespace {

const std::vector<DType> kFloat = {DType::f32, DType::f64, DType::f16, DType::bf16};
const std::vector<DType> kNumeric = {DType::f32, DType::f64, DType::f16, DType::bf16,
                                     DType::i32, DType::i64, DType::u8};
const std::vector<DType> kAll = {DType::f32, DType::f64, DType::f16, DType::bf16,
                                 DType::i32, DType::i64, DType::u8, DType::boolean};

// contiguous; non_contiguous(); dense but starting one element into its storage, so
// that the vectorized kernel must step aside.
enum class Layout { contiguous, strided, offset };
const Layout kLayouts[] = {Layout::contiguous, Layout::strided, Layout::offset};

const char* layout_name(Layout l) {
  return l == Layout::contiguous ? "contiguous" : l == Layout::strided ? "strided" : "offset";
}

// x (a CPU tensor) on `device` in layout l.
Tensor place(const Tensor& x, Device device, Layout l) {
  Tensor t = x.to(device);
  if (l == Layout::strided) return non_contiguous(t);
  if (l == Layout::offset) {
    Tensor buf = zeros({t.numel() + 1}, t.dtype(), device);
    Tensor v = buf.narrow(0, 1, t.numel()).view(t.shape());
    v.copy_(t);
    return v;
  }
  return t;
}

std::string what(const std::string& op, DType d, const Shape& s, const std::string& extra = "") {
  return op + " " + std::string(dtype_name(d)) + " " + shape_str(s) + (extra.empty() ? "" : " " + extra);
}

// Normal values (positive ones when `positive`) or integers in a small range.
Tensor input(const Shape& s, DType d, uint64_t seed, bool positive = false) {
  if (is_floating(d)) {
    Tensor x = random_tensor(s, DType::f64, seed);
    if (positive) x = abs(x) + 0.1;
    return x.to(d);
  }
  if (d == DType::u8) return random_tensor(s, d, seed, positive ? 1 : 0, 8);
  return random_tensor(s, d, seed, positive ? 1 : -8, 8);
}

// Values with many ties, for comparisons and where.
Tensor tied(const Shape& s, DType d, uint64_t seed) {
  if (d == DType::boolean) return random_tensor(s, d, seed);
  return random_tensor(s, DType::i32, seed, d == DType::u8 ? 0 : -3, 3).to(d);
}

using Fn1 = std::function<Tensor(const Tensor&)>;
using Fn2 = std::function<Tensor(const Tensor&, const Tensor&)>;

struct UnaryCase {
  const char* name;
  Fn1 fn;
  bool integers;  // the CPU kernel takes i32/i64/u8 too
  bool positive;  // the op needs x > 0
};

std::vector<UnaryCase> unary_cases() {
  return {
      {"neg", [](const Tensor& x) { return neg(x); }, true, false},
      {"abs", [](const Tensor& x) { return abs(x); }, true, false},
      {"sign", [](const Tensor& x) { return sign(x); }, true, false},
      {"exp", [](const Tensor& x) { return exp(x); }, false, false},
      {"log", [](const Tensor& x) { return log(x); }, false, true},
      {"log1p", [](const Tensor& x) { return log1p(x); }, false, true},
      {"sqrt", [](const Tensor& x) { return sqrt(x); }, false, true},
      {"rsqrt", [](const Tensor& x) { return rsqrt(x); }, false, true},
      {"pow_scalar 2", [](const Tensor& x) { return pow(x, 2.0); }, false, false},
      {"pow_scalar 3", [](const Tensor& x) { return pow(x, 3.0); }, false, false},
      {"pow_scalar 0.5", [](const Tensor& x) { return pow(x, 0.5); }, false, true},
      {"pow_scalar -1.5", [](const Tensor& x) { return pow(x, -1.5); }, false, true},
      {"rpow_scalar 2.5", [](const Tensor& x) { return pow(2.5, x); }, false, false},
      {"rpow_scalar 0.5", [](const Tensor& x) { return pow(0.5, x); }, false, false},
      {"relu", [](const Tensor& x) { return relu(x); }, true, false},
      {"leaky_relu", [](const Tensor& x) { return leaky_relu(x, 0.1); }, false, false},
      {"gelu", [](const Tensor& x) { return gelu(x); }, false, false},
      {"sigmoid", [](const Tensor& x) { return sigmoid(x); }, false, false},
      {"tanh", [](const Tensor& x) { return tanh(x); }, false, false},
      {"clamp", [](const Tensor& x) { return clamp(x, -0.5, 1.0); }, false, false},
      {"clamp_min", [](const Tensor& x) { return clamp_min(x, 0.25); }, false, false},
      {"clamp_max", [](const Tensor& x) { return clamp_max(x, -0.25); }, false, false},
      // a*x + b with a non-negative result for u8 (a negative double -> u8 is undefined).
      {"affine", [](const Tensor& x) { return affine(x, 2.5, 1.0); }, true, false},
  };
}

struct BinaryCase {
  const char* name;
  Fn2 fn;
  bool integers;    // the front-end takes integer dtypes
  bool positive_a;  // a > 0 (pow)
  bool positive_b;  // b > 0 (div)
};

std::vector<BinaryCase> binary_cases() {
  return {
      {"add", [](const Tensor& a, const Tensor& b) { return add(a, b); }, true, false, false},
      {"sub", [](const Tensor& a, const Tensor& b) { return sub(a, b); }, true, false, false},
      {"mul", [](const Tensor& a, const Tensor& b) { return mul(a, b); }, true, false, false},
      {"div", [](const Tensor& a, const Tensor& b) { return div(a, b); }, false, false, true},
      {"maximum", [](const Tensor& a, const Tensor& b) { return maximum(a, b); }, true, false, false},
      {"minimum", [](const Tensor& a, const Tensor& b) { return minimum(a, b); }, true, false, false},
      {"pow", [](const Tensor& a, const Tensor& b) { return pow(a, b); }, false, true, false},
  };
}

struct ShapePair {
  Shape a, b;
};
std::vector<ShapePair> shape_pairs() {
  std::vector<ShapePair> p;
  for (const Shape& s : parity_shapes()) p.push_back({s, s});
  p.push_back({{3, 1, 5}, {1, 4, 5}});
  p.push_back({{2, 3, 17}, {17}});
  p.push_back({{}, {3, 5}});
  p.push_back({{64, 257}, {64, 1}});
  return p;
}

std::vector<Fn2> compare_ops() {
  return {[](const Tensor& a, const Tensor& b) { return eq(a, b); }, [](const Tensor& a, const Tensor& b) { return ne(a, b); },
          [](const Tensor& a, const Tensor& b) { return lt(a, b); }, [](const Tensor& a, const Tensor& b) { return le(a, b); },
          [](const Tensor& a, const Tensor& b) { return gt(a, b); }, [](const Tensor& a, const Tensor& b) { return ge(a, b); }};
}
const char* const kCompareNames[] = {"eq", "ne", "lt", "le", "gt", "ge"};

// The Binary kernel itself, for dtypes the front-end refuses (integer div and pow) and
// for relu_backward, which only autograd calls.
Tensor binary_kernel(OpId op, const Tensor& a, const Tensor& b) {
  Tensor out = make_tensor(a.shape(), a.dtype(), a.device());
  get_kernel<kernel::Binary>(op, a.device().type)(a, b, out);
  return out;
}

}  // namespace

TEST(CudaElementwise, UnaryForward) {
  SKIP_WITHOUT_CUDA();
  uint64_t seed = 1;
  for (const auto& c : unary_cases()) {
    for (DType d : c.integers ? kNumeric : kFloat) {
      for (const Shape& s : parity_shapes()) {
        for (Layout l : kLayouts) {
          Tensor x = input(s, d, seed++, c.positive);
          EXPECT_TRUE(close(c.fn(place(x, gpu(), l)), c.fn(place(x, Device::cpu(), l)), what(c.name, d, s, layout_name(l))));
        }
      }
    }
  }
}

TEST(CudaElementwise, UnarySpecialValues) {
  SKIP_WITHOUT_CUDA();
  const double inf = std::numeric_limits<double>::infinity(), nan = std::numeric_limits<double>::quiet_NaN();
  Tensor base = from_vector<double>({nan, inf, -inf, -0.0, 0.0, 1.5, -2.5, 1e-30, -1e30}, {9});
  for (const auto& c : unary_cases()) {
    for (DType d : kFloat) {
      Tensor x = base.to(d);
      EXPECT_TRUE(close(c.fn(x.to(gpu())), c.fn(x), what(c.name, d, x.shape(), "special values")));
    }
  }
}

TEST(CudaElementwise, UnaryRejectsWhatTheCpuRejects) {
  SKIP_WITHOUT_CUDA();
  Tensor i = zeros({3}, DType::i32, gpu());
  auto unary = get_kernel<OpId::exp>(DeviceType::cuda);
  EXPECT_THROW(unary(i, make_tensor({3}, DType::i32, gpu()), {}), DTypeError);
  Tensor b = zeros({3}, DType::boolean, gpu());
  auto neg_k = get_kernel<OpId::neg>(DeviceType::cuda);
  EXPECT_THROW(neg_k(b, make_tensor({3}, DType::boolean, gpu()), {}), DTypeError);
  auto add_k = get_kernel<OpId::add>(DeviceType::cuda);
  EXPECT_THROW(add_k(b, b, make_tensor({3}, DType::boolean, gpu())), DTypeError);
}

TEST(CudaElementwise, BinaryForward) {
  SKIP_WITHOUT_CUDA();
  uint64_t seed = 1000;
  for (const auto& c : binary_cases()) {
    for (DType d : c.integers ? kNumeric : kFloat) {
      for (const auto& sp : shape_pairs()) {
        for (Layout l : kLayouts) {
          Tensor a = input(sp.a, d, seed++, c.positive_a), b = input(sp.b, d, seed++, c.positive_b);
          // b stays contiguous: mixed layouts keep the kernel from coalescing both alike.
          Tensor want = c.fn(place(a, Device::cpu(), l), b);
          Tensor got = c.fn(place(a, gpu(), l), b.to(gpu()));
          EXPECT_TRUE(close(got, want, what(c.name, d, sp.a, shape_str(sp.b) + " " + layout_name(l))));
        }
      }
    }
  }
}

TEST(CudaElementwise, BinaryKernelOnEveryNumericDType) {
  SKIP_WITHOUT_CUDA();
  uint64_t seed = 2000;
  const OpId ops[] = {OpId::add, OpId::sub, OpId::mul, OpId::div, OpId::maximum, OpId::minimum, OpId::pow,
                      OpId::relu_backward};
  for (OpId op : ops) {
    for (DType d : kNumeric) {
      for (const Shape& s : parity_shapes()) {
        for (Layout l : kLayouts) {
          // Integer pow: bases in [1, 8), exponents in [0, 3), so that even u8 cannot overflow.
          Tensor a = input(s, d, seed++, op == OpId::pow);
          Tensor b = op == OpId::pow && !is_floating(d) ? random_tensor(s, d, seed++, 0, 3)
                                                        : input(s, d, seed++, op == OpId::div);
          Tensor want = binary_kernel(op, place(a, Device::cpu(), l), place(b, Device::cpu(), l));
          Tensor got = binary_kernel(op, place(a, gpu(), l), place(b, gpu(), l));
          EXPECT_TRUE(close(got, want, what(op_name(op), d, s, layout_name(l))));
        }
      }
    }
  }
}

TEST(CudaElementwise, IntegerPowIsExact) {
  SKIP_WITHOUT_CUDA();
  // Every base in [-12, 12] (u8: [0, 24]) to every power in [0, 8] whose result the dtype
  // holds: the CPU truncates pow's double result, so an ulp below an exact power on the
  // device would come out one less.
  for (DType d : {DType::i32, DType::i64, DType::u8}) {
    std::vector<double> av, bv;
    for (int a = d == DType::u8 ? 0 : -12; a <= (d == DType::u8 ? 24 : 12); ++a)
      for (int b = 0; b <= 8; ++b) {
        const double p = std::pow(a, b);
        if (d == DType::u8 ? p > 255 : std::abs(p) >= 2147483648.0) continue;
        av.push_back(a);
        bv.push_back(b);
      }
    const int64_t n = static_cast<int64_t>(av.size());
    Tensor a = from_vector<double>(av, {n}).to(d), b = from_vector<double>(bv, {n}).to(d);
    EXPECT_TRUE(close(binary_kernel(OpId::pow, a.to(gpu()), b.to(gpu())), binary_kernel(OpId::pow, a, b),
                      what("pow", d, {n}, "exact powers")));
  }
}

TEST(CudaElementwise, AffineOnU8WrapsLikeTheCpu) {
  SKIP_WITHOUT_CUDA();
  // A negative double -> u8 is undefined in C++; the CPU wraps it (through a 32-bit
  // integer), and so must the device rather than clamp to 0.
  Tensor x = random_tensor({5, 41}, DType::u8, 57, 0, 200);
  for (double a : {-1.0, -2.5}) {
    EXPECT_TRUE(close(affine(x.to(gpu()), a, 3.0), affine(x, a, 3.0), what("affine", DType::u8, x.shape(), "negative")));
  }
}

TEST(CudaElementwise, BinarySpecialValues) {
  SKIP_WITHOUT_CUDA();
  const double inf = std::numeric_limits<double>::infinity(), nan = std::numeric_limits<double>::quiet_NaN();
  Tensor a = from_vector<double>({nan, 1.0, nan, inf, -inf, 0.0, -0.0, 2.0}, {8});
  Tensor b = from_vector<double>({1.0, nan, nan, 1.0, inf, -0.0, 0.0, 2.0}, {8});
  for (const auto& c : binary_cases()) {
    for (DType d : kFloat) {
      Tensor x = a.to(d), y = b.to(d);
      EXPECT_TRUE(close(c.fn(x.to(gpu()), y.to(gpu())), c.fn(x, y), what(c.name, d, x.shape(), "special values")));
    }
  }
  for (DType d : kFloat) {
    Tensor x = a.to(d), y = b.to(d);
    for (size_t k = 0; k < 6; ++k) {
      EXPECT_TRUE(close(compare_ops()[k](x.to(gpu()), y.to(gpu())), compare_ops()[k](x, y),
                        what(kCompareNames[k], d, x.shape(), "special values")));
    }
  }
}

TEST(CudaElementwise, CompareForward) {
  SKIP_WITHOUT_CUDA();
  uint64_t seed = 3000;
  const auto ops = compare_ops();
  for (size_t k = 0; k < ops.size(); ++k) {
    for (DType d : kAll) {
      for (const auto& sp : shape_pairs()) {
        for (Layout l : kLayouts) {
          Tensor a = tied(sp.a, d, seed++), b = tied(sp.b, d, seed++);
          Tensor want = ops[k](place(a, Device::cpu(), l), b);
          Tensor got = ops[k](place(a, gpu(), l), b.to(gpu()));
          EXPECT_TRUE(close(got, want, what(kCompareNames[k], d, sp.a, shape_str(sp.b) + " " + layout_name(l))));
        }
      }
      // against a scalar
      Tensor x = tied({5, 7}, d, seed++);
      EXPECT_TRUE(close(ops[k](x.to(gpu()), full({}, 1.0, d, gpu())), ops[k](x, full({}, 1.0, d)),
                        what(kCompareNames[k], d, x.shape(), "scalar")));
    }
  }
}

TEST(CudaElementwise, WhereForward) {
  SKIP_WITHOUT_CUDA();
  uint64_t seed = 4000;
  struct Shapes {
    Shape c, a, b;
  };
  std::vector<Shapes> shapes;
  for (const Shape& s : parity_shapes()) shapes.push_back({s, s, s});
  shapes.push_back({{3, 1, 5}, {1, 4, 5}, {3, 4, 1}});
  shapes.push_back({{64, 257}, {257}, {}});
  for (DType d : kAll) {
    for (const auto& sh : shapes) {
      for (Layout l : kLayouts) {
        Tensor c = tied(sh.c, DType::boolean, seed++), a = tied(sh.a, d, seed++), b = tied(sh.b, d, seed++);
        Tensor want = where(place(c, Device::cpu(), l), a, place(b, Device::cpu(), l));
        Tensor got = where(place(c, gpu(), l), a.to(gpu()), place(b, gpu(), l));
        EXPECT_TRUE(close(got, want, what("where", d, sh.c, shape_str(sh.a) + " " + shape_str(sh.b) + " " + layout_name(l))));
      }
    }
    Tensor c = tied({4, 9}, DType::boolean, seed++), a = tied({4, 9}, d, seed++);
    EXPECT_TRUE(close(where(c.to(gpu()), a.to(gpu()), 1.0), where(c, a, 1.0), what("where", d, c.shape(), "scalar")));
  }
}

TEST(CudaElementwise, InPlaceOnStridedOutput) {
  SKIP_WITHOUT_CUDA();
  Tensor x = input({6, 9}, DType::f32, 5000), y = input({9}, DType::f32, 5001);
  Tensor xg = x.to(gpu());
  Tensor vc = x.t(), vg = xg.t();  // the output of the in-place kernels is transposed
  vc.mul_(2.5).add_(1.0);
  vg.mul_(2.5).add_(1.0);
  x.add_(y, 0.5);
  xg.add_(y.to(gpu()), 0.5);
  x.mul_(y);
  xg.mul_(y.to(gpu()));
  EXPECT_TRUE(close(xg, x, "in-place affine/add_/mul_ through a transposed view"));
}

TEST(CudaElementwise, UnaryBackward) {
  SKIP_WITHOUT_CUDA();
  uint64_t seed = 6000;
  for (const auto& c : unary_cases()) {
    for (DType d : {DType::f32, DType::f64}) {
      for (const Shape& s : parity_shapes()) {
        Tensor x = input(s, d, seed++, c.positive), gy = input(s, d, seed++);
        Tensor xc = x.clone().requires_grad_();
        c.fn(xc).backward(gy);
        Tensor xg = x.to(gpu()).requires_grad_();
        c.fn(xg).backward(gy.to(gpu()));
        ASSERT_TRUE(xg.grad().defined()) << what(c.name, d, s);
        EXPECT_TRUE(close(xg.grad(), xc.grad(), what(c.name, d, s, "grad")));
      }
    }
  }
}

TEST(CudaElementwise, BinaryBackward) {
  SKIP_WITHOUT_CUDA();
  uint64_t seed = 7000;
  auto cases = binary_cases();
  cases.push_back({"where", [](const Tensor& a, const Tensor& b) { return where(gt(a, b), a * 2.0, b); }, false,
                   false, false});
  const ShapePair pairs[] = {{{2, 3, 17}, {2, 3, 17}}, {{1031}, {1031}}, {{3, 1, 5}, {1, 4, 5}}, {{4, 7}, {}}};
  for (const auto& c : cases) {
    for (DType d : {DType::f32, DType::f64}) {
      for (const auto& sp : pairs) {
        Tensor a = input(sp.a, d, seed++, c.positive_a), b = input(sp.b, d, seed++, c.positive_b);
        Tensor ac = a.clone().requires_grad_(), bc = b.clone().requires_grad_();
        Tensor yc = c.fn(ac, bc);
        Tensor gy = input(yc.shape(), d, seed++);
        yc.backward(gy);
        Tensor ag = a.to(gpu()).requires_grad_(), bg = b.to(gpu()).requires_grad_();
        c.fn(ag, bg).backward(gy.to(gpu()));
        const std::string w = what(c.name, d, sp.a, shape_str(sp.b));
        ASSERT_TRUE(ag.grad().defined() && bg.grad().defined()) << w;
        EXPECT_TRUE(close(ag.grad(), ac.grad(), w + " grad a"));
        EXPECT_TRUE(close(bg.grad(), bc.grad(), w + " grad b"));
      }
    }
  }
}
