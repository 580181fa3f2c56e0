#include "cuda/parity.h"

#include <cmath>

namespace ember::testing {

Tol parity_tol(DType d) {
  switch (d) {
    case DType::f64: return {1e-10, 1e-9};
    case DType::f32: return {1e-5, 1e-4};
    case DType::f16: return {2e-3, 2e-3};
    case DType::bf16: return {1.6e-2, 1.6e-2};
    default: return {0.0, 0.0};
  }
}

::testing::AssertionResult close(const Tensor& cuda, const Tensor& cpu, Tol tol, const std::string& what) {
  if (!cuda.device().is_cuda()) return ::testing::AssertionFailure() << what << ": result is on " << cuda.device().str();
  if (cuda.shape() != cpu.shape()) {
    return ::testing::AssertionFailure() << what << ": shape " << shape_str(cuda.shape()) << " vs CPU "
                                         << shape_str(cpu.shape());
  }
  if (cuda.dtype() != cpu.dtype()) {
    return ::testing::AssertionFailure() << what << ": dtype " << dtype_name(cuda.dtype()) << " vs CPU "
                                         << dtype_name(cpu.dtype());
  }
  const std::vector<double> g = cuda.cpu().to_vector<double>();
  const std::vector<double> c = cpu.to_vector<double>();
  for (size_t i = 0; i < c.size(); ++i) {
    const bool both_nan = std::isnan(g[i]) && std::isnan(c[i]);
    if (both_nan || g[i] == c[i]) continue;
    if (!(std::abs(g[i] - c[i]) <= tol.atol + tol.rtol * std::abs(c[i]))) {
      return ::testing::AssertionFailure() << what << ": element " << i << " is " << g[i] << " on CUDA and " << c[i]
                                           << " on the CPU (atol " << tol.atol << ", rtol " << tol.rtol << ", "
                                           << c.size() << " elements, shape " << shape_str(cpu.shape()) << ")";
    }
  }
  return ::testing::AssertionSuccess();
}

Tensor random_tensor(Shape shape, DType dtype, uint64_t seed, double lo, double hi) {
  Generator gen(seed);
  if (is_floating(dtype)) return randn(std::move(shape), DType::f64, Device::cpu(), &gen).to(dtype);
  if (dtype == DType::boolean) return lt(rand(std::move(shape), DType::f64, Device::cpu(), &gen), 0.5);
  Tensor u = rand(std::move(shape), DType::f64, Device::cpu(), &gen);
  return (u * (hi - lo) + lo).to(dtype);  // truncation: integers in (lo - 1, hi)
}

Tensor non_contiguous(const Tensor& x) {
  if (x.dim() == 0) return x;
  if (x.dim() == 1) {
    Tensor wide = zeros({x.size(0) * 2}, x.dtype(), x.device());
    Tensor v = wide.slice(0, 0, x.size(0) * 2, 2);
    v.copy_(x);
    return v;
  }
  Tensor t = x.transpose(-1, -2).contiguous().transpose(-1, -2);
  return t;
}

std::vector<Shape> parity_shapes() { return {{1}, {7}, {3, 5}, {2, 3, 17}, {4, 1, 33, 9}, {1031}, {64, 257}}; }

}  // namespace ember::testing
