#include <gtest/gtest.h>

#include <cmath>

#include "testing/gradcheck.h"

using namespace ember;
using ember::testing::gradcheck;
using ember::testing::randn64;
using V = std::vector<Tensor>;

TEST(Pool, MaxKnownValues) {
  Tensor x = arange(0, 16, 1, DType::f32).reshape({1, 1, 4, 4});
  EXPECT_EQ(max_pool2d(x, {{2, 2}}).to_vector<float>(), (std::vector<float>{5, 7, 13, 15}));
  Tensor p = max_pool2d(x, {{3, 3}, {2, 2}, {1, 1}});
  EXPECT_EQ(p.shape(), (Shape{1, 1, 2, 2}));
  EXPECT_EQ(p.to_vector<float>(), (std::vector<float>{5, 7, 13, 15}));
  // ceil_mode keeps a last, partial window
  EXPECT_EQ(max_pool2d(arange(0, 25, 1, DType::f32).reshape({1, 1, 5, 5}), {{2, 2}, {2, 2}, {0, 0}, true}).shape(),
            (Shape{1, 1, 3, 3}));
  EXPECT_TRUE(std::isnan(max_pool2d(tensor({1.f, NAN, 2.f, 3.f}).reshape({1, 1, 2, 2}), {{2, 2}}).item<float>()));
}

TEST(Pool, AvgKnownValues) {
  Tensor x = arange(0, 16, 1, DType::f32).reshape({1, 1, 4, 4});
  EXPECT_EQ(avg_pool2d(x, {{2, 2}}).to_vector<float>(), (std::vector<float>{2.5, 4.5, 10.5, 12.5}));
  // padding counted (PyTorch default) or not
  Tensor a = avg_pool2d(ones({1, 1, 2, 2}), {{2, 2}, {1, 1}, {1, 1}, false, true});
  EXPECT_EQ(a.at<float>({0, 0, 0, 0}), 0.25f);
  Tensor b = avg_pool2d(ones({1, 1, 2, 2}), {{2, 2}, {1, 1}, {1, 1}, false, false});
  EXPECT_EQ(b.at<float>({0, 0, 0, 0}), 1.f);
  // adaptive windows overlap when sizes do not divide: [0,3) and [2,5) for 5 -> 2
  Tensor r = adaptive_avg_pool2d(arange(0, 5, 1, DType::f32).reshape({1, 1, 1, 5}), {1, 2});
  EXPECT_EQ(r.to_vector<float>(), (std::vector<float>{1, 3}));
  EXPECT_EQ(adaptive_avg_pool2d(x, {1, 1}).item<float>(), 7.5f);
}

TEST(Pool, Gradcheck) {
  Tensor x = randn64({2, 3, 5, 6}, 1);
  EXPECT_GRADCHECK([](const V& v) { return max_pool2d(v[0], {{2, 2}}); }, {x});
  EXPECT_GRADCHECK([](const V& v) { return max_pool2d(v[0], {{3, 2}, {2, 1}, {1, 1}, true}); }, {x});
  EXPECT_GRADCHECK([](const V& v) { return avg_pool2d(v[0], {{3, 3}, {2, 2}, {1, 1}}); }, {x});
  EXPECT_GRADCHECK([](const V& v) { return avg_pool2d(v[0], {{2, 3}, {1, 2}, {1, 1}, true, false}); }, {x});
  EXPECT_GRADCHECK([](const V& v) { return adaptive_avg_pool2d(v[0], {1, 1}); }, {x});
  EXPECT_GRADCHECK([](const V& v) { return adaptive_avg_pool2d(v[0], {3, 4}); }, {x});
}

TEST(Pool, BadInputs) {
  EXPECT_THROW(max_pool2d(zeros({2, 3, 4}), {{2, 2}}), ShapeError);
  EXPECT_THROW(max_pool2d(zeros({1, 1, 4, 4}), {{2, 2}, {2, 2}, {2, 2}}), ValueError);  // padding > k/2
  EXPECT_THROW(max_pool2d(zeros({1, 1, 1, 1}), {{2, 2}}), ShapeError);
  EXPECT_THROW(adaptive_avg_pool2d(zeros({1, 1, 4, 4}), {0, 1}), ValueError);
}

