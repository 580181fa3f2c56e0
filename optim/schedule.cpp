// LRScheduler base and the closed-form schedules (OneCycleLR: one_cycle.cpp; ReduceLROnPlateau:
// reduce_lr_on_plateau.cpp).
#include "ember/optim/schedule.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "ember/core/error.h"

namespace ember::optim {

// ---------------------------------------------------------------------------------- base

LRScheduler::LRScheduler(Optimizer& opt, std::string name) : opt_(opt), name_(std::move(name)) {
  auto& groups = opt_.param_groups();
  for (size_t i = 0; i < groups.size(); ++i) {
    auto& g = groups[i];
    EMBER_CHECK(g.lr.has_value(), ValueError, "{}: param group {} has no lr", name_, i);
    if (!g.initial_lr) g.initial_lr = *g.lr;
    base_lrs_.push_back(*g.initial_lr);
  }
}

void LRScheduler::check_groups() const {
  EMBER_CHECK(opt_.param_groups().size() == base_lrs_.size(), ValueError,
              "{}: the optimizer has {} param groups but the schedule was built for {}", name_,
              opt_.param_groups().size(), base_lrs_.size());
}

void LRScheduler::apply(int64_t step) {
  auto& groups = opt_.param_groups();
  for (size_t i = 0; i < groups.size(); ++i) groups[i].lr = lr_at(step, i);
}

void LRScheduler::initial_step() {
  check_groups();
  apply(0);
  last_step_ = 0;
  last_lr_.clear();
  for (const auto& g : opt_.param_groups()) last_lr_.push_back(*g.lr);
}

void LRScheduler::step() {
  check_groups();
  const int64_t next = last_step_ + 1;
  apply(next);  // may throw (OneCycleLR past its end): the count stays
  last_step_ = next;
  last_lr_.clear();
  for (const auto& g : opt_.param_groups()) last_lr_.push_back(*g.lr);
}

StateDict LRScheduler::state_dict() const {
  StateDict d;
  d.strings["type"] = name_;
  d.scalars["last_step"] = static_cast<double>(last_step_);
  d.scalars["num_groups"] = static_cast<double>(base_lrs_.size());
  for (size_t i = 0; i < base_lrs_.size(); ++i) {
    d.scalars[fmt::format("base_lrs.{}", i)] = base_lrs_[i];
    d.scalars[fmt::format("last_lr.{}", i)] = i < last_lr_.size() ? last_lr_[i] : base_lrs_[i];
  }
  return d;
}

void LRScheduler::load_state_dict(const StateDict& d) {
  auto type = d.strings.find("type");
  EMBER_CHECK(type != d.strings.end() && type->second == name_, ValueError,
              "{}: load_state_dict: the state dict is from a '{}' schedule", name_,
              type == d.strings.end() ? std::string("(untyped)") : type->second);
  auto get = [&](const std::string& key) {
    auto it = d.scalars.find(key);
    EMBER_CHECK(it != d.scalars.end(), ValueError, "{}: load_state_dict: missing key '{}'", name_,
                key);
    return it->second;
  };
  const double n = get("num_groups");
  EMBER_CHECK(n == static_cast<double>(base_lrs_.size()), ValueError,
              "{}: load_state_dict: the state dict has {} param groups, the schedule {}", name_, n,
              base_lrs_.size());
  const double last = get("last_step");
  EMBER_CHECK(last >= 0.0 && last == std::floor(last), ValueError,
              "{}: load_state_dict: last_step must be a whole number >= 0, got {}", name_, last);
  std::vector<double> base, lr;
  for (size_t i = 0; i < base_lrs_.size(); ++i) {
    base.push_back(get(fmt::format("base_lrs.{}", i)));
    lr.push_back(get(fmt::format("last_lr.{}", i)));
  }
  last_step_ = static_cast<int64_t>(last);
  base_lrs_ = std::move(base);
  last_lr_ = std::move(lr);
}

// ------------------------------------------------------------------------- simple schedules

StepLR::StepLR(Optimizer& opt, int64_t step_size, double gamma)
    : LRScheduler(opt, "step_lr"), step_size_(step_size), gamma_(gamma) {
  EMBER_CHECK(step_size >= 1, ValueError, "step_lr: step_size must be >= 1, got {}", step_size);
  EMBER_CHECK(gamma >= 0.0 && std::isfinite(gamma), ValueError,
              "step_lr: gamma must be finite and >= 0, got {}", gamma);
  initial_step();
}

double StepLR::lr_at(int64_t step, size_t g) const {
  return base_lrs_.at(g) * std::pow(gamma_, static_cast<double>(step / step_size_));
}

MultiStepLR::MultiStepLR(Optimizer& opt, std::vector<int64_t> milestones, double gamma)
    : LRScheduler(opt, "multi_step_lr"), milestones_(std::move(milestones)), gamma_(gamma) {
  for (int64_t m : milestones_)
    EMBER_CHECK(m >= 0, ValueError, "multi_step_lr: milestones must be >= 0, got {}", m);
  EMBER_CHECK(gamma >= 0.0 && std::isfinite(gamma), ValueError,
              "multi_step_lr: gamma must be finite and >= 0, got {}", gamma);
  std::sort(milestones_.begin(), milestones_.end());
  initial_step();
}

double MultiStepLR::lr_at(int64_t step, size_t g) const {
  const auto passed =
      std::upper_bound(milestones_.begin(), milestones_.end(), step) - milestones_.begin();
  return base_lrs_.at(g) * std::pow(gamma_, static_cast<double>(passed));
}

ExponentialLR::ExponentialLR(Optimizer& opt, double gamma)
    : LRScheduler(opt, "exponential_lr"), gamma_(gamma) {
  EMBER_CHECK(gamma >= 0.0 && std::isfinite(gamma), ValueError,
              "exponential_lr: gamma must be finite and >= 0, got {}", gamma);
  initial_step();
}

double ExponentialLR::lr_at(int64_t step, size_t g) const {
  return base_lrs_.at(g) * std::pow(gamma_, static_cast<double>(step));
}

CosineAnnealingLR::CosineAnnealingLR(Optimizer& opt, int64_t t_max, double eta_min)
    : LRScheduler(opt, "cosine_annealing_lr"), t_max_(t_max), eta_min_(eta_min) {
  EMBER_CHECK(t_max >= 1, ValueError, "cosine_annealing_lr: t_max must be >= 1, got {}", t_max);
  EMBER_CHECK(eta_min >= 0.0 && std::isfinite(eta_min), ValueError,
              "cosine_annealing_lr: eta_min must be finite and >= 0, got {}", eta_min);
  initial_step();
}

double CosineAnnealingLR::lr_at(int64_t step, size_t g) const {
  const double t = static_cast<double>(step), tm = static_cast<double>(t_max_);
  return eta_min_ +
         (base_lrs_.at(g) - eta_min_) * (1.0 + std::cos(std::numbers::pi * t / tm)) / 2.0;
}

// --------------------------------------------------------------------------- LinearWarmup

LinearWarmup::LinearWarmup(Optimizer& opt, std::unique_ptr<LRScheduler> after, int64_t warmup_steps,
                           double start_factor)
    : LRScheduler(opt, "linear_warmup"),
      after_(std::move(after)),
      warmup_steps_(warmup_steps),
      start_factor_(start_factor) {
  EMBER_CHECK(warmup_steps >= 1, ValueError, "linear_warmup: warmup_steps must be >= 1, got {}",
              warmup_steps);
  EMBER_CHECK(start_factor >= 0.0 && start_factor <= 1.0, ValueError,
              "linear_warmup: start_factor must be in [0, 1], got {}", start_factor);
  EMBER_CHECK(!after_ || &after_->optimizer() == &opt, ValueError,
              "linear_warmup: the schedule after the warmup ({}) was built on another optimizer",
              after_ ? after_->name() : "");
  initial_step();
}

double LinearWarmup::lr_at(int64_t step, size_t g) const {
  if (step < warmup_steps_) {
    const double t = static_cast<double>(step), w = static_cast<double>(warmup_steps_);
    return base_lrs_.at(g) * (start_factor_ + (1.0 - start_factor_) * t / w);
  }
  return after_ ? after_->lr_at(step - warmup_steps_, g) : base_lrs_.at(g);
}

void LinearWarmup::apply(int64_t step) {
  if (step >= warmup_steps_ && after_) {
    after_->check_groups();
    after_->apply(step - warmup_steps_);
  } else {
    LRScheduler::apply(step);
  }
}

StateDict LinearWarmup::state_dict() const {
  StateDict d = LRScheduler::state_dict();
  if (after_) {
    StateDict inner = after_->state_dict();
    for (auto& [k, v] : inner.tensors) d.tensors["inner." + k] = v;
    for (auto& [k, v] : inner.scalars) d.scalars["inner." + k] = v;
    for (auto& [k, v] : inner.strings) d.strings["inner." + k] = v;
  }
  return d;
}

void LinearWarmup::load_state_dict(const StateDict& d) {
  StateDict inner;
  auto take = [](const auto& from, auto& to) {
    for (const auto& [k, v] : from)
      if (k.rfind("inner.", 0) == 0) to[k.substr(6)] = v;
  };
  take(d.tensors, inner.tensors);
  take(d.scalars, inner.scalars);
  take(d.strings, inner.strings);
  const bool has_inner = !inner.strings.empty() || !inner.scalars.empty();
  EMBER_CHECK(has_inner == (after_ != nullptr), ValueError,
              "linear_warmup: load_state_dict: the state dict {} an inner schedule but this "
              "warmup {}",
              has_inner ? "has" : "has no", after_ ? "has one" : "has none");
  if (after_) after_->load_state_dict(inner);
  LRScheduler::load_state_dict(d);
}

}  // namespace ember::optim
