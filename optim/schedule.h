#pragma once
// Learning-rate schedules: separate objects that set the lr of each of an Optimizer's param
// groups. Each holds a reference to its optimizer, which must outlive it.
//
// Usage, as in PyTorch: build the schedule after the optimizer (construction sets the lrs of
// step 0), then call opt.step() followed by sched.step() once per epoch or batch, as the
// schedule is meant. last_lr() is the lr of each group after the latest step.
//
// The schedules are closed-form functions of the step count and the base lrs (each group's
// initial_lr, set by the first schedule built on the optimizer from the group's lr at that
// time). PyTorch computes most of them recursively from the current lr; the two agree (to
// rounding) unless something else also changes the lr between steps, which here is overwritten
// at the next step rather than compounded.
//
// State for checkpoints (StateDict, see state_dict.h): strings["type"] = name();
// scalars "last_step", "num_groups", "base_lrs.<g>", "last_lr.<g>"; ReduceLROnPlateau adds
// "best", "num_bad_steps", "cooldown_counter"; LinearWarmup adds its inner schedule's entries
// with keys prefixed by "inner.". The optimizer's own state dict carries the current lrs.
// Restore a schedule by building it the same way on the (restored) optimizer and loading its
// dict: the next step() continues where the saved one left off.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ember/optim/optimizer.h"
#include "ember/optim/state_dict.h"

namespace ember::optim {

class LRScheduler {
 public:
  virtual ~LRScheduler() = default;
  LRScheduler(const LRScheduler&) = delete;
  LRScheduler& operator=(const LRScheduler&) = delete;

  // Advances one step and sets each group's lr (and, for OneCycleLR, momentum).
  void step();
  // The lr of each group after the latest step (or construction).
  const std::vector<double>& last_lr() const { return last_lr_; }
  // Steps taken since construction (PyTorch's last_epoch): 0 right after construction.
  int64_t last_step() const { return last_step_; }
  const std::vector<double>& base_lrs() const { return base_lrs_; }
  // The lr of group `group` after `step` steps.
  virtual double lr_at(int64_t step, size_t group) const = 0;

  virtual StateDict state_dict() const;
  virtual void load_state_dict(const StateDict& dict);

  // "step_lr", "multi_step_lr", "exponential_lr", "cosine_annealing_lr", "linear_warmup",
  // "one_cycle_lr": used in error messages and as the state dict's type.
  const std::string& name() const { return name_; }
  Optimizer& optimizer() const { return opt_; }

 protected:
  // Records each group's base lr (setting initial_lr where no schedule has yet).
  LRScheduler(Optimizer& opt, std::string name);
  // Derived constructors end with this: it applies step 0, as PyTorch's schedulers do.
  void initial_step();
  // Sets the optimizer's hyperparameters for `step`; by default each group's lr = lr_at.
  virtual void apply(int64_t step);
  // Throws when the optimizer's group count changed since construction.
  void check_groups() const;

  Optimizer& opt_;
  std::vector<double> base_lrs_;

 private:
  friend class LinearWarmup;  // drives its inner schedule's apply()
  std::string name_;
  int64_t last_step_ = 0;
  std::vector<double> last_lr_;
};

// lr = base * gamma^(step / step_size) (integer division).
class StepLR : public LRScheduler {
 public:
  StepLR(Optimizer& opt, int64_t step_size, double gamma = 0.1);
  double lr_at(int64_t step, size_t group) const override;

 private:
  int64_t step_size_;
  double gamma_;
};

// lr = base * gamma^(number of milestones <= step); milestones may repeat (each counts).
class MultiStepLR : public LRScheduler {
 public:
  MultiStepLR(Optimizer& opt, std::vector<int64_t> milestones, double gamma = 0.1);
  double lr_at(int64_t step, size_t group) const override;

 private:
  std::vector<int64_t> milestones_;  // sorted
  double gamma_;
};

// lr = base * gamma^step.
class ExponentialLR : public LRScheduler {
 public:
  ExponentialLR(Optimizer& opt, double gamma);
  double lr_at(int64_t step, size_t group) const override;

 private:
  double gamma_;
};

// lr = eta_min + (base - eta_min) * (1 + cos(pi * step / t_max)) / 2. Past t_max it follows
// the cosine back up (period 2 * t_max), as PyTorch's CosineAnnealingLR does.
class CosineAnnealingLR : public LRScheduler {
 public:
  CosineAnnealingLR(Optimizer& opt, int64_t t_max, double eta_min = 0.0);
  double lr_at(int64_t step, size_t group) const override;