TEST(BatchNorm, TrainingStatisticsAndRunningBuffers) {
  Tensor x = randn64({4, 3, 2, 5}, 2) * 2.0 + 1.0;
  Tensor rm = zeros({3}, DType::f64), rv = ones({3}, DType::f64);
  Tensor y = batch_norm(x, Tensor(), Tensor(), rm, rv, true, 0.1, 1e-5);
  // normalized per channel: mean 0, biased var ~1
  Tensor m = mean(y, {0, 2, 3}), v = var(y, {0, 2, 3}, 0);
  for (double e : m.to_vector<double>()) EXPECT_NEAR(e, 0, 1e-12);
  for (double e : v.to_vector<double>()) EXPECT_NEAR(e, 1, 1e-4);
  Tensor bm = mean(x, {0, 2, 3}), bv = var(x, {0, 2, 3}, 1);
  auto rmv = rm.to_vector<double>(), rvv = rv.to_vector<double>();
  for (int c = 0; c < 3; ++c) {
    EXPECT_NEAR(rmv[c], 0.1 * bm.at<double>({c}), 1e-12);
    EXPECT_NEAR(rvv[c], 0.9 + 0.1 * bv.at<double>({c}), 1e-9);
  }
  // eval uses the running statistics
  Tensor w = tensor({1.0, 2.0, 3.0}, {3}), b = tensor({0.0, 1.0, -1.0}, {3});
  Tensor ye = batch_norm(x, w, b, rm, rv, false, 0.1, 1e-5);
  double expect = (x.at<double>({1, 2, 1, 3}) - rmv[2]) / std::sqrt(rvv[2] + 1e-5) * 3.0 - 1.0;
  EXPECT_NEAR(ye.at<double>({1, 2, 1, 3}), expect, 1e-12);
}

TEST(BatchNorm, Gradcheck) {
  Tensor x = randn64({3, 2, 2, 3}, 3), w = randn64({2}, 4), b = randn64({2}, 5);
  Tensor rm = zeros({2}, DType::f64), rv = ones({2}, DType::f64);
  EXPECT_GRADCHECK([&](const V& v) { return batch_norm(v[0], v[1], v[2], Tensor(), Tensor(), true); }, {x, w, b});
  EXPECT_GRADCHECK([&](const V& v) { return batch_norm(v[0], Tensor(), Tensor(), Tensor(), Tensor(), true); }, {x});
  EXPECT_GRADCHECK([&](const V& v) { return batch_norm(v[0], v[1], v[2], rm, rv, false); }, {x, w, b});
  EXPECT_GRADCHECK([&](const V& v) { return batch_norm(v[0], v[1], v[2], Tensor(), Tensor(), true); },
                   {randn64({5, 3}, 6), randn64({3}, 7), randn64({3}, 8)});  // BatchNorm1d shape
}

TEST(BatchNorm, F32MatchesF64) {
  Tensor x = randn64({8, 4, 6, 6}, 9), w = randn64({4}, 10), b = randn64({4}, 11);
  Tensor y64 = batch_norm(x, w, b, Tensor(), Tensor(), true);
  Tensor y32 = batch_norm(x.to(DType::f32), w.to(DType::f32), b.to(DType::f32), Tensor(), Tensor(), true);
  auto a = y32.to_vector<double>(), e = y64.to_vector<double>();
  for (size_t i = 0; i < a.size(); ++i) ASSERT_NEAR(a[i], e[i], 1e-5);
}

TEST(BatchNorm, BadInputs) {
  EXPECT_THROW(batch_norm(zeros({4}), Tensor(), Tensor(), Tensor(), Tensor(), true), ShapeError);
  EXPECT_THROW(batch_norm(zeros({4, 3}), zeros({2}), Tensor(), Tensor(), Tensor(), true), ShapeError);
  EXPECT_THROW(batch_norm(zeros({1, 3}), Tensor(), Tensor(), Tensor(), Tensor(), true), ValueError);
  EXPECT_THROW(batch_norm(zeros({4, 3}), Tensor(), Tensor(), Tensor(), Tensor(), false), ValueError);
}
