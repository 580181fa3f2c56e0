// The fused updates (kernel::FusedSGD / FusedAdam) against the per-tensor path they
// replace. Anomaly mode turns fusion off, so the same optimizer run under
// DetectAnomalyGuard is the per-tensor reference; in f32 and f64 both must give the same
// bits (the fused math rounds op for op like the tensor ops), for values above FLT_MIN: the
// fused CPU kernels flush subnormal results to zero (test_flush_denormals.cpp).
#include <ember/core/dispatch.h>
#include <ember/ember.h>
#include <ember/optim/optim.h>
#include <gtest/gtest.h>

#include <functional>
#include <memory>

#include "testing/assert_close.h"

namespace {

using namespace ember;
using namespace ember::optim;
using ember::testing::assert_close;
using ember::testing::Tol;
using MakeOpt = std::function<std::unique_ptr<Optimizer>(std::vector<ParamGroup>)>;

std::vector<Shape> shapes() { return {{40000}, {3}, {1}, {17, 9}, {2, 1, 5}}; }

struct Trained {
  std::vector<Tensor> params;
  std::unique_ptr<Optimizer> opt;
};

// Two groups (the second holding the last two shapes); parameter 2 is skipped on step 1 and
// the last parameter on step 2, so step counts differ and a group's last parameter may have
// no gradient.
Trained run_steps(DType dtype, bool fused, const MakeOpt& make, int steps = 4) {
  const auto s = shapes();
  Trained r;
  for (size_t k = 0; k < s.size(); ++k) {
    Generator g(10 + k);
    r.params.push_back(randn(s[k], dtype, Device::cpu(), &g).requires_grad_());
  }
  std::vector<ParamGroup> groups(2);
  groups[0].params = {r.params[0], r.params[1], r.params[2]};
  groups[1].params = {r.params[3], r.params[4]};
  r.opt = make(groups);
  for (int step = 0; step < steps; ++step) {
    for (size_t k = 0; k < s.size(); ++k) {
      if ((step == 1 && k == 2) || (step == 2 && k + 1 == s.size())) {
        r.params[k].zero_grad();
        continue;
      }
      Generator g(1000 * (step + 1) + k);
      r.params[k].set_grad(randn(s[k], dtype, Device::cpu(), &g));
    }
    DetectAnomalyGuard anomaly(!fused);
    r.opt->step();
  }
  return r;
}

// Parameters and state equal element for element (and finite).
void expect_identical(const Trained& fused, const Trained& ref, const char* what) {
  const Tol exact{0.0, 0.0, /*require_finite=*/true};
  for (size_t k = 0; k < ref.params.size(); ++k) {
    EXPECT_TRUE(assert_close(fused.params[k], ref.params[k], exact, fmt::format("{} param {}", what, k)));
    const ParamState* a = fused.opt->state(fused.params[k]);
    const ParamState* b = ref.opt->state(ref.params[k]);
    ASSERT_NE(a, nullptr);
    ASSERT_NE(b, nullptr);
    EXPECT_EQ(a->scalars, b->scalars) << what << " param " << k;
    ASSERT_EQ(a->tensors.size(), b->tensors.size()) << what << " param " << k;
    for (const auto& [name, t] : b->tensors) {
      ASSERT_TRUE(a->tensors.count(name)) << what << " param " << k << " " << name;
      const Tensor& u = a->tensors.at(name);
      EXPECT_TRUE(u.is_contiguous());
      EXPECT_EQ(u.dtype(), t.dtype());
      EXPECT_EQ(u.shape(), t.shape());
      EXPECT_TRUE(assert_close(u, t, exact, fmt::format("{} param {} {}", what, k, name)));
    }
  }
}

void check(const char* what, const MakeOpt& make) {
  expect_identical(run_steps(DType::f64, true, make), run_steps(DType::f64, false, make), what);
  expect_identical(run_steps(DType::f32, true, make), run_steps(DType::f32, false, make), what);
}

TEST(FusedOptim, SGDMatchesPerTensorPath) {
  check("sgd", [](std::vector<ParamGroup> g) { return std::make_unique<SGD>(g, SGDOptions{.lr = 0.1}); });
  check("sgd momentum", [](std::vector<ParamGroup> g) {
    return std::make_unique<SGD>(g, SGDOptions{.lr = 0.1, .momentum = 0.9});
  });
  check("sgd nesterov wd", [](std::vector<ParamGroup> g) {
    return std::make_unique<SGD>(g, SGDOptions{.lr = 0.05, .momentum = 0.9, .weight_decay = 0.01, .nesterov = true});
  });
  check("sgd dampening", [](std::vector<ParamGroup> g) {
    return std::make_unique<SGD>(g, SGDOptions{.lr = 0.1, .momentum = 0.7, .dampening = 0.4, .weight_decay = 1e-3});
  });
}

TEST(FusedOptim, AdamMatchesPerTensorPath) {
  check("adam", [](std::vector<ParamGroup> g) { return std::make_unique<Adam>(g, AdamOptions{.lr = 1e-2}); });
  check("adam wd amsgrad", [](std::vector<ParamGroup> g) {
    return std::make_unique<Adam>(g, AdamOptions{.lr = 1e-2, .weight_decay = 0.1, .amsgrad = true});
  });
  check("adamw", [](std::vector<ParamGroup> g) {
    return std::make_unique<AdamW>(g, AdamWOptions{.lr = 1e-2, .betas = {0.8, 0.95}, .weight_decay = 0.1});
  });
  check("adamw amsgrad", [](std::vector<ParamGroup> g) {
    return std::make_unique<AdamW>(g, AdamWOptions{.lr = 3e-3, .amsgrad = true});
  });
}

// Group settings changed between steps (momentum switched on, amsgrad switched on) take
// effect on the fused path as on the per-tensor one.
TEST(FusedOptim, SettingsChangedMidTraining) {
  auto sgd = [](bool fused) {
    Trained r = run_steps(DType::f64, fused,
                      [](std::vector<ParamGroup> g) { return std::make_unique<SGD>(g, SGDOptions{.lr = 0.1}); }, 2);
    r.opt->param_groups()[0].momentum = 0.9;
    for (int step = 0; step < 2; ++step) {
      for (size_t k = 0; k < r.params.size(); ++k) {
        Generator g(77 + k + step);
        r.params[k].set_grad(randn(r.params[k].shape(), DType::f64, Device::cpu(), &g));
      }
      DetectAnomalyGuard anomaly(!fused);
      r.opt->step();
    }
    return r;
  };
  expect_identical(sgd(true), sgd(false), "sgd momentum switched on");
  auto adam = [](bool fused) {
    Trained r = run_steps(DType::f64, fused,
                      [](std::vector<ParamGroup> g) { return std::make_unique<Adam>(g, AdamOptions{.lr = 0.1}); }, 2);
    r.opt->param_groups()[1].amsgrad = true;
    for (size_t k = 0; k < r.params.size(); ++k) {
      Generator g(91 + k);
      r.params[k].set_grad(randn(r.params[k].shape(), DType::f64, Device::cpu(), &g));
    }
    DetectAnomalyGuard anomaly(!fused);
    r.opt->step();
    return r;
  };
  expect_identical(adam(true), adam(false), "adam amsgrad switched on");
}

// A group mixing dtypes (or holding a non-contiguous parameter) is updated tensor by
// tensor; the fusable group beside it still gives the per-tensor result.
TEST(FusedOptim, MixedGroupsFallBack) {
  auto build = [](bool fused) {
    Tensor a = ones({4}, DType::f32).requires_grad_();
    Tensor b = ones({3}, DType::f64).requires_grad_();
    Tensor c = full({6}, 2.0, DType::f64).requires_grad_();
    Adam opt(std::vector<ParamGroup>{{.params = {a, b}}, {.params = {c}, .lr = 0.5}}, {.lr = 0.1});
    for (int step = 0; step < 3; ++step) {
      a.set_grad(full({4}, 0.5 + step, DType::f32));
      b.set_grad(full({3}, -1.0 + step, DType::f64));
      c.set_grad(full({6}, 0.25 * step - 0.3, DType::f64));
      DetectAnomalyGuard anomaly(!fused);
      opt.step();
    }
    return std::vector<std::vector<double>>{a.to_vector<double>(), b.to_vector<double>(), c.to_vector<double>()};
  };
  EXPECT_EQ(build(true), build(false));
}

// The state dict keeps its layout, so checkpoints written before fusion still load.
TEST(FusedOptim, StateDictKeys) {
  Trained r = run_steps(DType::f32, true, [](std::vector<ParamGroup> g) {
    return std::make_unique<AdamW>(g, AdamWOptions{.amsgrad = true});
  });
  StateDict d = r.opt->state_dict();
  for (size_t k = 0; k < r.params.size(); ++k) {
    for (const char* name : {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"})
      EXPECT_TRUE(d.tensors.count(fmt::format("state.{}.{}", k, name))) << k << " " << name;
    EXPECT_TRUE(d.scalars.count(fmt::format("state.{}.step", k))) << k;
  }
  Trained s = run_steps(DType::f32, true, [](std::vector<ParamGroup> g) {
    return std::make_unique<SGD>(g, SGDOptions{.lr = 0.1, .momentum = 0.9});
  });
  StateDict e = s.opt->state_dict();
  for (size_t k = 0; k < s.params.size(); ++k)
    EXPECT_TRUE(e.tensors.count(fmt::format("state.{}.momentum_buffer", k))) << k;
}

// The kernels directly: f16/bf16 compute in f32 and round once per stored value.
TEST(FusedOptim, HalfKernelsRoundOnce) {
  for (DType d : {DType::f16, DType::bf16}) {
    Generator g(5);
    Tensor p32 = randn({1000}, DType::f32, Device::cpu(), &g);
    Tensor g32 = randn({1000}, DType::f32, Device::cpu(), &g);
    std::vector<Tensor> p{p32.to(d)}, gr{g32.to(d)}, m{zeros({1000}, d)}, v{zeros({1000}, d)};
    std::vector<Tensor> p_ref{p[0].to(DType::f32)}, g_ref{gr[0].to(DType::f32)}, m_ref{zeros({1000})},
        v_ref{zeros({1000})};
    const FusedAdamArgs a{.lr = 1e-2, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8, .step = 1};
    get_kernel<OpId::fused_adam>(Device::cpu())(p, gr, m, v, {}, a);
    get_kernel<OpId::fused_adam>(Device::cpu())(p_ref, g_ref, m_ref, v_ref, {}, a);
    EXPECT_EQ(p[0].to_vector<float>(), p_ref[0].to(d).to_vector<float>()) << dtype_name(d);
    EXPECT_EQ(m[0].to_vector<float>(), m_ref[0].to(d).to_vector<float>()) << dtype_name(d);
    EXPECT_EQ(v[0].to_vector<float>(), v_ref[0].to(d).to_vector<float>()) << dtype_name(d);
  }
}

}  // namespace

namespace {

// The optimizers route a fusable group to the kernel: an f16 step equals one direct kernel
// call (f32 math, one rounding), which the per-tensor path (a rounding per op) does not.
TEST(FusedOptim, FusableGroupsTakeTheKernel) {
  Generator g(6);
  Tensor p0 = randn({500}, DType::f16, Device::cpu(), &g), g0 = randn({500}, DType::f16, Device::cpu(), &g);
  Tensor p = p0.clone().requires_grad_();
  p.set_grad(g0);
  Adam opt({p}, {.lr = 1e-2, .weight_decay = 0.1});
  opt.step();
  std::vector<Tensor> kp{p0.clone()}, kg{g0}, km{zeros({500}, DType::f16)}, kv{zeros({500}, DType::f16)};
  get_kernel<OpId::fused_adam>(Device::cpu())(
      kp, kg, km, kv, {}, {.lr = 1e-2, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8, .weight_decay = 0.1, .step = 1});
  EXPECT_EQ(p.to_vector<float>(), kp[0].to_vector<float>());
  EXPECT_EQ(opt.state(p)->tensors.at("exp_avg_sq").to_vector<float>(), kv[0].to_vector<float>());

  Tensor q = p0.clone().requires_grad_();
  q.set_grad(g0);
  SGD sgd({q}, {.lr = 0.1, .momentum = 0.9, .weight_decay = 0.01});
  sgd.step();
  std::vector<Tensor> sp{p0.clone()}, sb{zeros({500}, DType::f16)};
  get_kernel<OpId::fused_sgd>(Device::cpu())(
      sp, kg, sb, {.lr = 0.1, .momentum = 0.9, .weight_decay = 0.01, .first_step = true});
  EXPECT_EQ(q.to_vector<float>(), sp[0].to_vector<float>());
  EXPECT_EQ(sgd.state(q)->tensors.at("momentum_buffer").to_vector<float>(), sb[0].to_vector<float>());
}

}  // namespace
