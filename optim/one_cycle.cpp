#include <cmath>
#include <numbers>

#include "ember/core/error.h"
#include "ember/optim/schedule.h"

namespace ember::optim {

OneCycleLR::OneCycleLR(Optimizer& opt, double max_lr, int64_t total_steps, OneCycleOptions options)
    : OneCycleLR(opt, std::vector<double>(opt.param_groups().size(), max_lr), total_steps,
                 options) {}

OneCycleLR::OneCycleLR(Optimizer& opt, std::vector<double> max_lrs, int64_t total_steps,
                       OneCycleOptions o)
    : LRScheduler(opt, "one_cycle_lr"), total_steps_(total_steps), o_(o) {
  auto& groups = opt_.param_groups();
  EMBER_CHECK(total_steps >= 1, ValueError, "one_cycle_lr: total_steps must be >= 1, got {}",
              total_steps);
  EMBER_CHECK(max_lrs.size() == groups.size(), ValueError,
              "one_cycle_lr: got {} max_lrs for {} param groups", max_lrs.size(), groups.size());
  EMBER_CHECK(o.pct_start >= 0.0 && o.pct_start <= 1.0, ValueError,
              "one_cycle_lr: pct_start must be in [0, 1], got {}", o.pct_start);
  EMBER_CHECK(o.div_factor > 0.0 && o.final_div_factor > 0.0, ValueError,
              "one_cycle_lr: div_factor and final_div_factor must be > 0, got {} and {}",
              o.div_factor, o.final_div_factor);
  for (size_t i = 0; i < groups.size(); ++i) {
    EMBER_CHECK(max_lrs[i] >= 0.0, ValueError, "one_cycle_lr: max_lr must be >= 0, got {}",
                max_lrs[i]);
    const double initial = max_lrs[i] / o.div_factor;
    lrs_[0].push_back(initial);
    lrs_[1].push_back(max_lrs[i]);
    lrs_[2].push_back(initial / o.final_div_factor);
    groups[i].initial_lr = initial;  // overrides an earlier schedule's, as in PyTorch
    base_lrs_[i] = initial;
  }
  if (o.cycle_momentum) {
    const auto& g0 = groups[0];
    EMBER_CHECK(g0.momentum.has_value() || g0.betas.has_value(), ValueError,
                "one_cycle_lr: cycle_momentum needs an optimizer with momentum or betas, and {} "
                "has neither",
                opt_.name());
    uses_betas_ = !g0.momentum.has_value();
  }
  const double n = static_cast<double>(total_steps);
  if (o.three_phase) {
    phases_ = {{o.pct_start * n - 1.0, 0, 1, true, false},
               {2.0 * o.pct_start * n - 2.0, 1, 0, false, true},
               {n - 1.0, 0, 2, true, true}};
  } else {
    phases_ = {{o.pct_start * n - 1.0, 0, 1, true, false}, {n - 1.0, 1, 2, false, true}};
  }
  initial_step();
}

double OneCycleLR::anneal(double start, double end, double pct) const {
  if (o_.anneal == OneCycleOptions::Anneal::linear) return (end - start) * pct + start;
  return end + (start - end) / 2.0 * (std::cos(std::numbers::pi * pct) + 1.0);
}

std::pair<size_t, double> OneCycleLR::locate(int64_t step) const {
  EMBER_CHECK(step <= total_steps_, ValueError,
              "one_cycle_lr: stepped {} times, but total_steps is {}", step, total_steps_);
  const double s = static_cast<double>(step);
  double start = 0.0;
  for (size_t i = 0; i < phases_.size(); ++i) {
    const double end = phases_[i].end_step;
    if (s <= end || i + 1 == phases_.size()) return {i, (s - start) / (end - start)};
    start = end;
  }
  return {phases_.size() - 1, 1.0};  // unreachable
}

double OneCycleLR::lr_at(int64_t step, size_t g) const {
  const auto [i, pct] = locate(step);
  const Phase& p = phases_[i];
  return anneal(lrs_[p.start_lr].at(g), lrs_[p.end_lr].at(g), pct);
}

double OneCycleLR::momentum_at(int64_t step, size_t g) const {
  const auto [i, pct] = locate(step);
  const Phase& p = phases_[i];
  (void)g;  // the bounds are the same for every group
  return anneal(p.start_high_momentum ? o_.max_momentum : o_.base_momentum,
                p.end_high_momentum ? o_.max_momentum : o_.base_momentum, pct);
}

void OneCycleLR::apply(int64_t step) {
  LRScheduler::apply(step);
  if (!o_.cycle_momentum) return;
  auto& groups = opt_.param_groups();
  for (size_t i = 0; i < groups.size(); ++i) {
    const double m = momentum_at(step, i);
    if (uses_betas_)
      groups[i].betas->first = m;
    else
      groups[i].momentum = m;
  }
}

}  // namespace ember::optim
