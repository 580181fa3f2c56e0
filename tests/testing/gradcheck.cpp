#include "testing/gradcheck.h"

#include <cmath>

namespace ember::testing {
namespace {

// Pointer to the i-th element (row-major logical order) of a f64 CPU tensor.
double* element(const Tensor& t, int64_t i) {
  int64_t off = 0;
  for (int64_t d = t.dim() - 1; d >= 0; --d) {
    off += (i % t.shape()[d]) * t.strides()[d];
    i /= t.shape()[d];
  }
  return t.data<double>() + off;
}

std::vector<double> flat(const Tensor& t) { return t.to_vector<double>(); }

}  // namespace

::testing::AssertionResult gradcheck(const Fn& f, std::vector<Tensor> inputs, GradcheckOptions opt) {
  std::vector<size_t> diff;
  for (size_t k = 0; k < inputs.size(); ++k) {
    if (!inputs[k].defined() || !is_floating(inputs[k].dtype())) continue;
    if (inputs[k].dtype() != DType::f64)
      return ::testing::AssertionFailure() << "gradcheck: input " << k << " is not float64";
    inputs[k] = inputs[k].detach();
    inputs[k].requires_grad_(true);
    diff.push_back(k);
  }
  Tensor y = f(inputs);
  if (!y.requires_grad()) return ::testing::AssertionFailure() << "gradcheck: output does not require grad";
  const int64_t ny = y.numel();
  std::vector<Tensor> diff_inputs;
  for (size_t k : diff) diff_inputs.push_back(inputs[k]);

  // Analytical Jacobian, one output element (row) at a time.
  std::vector<std::vector<std::vector<double>>> analytic(diff.size(), std::vector<std::vector<double>>(ny));
  for (int64_t j = 0; j < ny; ++j) {
    Tensor gy = zeros(y.shape(), DType::f64);
    *element(gy, j) = 1.0;
    auto grads = autograd::grad({y}, diff_inputs, {gy}, /*retain_graph=*/true, /*allow_unused=*/true);
    for (size_t k = 0; k < diff.size(); ++k)
      analytic[k][j] = grads[k].defined() ? flat(grads[k]) : std::vector<double>(diff_inputs[k].numel(), 0.0);
  }

  // Numerical Jacobian, one input element (column) at a time.
  NoGradGuard ng;
  for (size_t k = 0; k < diff.size(); ++k) {
    const Tensor& x = inputs[diff[k]];
    for (int64_t i = 0; i < x.numel(); ++i) {
      double* p = element(x, i);
      const double orig = *p;
      *p = orig + opt.eps;
      auto plus = flat(f(inputs));
      *p = orig - opt.eps;
      auto minus = flat(f(inputs));
      *p = orig;
      for (int64_t j = 0; j < ny; ++j) {
        double num = (plus[j] - minus[j]) / (2 * opt.eps);
        double ana = analytic[k][j][i];
        if (!(std::fabs(num - ana) <= opt.atol + opt.rtol * std::fabs(num))) {
          return ::testing::AssertionFailure()
                 << "gradcheck: d out[" << j << "] / d input" << diff[k] << "[" << i << "]: analytical " << ana
                 << " vs numerical " << num << " (input shape " << shape_str(x.shape()) << ", output shape "
                 << shape_str(y.shape()) << ")";
        }
      }
    }
  }
  return ::testing::AssertionSuccess();
}

Tensor randn64(Shape shape, uint64_t seed) {
  Generator g(seed);
  return randn(std::move(shape), DType::f64, Device::cpu(), &g);
}

Tensor away_from(Tensor x, std::vector<double> kinks, double margin) {
  Tensor c = x.contiguous().clone();
  double* p = c.data<double>();
  for (int64_t i = 0; i < c.numel(); ++i)
    for (double k : kinks)
      if (std::fabs(p[i] - k) < margin) p[i] = k + (p[i] >= k ? margin : -margin) * 2;
  return c;
}

}  // namespace ember::testing
