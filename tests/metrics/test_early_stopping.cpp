// EarlyStopping: when it stops, what counts as an improvement, and the weights it keeps.
#include <cmath>
#include <functional>
#include <limits>
#include <string>

#include <gtest/gtest.h>

#include <ember/ember.h>
#include <ember/layers/layers.h>
#include <ember/metrics/metrics.h>

#include "testing/assert_close.h"

using namespace ember;
using namespace ember::metrics;
using ember::testing::assert_close;
using ember::testing::Tol;

namespace {

// The evaluation at which a run of these scores stops (-1: it never does).
int64_t stop_at(EarlyStopping& stop, const std::vector<double>& scores) {
  for (size_t i = 0; i < scores.size(); ++i) {
    stop.update(scores[i]);
    if (stop.should_stop()) return static_cast<int64_t>(i);
  }
  return -1;
}

std::string message_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const ValueError& e) {
    return e.what();
  }
  return "(no ValueError)";
}

}  // namespace

TEST(EarlyStopping, StopsAfterPatienceEvaluationsWithoutImprovement) {
  EarlyStopping stop({.patience = 2});
  // best 0.5 at evaluation 2; 3 and 4 are not better, 5 is the third without improvement.
  EXPECT_EQ(stop_at(stop, {1.0, 0.7, 0.5, 0.6, 0.5, 0.55, 0.1}), 5);
  EXPECT_EQ(stop.best(), 0.5);
  EXPECT_EQ(stop.best_evaluation(), 2);
  EXPECT_EQ(stop.evaluations(), 6);
  EXPECT_EQ(stop.evaluations_without_improvement(), 3);

  EarlyStopping zero({.patience = 0});  // the first evaluation that is not better stops
  EXPECT_EQ(stop_at(zero, {3, 2, 2}), 2);

  EarlyStopping improving({.patience = 1});
  EXPECT_EQ(stop_at(improving, {5, 4, 3, 2, 1}), -1);
  EXPECT_FALSE(improving.should_stop());
}

TEST(EarlyStopping, MinDeltaAndMaxMode) {
  EarlyStopping stop({.patience = 1, .min_delta = 0.1});
  // 0.95 and 0.91 beat 1.0 by less than 0.1: not improvements.
  EXPECT_EQ(stop_at(stop, {1.0, 0.95, 0.91}), 2);
  EXPECT_EQ(stop.best(), 1.0);

  EarlyStopping acc({.mode = EarlyStoppingOptions::Mode::max, .patience = 1});
  EXPECT_TRUE(acc.update(0.5));
  EXPECT_TRUE(acc.update(0.8));
  EXPECT_FALSE(acc.update(0.2));
  EXPECT_FALSE(acc.should_stop());
  EXPECT_FALSE(acc.update(0.8));  // equal is not better
  EXPECT_TRUE(acc.should_stop());
  EXPECT_EQ(acc.best(), 0.8);
}

TEST(EarlyStopping, NonFiniteScoresNeverImprove) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  EarlyStopping stop({.patience = 1});
  EXPECT_FALSE(stop.update(nan));
  EXPECT_FALSE(stop.best().has_value());
  EXPECT_TRUE(stop.update(2.0));  // the first finite score is the best
  EXPECT_FALSE(stop.update(-inf));  // minus infinity is a diverged loss, not a perfect one
  EXPECT_FALSE(stop.update(nan));
  EXPECT_TRUE(stop.should_stop());
  EXPECT_EQ(stop.best(), 2.0);
  EXPECT_EQ(stop.best_evaluation(), 1);
}

TEST(EarlyStopping, RestoresTheBestWeightsBitForBit) {
  manual_seed(0);
  auto model = std::make_shared<nn::Sequential>();
  model->push_back(std::make_shared<nn::Linear>(3, 4));
  model->push_back(std::make_shared<nn::BatchNorm1d>(4));
  EarlyStopping stop({.patience = 3});

  stop.update(1.0, model.get());
  const nn::StateDict at_best = model->state_dict().clone();
  // Change every weight and buffer in place, as training would, with worse scores.
  for (int step = 0; step < 2; ++step) {
    {
      NoGradGuard ng;
      for (auto [k, v] : model->state_dict()) v.add_(ones_like(v));  // a handle: the same storage
    }
    EXPECT_FALSE(stop.update(1.5, model.get()));
  }
  EXPECT_FALSE(assert_close(model->state_dict().at("0.weight"), at_best.at("0.weight"), Tol{0, 0}));
  stop.restore_best(*model);
  for (const auto& [k, v] : at_best) EXPECT_TRUE(assert_close(model->state_dict().at(k), v, Tol{0, 0}, k));

  // A model of another layout is refused by name, and the model is left as it was.
  nn::Linear other(3, 5);
  const Tensor before = other.weight.clone();
  EXPECT_THROW(stop.restore_best(other), Error);
  EXPECT_TRUE(assert_close(other.weight, before, Tol{0, 0}));
}

TEST(EarlyStopping, ABestWithoutAModelDropsTheOlderCopy) {
  nn::Linear m(2, 2);
  EarlyStopping stop;
  stop.update(1.0, &m);
  EXPECT_TRUE(stop.has_best_weights());
  stop.update(2.0, &m);  // worse: the copy of evaluation 0 stays
  EXPECT_TRUE(stop.has_best_weights());
  stop.update(0.5);  // the new best, but no weights of it
  EXPECT_EQ(stop.best_evaluation(), 2);
  EXPECT_FALSE(stop.has_best_weights());
  EXPECT_NE(message_of([&] { stop.restore_best(m); }).find("recorded without a model"), std::string::npos);
}

TEST(EarlyStopping, BadOptionsAndNothingToRestore) {
  EXPECT_NE(message_of([] { EarlyStopping({.patience = -1}); }).find("EarlyStopping: patience must be >= 0, got -1"),
            std::string::npos);
  EXPECT_NE(message_of([] { EarlyStopping({.min_delta = -0.5}); }).find("min_delta must be >= 0, got -0.5"),
            std::string::npos);
  EXPECT_THROW(EarlyStopping({.min_delta = std::nan("")}), ValueError);
  EarlyStopping diverged;
  diverged.update(std::nan(""), nullptr);
  EXPECT_FALSE(diverged.has_best_weights());
  EarlyStopping stop;
  stop.update(1.0);  // no model given: nothing kept
  EXPECT_FALSE(stop.has_best_weights());
  nn::Linear m(2, 2);
  EXPECT_NE(message_of([&] { stop.restore_best(m); }).find("pass the model to update()"), std::string::npos);
}
