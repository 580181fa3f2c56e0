// Optimizer steps, schedules and gradient clipping against PyTorch (torch 1.13) reference
// values from tests/data/optim_reference.txt (made by make_optim_fixtures.py). Every case
// runs in f64 with a 1e-12 relative tolerance; optimizer cases also run in f32 (loosely).
#include <gtest/gtest.h>

#include <cmath>

#include "optim/fixture.h"
#include "testing/assert_close.h"

namespace {

using namespace ember;
using namespace ember::optim;
using ember::testing::assert_close;
using ember::testing::Tol;
using optim_test::Case;
using optim_test::close;
using optim_test::num;

void run_optimizer_case(const Case& c, DType dtype, double rel, double abs) {
  SCOPED_TRACE(c.name + " (" + std::string(dtype_name(dtype)) + ")");
  auto b = optim_test::build_optimizer(c, dtype);
  const int steps = c.steps();
  ASSERT_GT(steps, 0);
  for (int s = 1; s <= steps; ++s) {
    optim_test::set_grads(c, b, s);
    b.opt->step();
    bool ok = true;
    for (const auto* r : c.all("expect")) {
      if (static_cast<int>(num(r->f.at(0))) != s) continue;
      const auto i = static_cast<size_t>(num(r->f.at(1)));
      // |got - want| <= rel * |want| + abs, as optim_test::close; finite values only.
      const ::testing::AssertionResult match =
          assert_close(b.params.at(i), optim_test::parse_tensor(r->f, 2), Tol{abs, rel, /*require_finite=*/true},
                       fmt::format("step {} param {}", s, i));
      EXPECT_TRUE(match);
      ok = match && ok;
    }
    if (!ok) return;  // later steps only repeat the divergence
  }
}

TEST(OptimReference, FixtureHasEveryFamily) {
  EXPECT_GE(optim_test::cases_of("optimizer").size(), 17u);
  EXPECT_GE(optim_test::cases_of("schedule").size(), 13u);
  EXPECT_GE(optim_test::cases_of("clip").size(), 6u);
}

TEST(OptimReference, OptimizersF64) {
  for (const Case* c : optim_test::cases_of("optimizer"))
    run_optimizer_case(*c, DType::f64, 1e-12, 1e-15);
}

TEST(OptimReference, OptimizersF32) {
  for (const Case* c : optim_test::cases_of("optimizer"))
    run_optimizer_case(*c, DType::f32, 2e-5, 2e-6);
}

// Undefined grads in the fixture desynchronise Adam's per-parameter step counts.
TEST(OptimReference, AdamStepCountsArePerParameter) {
  const Case* c = nullptr;
  for (const Case* k : optim_test::cases_of("optimizer"))
    if (k->name == "adam") c = k;
  ASSERT_NE(c, nullptr);
  auto b = optim_test::build_optimizer(*c);
  for (int s = 1; s <= c->steps(); ++s) {
    optim_test::set_grads(*c, b, s);
    b.opt->step();
  }
  std::vector<double> steps;
  for (const auto& p : b.params) steps.push_back(b.opt->state(p)->scalars.at("step"));
  EXPECT_EQ(steps, (std::vector<double>{6, 5, 4}));
}

bool expect_lrs(const Case& c, int s, const std::vector<double>& got, const char* kind) {
  bool ok = true;
  for (const auto* r : c.all(kind)) {
    if (static_cast<int>(num(r->f.at(0))) != s) continue;
    EXPECT_EQ(got.size() + 1, r->f.size()) << kind << " at step " << s;
    if (got.size() + 1 != r->f.size()) return false;
    for (size_t g = 0; g < got.size(); ++g) {
      const double want = num(r->f[g + 1]);
      const bool good = close(got[g], want, 1e-12, 1e-17);
      EXPECT_TRUE(good) << kind << " of group " << g << " at step " << s << ": got "
                        << fmt::format("{:.17g}", got[g]) << ", want "
                        << fmt::format("{:.17g}", want);
      ok = ok && good;
    }
  }
  return ok;
}

TEST(OptimReference, Schedules) {
  for (const Case* c : optim_test::cases_of("schedule")) {
    SCOPED_TRACE(c->name);
    auto b = optim_test::build_schedule(*c);
    std::vector<double> metrics(c->steps() + 1, 0.0);
    for (const auto* r : c->all("metric"))
      metrics.at(static_cast<size_t>(num(r->f.at(0)))) = num(r->f.at(1));
    const bool adam = c->args().at("optimizer").at(0) == "adam";
    auto check = [&](int s) {
      std::vector<double> lrs, moms;
      for (const auto& g : b.opt->param_groups()) {
        lrs.push_back(*g.lr);
        moms.push_back(adam ? g.betas->first : *g.momentum);
      }
      const auto& last = b.sched ? b.sched->last_lr() : b.plateau->last_lr();
      EXPECT_EQ(last, lrs) << "last_lr() differs from the groups' lr at step " << s;
      const bool ok = expect_lrs(*c, s, lrs, "lr");
      return expect_lrs(*c, s, moms, "momentum") && ok && last == lrs;
    };
    if (!check(0)) continue;
    for (int s = 1; s <= c->steps(); ++s) {
      if (b.sched)
        b.sched->step();
      else
        b.plateau->step(metrics[s]);
      if (!check(s)) break;
    }
    if (b.sched) EXPECT_EQ(b.sched->last_step(), c->steps());
  }
}

// lr_at is the closed form that step() applies.
TEST(OptimReference, LrAtMatchesStep) {
  for (const Case* c : optim_test::cases_of("schedule")) {
    if (c->type == "reduce_lr_on_plateau") continue;
    SCOPED_TRACE(c->name);
    auto b = optim_test::build_schedule(*c);
    for (int s = 1; s <= c->steps(); ++s) {
      b.sched->step();
      for (size_t g = 0; g < b.opt->param_groups().size(); ++g)
        EXPECT_EQ(b.sched->lr_at(s, g), *b.opt->param_groups()[g].lr);
    }
  }
}

TEST(OptimReference, Clipping) {
  for (const Case* c : optim_test::cases_of("clip")) {
    SCOPED_TRACE(c->name);
    std::vector<Tensor> params;
    for (const auto* r : c->all("param"))
      params.push_back(optim_test::parse_tensor(r->f, 2).requires_grad_());
    for (const auto* r : c->all("grad"))
      params.at(static_cast<size_t>(num(r->f.at(1)))).set_grad(optim_test::parse_tensor(r->f, 2));
    const auto a = c->args();
    if (c->type == "clip_grad_norm") {
      const double total =
          clip_grad_norm_(params, num(a.at("max_norm").at(0)), num(a.at("norm_type").at(0)));
      const double want = num(c->all("total").at(0)->f.at(0));
      EXPECT_TRUE(close(total, want))
          << fmt::format("total norm {:.17g}, want {:.17g}", total, want);
    } else {
      clip_grad_value_(params, num(a.at("clip_value").at(0)));
    }
    size_t expected = 0;
    for (const auto* r : c->all("expect")) {
      const auto i = static_cast<size_t>(num(r->f.at(1)));
      EXPECT_TRUE(assert_close(params.at(i).grad(), optim_test::parse_tensor(r->f, 2),
                               Tol{1e-15, 1e-12, /*require_finite=*/true}, fmt::format("grad {}", i)));
      ++expected;
    }
    size_t with_grad = 0;
    for (const auto& p : params) with_grad += p.grad().defined();
    EXPECT_EQ(with_grad, expected) << "a parameter without grad must stay without one";
  }
}

}  // namespace
