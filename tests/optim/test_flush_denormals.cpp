// The CPU optimizer kernels flush subnormal floats to zero (kernels/cpu/flush_denormals.h):
// momentum and first moments of parameters whose gradients are mostly zero decay into the
// subnormal range, where every operation is ~100x slower, and a run slowed down 9x per epoch.
// The flush must cover the threads the kernel runs on, leave f64 state alone above f64's own
// subnormals, and leave the caller's floating-point mode as it was.
#include <gtest/gtest.h>

#include <cfloat>
#include <ember/ember.h>
#include <ember/optim/optim.h>

namespace {

using namespace ember;
using namespace ember::optim;

// More elements than one thread's chunk, so that worker threads run part of the update.
constexpr int64_t kN = 50000;

Tensor state_of(const Optimizer& opt, const Tensor& p, const char* name) { return opt.state(p)->tensors.at(name); }

int64_t nonzero_count(const Tensor& t) {
  int64_t n = 0;
  for (double v : t.to_vector<double>()) n += v != 0.0;
  return n;
}

TEST(FlushDenormals, SgdMomentumOfSubnormalGradientsIsZero) {
  const float tiny = 1e-39f;  // subnormal in f32
  ASSERT_LT(tiny, FLT_MIN);
  Tensor p = ones({kN}).requires_grad_();
  SGD opt({p}, {.lr = 0.1, .momentum = 0.9});
  p.set_grad(full({kN}, tiny));
  opt.step();  // the first step copies the gradient into the buffer (no arithmetic to flush)
  opt.step();  // 0.9 * buffer + gradient, both read as zero
  EXPECT_EQ(nonzero_count(state_of(opt, p, "momentum_buffer")), 0);
  EXPECT_EQ(nonzero_count(p - 1.0), 0);  // the parameter did not move

  // The same values are normal doubles: an f64 run keeps them.
  Tensor q = ones({kN}, DType::f64).requires_grad_();
  SGD opt64({q}, {.lr = 0.1, .momentum = 0.9});
  q.set_grad(full({kN}, 1e-39, DType::f64));
  opt64.step();
  opt64.step();
  EXPECT_EQ(nonzero_count(state_of(opt64, q, "momentum_buffer")), kN);
}

TEST(FlushDenormals, AdamFirstMomentBelowFltMinIsZero) {
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

TEST(FlushDenormals, CallerKeepsSubnormalArithmetic) {
  Tensor p = ones({kN}).requires_grad_();
  SGD opt({p}, {.lr = 0.1, .momentum = 0.9});
  p.set_grad(full({kN}, 1e-39f));
  opt.step();
  volatile float a = 1e-30f, b = 1e-10f;
  EXPECT_GT(a * b, 0.0f);  // 1e-40: subnormal, not flushed on the calling thread
}

}  // namespace
