// Initialisation helpers: fans, gains and bounds as torch.nn.init; default layer init.
#include <gtest/gtest.h>

#include <cmath>

#include <ember/ember.h>
#include <ember/layers/layers.h>

using namespace ember;
using namespace ember::nn;

namespace {

double max_abs(const Tensor& t) {
  double m = 0.0;
  for (double v : t.to_vector<double>()) m = std::max(m, std::fabs(v));
  return m;
}

TEST(Init, FansAndGains) {
  EXPECT_EQ(init::calculate_fan_in_and_fan_out(empty({8, 3, 5, 7})), (std::pair<int64_t, int64_t>{105, 280}));
  EXPECT_EQ(init::calculate_fan_in_and_fan_out(empty({10, 4})), (std::pair<int64_t, int64_t>{4, 10}));
  EXPECT_THROW(init::calculate_fan_in_and_fan_out(empty({4})), ValueError);
  EXPECT_DOUBLE_EQ(init::calculate_gain(init::Nonlinearity::relu), std::sqrt(2.0));
  EXPECT_DOUBLE_EQ(init::calculate_gain(init::Nonlinearity::tanh), 5.0 / 3.0);
  EXPECT_DOUBLE_EQ(init::calculate_gain(init::Nonlinearity::linear), 1.0);
  EXPECT_DOUBLE_EQ(init::calculate_gain(init::Nonlinearity::leaky_relu), std::sqrt(2.0 / (1 + 0.01 * 0.01)));
  EXPECT_DOUBLE_EQ(init::calculate_gain(init::Nonlinearity::leaky_relu, std::sqrt(5.0)), std::sqrt(1.0 / 3.0));
}

TEST(Init, UniformBounds) {
  Generator g(11);
  Tensor w = empty({64, 32, 3, 3});
  // kaiming_uniform_(a=sqrt(5)) is U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
  init::kaiming_uniform_(w, std::sqrt(5.0), init::FanMode::fan_in, init::Nonlinearity::leaky_relu, &g);
  double b = 1.0 / std::sqrt(32.0 * 9);
  EXPECT_LE(max_abs(w), b + 1e-7);
  EXPECT_GE(max_abs(w), 0.99 * b);
  init::kaiming_uniform_(w, 0.0, init::FanMode::fan_out, init::Nonlinearity::relu, &g);
  b = std::sqrt(2.0) * std::sqrt(3.0 / (64.0 * 9));
  EXPECT_LE(max_abs(w), b + 1e-7);
  EXPECT_GE(max_abs(w), 0.99 * b);
  init::xavier_uniform_(w, 1.0, &g);
  b = std::sqrt(6.0 / (32.0 * 9 + 64.0 * 9));
  EXPECT_LE(max_abs(w), b + 1e-7);
  EXPECT_GE(max_abs(w), 0.99 * b);
}

TEST(Init, NormalStd) {
  Generator g(12);
  Tensor w = empty({128, 64, 3, 3});
  init::kaiming_normal_(w, 0.0, init::FanMode::fan_out, init::Nonlinearity::relu, &g);
  double expect = std::sqrt(2.0 / (128.0 * 9));
  EXPECT_NEAR(ember::std(w).item<double>(), expect, 0.02 * expect);
  init::kaiming_normal_(w, 0.0, init::FanMode::fan_in, init::Nonlinearity::relu, &g);
  expect = std::sqrt(2.0 / (64.0 * 9));
  EXPECT_NEAR(ember::std(w).item<double>(), expect, 0.02 * expect);
  init::xavier_normal_(w, 2.0, &g);
  expect = 2.0 * std::sqrt(2.0 / (64.0 * 9 + 128.0 * 9));
  EXPECT_NEAR(ember::std(w).item<double>(), expect, 0.02 * expect);
  EXPECT_NEAR(mean(w).item<double>(), 0.0, 0.02 * expect);
}

TEST(Init, ConstantsAndParameters) {
  Linear lin(3, 2);  // parameters require grad: init works on them all the same
  init::zeros_(lin.weight);
  EXPECT_EQ(lin.weight.to_vector<float>(), std::vector<float>(6, 0.0f));
  init::ones_(lin.bias);
  EXPECT_EQ(lin.bias.to_vector<float>(), std::vector<float>(2, 1.0f));
  init::constant_(lin.bias, 0.25);
  EXPECT_EQ(lin.bias.to_vector<float>(), std::vector<float>(2, 0.25f));
  Tensor t64 = empty({4, 4}, DType::f64);
  init::uniform_(t64, 2.0, 3.0);
  for (double v : t64.to_vector<double>()) EXPECT_TRUE(v >= 2.0 && v < 3.0);
  Tensor undefined;
  EXPECT_THROW(init::zeros_(undefined), ValueError);
  Tensor ints = zeros({2, 2}, DType::i64);
  EXPECT_THROW(init::kaiming_normal_(ints), DTypeError);
}

TEST(Init, LayerDefaultsFollowPyTorch) {
  Generator g(13);
  Linear lin(50, 40, true, &g);
  double b = 1.0 / std::sqrt(50.0);
  EXPECT_LE(max_abs(lin.weight), b + 1e-7);
  EXPECT_GE(max_abs(lin.weight), 0.95 * b);
  EXPECT_LE(max_abs(lin.bias), b + 1e-7);
  Conv2d conv(6, 8, 3, {.groups = 2}, true, &g);
  b = 1.0 / std::sqrt(3.0 * 9);  // fan_in = in_channels / groups * kH * kW
  EXPECT_LE(max_abs(conv.weight), b + 1e-7);
  EXPECT_GE(max_abs(conv.weight), 0.9 * b);
  EXPECT_LE(max_abs(conv.bias), b + 1e-7);
  // An explicit generator makes construction reproducible and independent of the global one.
  Generator g1(21), g2(21);
  Linear a(7, 5, true, &g1);
  (void)randn({10});  // draws from the global generator
  Linear c(7, 5, true, &g2);
  EXPECT_EQ(a.weight.to_vector<float>(), c.weight.to_vector<float>());
  EXPECT_EQ(a.bias.to_vector<float>(), c.bias.to_vector<float>());
}

}  // namespace
