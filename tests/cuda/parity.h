#pragma once
// CPU/CUDA parity helpers. Every test that needs a device starts with SKIP_WITHOUT_CUDA(),
// so the suite passes without a GPU and runs in full on a machine with one.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <ember/ember.h>

#include "testing/assert_close.h"

#define SKIP_WITHOUT_CUDA()                                                                     \
  if (!::ember::cuda_available())                                                               \
  GTEST_SKIP() << "no CUDA device (" << ::ember::cuda_device_count() << " found)"

namespace ember::testing {

inline Device gpu() { return Device::cuda(0); }

// Tolerance for comparing a CUDA result with the CPU kernel's, per dtype: both run the
// same math in a different order (and f16/bf16 round each element once more). These are
// default_tol's values (testing/assert_close.h, which defines Tol).
Tol parity_tol(DType d);

// assert_close of a CUDA result against the CPU's (in f64 on the host; NaN must match NaN),
// after checking that the result is on a CUDA device and has the CPU result's dtype.
// `what` names the case in the failure message.
::testing::AssertionResult close(const Tensor& cuda, const Tensor& cpu, Tol tol, const std::string& what);
inline ::testing::AssertionResult close(const Tensor& cuda, const Tensor& cpu, const std::string& what) {
  return close(cuda, cpu, parity_tol(cpu.dtype()), what);
}

// Random inputs: normal values (or integers in [lo, hi) for integer dtypes), seeded.
Tensor random_tensor(Shape shape, DType dtype, uint64_t seed, double lo = -4, double hi = 4);

// The same values as `x`, laid out non-contiguously: stored as the transpose of the last
// two dims (or with a stride-2 step for 1-d) and viewed back, so kernels see odd strides.
Tensor non_contiguous(const Tensor& x);

// Sets cuda::allow_tf32 for a scope and restores the previous setting.
class Tf32Guard {
 public:
  explicit Tf32Guard(bool on) : prev_(cuda::allow_tf32()) { cuda::set_allow_tf32(on); }
  ~Tf32Guard() { cuda::set_allow_tf32(prev_); }
  Tf32Guard(const Tf32Guard&) = delete;
  Tf32Guard& operator=(const Tf32Guard&) = delete;

 private:
  bool prev_;
};

// A new leaf with x's values that requires grad. Tensor::to returns its input itself when
// nothing changes, so marking that result would mark the caller's (shared) input instead.
inline Tensor grad_leaf(const Tensor& x) { return x.detach().requires_grad_(); }

// Shapes most parity tests sweep: scalar-like, odd, prime, and large enough for many blocks.
std::vector<Shape> parity_shapes();

}  // namespace ember::testing
