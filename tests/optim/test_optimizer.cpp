// Optimizer behaviour beyond the reference values: skipping parameters without grads,
// zero_grad, no graph recording, param groups, schedule bookkeeping, convergence.
#include <ember/ember.h>
#include <ember/optim/optim.h>
#include <gtest/gtest.h>

#include <cmath>

namespace {

using namespace ember;
using namespace ember::optim;

TEST(Optimizer, SkipsParametersWithoutGrad) {
  auto a = from_vector<double>({1.0, 2.0}, {2}).requires_grad_();
  auto b = from_vector<double>({3.0}, {1}).requires_grad_();
  Adam opt({a, b}, {.lr = 0.1});
  a.set_grad(from_vector<double>({1.0, -1.0}, {2}));
  opt.step();
  EXPECT_EQ(b.to_vector<double>(), (std::vector<double>{3.0}));
  EXPECT_EQ(opt.state(b), nullptr);
  ASSERT_NE(opt.state(a), nullptr);
  EXPECT_EQ(opt.state(a)->scalars.at("step"), 1.0);
  EXPECT_NE(a.to_vector<double>(), (std::vector<double>{1.0, 2.0}));
}

TEST(Optimizer, ZeroGradDropsGrads) {
  auto a = ones({2}).requires_grad_();
  SGD opt({a});
  (a * 3.0).sum().backward();
  ASSERT_TRUE(a.grad().defined());
  opt.zero_grad();
  EXPECT_FALSE(a.grad().defined());
  opt.step();  // nothing to do: no grads
  EXPECT_EQ(a.to_vector<float>(), (std::vector<float>{1, 1}));
}

TEST(Optimizer, UpdatesInPlaceWithoutRecordingAGraph) {
  auto w = ones({3}).requires_grad_();
  const auto* impl = w.impl();
  Adam opt({w}, {.lr = 0.5, .weight_decay = 0.1, .amsgrad = true});
  (w * w).sum().backward();
  const auto v0 = w.version();
  opt.step();
  EXPECT_EQ(w.impl(), impl);
  EXPECT_GT(w.version(), v0);
  EXPECT_TRUE(w.is_leaf());
  EXPECT_TRUE(w.requires_grad());
  EXPECT_EQ(w.grad_fn(), nullptr);
  for (const auto& [name, t] : opt.state(w)->tensors) {
    EXPECT_FALSE(t.requires_grad()) << name;
    EXPECT_EQ(t.dtype(), DType::f32) << name;
  }
  EXPECT_TRUE(grad_enabled());
}

TEST(Optimizer, GroupsTakeDefaultsAndOverrides) {
  auto a = ones({1}, DType::f64).requires_grad_();
  auto b = ones({1}, DType::f64).requires_grad_();
  SGD opt(std::vector<ParamGroup>{{.params = {a}}, {.params = {b}, .lr = 0.5, .nesterov = true}},
          {.lr = 0.1, .momentum = 0.9, .weight_decay = 0.01});
  const auto& g = opt.param_groups();
  ASSERT_EQ(g.size(), 2u);
  EXPECT_EQ(*g[0].lr, 0.1);
  EXPECT_EQ(*g[1].lr, 0.5);
  EXPECT_EQ(*g[1].momentum, 0.9);
  EXPECT_EQ(*g[1].weight_decay, 0.01);
  EXPECT_FALSE(*g[0].nesterov);
  EXPECT_TRUE(*g[1].nesterov);
  EXPECT_FALSE(g[0].betas.has_value());

  // lr changed by hand takes effect at the next step (the first step is plain lr * grad).
  opt.param_groups()[0].lr = 1.0;
  opt.param_groups()[0].weight_decay = 0.0;
  a.set_grad(full_like(a, 2.0));
  opt.step();
  EXPECT_EQ(a.item<double>(), 1.0 - 2.0);

  auto c = ones({1}, DType::f64).requires_grad_();
  opt.add_param_group({.params = {c}, .lr = 0.25});
  EXPECT_EQ(*opt.param_groups()[2].momentum, 0.9);
  c.set_grad(full_like(c, 1.0));
  opt.step();
  EXPECT_NEAR(c.item<double>(), 1.0 - 0.25 * (1.0 + 0.01), 1e-15);
}

TEST(Optimizer, AmsgradSwitchedOnLater) {
  auto w = ones({2}, DType::f64).requires_grad_();
  Adam opt({w});
  w.set_grad(full_like(w, 1.0));
  opt.step();
  EXPECT_EQ(opt.state(w)->tensors.count("max_exp_avg_sq"), 0u);
  opt.param_groups()[0].amsgrad = true;
  opt.step();
  EXPECT_EQ(opt.state(w)->tensors.count("max_exp_avg_sq"), 1u);
}

TEST(Schedule, FirstScheduleSetsInitialLr) {
  auto w = ones({1}, DType::f64).requires_grad_();
  SGD opt({w}, {.lr = 0.2});
  auto inner = std::make_unique<StepLR>(opt, 2, 0.5);
  EXPECT_EQ(*opt.param_groups()[0].initial_lr, 0.2);
  LinearWarmup warm(opt, std::move(inner), 4, 0.5);
  EXPECT_EQ(warm.base_lrs(), (std::vector<double>{0.2}));
  EXPECT_EQ(warm.last_lr(), (std::vector<double>{0.1}));
  // A later schedule starts from initial_lr, not from the warmed-down lr.
  ExponentialLR later(opt, 0.9);
  EXPECT_EQ(later.base_lrs(), (std::vector<double>{0.2}));
  // initial_lr travels with the optimizer's state dict.
  EXPECT_EQ(opt.state_dict().scalars.at("param_groups.0.initial_lr"), 0.2);
}

TEST(Schedule, OneCycleSetsAdamBeta1AndKeepsBeta2) {
  auto w = ones({1}, DType::f64).requires_grad_();
  Adam opt({w}, {.lr = 0.1, .betas = {0.9, 0.98}});
  OneCycleLR sched(opt, 0.1, 10);
  EXPECT_EQ(opt.param_groups()[0].betas->first, 0.95);
  EXPECT_EQ(opt.param_groups()[0].betas->second, 0.98);
  EXPECT_DOUBLE_EQ(sched.last_lr()[0], 0.1 / 25.0);
  for (int i = 0; i < 3; ++i) sched.step();
  EXPECT_EQ(sched.lr_at(2, 0), 0.1);  // the peak, at step pct_start * total_steps - 1
  EXPECT_EQ(opt.param_groups()[0].betas->first, sched.momentum_at(3, 0));
  EXPECT_LT(*opt.param_groups()[0].lr, 0.1);
}

TEST(Schedule, PlateauStepsOnMetric) {
  auto w = ones({1}, DType::f64).requires_grad_();
  SGD opt({w}, {.lr = 1.0});
  ReduceLROnPlateau sched(opt, {.factor = 0.5, .patience = 0});
  EXPECT_EQ(sched.last_lr(), (std::vector<double>{1.0}));
  sched.step(1.0);
  EXPECT_EQ(sched.last_lr(), (std::vector<double>{1.0}));
  sched.step(std::nan(""));  // NaN is never an improvement
  EXPECT_EQ(sched.last_lr(), (std::vector<double>{0.5}));
}

// Each optimizer drives a small least-squares problem to its minimum.
TEST(Optimizer, ConvergesOnLeastSquares) {
  Generator gen(7);
  const Tensor x = randn({32, 4}, DType::f64, Device::cpu(), &gen);
  const Tensor w_true = from_vector<double>({1.0, -2.0, 0.5, 3.0}, {4, 1});
  const Tensor y = matmul(x, w_true);
  auto run = [&](auto make_opt, int steps) {
    auto w = zeros({4, 1}, DType::f64).requires_grad_();
    auto opt = make_opt(w);
    double loss_v = 0;
    for (int i = 0; i < steps; ++i) {
      opt->zero_grad();
      Tensor loss = mse_loss(matmul(x, w), y);
      loss_v = loss.item<double>();
      loss.backward();
      clip_grad_norm_({w}, 10.0);
      opt->step();
    }
    return loss_v;
  };
  EXPECT_LT(run(
                [](Tensor w) {
                  return std::make_unique<SGD>(
                      std::vector<Tensor>{w},
                      SGDOptions{.lr = 0.05, .momentum = 0.9, .nesterov = true});
                },
                300),
            1e-8);
  EXPECT_LT(run(
                [](Tensor w) {
                  return std::make_unique<Adam>(std::vector<Tensor>{w}, AdamOptions{.lr = 0.05});
                },
                600),
            1e-6);
  EXPECT_LT(run(
                [](Tensor w) {
                  return std::make_unique<AdamW>(
                      std::vector<Tensor>{w},
                      AdamWOptions{.lr = 0.05, .weight_decay = 0.0, .amsgrad = true});
                },
                600),
            1e-6);
}

}  // namespace
