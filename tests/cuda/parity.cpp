#include "cuda/parity.h"

#include <cmath>

namespace ember::testing {

Tol parity_tol(DType d) { return default_tol(d); }

::testing::AssertionResult close(const Tensor& cuda, const Tensor& cpu, Tol tol, const std::string& what) {
  if (cuda.defined() && !cuda.device().is_cuda())
    return ::testing::AssertionFailure() << what << ": result is on " << cuda.device().str();
  // A shape mismatch is assert_close's to report (it was reported before the dtype here too).
  if (cuda.defined() && cpu.defined() && cuda.shape() == cpu.shape() && cuda.dtype() != cpu.dtype()) {
    return ::testing::AssertionFailure() << what << ": dtype " << dtype_name(cuda.dtype()) << " vs CPU "
                                         << dtype_name(cpu.dtype());
  }
  return assert_close(cuda, cpu, tol, what);  // its message names the devices: actual is the CUDA one
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
