#include <gtest/gtest.h>

#include <cmath>

#include <ember/ember.h>

using namespace ember;

TEST(Factory, Basics) {
  EXPECT_EQ(full({2, 2}, 3.5).to_vector<float>(), (std::vector<float>{3.5, 3.5, 3.5, 3.5}));
  EXPECT_EQ(ones({3}, DType::i32).to_vector<int32_t>(), (std::vector<int32_t>{1, 1, 1}));
  EXPECT_EQ(zeros({0, 3}).numel(), 0);
  EXPECT_EQ(scalar_tensor(2.0).dim(), 0);
  EXPECT_THROW(zeros({-1}), ShapeError);
}

TEST(Factory, ArangeLinspaceEye) {
  EXPECT_EQ(arange(5).to_vector<int64_t>(), (std::vector<int64_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(arange(1, 2, 0.25, DType::f32).to_vector<float>(), (std::vector<float>{1, 1.25, 1.5, 1.75}));
  EXPECT_EQ(arange(5, 0, -2).to_vector<int64_t>(), (std::vector<int64_t>{5, 3, 1}));
  EXPECT_THROW(arange(0, 5, 0), ValueError);
  EXPECT_THROW(arange(0, 5, -1), ValueError);
  auto l = linspace(0, 1, 5).to_vector<float>();
  EXPECT_EQ(l, (std::vector<float>{0, 0.25, 0.5, 0.75, 1}));
  EXPECT_EQ(linspace(-1, 3, 7, DType::f64).to_vector<double>().back(), 3.0);
  EXPECT_EQ(eye(2, 3).to_vector<float>(), (std::vector<float>{1, 0, 0, 0, 1, 0}));
}

TEST(Factory, RandomDistributions) {
  Generator g(123);
  Tensor u = rand({100000}, DType::f32, Device::cpu(), &g);
  EXPECT_GE(u.min().item<float>(), 0.f);
  EXPECT_LT(u.max().item<float>(), 1.f);
  EXPECT_NEAR(u.mean().item<float>(), 0.5, 0.01);
  Tensor n = randn({100000}, DType::f64, Device::cpu(), &g);
  EXPECT_NEAR(n.mean().item<double>(), 0.0, 0.02);
  EXPECT_NEAR(ember::std(n).item<double>(), 1.0, 0.02);
  Tensor r = randint(-3, 4, {10000}, DType::i64, Device::cpu(), &g);
  EXPECT_EQ(r.min().item<int64_t>(), -3);
  EXPECT_EQ(r.max().item<int64_t>(), 3);
  Tensor b = bernoulli({100000}, 0.3, DType::f32, Device::cpu(), &g);
  EXPECT_NEAR(b.mean().item<float>(), 0.3, 0.01);
  Tensor pb = bernoulli(tensor({0.f, 1.f, 0.f, 1.f}), &g);
  EXPECT_EQ(pb.to_vector<float>(), (std::vector<float>{0, 1, 0, 1}));
  EXPECT_THROW(bernoulli(tensor({1.5f})), ValueError);
  EXPECT_THROW(randint(3, 3, {2}), ValueError);
  EXPECT_THROW(rand({2}, DType::i64), DTypeError);
}

TEST(Factory, FromVectorChecksCount) {
  EXPECT_THROW(from_vector(std::vector<float>{1, 2, 3}, {2, 2}), ShapeError);
  Tensor t = from_vector(std::vector<int64_t>{1, 2, 3, 4}, {2, 2});
  EXPECT_EQ(t.dtype(), DType::i64);
  EXPECT_EQ(t.at<int64_t>({1, 0}), 3);
}
