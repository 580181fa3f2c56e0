#include <gtest/gtest.h>

#include <cmath>

#include "testing/gradcheck.h"

using namespace ember;
using ember::testing::gradcheck;
using ember::testing::randn64;
using V = std::vector<Tensor>;

TEST(Reduce, SumMeanValues) {
  Tensor x = arange(0, 24, 1, DType::f64).reshape({2, 3, 4});
  EXPECT_EQ(sum(x).item<double>(), 276);
  EXPECT_EQ(sum(x, {1}).shape(), (Shape{2, 4}));
  EXPECT_EQ(sum(x, {1}, true).shape(), (Shape{2, 1, 4}));
  EXPECT_EQ(sum(x, {0, 2}).to_vector<double>(), (std::vector<double>{60, 92, 124}));
  EXPECT_EQ(sum(x, {-1}).to_vector<double>(), (std::vector<double>{6, 22, 38, 54, 70, 86}));
  EXPECT_EQ(mean(x, {0}).at<double>({0, 0}), 6);
  EXPECT_EQ(sum(x.transpose(0, 2), {0}).to_vector<double>(), sum(x, {2}).t().contiguous().to_vector<double>());
  EXPECT_THROW(sum(x, {1, 1}), ValueError);
  EXPECT_THROW(mean(arange(3)), DTypeError);
  EXPECT_EQ(sum(arange(5)).item<int64_t>(), 10);
  EXPECT_EQ(sum(gt(arange(5), scalar_tensor(1, DType::i64))).item<int64_t>(), 3);
}

TEST(Reduce, LargeSumIsAccurate) {
  Tensor x = full({10'000'001}, 0.1);
  EXPECT_NEAR(sum(x).item<float>(), 1'000'000.1, 0.2);  // naive float accumulation is off by ~1e4
  Tensor y = full({1000, 4097}, 1.0);
  EXPECT_EQ(sum(y, {0}).at<float>({4096}), 1000.f);
  EXPECT_EQ(sum(y, {1}).at<float>({999}), 4097.f);
}

TEST(Reduce, VarStd) {
  Tensor x = tensor({1.0, 2.0, 3.0, 4.0}, {2, 2});
  EXPECT_NEAR(var(x).item<double>(), 1.6666666666666667, 1e-12);
  EXPECT_NEAR(var(x, {}, 0).item<double>(), 1.25, 1e-12);
  EXPECT_EQ(var(x, {1}, 0).to_vector<double>(), (std::vector<double>{0.25, 0.25}));
  EXPECT_NEAR(ember::std(x, {0}).at<double>({0}), std::sqrt(2.0), 1e-12);
}

TEST(Reduce, MaxMinArgmax) {
  Tensor x = tensor({1.0, 5.0, 3.0, 7.0, 2.0, 7.0}, {2, 3});
  auto [v, i] = max(x, 1);
  EXPECT_EQ(v.to_vector<double>(), (std::vector<double>{5, 7}));
  EXPECT_EQ(i.to_vector<int64_t>(), (std::vector<int64_t>{1, 0}));  // first of ties
  auto [mv, mi] = min(x, 0, true);
  EXPECT_EQ(mv.shape(), (Shape{1, 3}));
  EXPECT_EQ(mi.to_vector<int64_t>(), (std::vector<int64_t>{0, 1, 0}));
  EXPECT_EQ(argmax(x, 0).to_vector<int64_t>(), (std::vector<int64_t>{1, 0, 1}));
  EXPECT_EQ(argmin(x, -1).to_vector<int64_t>(), (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(max(x).item<double>(), 7);
  EXPECT_EQ(min(x).item<double>(), 1);
  EXPECT_EQ(amax(x, {0}).to_vector<double>(), (std::vector<double>{7, 5, 7}));
  EXPECT_THROW(max(zeros({0})), ValueError);
  EXPECT_TRUE(std::isnan(max(tensor({1.f, NAN, 2.f})).item<float>()));
  EXPECT_EQ(argmax(tensor({1.f, NAN, 2.f}), 0).item<int64_t>(), 1);
}

TEST(Reduce, Gradcheck) {
  Tensor x = randn64({3, 4, 5}, 1);
  Tensor xt = randn64({5, 4, 3}, 2).permute({2, 1, 0});
  for (const Tensor& in : {x, xt}) {
    EXPECT_GRADCHECK([](const V& v) { return sum(v[0]); }, {in});
    EXPECT_GRADCHECK([](const V& v) { return sum(v[0], {1}); }, {in});
    EXPECT_GRADCHECK([](const V& v) { return sum(v[0], {0, 2}, true); }, {in});
    EXPECT_GRADCHECK([](const V& v) { return mean(v[0], {-1}); }, {in});
    EXPECT_GRADCHECK([](const V& v) { return var(v[0], {1}); }, {in});
    EXPECT_GRADCHECK([](const V& v) { return var(v[0], {}, 0); }, {in});
    EXPECT_GRADCHECK([](const V& v) { return ember::std(v[0], {0, 1}, 1, true); }, {in});
    EXPECT_GRADCHECK([](const V& v) { return amax(v[0], {2}); }, {in});
    EXPECT_GRADCHECK([](const V& v) { return amin(v[0], {0, 1}); }, {in});
    EXPECT_GRADCHECK([](const V& v) { return max(v[0], 1).values; }, {in});
    EXPECT_GRADCHECK([](const V& v) { return min(v[0], 2, true).values; }, {in});
    EXPECT_GRADCHECK([](const V& v) { return max(v[0]); }, {in});
  }
}

TEST(Reduce, AmaxTieSplitsGradient) {
  Tensor x = tensor({2.0, 2.0, 1.0}, {3}).requires_grad_();
  amax(x).backward();
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{0.5, 0.5, 0}));
}
