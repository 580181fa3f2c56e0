// Bad input to optimizers, schedules and clipping: each gets an ember::Error whose message
// names the op and the value.
#include <ember/ember.h>
#include <ember/optim/optim.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

namespace {

using namespace ember;
using namespace ember::optim;

template <class E = ValueError, class F>
void expect_error(F&& f, const std::string& needle) {
  try {
    f();
    ADD_FAILURE() << "expected an error containing '" << needle << "'";
  } catch (const E& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

Tensor param(Shape s = {2}) { return ones(s, DType::f64).requires_grad_(); }

TEST(OptimErrors, SgdSettings) {
  auto p = param();
  expect_error([&] { SGD({p}, {.lr = -0.1}); }, "sgd: lr must be >= 0, got -0.1");
  expect_error([&] { SGD({p}, {.lr = std::nan("")}); }, "sgd: lr must be >= 0, got nan");
  expect_error([&] { SGD({p}, {.momentum = -0.5}); }, "sgd: momentum must be >= 0, got -0.5");
  expect_error([&] { SGD({p}, {.weight_decay = -1}); }, "sgd: weight_decay must be >= 0, got -1");
  expect_error([&] { SGD({p}, {.nesterov = true}); }, "nesterov needs momentum > 0");
  expect_error([&] { SGD({p}, {.momentum = 0.9, .dampening = 0.1, .nesterov = true}); },
               "dampening 0.1");
}

TEST(OptimErrors, AdamSettings) {
  auto p = param();
  expect_error([&] { Adam({p}, {.lr = -1}); }, "adam: lr must be >= 0, got -1");
  expect_error(
      [&] {
        Adam({p}, {.betas = {1.0, 0.999}});
      },
      "adam: betas[0] must be in [0, 1), got 1");
  expect_error(
      [&] {
        Adam({p}, {.betas = {0.9, -0.1}});
      },
      "adam: betas[1] must be in [0, 1), got -0.1");
  expect_error([&] { Adam({p}, {.eps = -1e-8}); }, "adam: eps must be >= 0");
  expect_error([&] { Adam({p}, {.weight_decay = -0.1}); }, "adam: weight_decay must be >= 0");
  expect_error(
      [&] {
        AdamW({p}, {.betas = {0.9, 1.5}});
      },
      "adamw: betas[1] must be in [0, 1), got 1.5");
  expect_error([&] { AdamW({p}, {.lr = -3}); }, "adamw: lr must be >= 0, got -3");
}

TEST(OptimErrors, Parameters) {
  // Parameters that do not require grad are accepted and skipped (test_freeze.cpp).
  expect_error([&] { Adam(std::vector<Tensor>{}); }, "adam: got an empty parameter list");
  expect_error([&] { SGD({Tensor()}); }, "parameter 0 is undefined");
  auto p = param();
  expect_error([&] { SGD({p, p}); }, "appears more than once");
  expect_error([&] { SGD({p * 2.0}); }, "is not a leaf tensor");
  expect_error([&] { SGD({zeros({2}, DType::i64)}); },
               "has dtype int64; only floating-point tensors can be optimized");
  auto q = param();
  expect_error(
      [&] {
        SGD(std::vector<ParamGroup>{{.params = {p}},
                                    {.params = {q}, .betas = std::pair{0.9, 0.9}}});
      },
      "sgd: param group 1 sets betas, which sgd does not use");
  expect_error([&] { Adam(std::vector<ParamGroup>{{.params = {p}, .momentum = 0.9}}); },
               "adam: param group 0 sets momentum, which adam does not use");
  expect_error(
      [&] {
        SGD(std::vector<ParamGroup>{{.params = {p}}, {.params = {q}, .lr = -2}});
      },
      "sgd: lr must be >= 0, got -2 (param group 1)");
}

TEST(OptimErrors, SettingsAreCheckedAgainAtStep) {
  auto p = param();
  SGD opt({p}, {.lr = 0.1});
  p.set_grad(ones_like(p));
  opt.param_groups()[0].lr = -0.5;
  expect_error([&] { opt.step(); }, "sgd: lr must be >= 0, got -0.5");
  EXPECT_EQ(p.to_vector<double>(), (std::vector<double>{1, 1}));  // nothing updated
  opt.param_groups()[0].lr = std::nullopt;
  expect_error([&] { opt.step(); }, "sgd: param group 0 has no lr");
  opt.param_groups()[0].lr = 0.1;
  auto q = param();
  expect_error([&] { opt.add_param_group({.params = {q}, .momentum = -1}); },
               "sgd: momentum must be >= 0, got -1 (param group 1)");
  EXPECT_EQ(opt.param_groups().size(), 1u);
  expect_error([&] { opt.add_param_group({.params = {p}}); }, "appears more than once");
}

TEST(OptimErrors, Schedules) {
  auto p = param();
  SGD opt({p}, {.lr = 0.1, .momentum = 0.9});
  expect_error([&] { StepLR(opt, 0); }, "step_lr: step_size must be >= 1, got 0");
  expect_error(
      [&] {
        MultiStepLR(opt, {3, -1});
      },
      "multi_step_lr: milestones must be >= 0, got -1");
  expect_error([&] { ExponentialLR(opt, -0.5); },
               "exponential_lr: gamma must be finite and >= 0, got -0.5");
  expect_error([&] { CosineAnnealingLR(opt, 0); },
               "cosine_annealing_lr: t_max must be >= 1, got 0");
  expect_error([&] { CosineAnnealingLR(opt, 10, -1.0); },
               "eta_min must be finite and >= 0, got -1");
  expect_error([&] { LinearWarmup(opt, nullptr, 0); },
               "linear_warmup: warmup_steps must be >= 1, got 0");
  expect_error([&] { LinearWarmup(opt, nullptr, 5, 1.5); },
               "start_factor must be in [0, 1], got 1.5");
  auto other_p = param();
  SGD other({other_p});
  expect_error([&] { LinearWarmup(opt, std::make_unique<StepLR>(other, 3), 5); },
               "built on another optimizer");
  expect_error([&] { OneCycleLR(opt, 1.0, 0); }, "one_cycle_lr: total_steps must be >= 1, got 0");
  expect_error(
      [&] {
        OneCycleLR(opt, std::vector<double>{1.0, 2.0}, 10);
      },
      "got 2 max_lrs for 1 param groups");
  expect_error([&] { OneCycleLR(opt, 1.0, 10, {.pct_start = 1.5}); },
               "pct_start must be in [0, 1], got 1.5");
  OneCycleLR one(opt, 1.0, 3);
  one.step();
  one.step();
  one.step();
  expect_error([&] { one.step(); }, "one_cycle_lr: stepped 4 times, but total_steps is 3");
  EXPECT_EQ(one.last_step(), 3);

  expect_error([&] { ReduceLROnPlateau(opt, {.factor = 1.0}); },
               "reduce_lr_on_plateau: factor must be in [0, 1), got 1");
  expect_error([&] { ReduceLROnPlateau(opt, {.patience = -1}); }, "patience must be >= 0, got -1");
  expect_error(
      [&] {
        ReduceLROnPlateau(opt, {.min_lrs = {0.1, 0.2}});
      },
      "got 2 min_lrs for 1 param groups");

  StepLR step(opt, 2);
  opt.add_param_group({.params = {param()}});
  expect_error([&] { step.step(); },
               "step_lr: the optimizer has 2 param groups but the schedule was built for 1");
}

TEST(OptimErrors, Clipping) {
  auto p = param();
  p.set_grad(full_like(p, 3.0));
  expect_error([&] { clip_grad_norm_({p}, -1.0); },
               "clip_grad_norm_: max_norm must be >= 0, got -1");
  expect_error([&] { clip_grad_norm_({p}, 1.0, 0.0); }, "norm_type must be > 0 or infinity, got 0");
  expect_error([&] { clip_grad_value_({p}, -0.1); },
               "clip_grad_value_: clip_value must be >= 0, got -0.1");
  auto q = param();
  q.set_grad(from_vector<double>({1.0, std::numeric_limits<double>::infinity()}, {2}));
  expect_error(
      [&] {
        clip_grad_norm_({p, q}, 1.0, 2.0, /*error_if_nonfinite=*/true);
      },
      "the total norm of order 2 of the gradients is inf");
  EXPECT_EQ(p.grad().to_vector<double>(), (std::vector<double>{3, 3}));  // left unchanged
  expect_error([&] { grad_norm({p}, -2.0); }, "grad_norm: norm_type must be > 0 or infinity, got -2");
}

// grad_norm measures what clip_grad_norm_ measures and changes nothing, non-finite grads
// included (clip_grad_norm_ would multiply those by NaN).
TEST(GradNorm, MeasuresWithoutChanging) {
  auto p = param(), q = param(), untouched = param();
  p.set_grad(from_vector<double>({3.0, 0.0}, {2}));
  q.set_grad(from_vector<double>({0.0, 4.0}, {2}));
  EXPECT_DOUBLE_EQ(grad_norm({p, q, untouched}), 5.0);
  EXPECT_DOUBLE_EQ(grad_norm({p, q}, INFINITY), 4.0);
  EXPECT_DOUBLE_EQ(grad_norm({p, q}, 1.0), 7.0);
  EXPECT_DOUBLE_EQ(grad_norm({untouched}), 0.0);
  q.set_grad(from_vector<double>({std::nan(""), 4.0}, {2}));
  EXPECT_TRUE(std::isnan(grad_norm({p, q})));
  EXPECT_EQ(p.grad().to_vector<double>(), (std::vector<double>{3, 0}));
  EXPECT_TRUE(std::isnan(q.grad().to_vector<double>()[0]));
  EXPECT_EQ(q.grad().to_vector<double>()[1], 4.0);
}

}  // namespace
