// The metrics library: confusion-matrix scores against hand-computed (scikit-learn's)
// values, regression metrics, box IoU with its gradient, the CSV logger.
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include <ember/ember.h>
#include <ember/metrics/metrics.h>

#include "testing/gradcheck.h"

using namespace ember;
using namespace ember::metrics;

TEST(Metrics, ConfusionMatrixScores) {
  // truth:     0 0 0 1 1 2 2 2 2
  // predicted: 0 1 0 1 1 2 0 2 1
  ConfusionMatrix m(3);
  m.add(from_vector<int64_t>({0, 0, 0, 1, 1, 2, 2, 2, 2}, {9}), from_vector<int64_t>({0, 1, 0, 1, 1, 2, 0, 2, 1}, {9}));
  EXPECT_EQ(m.total(), 9);
  EXPECT_EQ(m.count(2, 1), 1);
  EXPECT_DOUBLE_EQ(m.accuracy(), 6.0 / 9.0);
  // sklearn: precision [2/3, 2/4, 2/2], recall [2/3, 2/2, 2/4]
  EXPECT_DOUBLE_EQ(m.precision(0), 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(m.precision(1), 0.5);
  EXPECT_DOUBLE_EQ(m.precision(2), 1.0);
  EXPECT_DOUBLE_EQ(m.recall(1), 1.0);
  EXPECT_DOUBLE_EQ(m.recall(2), 0.5);
  EXPECT_DOUBLE_EQ(m.f1(1), 2 * 0.5 * 1.0 / 1.5);
  EXPECT_NEAR(m.macro_f1(), (2.0 / 3.0 + 2.0 / 3.0 + 2.0 / 3.0) / 3.0, 1e-15);
  EXPECT_NE(m.render({"a", "b", "c"}).find("2 c"), std::string::npos);
  EXPECT_THROW(m.add(3, 0), IndexError);
  EXPECT_THROW(m.render({"a"}), ValueError);
  ConfusionMatrix never(2);  // a class never predicted or present scores 0, not NaN
  never.add(0, 0);
  EXPECT_EQ(never.precision(1), 0.0);
  EXPECT_EQ(never.recall(1), 0.0);
  EXPECT_EQ(never.f1(1), 0.0);
}

TEST(Metrics, AccuracyOfScores) {
  const Tensor scores = from_vector<float>({0.1f, 0.9f, 2.f, -1.f, 0.f, 0.5f}, {3, 2});
  EXPECT_DOUBLE_EQ(accuracy(scores, from_vector<int64_t>({1, 0, 0}, {3})), 2.0 / 3.0);
  EXPECT_THROW(accuracy(scores, from_vector<float>({1, 0, 0}, {3})), DTypeError);
}

TEST(Metrics, Regression) {
  const Tensor y = from_vector<float>({3, -0.5f, 2, 7}, {4});
  const Tensor p = from_vector<float>({2.5f, 0.f, 2, 8}, {4});
  // sklearn: mean_squared_error 0.375, mean_absolute_error 0.5, r2_score 0.9486081370449679
  EXPECT_NEAR(rmse(p, y), std::sqrt(0.375), 1e-12);
  EXPECT_NEAR(mae(p, y), 0.5, 1e-12);
  EXPECT_NEAR(r2(p, y), 0.9486081370449679, 1e-12);
  RegressionMetrics acc;  // the same in two batches
  acc.add(p.narrow(0, 0, 1), y.narrow(0, 0, 1));
  acc.add(p.narrow(0, 1, 3), y.narrow(0, 1, 3));
  EXPECT_NEAR(acc.r2(), r2(p, y), 1e-12);
  EXPECT_EQ(acc.count(), 4);
  EXPECT_EQ(r2(y, full({4}, 1.0)), 0.0);  // constant targets: nothing to explain
  EXPECT_THROW(rmse(p, y.reshape({2, 2})), ShapeError);
  // Targets with a large mean and a small spread (R² from unshifted sums would lose it all).
  const Tensor big_y = from_vector<double>({1e9 + 3, 1e9 - 0.5, 1e9 + 2, 1e9 + 7}, {4});
  const Tensor big_p = from_vector<double>({1e9 + 2.5, 1e9, 1e9 + 2, 1e9 + 8}, {4});
  EXPECT_NEAR(r2(big_p, big_y), 0.9486081370449679, 1e-9);
}

TEST(Metrics, BoxIou) {
  const Tensor a = from_vector<float>({0, 0, 2, 2, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 4, 4}, {4, 4});
  const Tensor b = from_vector<float>({1, 1, 3, 3, 2, 2, 3, 3, 0, 0, 0, 0, 1, 1, 3, 3}, {4, 4});
  const std::vector<float> iou = box_iou(a, b).to_vector<float>();
  EXPECT_NEAR(iou[0], 1.0 / 7.0, 1e-7);  // overlap 1, union 4 + 4 - 1
  EXPECT_EQ(iou[1], 0.0f);              // disjoint
  EXPECT_EQ(iou[2], 0.0f);              // two empty boxes: 0, not NaN
  EXPECT_NEAR(iou[3], 4.0 / 16.0, 1e-7);  // b inside a
  EXPECT_NEAR(mean_iou(a, b), (1.0 / 7.0 + 0.25) / 4, 1e-7);
  EXPECT_THROW(box_iou(a, b.narrow(0, 0, 2)), ShapeError);
  const std::vector<float> half = box_iou(a.to(DType::f16), b.to(DType::f16)).to(DType::f32).to_vector<float>();
  EXPECT_EQ(half[2], 0.0f);  // two empty boxes in f16: still 0, not NaN
  EXPECT_THROW(box_iou(a.narrow(1, 0, 3), b.narrow(1, 0, 3)), ShapeError);
  // Differentiable where the boxes overlap partly (an IoU loss).
  const Tensor fixed = from_vector<double>({1, 1, 3, 3, 0.5, 0, 2, 2}, {2, 4});
  EXPECT_GRADCHECK([&](const std::vector<Tensor>& v) { return box_iou(v[0], fixed); },
                   {from_vector<double>({0, 0, 2, 2, 0, 0.5, 1.5, 2.5}, {2, 4})});
}

TEST(Metrics, Logger) {
  const auto path = std::filesystem::temp_directory_path() / ("ember_metrics_" + std::to_string(::getpid()) + ".csv");
  {
    MetricsLogger log(path, {{"epoch", "{}"}, {"loss", "{:.3f}"}, {"lr"}});
    log.log({1, 0.12345, 0.1});
    log.log({2, 0.5, 1e-4});
    log.log({std::nan(""), 0.25, 0.5});  // a count that is not a number is written as such
    EXPECT_THROW(log.log({3}), ValueError);
  }
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  std::filesystem::remove(path);
  EXPECT_EQ(ss.str(), "epoch,loss,lr\n1,0.123,0.1\n2,0.500,0.0001\nnan,0.250,0.5\n");
  EXPECT_THROW(MetricsLogger(path, {{"x", "{:d}"}}), ValueError);
  EXPECT_THROW(MetricsLogger("/nonexistent-dir/m.csv", {{"x"}}), IOError);
}
