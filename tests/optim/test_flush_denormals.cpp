// The CPU optimizer kernels flush subnormal floats to zero (kernels/cpu/flush_denormals.h):
// momentum and first moments of parameters whose gradients are mostly zero decay into the
// subnormal range, where every operation is ~100x slower, and a run slowed down 9x per epoch.
// The flush must cover the threads the kernel runs on, leave Adam with eps = 0 alone (a
// flushed second moment would divide by zero), and leave every thread's floating-point mode
// as it was.
#include <gtest/gtest.h>
#include <omp.h>

#include <cfloat>
#include <algorithm>
#include <cmath>
#include <vector>
#include <ember/ember.h>
#include <ember/optim/optim.h>

namespace {

using namespace ember;
using namespace ember::optim;

// More elements than one thread's chunk, so that worker threads run part of the update.
constexpr int64_t kN = 50000;

// Targets where ember's kernels can switch the mode (kernels/cpu/flush_denormals.h).
#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__) || defined(__aarch64__)
#define SKIP_UNLESS_FLUSHING()
#else
#define SKIP_UNLESS_FLUSHING() GTEST_SKIP() << "no flush-to-zero control on this target"
#endif

Tensor state_of(const Optimizer& opt, const Tensor& p, const char* name) { return opt.state(p)->tensors.at(name); }

int64_t nonzero_count(const Tensor& t) {
  int64_t n = 0;
  for (double v : t.to_vector<double>()) n += v != 0.0;
  return n;
}

TEST(FlushDenormals, SgdMomentumOfSubnormalGradientsIsZero) {
  SKIP_UNLESS_FLUSHING();
  const float tiny = 1e-39f;  // subnormal in f32
  ASSERT_LT(tiny, FLT_MIN);
  Tensor p = ones({kN}).requires_grad_();
  SGD opt({p}, {.lr = 0.1, .momentum = 0.9});
  p.set_grad(full({kN}, tiny));
  opt.step();  // the first step copies the gradient into the buffer (no arithmetic to flush)
  opt.step();  // 0.9 * buffer + gradient, both read as zero
  EXPECT_EQ(nonzero_count(state_of(opt, p, "momentum_buffer")), 0);
}

TEST(FlushDenormals, AdamFirstMomentBelowFltMinIsZero) {
  SKIP_UNLESS_FLUSHING();
  Tensor p = ones({kN}).requires_grad_();
  Adam opt({p}, {.lr = 1e-3});
  p.set_grad(full({kN}, 1e-37f));  // normal; (1 - beta1) * g = 1e-38 is not
  opt.step();
  EXPECT_EQ(nonzero_count(state_of(opt, p, "exp_avg")), 0);
  // A moment that stays normal is kept as computed.
  Tensor r = ones({kN}).requires_grad_();
  Adam opt_r({r}, {.lr = 1e-3});
  r.set_grad(full({kN}, 1e-30f));
  opt_r.step();
  EXPECT_EQ(nonzero_count(state_of(opt_r, r, "exp_avg")), kN);
}

TEST(FlushDenormals, AdamWithoutEpsKeepsSubnormalsAndStaysFinite) {
  // g = 1e-20: v = (1 - beta2) * g^2 = 1e-43 is subnormal; flushed, the step would be m / 0.
  Tensor p = ones({kN}).requires_grad_();
  Adam opt({p}, {.lr = 1e-3, .eps = 0.0});
  p.set_grad(full({kN}, 1e-20f));
  opt.step();
  const std::vector<float> v = p.to_vector<float>();
  EXPECT_TRUE(std::all_of(v.begin(), v.end(), [](float x) { return std::isfinite(x) && x < 1.0f; }));
}

// After a step that flushed on the caller and on OpenMP's threads, each of them computes
// subnormals again.
TEST(FlushDenormals, EveryThreadKeepsSubnormalArithmetic) {
  Tensor p = ones({kN}).requires_grad_();
  SGD opt({p}, {.lr = 0.1, .momentum = 0.9});
  p.set_grad(full({kN}, 1e-39f));
  opt.step();
  opt.step();
  int flushed = 0;
#pragma omp parallel reduction(+ : flushed)
  {
    volatile float a = 1e-30f, b = 1e-10f;
    flushed += !(a * b > 0.0f);  // 1e-40: subnormal unless flushed
  }
  EXPECT_EQ(flushed, 0);
  volatile float a = 1e-30f, b = 1e-10f;
  EXPECT_GT(a * b, 0.0f);
}

}  // namespace
