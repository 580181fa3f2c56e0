#include <cmath>
#include <limits>

#include "ember/core/error.h"
#include "ember/optim/schedule.h"

namespace ember::optim {

namespace {
constexpr const char* kName = "reduce_lr_on_plateau";
}

ReduceLROnPlateau::ReduceLROnPlateau(Optimizer& opt, Options o) : opt_(opt), o_(std::move(o)) {
  EMBER_CHECK(o_.factor >= 0.0 && o_.factor < 1.0, ValueError,
              "{}: factor must be in [0, 1), got {}", kName, o_.factor);
  EMBER_CHECK(o_.patience >= 0, ValueError, "{}: patience must be >= 0, got {}", kName,
              o_.patience);
  EMBER_CHECK(o_.cooldown >= 0, ValueError, "{}: cooldown must be >= 0, got {}", kName,
              o_.cooldown);
  EMBER_CHECK(o_.threshold >= 0.0, ValueError, "{}: threshold must be >= 0, got {}", kName,
              o_.threshold);
  EMBER_CHECK(o_.eps >= 0.0, ValueError, "{}: eps must be >= 0, got {}", kName, o_.eps);
  const size_t n = opt_.param_groups().size();
  if (o_.min_lrs.empty()) o_.min_lrs.assign(n, o_.min_lr);
  EMBER_CHECK(o_.min_lrs.size() == n, ValueError, "{}: got {} min_lrs for {} param groups", kName,
              o_.min_lrs.size(), n);
  for (double m : o_.min_lrs)
    EMBER_CHECK(m >= 0.0, ValueError, "{}: min_lr must be >= 0, got {}", kName, m);
  best_ = o_.mode == Mode::min ? std::numeric_limits<double>::infinity()
                               : -std::numeric_limits<double>::infinity();
  for (size_t i = 0; i < n; ++i) {
    const auto& g = opt_.param_groups()[i];
    EMBER_CHECK(g.lr.has_value(), ValueError, "{}: param group {} has no lr", kName, i);
    last_lr_.push_back(*g.lr);
  }
}

bool ReduceLROnPlateau::is_better(double a) const {
  const bool rel = o_.threshold_mode == ThresholdMode::rel;
  if (o_.mode == Mode::min)
    return rel ? a < best_ * (1.0 - o_.threshold) : a < best_ - o_.threshold;
  return rel ? a > best_ * (o_.threshold + 1.0) : a > best_ + o_.threshold;
}

void ReduceLROnPlateau::step(double metric) {
  auto& groups = opt_.param_groups();
  EMBER_CHECK(groups.size() == o_.min_lrs.size(), ValueError,
              "{}: the optimizer has {} param groups but the schedule was built for {}", kName,
              groups.size(), o_.min_lrs.size());
  ++last_step_;
  // A NaN metric is never better: it counts as a bad step, as in PyTorch.
  if (is_better(metric)) {
    best_ = metric;
    num_bad_steps_ = 0;
  } else {
    ++num_bad_steps_;
  }
  if (cooldown_counter_ > 0) {
    --cooldown_counter_;
    num_bad_steps_ = 0;
  }
  if (num_bad_steps_ > o_.patience) {
    for (size_t i = 0; i < groups.size(); ++i) {
      const double old_lr = *groups[i].lr;
      const double new_lr = std::max(old_lr * o_.factor, o_.min_lrs[i]);
      if (old_lr - new_lr > o_.eps) groups[i].lr = new_lr;
    }
    cooldown_counter_ = o_.cooldown;
    num_bad_steps_ = 0;
  }
  last_lr_.clear();
  for (const auto& g : groups) last_lr_.push_back(*g.lr);
}

StateDict ReduceLROnPlateau::state_dict() const {
  StateDict d;
  d.strings["type"] = kName;
  d.scalars["last_step"] = static_cast<double>(last_step_);
  d.scalars["best"] = best_;
  d.scalars["num_bad_steps"] = static_cast<double>(num_bad_steps_);
  d.scalars["cooldown_counter"] = static_cast<double>(cooldown_counter_);
  d.scalars["num_groups"] = static_cast<double>(last_lr_.size());
  for (size_t i = 0; i < last_lr_.size(); ++i)
    d.scalars[fmt::format("last_lr.{}", i)] = last_lr_[i];
  return d;
}

void ReduceLROnPlateau::load_state_dict(const StateDict& d) {
  auto type = d.strings.find("type");
  EMBER_CHECK(type != d.strings.end() && type->second == kName, ValueError,
              "{}: load_state_dict: the state dict is from a '{}' schedule", kName,
              type == d.strings.end() ? std::string("(untyped)") : type->second);
  auto get = [&](const std::string& key) {
    auto it = d.scalars.find(key);
    EMBER_CHECK(it != d.scalars.end(), ValueError, "{}: load_state_dict: missing key '{}'", kName,
                key);
    return it->second;
  };
  const double n = get("num_groups");
  EMBER_CHECK(n == static_cast<double>(o_.min_lrs.size()), ValueError,
              "{}: load_state_dict: the state dict has {} param groups, the schedule {}", kName, n,
              o_.min_lrs.size());
  std::vector<double> lrs;
  for (size_t i = 0; i < o_.min_lrs.size(); ++i) lrs.push_back(get(fmt::format("last_lr.{}", i)));
  const double last = get("last_step"), best = get("best"), bad = get("num_bad_steps"),
               cool = get("cooldown_counter");
  last_step_ = static_cast<int64_t>(last);
  best_ = best;
  num_bad_steps_ = static_cast<int64_t>(bad);
  cooldown_counter_ = static_cast<int64_t>(cool);
  last_lr_ = std::move(lrs);
}

}  // namespace ember::optim
