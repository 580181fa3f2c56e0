#pragma once
// Early stopping on a validation score, with the best model kept: call update() after each
// evaluation, stop when should_stop() says so, then restore_best() to go back to the weights
// of the best evaluation (Keras's restore_best_weights). Patience counts as in
// optim::ReduceLROnPlateau: the patience + 1-th evaluation without improvement stops (Keras
// and Lightning stop at the patience-th: their patience=5 is 4 here).
//
//   metrics::EarlyStopping stop({.patience = 5});        // on a validation loss (lower is better)
//   for (int64_t epoch = 0; epoch < max_epochs && !stop.should_stop(); ++epoch) {
//     train_one_epoch();
//     stop.update(validation_loss(), &model);             // keeps a copy of the best weights
//   }
//   if (stop.has_best_weights()) stop.restore_best(model);   // none when no score was finite
#include <cstdint>
#include <optional>

#include "ember/layers/module.h"

namespace ember::metrics {

struct EarlyStoppingOptions {
  enum class Mode { min, max };
  Mode mode = Mode::min;  // min for a loss, max for an accuracy or R²
  // Evaluations in a row without improvement tolerated: the patience + 1-th stops.
  int64_t patience = 5;
  // An improvement is a score better than the best by more than this (absolute, >= 0).
  double min_delta = 0.0;
};

class EarlyStopping {
 public:
  // Throws ValueError for a negative patience or min_delta (or a NaN one).
  explicit EarlyStopping(EarlyStoppingOptions options = {});

  // Records the next evaluation's score; returns whether it is the new best. A NaN or
  // infinite score is never an improvement (a diverged run stops at the patience + 1-th
  // such evaluation at the latest). With a model, its weights and buffers are copied when the
  // score is the new best (on the model's device, detached from it); a new best recorded
  // without a model drops the copy kept for an earlier one, so that restore_best() never
  // loads weights of another evaluation than best_evaluation().
  bool update(double score, const nn::Module* model = nullptr);
  bool should_stop() const { return bad_ > options_.patience; }

  // Loads the weights kept at the best evaluation into `model` (the module that was given to
  // update(), or one of the same layout). Throws ValueError when no weights were kept.
  void restore_best(nn::Module& model) const;
  // Whether restore_best() has weights to load: false before a finite score, and when the best
  // one was recorded without a model.
  bool has_best_weights() const { return best_state_.has_value(); }

  int64_t evaluations() const { return evaluations_; }
  // The best score so far and its evaluation (0-based); nullopt before a finite score.
  std::optional<double> best() const { return best_; }
  std::optional<int64_t> best_evaluation() const { return best_evaluation_; }
  // Evaluations since the best one (all of them when none was finite).
  int64_t evaluations_without_improvement() const { return bad_; }
  const EarlyStoppingOptions& options() const { return options_; }

 private:
  EarlyStoppingOptions options_;
  int64_t evaluations_ = 0;
  int64_t bad_ = 0;
  std::optional<double> best_;
  std::optional<int64_t> best_evaluation_;
  std::optional<nn::StateDict> best_state_;
};

}  // namespace ember::metrics
