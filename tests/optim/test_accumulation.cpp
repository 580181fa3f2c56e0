// Gradient accumulation: backward on k micro-batches, each loss divided by k, then one step,
// equals one step on the full batch (mean losses), up to float rounding.
#include <ember/ember.h>
#include <ember/optim/optim.h>
#include <gtest/gtest.h>

#include "testing/assert_close.h"

namespace {

using namespace ember;
using namespace ember::optim;
using ember::testing::assert_close;
using ember::testing::Tol;

struct Model {
  Tensor w, b;
  Model(const Tensor& w0, const Tensor& b0)
      : w(w0.clone().requires_grad_()), b(b0.clone().requires_grad_()) {}
  Tensor loss(const Tensor& x, const Tensor& y) const {
    return mse_loss(matmul(x, w).tanh() + b, y);
  }
};

template <class MakeOpt>
void check_accumulation(MakeOpt make_opt, int micro_batches) {
  Generator gen(11);
  const int64_t n = 12;
  const Tensor x = randn({n, 3}, DType::f64, Device::cpu(), &gen);
  const Tensor y = randn({n, 2}, DType::f64, Device::cpu(), &gen);
  const Tensor w0 = randn({3, 2}, DType::f64, Device::cpu(), &gen);
  const Tensor b0 = randn({2}, DType::f64, Device::cpu(), &gen);

  Model full(w0, b0), acc(w0, b0);
  auto opt_full = make_opt(std::vector<Tensor>{full.w, full.b});
  auto opt_acc = make_opt(std::vector<Tensor>{acc.w, acc.b});
  const int64_t mb = n / micro_batches;
  for (int step = 0; step < 3; ++step) {
    opt_full->zero_grad();
    full.loss(x, y).backward();

    opt_acc->zero_grad();
    for (int k = 0; k < micro_batches; ++k) {
      Tensor xs = x.narrow(0, k * mb, mb), ys = y.narrow(0, k * mb, mb);
      (acc.loss(xs, ys) / static_cast<double>(micro_batches)).backward();
    }
    // |acc - full| <= tol * (1 + |full|), finite values only.
    const Tol grad_tol{1e-13, 1e-13, /*require_finite=*/true}, param_tol{1e-12, 1e-12, /*require_finite=*/true};
    EXPECT_TRUE(assert_close(acc.w.grad(), full.w.grad(), grad_tol, fmt::format("step {} grad w", step)));
    EXPECT_TRUE(assert_close(acc.b.grad(), full.b.grad(), grad_tol, fmt::format("step {} grad b", step)));

    opt_full->step();
    opt_acc->step();
    EXPECT_TRUE(assert_close(acc.w, full.w, param_tol, fmt::format("step {} w", step)));
    EXPECT_TRUE(assert_close(acc.b, full.b, param_tol, fmt::format("step {} b", step)));
  }
}

TEST(GradAccumulation, SgdMomentumMatchesFullBatch) {
  check_accumulation(
      [](std::vector<Tensor> p) {
        return std::make_unique<SGD>(std::move(p),
                                     SGDOptions{.lr = 0.1, .momentum = 0.9, .weight_decay = 1e-3});
      },
      4);
}

TEST(GradAccumulation, AdamMatchesFullBatch) {
  check_accumulation(
      [](std::vector<Tensor> p) {
        return std::make_unique<Adam>(std::move(p), AdamOptions{.lr = 0.01, .amsgrad = true});
      },
      3);
}

TEST(GradAccumulation, AdamWMatchesFullBatch) {
  check_accumulation(
      [](std::vector<Tensor> p) {
        return std::make_unique<AdamW>(std::move(p), AdamWOptions{.lr = 0.01});
      },
      6);
}

}  // namespace
