#include <gtest/gtest.h>

#include <cmath>

#include "testing/gradcheck.h"

using namespace ember;
using ember::testing::away_from;
using ember::testing::gradcheck;
using ember::testing::randn64;
using V = std::vector<Tensor>;

namespace {
// Each unary op: forward against std:: on f64, then gradcheck on a contiguous and on a
// transposed (non-contiguous) input.
struct UnaryCase {
  const char* name;
  std::function<Tensor(const Tensor&)> op;
  std::function<double(double)> ref;
  std::function<Tensor(Tensor)> domain;  // maps randn input into the op's domain
};

std::vector<UnaryCase> cases() {
  auto id = [](Tensor t) { return t; };
  auto positive = [](Tensor t) { return abs(t) + 0.5; };
  auto kinks0 = [](Tensor t) { return away_from(t, {0.0}); };
  return {
      {"neg", [](const Tensor& x) { return neg(x); }, [](double v) { return -v; }, id},
      {"abs", [](const Tensor& x) { return abs(x); }, [](double v) { return std::fabs(v); }, kinks0},
      {"exp", [](const Tensor& x) { return exp(x); }, [](double v) { return std::exp(v); }, id},
      {"log", [](const Tensor& x) { return log(x); }, [](double v) { return std::log(v); }, positive},
      {"log1p", [](const Tensor& x) { return log1p(x); }, [](double v) { return std::log1p(v); }, positive},
      {"sqrt", [](const Tensor& x) { return sqrt(x); }, [](double v) { return std::sqrt(v); }, positive},
      {"rsqrt", [](const Tensor& x) { return rsqrt(x); }, [](double v) { return 1 / std::sqrt(v); }, positive},
      {"pow3", [](const Tensor& x) { return pow(x, 3.0); }, [](double v) { return v * v * v; }, id},
      {"pow_half", [](const Tensor& x) { return pow(x, 0.5); }, [](double v) { return std::sqrt(v); }, positive},
      {"rpow", [](const Tensor& x) { return pow(2.0, x); }, [](double v) { return std::pow(2.0, v); }, id},
      {"relu", [](const Tensor& x) { return relu(x); }, [](double v) { return v > 0 ? v : 0; }, kinks0},
      {"leaky_relu", [](const Tensor& x) { return leaky_relu(x, 0.1); }, [](double v) { return v > 0 ? v : 0.1 * v; },
       kinks0},
      {"gelu", [](const Tensor& x) { return gelu(x); },
       [](double v) { return 0.5 * v * (1 + std::erf(v / std::sqrt(2.0))); }, id},
      {"sigmoid", [](const Tensor& x) { return sigmoid(x); }, [](double v) { return 1 / (1 + std::exp(-v)); }, id},
      {"tanh", [](const Tensor& x) { return tanh(x); }, [](double v) { return std::tanh(v); }, id},
      {"clamp", [](const Tensor& x) { return clamp(x, -0.5, 0.7); }, [](double v) { return std::clamp(v, -0.5, 0.7); },
       [](Tensor t) { return away_from(t, {-0.5, 0.7}); }},
      {"clamp_min", [](const Tensor& x) { return clamp_min(x, 0.2); }, [](double v) { return std::max(v, 0.2); },
       [](Tensor t) { return away_from(t, {0.2}); }},
      {"affine", [](const Tensor& x) { return x * 2.5 - 1.0; }, [](double v) { return 2.5 * v - 1.0; }, id},
      {"rdiv", [](const Tensor& x) { return 3.0 / x; }, [](double v) { return 3.0 / v; }, positive},
  };
}
}  // namespace

TEST(Unary, ForwardMatchesStd) {
  for (const auto& c : cases()) {
    Tensor x = c.domain(randn64({37}, 1));
    auto xv = x.to_vector<double>();
    auto yv = c.op(x).to_vector<double>();
    for (size_t i = 0; i < xv.size(); ++i) EXPECT_NEAR(yv[i], c.ref(xv[i]), 1e-12) << c.name << " at " << xv[i];
    // f32 forward agrees with the f64 one
    auto y32 = c.op(x.to(DType::f32)).to_vector<float>();
    for (size_t i = 0; i < xv.size(); ++i) EXPECT_NEAR(y32[i], yv[i], 1e-5 * (1 + std::fabs(yv[i]))) << c.name;
  }
}

TEST(Unary, Gradcheck) {
  for (const auto& c : cases()) {
    Tensor x = c.domain(randn64({3, 4}, 2));
    EXPECT_GRADCHECK([&](const V& in) { return c.op(in[0]); }, {x}) << c.name;
    Tensor xt = c.domain(randn64({4, 3}, 3)).t();  // non-contiguous leaf
    ASSERT_FALSE(xt.is_contiguous());
    EXPECT_GRADCHECK([&](const V& in) { return c.op(in[0]); }, {xt}) << c.name << " (transposed)";
  }
}

TEST(Unary, SignAndIntegerOps) {
  EXPECT_EQ(sign(tensor({-2.f, 0.f, 3.f})).to_vector<float>(), (std::vector<float>{-1, 0, 1}));
  Tensor i = from_vector(std::vector<int64_t>{-3, 0, 4}, {3});
  EXPECT_EQ(abs(i).to_vector<int64_t>(), (std::vector<int64_t>{3, 0, 4}));
  EXPECT_EQ(neg(i).to_vector<int64_t>(), (std::vector<int64_t>{3, 0, -4}));
  EXPECT_EQ((i * 2.0 + 1.0).to_vector<int64_t>(), (std::vector<int64_t>{-5, 1, 9}));
}

TEST(Unary, NaNPropagates) {
  EXPECT_TRUE(std::isnan(relu(tensor({NAN, 1.f})).to_vector<float>()[0]));
  EXPECT_TRUE(std::isnan(clamp(tensor({NAN}), 0, 1).item<float>()));
  EXPECT_TRUE(std::isnan(exp(tensor({NAN})).item<float>()));
}

TEST(Unary, LargeInputsAreVectorizedAndCorrect) {
  Tensor x = linspace(-5, 5, 1 << 20);
  Tensor y = sigmoid(x);
  EXPECT_NEAR(y.at<float>({0}), 1 / (1 + std::exp(5.0)), 1e-6);
  EXPECT_NEAR(y.at<float>({(1 << 20) - 1}), 1 / (1 + std::exp(-5.0)), 1e-6);
  EXPECT_NEAR(sum(y).item<float>(), (1 << 20) / 2.0, 1.0);
}

TEST(Gradcheck, DetectsAWrongGradient) {
  // x.detach() * x has derivative 2x, but the graph only sees one factor: gradcheck must fail.
  auto r = gradcheck([](const V& v) { return v[0].detach() * v[0]; }, {randn64({3}, 1)});
  EXPECT_FALSE(r);
  EXPECT_NE(std::string(r.message()).find("analytical"), std::string::npos) << r.message();
}
