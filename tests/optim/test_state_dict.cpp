// Checkpoint round trips: saving an optimizer (and schedule) after k steps, loading into fresh
// ones and continuing gives bit-identical parameters to never stopping. Mismatched dicts are
// refused with a clear error and leave the optimizer unchanged.
#include <gtest/gtest.h>

#include <limits>

#include "optim/fixture.h"

namespace {

using namespace ember;
using namespace ember::optim;
using optim_test::Case;

std::vector<std::vector<double>> values(const std::vector<Tensor>& ts) {
  std::vector<std::vector<double>> out;
  for (const auto& t : ts) out.push_back(t.to_vector<double>());
  return out;
}

// Exact equality of two state dicts (tensors compared element by element).
void expect_same_dict(const StateDict& a, const StateDict& b) {
  EXPECT_EQ(a.strings, b.strings);
  EXPECT_EQ(a.scalars, b.scalars);
  ASSERT_EQ(a.tensors.size(), b.tensors.size());
  for (const auto& [k, t] : a.tensors) {
    ASSERT_TRUE(b.tensors.count(k)) << k;
    EXPECT_EQ(t.shape(), b.tensors.at(k).shape()) << k;
    EXPECT_EQ(t.to_vector<double>(), b.tensors.at(k).to_vector<double>()) << k;
  }
}

TEST(OptimStateDict, RoundTripIsBitIdenticalForEveryOptimizerCase) {
  for (const Case* c : optim_test::cases_of("optimizer")) {
    const int steps = c->steps();
    for (int k : {0, 1, 3}) {
      SCOPED_TRACE(c->name + " saved after " + std::to_string(k) + " steps");
      auto a = optim_test::build_optimizer(*c);
      for (int s = 1; s <= k; ++s) {
        optim_test::set_grads(*c, a, s);
        a.opt->step();
      }
      const StateDict saved = a.opt->state_dict();

      // A fresh optimizer over parameters holding the values at step k.
      auto b = optim_test::build_optimizer(*c);
      {
        NoGradGuard ng;
        for (size_t i = 0; i < a.params.size(); ++i) b.params[i].copy_(a.params[i]);
      }
      b.opt->load_state_dict(saved);
      expect_same_dict(b.opt->state_dict(), saved);

      for (int s = k + 1; s <= steps; ++s) {
        optim_test::set_grads(*c, a, s);
        a.opt->step();
        optim_test::set_grads(*c, b, s);
        b.opt->step();
      }
      EXPECT_EQ(values(a.params), values(b.params));
      // The snapshot is a copy: stepping `a` on did not change it.
      if (k > 0) {
        auto c2 = optim_test::build_optimizer(*c);
        c2.opt->load_state_dict(saved);
        expect_same_dict(c2.opt->state_dict(), saved);
      }
    }
  }
}

TEST(OptimStateDict, ScheduleRoundTripContinuesExactly) {
  // SGD with momentum under warmup + cosine, saved mid-warmup and mid-cosine.
  auto make = [](std::vector<Tensor>& params) {
    params = {from_vector<double>({1.0, -2.0, 0.5}, {3}).requires_grad_(),
              from_vector<double>({0.3, 0.7}, {2}).requires_grad_()};
    auto opt = std::make_unique<SGD>(
        std::vector<ParamGroup>{ParamGroup{.params = {params[0]}},
                                ParamGroup{.params = {params[1]}, .lr = 0.02}},
        SGDOptions{.lr = 0.1, .momentum = 0.9, .nesterov = true});
    auto sched = std::make_unique<LinearWarmup>(
        *opt, std::make_unique<CosineAnnealingLR>(*opt, 10, 1e-3), 4, 0.1);
    return std::pair{std::move(opt), std::move(sched)};
  };
  auto grads = [](std::vector<Tensor>& params, int s) {
    params[0].set_grad(from_vector<double>({0.1 * s, -0.2, 0.3 / s}, {3}));
    params[1].set_grad(from_vector<double>({-0.5 + 0.1 * s, 0.25}, {2}));
  };
  for (int k : {2, 7}) {
    SCOPED_TRACE(k);
    std::vector<Tensor> pa, pb;
    auto [oa, sa] = make(pa);
    for (int s = 1; s <= k; ++s) {
      grads(pa, s);
      oa->step();
      sa->step();
    }
    const StateDict opt_saved = oa->state_dict();
    const StateDict sched_saved = sa->state_dict();
    EXPECT_EQ(sched_saved.strings.at("inner.type"), "cosine_annealing_lr");

    auto [ob, sb] = make(pb);
    {
      NoGradGuard ng;
      for (size_t i = 0; i < pa.size(); ++i) pb[i].copy_(pa[i]);
    }
    ob->load_state_dict(opt_saved);
    sb->load_state_dict(sched_saved);
    EXPECT_EQ(sb->last_step(), k);
    EXPECT_EQ(sb->last_lr(), sa->last_lr());
    for (int s = k + 1; s <= 15; ++s) {
      grads(pa, s);
      oa->step();
      sa->step();
      grads(pb, s);
      ob->step();
      sb->step();
      EXPECT_EQ(sa->last_lr(), sb->last_lr());
    }
    EXPECT_EQ(values(pa), values(pb));
  }
}

TEST(OptimStateDict, PlateauRoundTrip) {
  auto p = zeros({1}, DType::f64).requires_grad_();
  SGD oa({p}, {.lr = 1.0});
  ReduceLROnPlateau a(oa, {.factor = 0.5, .patience = 1, .cooldown = 2});
  const double metrics[] = {1.0, 1.0, 1.0, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1};
  for (int s = 0; s < 4; ++s) a.step(metrics[s]);
  const StateDict so = oa.state_dict(), ss = a.state_dict();

  auto q = zeros({1}, DType::f64).requires_grad_();
  SGD ob({q}, {.lr = 1.0});
  ReduceLROnPlateau b(ob, {.factor = 0.5, .patience = 1, .cooldown = 2});
  ob.load_state_dict(so);
  b.load_state_dict(ss);
  EXPECT_EQ(b.best(), a.best());
  EXPECT_EQ(b.cooldown_counter(), a.cooldown_counter());
  for (int s = 4; s < 10; ++s) {
    a.step(metrics[s]);
    b.step(metrics[s]);
    EXPECT_EQ(a.last_lr(), b.last_lr()) << s;
  }
  EXPECT_EQ(b.last_step(), 10);
  // A fresh plateau's best is +inf (mode min), which the dict carries as is.
  EXPECT_EQ(ReduceLROnPlateau(ob).state_dict().scalars.at("best"),
            std::numeric_limits<double>::infinity());
}

// ---------------------------------------------------------------------- mismatched dicts

struct Trained {
  std::vector<Tensor> params;
  std::unique_ptr<Adam> opt;
};

Trained trained_adam(Shape second = {2}) {
  Trained t;
  t.params = {ones({3}, DType::f64).requires_grad_(), ones(second, DType::f64).requires_grad_()};
  t.opt = std::make_unique<Adam>(t.params, AdamOptions{.lr = 0.1, .amsgrad = true});
  for (auto& p : t.params) p.set_grad(full_like(p, 0.5));
  t.opt->step();
  return t;
}

void expect_load_error(const StateDict& d, const std::string& needle) {
  auto t = trained_adam();
  const StateDict before = t.opt->state_dict();
  try {
    t.opt->load_state_dict(d);
    ADD_FAILURE() << "expected an error containing '" << needle << "'";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
  expect_same_dict(t.opt->state_dict(), before);  // nothing changed
}

TEST(OptimStateDict, MismatchedDictsAreRefused) {
  const StateDict good = trained_adam().opt->state_dict();
  {
    StateDict d = good;
    d.strings["type"] = "sgd";
    expect_load_error(d, "from a 'sgd' optimizer");
  }
  {
    StateDict d = good;
    d.strings.clear();
    expect_load_error(d, "no 'type'");
  }
  {
    StateDict d = trained_adam({2, 2}).opt->state_dict();
    expect_load_error(d, "has shape [2, 2] but parameter 1 has shape [2]");
  }
  {
    StateDict d = good;
    d.scalars["num_groups"] = 2;
    expect_load_error(d, "2 param groups");
  }
  {
    StateDict d = good;
    d.scalars["param_groups.0.num_params"] = 3;
    expect_load_error(d, "has 3 parameters in the state dict but 2");
  }
  {
    StateDict d = good;
    d.scalars.erase("param_groups.0.beta2");
    expect_load_error(d, "missing key 'param_groups.0.beta2'");
  }
  {
    StateDict d = good;
    d.scalars["param_groups.0.lr"] = -1.0;
    expect_load_error(d, "lr must be >= 0, got -1");
  }
  {
    StateDict d = good;
    d.tensors["state.0.momentum_buffer"] = zeros({3}, DType::f64);
    expect_load_error(d, "unexpected tensor state 'momentum_buffer'");
  }
  {
    StateDict d = good;
    d.tensors["state.5.exp_avg"] = zeros({3}, DType::f64);
    expect_load_error(d, "names parameter 5, but the optimizer has 2");
  }
  {
    StateDict d = good;
    d.scalars["whatever"] = 1.0;
    expect_load_error(d, "unexpected scalar key 'whatever'");
  }
  {
    StateDict d = good;
    d.scalars.erase("state.1.step");
    expect_load_error(d, "has no 'step'");
  }
  {
    StateDict d = good;
    d.tensors.erase("state.0.exp_avg_sq");
    expect_load_error(d, "has no 'exp_avg_sq'");
  }
}

TEST(OptimStateDict, SchedulesRefuseOtherTypes) {
  auto p = zeros({1}, DType::f64).requires_grad_();
  SGD opt({p}, {.lr = 1.0});
  StepLR step(opt, 2);
  ExponentialLR expo(opt, 0.9);
  EXPECT_THROW(step.load_state_dict(expo.state_dict()), ValueError);
  StateDict d = step.state_dict();
  d.scalars.erase("last_step");
  EXPECT_THROW(step.load_state_dict(d), ValueError);
  LinearWarmup bare(opt, nullptr, 3);
  EXPECT_THROW(
      bare.load_state_dict(LinearWarmup(opt, std::make_unique<StepLR>(opt, 2), 3).state_dict()),
      ValueError);
  ReduceLROnPlateau plateau(opt);
  EXPECT_THROW(plateau.load_state_dict(step.state_dict()), ValueError);
}

}  // namespace
