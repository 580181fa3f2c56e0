#include <gtest/gtest.h>

#include "testing/gradcheck.h"

using namespace ember;
using ember::testing::gradcheck;
using ember::testing::randn64;
using V = std::vector<Tensor>;

namespace {
// Reference product in double from plain loops.
std::vector<double> naive(const Tensor& a, const Tensor& b) {
  auto av = a.contiguous().to_vector<double>(), bv = b.contiguous().to_vector<double>();
  int64_t M = a.size(0), K = a.size(1), N = b.size(1);
  std::vector<double> c(M * N, 0.0);
  for (int64_t i = 0; i < M; ++i)
    for (int64_t k = 0; k < K; ++k)
      for (int64_t j = 0; j < N; ++j) c[i * N + j] += av[i * K + k] * bv[k * N + j];
  return c;
}
}  // namespace

TEST(Matmul, MatchesNaiveF32AndF64) {
  for (DType dt : {DType::f32, DType::f64}) {
    for (auto [M, K, N] : {std::tuple{1, 1, 1}, {7, 13, 5}, {64, 33, 17}, {128, 784, 256}}) {
      Tensor a = randn64({M, K}, 1).to(dt), b = randn64({K, N}, 2).to(dt);
      auto ref = naive(a, b);
      auto got = matmul(a, b).to_vector<double>();
      double tol = dt == DType::f32 ? 1e-4 * std::sqrt(static_cast<double>(K)) : 1e-10;
      for (size_t i = 0; i < ref.size(); ++i) ASSERT_NEAR(got[i], ref[i], tol) << M << "x" << K << "x" << N;
    }
  }
}

TEST(Matmul, TransposedAndBatchedBroadcast) {
  for (DType dt : {DType::f32, DType::f64}) {
    Tensor a = randn64({5, 3}, 3).to(dt).t();  // [3,5] column-major
    Tensor b = randn64({4, 5}, 4).to(dt).t();  // [5,4]
    auto ref = naive(a, b);
    auto got = matmul(a, b).to_vector<double>();
    for (size_t i = 0; i < ref.size(); ++i) EXPECT_NEAR(got[i], ref[i], 1e-5);
    Tensor A = randn64({2, 1, 3, 5}, 5).to(dt), B = randn64({4, 5, 2}, 6).to(dt);
    Tensor C = matmul(A, B);
    ASSERT_EQ(C.shape(), (Shape{2, 4, 3, 2}));
    auto slice = naive(A.select(0, 1).select(0, 0), B.select(0, 3));
    auto gotc = C.select(0, 1).select(0, 3).contiguous().to_vector<double>();
    for (size_t i = 0; i < slice.size(); ++i) EXPECT_NEAR(gotc[i], slice[i], 1e-5);
  }
}

TEST(Matmul, VectorRules) {
  Tensor v = tensor({1.0, 2.0}, {2});
  Tensor m = tensor({1.0, 2.0, 3.0, 4.0}, {2, 2});
  EXPECT_EQ(matmul(v, v).dim(), 0);
  EXPECT_EQ(matmul(v, v).item<double>(), 5);
  EXPECT_EQ(matmul(v, m).to_vector<double>(), (std::vector<double>{7, 10}));
  EXPECT_EQ(matmul(m, v).to_vector<double>(), (std::vector<double>{5, 11}));
  EXPECT_THROW(matmul(scalar_tensor(1.0, DType::f64), m), ShapeError);
}

TEST(Matmul, Gradcheck) {
  EXPECT_GRADCHECK([](const V& v) { return matmul(v[0], v[1]); }, {randn64({3, 4}, 1), randn64({4, 2}, 2)});
  EXPECT_GRADCHECK([](const V& v) { return matmul(v[0], v[1]); }, {randn64({4, 3}, 3).t(), randn64({4, 2}, 4)});
  EXPECT_GRADCHECK([](const V& v) { return matmul(v[0], v[1]); }, {randn64({2, 1, 2, 3}, 5), randn64({3, 3, 2}, 6)});
  EXPECT_GRADCHECK([](const V& v) { return matmul(v[0], v[1]); }, {randn64({3}, 7), randn64({3, 2}, 8)});
  EXPECT_GRADCHECK([](const V& v) { return matmul(v[0], v[1]); }, {randn64({2, 3}, 9), randn64({3}, 10)});
}

TEST(Linear, ForwardAndGradcheck) {
  Tensor x = randn64({5, 3}, 1), w = randn64({4, 3}, 2), b = randn64({4}, 3);
  Tensor y = linear(x, w, b);
  auto ref = naive(x, w.t());
  auto bv = b.to_vector<double>();
  auto yv = y.to_vector<double>();
  for (int i = 0; i < 5; ++i)
    for (int j = 0; j < 4; ++j) EXPECT_NEAR(yv[i * 4 + j], ref[i * 4 + j] + bv[j], 1e-12);
  // f32 goes through oneDNN with the bias fused
  auto y32 = linear(x.to(DType::f32), w.to(DType::f32), b.to(DType::f32)).to_vector<float>();
  for (size_t i = 0; i < yv.size(); ++i) EXPECT_NEAR(y32[i], yv[i], 1e-5);
  EXPECT_GRADCHECK([](const V& v) { return linear(v[0], v[1], v[2]); }, {x, w, b});
  EXPECT_GRADCHECK([](const V& v) { return linear(v[0], v[1]); }, {randn64({2, 3, 3}, 4), w});
  EXPECT_THROW(linear(x, w, randn64({3}, 5)), ShapeError);
}
