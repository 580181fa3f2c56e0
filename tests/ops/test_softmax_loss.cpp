#include <gtest/gtest.h>

#include <cmath>

#include "testing/gradcheck.h"

using namespace ember;
using ember::testing::away_from;
using ember::testing::gradcheck;
using ember::testing::randn64;
using V = std::vector<Tensor>;

namespace {
Tensor targets(std::vector<int64_t> v, Shape s) { return from_vector(v, std::move(s)); }
}  // namespace

TEST(Softmax, StableAndNormalised) {
  Tensor x = tensor({1000.0, 1001.0, 1002.0, -1000.0, 0.0, 1000.0}, {2, 3});
  Tensor s = softmax(x, 1);
  auto v = s.to_vector<double>();
  EXPECT_NEAR(v[0] + v[1] + v[2], 1.0, 1e-12);
  EXPECT_NEAR(v[2], 1 / (1 + std::exp(-1.0) + std::exp(-2.0)), 1e-12);
  EXPECT_FALSE(std::isnan(v[3]));
  Tensor ls = log_softmax(x, 1);
  EXPECT_NEAR(ls.at<double>({1, 0}), -2000.0, 1e-9);
  Tensor all_inf = full({3}, -INFINITY, DType::f64);
  EXPECT_TRUE(std::isnan(softmax(all_inf, 0).at<double>({0})));  // as PyTorch: 0/0
}

TEST(Softmax, Gradcheck) {
  for (int64_t dim : {0, 1, -1}) {
    EXPECT_GRADCHECK([dim](const V& v) { return softmax(v[0], dim); }, {randn64({3, 4, 2}, 1)});
    EXPECT_GRADCHECK([dim](const V& v) { return log_softmax(v[0], dim); }, {randn64({3, 4, 2}, 2)});
  }
  EXPECT_GRADCHECK([](const V& v) { return log_softmax(v[0], 0); }, {randn64({4, 3}, 3).t()});
}

TEST(Loss, CrossEntropyGradcheckAllOptions) {
  Tensor t = targets({0, 2, 1, 2}, {4});
  Tensor ti = targets({0, -100, 1, 2}, {4});
  for (Reduction r : {Reduction::mean, Reduction::sum, Reduction::none}) {
    EXPECT_GRADCHECK([&](const V& v) { return cross_entropy(v[0], t, r); }, {randn64({4, 3}, 1)});
    EXPECT_GRADCHECK([&](const V& v) { return cross_entropy(v[0], t, r, 0.1); }, {randn64({4, 3}, 2)});
    EXPECT_GRADCHECK([&](const V& v) { return cross_entropy(v[0], ti, r, 0.2, -100); }, {randn64({4, 3}, 3)});
    EXPECT_GRADCHECK([&](const V& v) { return nll_loss(log_softmax(v[0], 1), ti, r); }, {randn64({4, 3}, 4)});
  }
  Tensor ts = targets({0, 1, 2, 1, 0, 2}, {2, 3});  // [N, d]
  EXPECT_GRADCHECK([&](const V& v) { return cross_entropy(v[0], ts); }, {randn64({2, 4, 3}, 5)});
}

TEST(Loss, CrossEntropyValues) {
  Tensor logits = tensor({2.0, 0.0, 0.0, 0.0, 0.0, 3.0}, {2, 3});
  Tensor t = targets({0, 2}, {2});
  double l0 = -std::log(std::exp(2.0) / (std::exp(2.0) + 2));
  double l1 = -std::log(std::exp(3.0) / (std::exp(3.0) + 2));
  EXPECT_NEAR(cross_entropy(logits, t).item<double>(), (l0 + l1) / 2, 1e-12);
  EXPECT_NEAR(cross_entropy(logits, t, Reduction::sum).item<double>(), l0 + l1, 1e-12);
  // ignored targets count neither in the sum nor in the mean's denominator
  EXPECT_NEAR(cross_entropy(logits, targets({0, -100}, {2})).item<double>(), l0, 1e-12);
  EXPECT_TRUE(std::isnan(cross_entropy(logits, targets({-100, -100}, {2})).item<double>()));
  EXPECT_THROW(cross_entropy(logits, targets({0, 3}, {2})), IndexError);
  EXPECT_THROW(cross_entropy(logits, targets({0}, {1})), ShapeError);
}

TEST(Loss, RegressionLossesGradcheck) {
  Tensor a = randn64({3, 4}, 1);
  Tensor b = away_from(randn64({3, 4}, 2) * 0.8, {0.0});
  for (Reduction r : {Reduction::mean, Reduction::sum, Reduction::none}) {
    EXPECT_GRADCHECK([&](const V& v) { return mse_loss(v[0], v[1], r); }, {a, b});
    EXPECT_GRADCHECK([&](const V& v) { return l1_loss(v[0], v[1], r); }, {a, b});
    EXPECT_GRADCHECK([&](const V& v) { return smooth_l1_loss(v[0], v[1], r, 1.0); }, {a, b});
    EXPECT_GRADCHECK([&](const V& v) { return smooth_l1_loss(v[0], v[1], r, 0.5); }, {a, b});
  }
}

TEST(Loss, BceWithLogits) {
  Tensor x = randn64({3, 4}, 1) * 3.0;
  Tensor y = bernoulli({3, 4}, 0.5, DType::f64);
  Tensor pw = tensor({0.5, 1.0, 2.0, 3.0}, {4});
  for (Reduction r : {Reduction::mean, Reduction::sum, Reduction::none}) {
    EXPECT_GRADCHECK([&](const V& v) { return binary_cross_entropy_with_logits(v[0], v[1], r); }, {x, y});
    EXPECT_GRADCHECK([&](const V& v) { return binary_cross_entropy_with_logits(v[0], v[1], r, v[2]); }, {x, y, pw});
  }
  // stable for large logits
  Tensor big = tensor({100.0, -100.0}, {2});
  Tensor tgt = tensor({0.0, 1.0}, {2});
  EXPECT_NEAR(binary_cross_entropy_with_logits(big, tgt, Reduction::sum).item<double>(), 200.0, 1e-9);
}