 private:
  int64_t t_max_;
  double eta_min_;
};

// Linear warmup in front of another schedule (or of a constant lr when `after` is null):
//     step < warmup_steps:  lr = base * (start_factor + (1 - start_factor) * step / warmup_steps)
//     otherwise:            `after`'s lr at step - warmup_steps
// which is PyTorch's SequentialLR([LinearLR(start_factor, total_iters=warmup_steps), after],
// milestones=[warmup_steps]). Build `after` on the same optimizer first, then wrap it:
//     LinearWarmup sched(opt, std::make_unique<CosineAnnealingLR>(opt, 90), 10, 0.01);
// Only this object is stepped; `after` is driven by it.
class LinearWarmup : public LRScheduler {
 public:
  LinearWarmup(Optimizer& opt, std::unique_ptr<LRScheduler> after, int64_t warmup_steps,
               double start_factor = 1.0 / 3.0);
  double lr_at(int64_t step, size_t group) const override;
  StateDict state_dict() const override;
  void load_state_dict(const StateDict& dict) override;
  const LRScheduler* after() const { return after_.get(); }

 protected:
  void apply(int64_t step) override;

 private:
  std::unique_ptr<LRScheduler> after_;
  int64_t warmup_steps_;
  double start_factor_;
};

struct OneCycleOptions {
  double pct_start = 0.3;  // fraction of the steps spent increasing the lr
  enum class Anneal { cos, linear } anneal = Anneal::cos;
  // Cycles SGD's momentum (or Adam's beta1) inversely to the lr, between these bounds.
  bool cycle_momentum = true;
  double base_momentum = 0.85;
  double max_momentum = 0.95;
  double div_factor = 25.0;       // initial lr = max_lr / div_factor
  double final_div_factor = 1e4;  // min lr = initial lr / final_div_factor
  bool three_phase = false;
};

// PyTorch's OneCycleLR (1cycle policy, fastai's two phases by default): from max_lr/div_factor
// up to max_lr over the first pct_start of total_steps, then down to the min lr. step() may be
// called at most total_steps times. Sets each group's initial_lr to max_lr / div_factor.
class OneCycleLR : public LRScheduler {
 public:
  OneCycleLR(Optimizer& opt, double max_lr, int64_t total_steps, OneCycleOptions options = {});
  // One max_lr per param group.
  OneCycleLR(Optimizer& opt, std::vector<double> max_lrs, int64_t total_steps,
             OneCycleOptions options = {});
  double lr_at(int64_t step, size_t group) const override;
  // The momentum (or beta1) of group `group` after `step` steps.
  double momentum_at(int64_t step, size_t group) const;

 protected:
  void apply(int64_t step) override;

 private:
  struct Phase {
    double end_step;
    int start_lr, end_lr;  // 0: initial, 1: max, 2: min
    bool start_high_momentum, end_high_momentum;
  };
  double anneal(double start, double end, double pct) const;
  // Index of the phase holding `step` and the fraction of it done.
  std::pair<size_t, double> locate(int64_t step) const;

  int64_t total_steps_;
  OneCycleOptions o_;
  std::vector<double> lrs_[3];  // per group: initial, max, min
  std::vector<Phase> phases_;
  bool uses_betas_ = false;
};

struct PlateauOptions {
  enum class Mode { min, max } mode = Mode::min;
  double factor = 0.1;    // new lr = max(lr * factor, min_lr); in [0, 1)
  int64_t patience = 10;  // bad steps tolerated before reducing
  double threshold = 1e-4;
  // Rel: better means below best * (1 - threshold) (Min) or above best * (1 + threshold) (Max);
  // Abs: below best - threshold or above best + threshold.
  enum class ThresholdMode { rel, abs } threshold_mode = ThresholdMode::rel;
  int64_t cooldown = 0;  // steps after a reduction during which bad steps are not counted
  double min_lr = 0.0;
  std::vector<double> min_lrs;  // per group; overrides min_lr when not empty
  double eps = 1e-8;            // reductions smaller than this are skipped
};

// Lowers the lr when a metric has stopped improving (PyTorch's ReduceLROnPlateau). Not an
// LRScheduler: it is stepped with the metric, typically once per epoch after validation.
class ReduceLROnPlateau {
 public:
  using Options = PlateauOptions;
  using Mode = PlateauOptions::Mode;
  using ThresholdMode = PlateauOptions::ThresholdMode;

  explicit ReduceLROnPlateau(Optimizer& opt, Options options = {});
  ReduceLROnPlateau(const ReduceLROnPlateau&) = delete;
  ReduceLROnPlateau& operator=(const ReduceLROnPlateau&) = delete;

  void step(double metric);
  const std::vector<double>& last_lr() const { return last_lr_; }
  int64_t last_step() const { return last_step_; }
  double best() const { return best_; }
  int64_t num_bad_steps() const { return num_bad_steps_; }
  int64_t cooldown_counter() const { return cooldown_counter_; }

  // type "reduce_lr_on_plateau"; scalars as listed at the top of this file (best may be inf).
  StateDict state_dict() const;
  void load_state_dict(const StateDict& dict);
  Optimizer& optimizer() const { return opt_; }

 private:
  bool is_better(double a) const;

  Optimizer& opt_;
  Options o_;
  double best_;
  int64_t num_bad_steps_ = 0;
  int64_t cooldown_counter_ = 0;
  int64_t last_step_ = 0;
  std::vector<double> last_lr_;
};

}  // namespace ember::optim
