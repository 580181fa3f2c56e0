#include "ember/metrics/early_stopping.h"

#include <cmath>

#include "ember/core/error.h"

namespace ember::metrics {

namespace {
constexpr const char* kName = "EarlyStopping";
}

EarlyStopping::EarlyStopping(EarlyStoppingOptions options) : options_(options) {
  EMBER_CHECK(options_.patience >= 0, ValueError, "{}: patience must be >= 0, got {}", kName, options_.patience);
  EMBER_CHECK(options_.min_delta >= 0, ValueError, "{}: min_delta must be >= 0, got {}", kName,
              options_.min_delta);
}

bool EarlyStopping::update(double score, const nn::Module* model) {
  bool improved = false;
  if (std::isfinite(score)) {
    if (!best_) {
      improved = true;
    } else if (options_.mode == EarlyStoppingOptions::Mode::min) {
      improved = score < *best_ - options_.min_delta;
    } else {
      improved = score > *best_ + options_.min_delta;
    }
  }
  if (!improved) {
    ++evaluations_;
    ++bad_;
    return false;
  }
  // Copies, not the module's own storage: training goes on changing that. Made before any
  // counter moves, so that a failed copy (out of memory) leaves this object as it was.
  std::optional<nn::StateDict> kept;
  if (model != nullptr) kept = model->state_dict().clone();
  best_state_ = std::move(kept);
  best_ = score;
  best_evaluation_ = evaluations_++;
  bad_ = 0;
  return true;
}

void EarlyStopping::restore_best(nn::Module& model) const {
  EMBER_CHECK(best_state_.has_value(), ValueError,
              "{}: no weights kept to restore ({} evaluations, {}): pass the model to update()", kName,
              evaluations_, best_ ? "the best score was recorded without a model" : "none with a finite score");
  model.load_state_dict(*best_state_, true);
}

}  // namespace ember::metrics
