// Anomaly mode: NaN/Inf in a forward output or a backward gradient throws AnomalyError
// naming the op (or graph node) and the shapes; off, nothing is checked.
#include <gtest/gtest.h>

#include <ember/core/anomaly.h>
#include <ember/ember.h>

#include <cmath>
#include <limits>
#include <string>

using namespace ember;

namespace {

template <class F>
std::string anomaly_message(F&& f) {
  try {
    f();
  } catch (const AnomalyError& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("WRONG TYPE: ") + e.what();
  }
  return "NO THROW";
}

#define EXPECT_HAS(msg, part) EXPECT_NE((msg).find(part), std::string::npos) << (msg)

}  // namespace

TEST(Anomaly, OffByDefaultAndGuardRestores) {
  EXPECT_FALSE(detect_anomaly());
  {
    DetectAnomalyGuard g;
    EXPECT_TRUE(detect_anomaly());
    {
      DetectAnomalyGuard off(false);
      EXPECT_FALSE(detect_anomaly());
    }
    EXPECT_TRUE(detect_anomaly());
  }
  EXPECT_FALSE(detect_anomaly());
  set_detect_anomaly(true);
  EXPECT_TRUE(detect_anomaly());
  set_detect_anomaly(false);
  // Off: NaNs flow through silently, as without anomaly mode.
  Tensor y = log(tensor({-1.f, 1.f}));
  EXPECT_TRUE(std::isnan(y.at<float>({0})));
}

TEST(Anomaly, LogOfNegativeNamesOpNodeAndShapes) {
  DetectAnomalyGuard g;
  Tensor x = tensor({1.f, -2.f, 3.f}).requires_grad_();
  Tensor e = exp(x) - 5.0;  // [-2.28, -4.86, 15.1]: the first two are negative
  std::string m = anomaly_message([&] { log(e); });
  EXPECT_HAS(m, "op log");
  EXPECT_HAS(m, "2 NaN");
  EXPECT_HAS(m, "output 0 ([3] float32");
  EXPECT_HAS(m, "first at flat index 0");
  EXPECT_HAS(m, "graph node: log");
  EXPECT_HAS(m, "inputs: [3] float32 (grad_fn affine)");
}

TEST(Anomaly, WithoutGradTheOpIsStillCheckedAndNoNodeIsNamed) {
  DetectAnomalyGuard g;
  std::string m = anomaly_message([] { log(tensor({-1.f})); });
  EXPECT_HAS(m, "op log");
  EXPECT_HAS(m, "graph node: none (no input requires grad)");
  NoGradGuard ng;
  Tensor x = tensor({-1.f}).requires_grad_();
  EXPECT_HAS(anomaly_message([&] { sqrt(x); }), "op sqrt");
}

TEST(Anomaly, ZeroOverZero) {
  DetectAnomalyGuard g;
  Tensor a = zeros({2, 2}, DType::f64).requires_grad_();
  Tensor b = zeros({2, 2}, DType::f64);
  std::string m = anomaly_message([&] { div(a, b); });
  EXPECT_HAS(m, "op div");
  EXPECT_HAS(m, "4 NaN");
  EXPECT_HAS(m, "[2, 2] float64");
  EXPECT_HAS(m, "inputs: [2, 2] float64 (leaf), [2, 2] float64");
}

TEST(Anomaly, ExpOverflowIsInf) {
  DetectAnomalyGuard g;
  Tensor x = tensor({1.f, 100.f, 200.f});
  std::string m = anomaly_message([&] { exp(x); });
  EXPECT_HAS(m, "op exp");
  EXPECT_HAS(m, "2 Inf");
  EXPECT_HAS(m, "first at flat index 1");
}

TEST(Anomaly, CompositeLossNamesTheInnerOp) {
  // Made before the guard: building a tensor holding Inf is itself an op that anomaly mode
  // reports (the f64 -> f32 cast).
  Tensor logits = tensor({0.0, std::numeric_limits<double>::infinity(), 1.0, 2.0}, {2, 2}, DType::f32);
  logits.requires_grad_();
  DetectAnomalyGuard g;
  std::string m = anomaly_message([&] { cross_entropy(logits, zeros({2}, DType::i64)); });
  EXPECT_EQ(m.rfind("WRONG TYPE", 0), std::string::npos) << m;
  EXPECT_HAS(m, "anomaly: op ");
  EXPECT_HAS(m, "[2, 2] float32");
}

TEST(Anomaly, NaNOnlyInBackwardNamesTheNode) {
  // sqrt(x) at 0 is finite (0) but its gradient 1/(2 sqrt(x)) is Inf.
  Tensor x = zeros({2, 3}).requires_grad_();
  {
    DetectAnomalyGuard g;
    Tensor y = sqrt(x).sum();
    std::string m = anomaly_message([&] { y.backward(); });
    EXPECT_HAS(m, "backward of graph node sqrt");
    EXPECT_HAS(m, "6 Inf");
    EXPECT_HAS(m, "gradient for its input 0 ([2, 3] float32");
    EXPECT_HAS(m, "flows to AccumulateGrad");
    EXPECT_HAS(m, "gradients received for the node's outputs: [2, 3] float32");
  }
  // Off: the same backward runs and leaves Inf in the gradient.
  Tensor y = sqrt(x).sum();
  y.backward();
  EXPECT_TRUE(std::isinf(x.grad().at<float>({0, 0})));
}

TEST(Anomaly, NaNFromZeroTimesInfInBackward) {
  // The forward is finite; an Inf incoming gradient times the 0 saved in mul gives NaN.
  DetectAnomalyGuard g;
  Tensor w = tensor({1.f, 2.f}).requires_grad_();
  Tensor v = mul(w, tensor({0.f, 1.f}));
  std::string m = anomaly_message(
      [&] { v.backward(tensor({std::numeric_limits<float>::infinity(), 1.f})); });
  EXPECT_HAS(m, "backward of graph node mul");
  EXPECT_HAS(m, "1 NaN");
  EXPECT_HAS(m, "first at flat index 0");
}

TEST(Anomaly, FiniteGraphsPassForwardAndBackward) {
  DetectAnomalyGuard g;
  Tensor w = randn({4, 3}).requires_grad_();
  Tensor x = randn({8, 3});
  Tensor loss = cross_entropy(linear(x, w), randint(0, 4, {8}));
  loss.backward();
  EXPECT_TRUE(w.grad().defined());
}
