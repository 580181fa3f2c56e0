#include <gtest/gtest.h>

#include <cmath>

#include "testing/gradcheck.h"

using namespace ember;
using ember::testing::away_from;
using ember::testing::gradcheck;
using ember::testing::randn64;
using V = std::vector<Tensor>;

namespace {
struct BinaryCase {
  const char* name;
  std::function<Tensor(const Tensor&, const Tensor&)> op;
  std::function<double(double, double)> ref;
};
std::vector<BinaryCase> cases() {
  return {
      {"add", [](const Tensor& a, const Tensor& b) { return a + b; }, [](double a, double b) { return a + b; }},
      {"sub", [](const Tensor& a, const Tensor& b) { return a - b; }, [](double a, double b) { return a - b; }},
      {"mul", [](const Tensor& a, const Tensor& b) { return a * b; }, [](double a, double b) { return a * b; }},
      {"div", [](const Tensor& a, const Tensor& b) { return a / b; }, [](double a, double b) { return a / b; }},
      {"maximum", [](const Tensor& a, const Tensor& b) { return maximum(a, b); },
       [](double a, double b) { return std::max(a, b); }},
      {"minimum", [](const Tensor& a, const Tensor& b) { return minimum(a, b); },
       [](double a, double b) { return std::min(a, b); }},
      {"pow", [](const Tensor& a, const Tensor& b) { return pow(abs(a) + 0.5, b); },
       [](double a, double b) { return std::pow(std::fabs(a) + 0.5, b); }},
  };
}
// Shapes that exercise broadcasting both ways, scalars and non-contiguous operands.
struct ShapePair {
  Shape a, b;
  bool transpose_a;
};
const ShapePair kShapes[] = {{{3, 4}, {3, 4}, false}, {{3, 1}, {1, 4}, false}, {{2, 3, 4}, {4}, false},
                             {{4}, {2, 3, 4}, false}, {{}, {3, 2}, false},     {{4, 3}, {3, 4}, true}};
}  // namespace

TEST(Binary, ForwardWithBroadcasting) {
  for (const auto& c : cases()) {
    for (const auto& s : kShapes) {
      Tensor a = randn64(s.a, 1), b = away_from(randn64(s.b, 2), {0.0}, 0.2);
      if (s.transpose_a) a = a.t();
      Tensor y = c.op(a, b);
      Shape out = broadcast_shapes(a.shape(), b.shape(), "t");
      ASSERT_EQ(y.shape(), out) << c.name;
      Tensor ea = a.expand(out).contiguous(), eb = b.expand(out).contiguous();
      auto av = ea.to_vector<double>(), bv = eb.to_vector<double>(), yv = y.to_vector<double>();
      for (size_t i = 0; i < yv.size(); ++i) EXPECT_NEAR(yv[i], c.ref(av[i], bv[i]), 1e-12) << c.name;
    }
  }
}

TEST(Binary, Gradcheck) {
  for (const auto& c : cases()) {
    for (const auto& s : kShapes) {
      Tensor a = randn64(s.a, 3), b = away_from(randn64(s.b, 4), {0.0}, 0.2);
      if (s.transpose_a) a = a.t();
      if (std::string(c.name) == "maximum" || std::string(c.name) == "minimum") b = b + 0.013;  // no ties
      EXPECT_GRADCHECK([&](const V& in) { return c.op(in[0], in[1]); }, {a, b})
          << c.name << " " << shape_str(s.a) << " vs " << shape_str(s.b);
    }
  }
}

TEST(Binary, ScalarForms) {
  Tensor a = away_from(randn64({5}, 5), {0.3});
  EXPECT_GRADCHECK([](const V& in) { return maximum(in[0], 0.3) + minimum(in[0], 0.3) * 2.0; }, {a});
  EXPECT_EQ(maximum(tensor({1.f, 5.f}), 2.0).to_vector<float>(), (std::vector<float>{2, 5}));
  EXPECT_GRADCHECK([](const V& in) { return (in[0] + 2.0) * 3.0 - 1.0; }, {a});
  EXPECT_GRADCHECK([](const V& in) { return 1.0 - in[0] / 4.0; }, {a});
}

TEST(Binary, MaximumTieSplitsGradient) {
  Tensor a = tensor({1.0, 2.0}, {2}).requires_grad_();
  Tensor b = tensor({1.0, 3.0}, {2}).requires_grad_();
  maximum(a, b).sum().backward();
  EXPECT_EQ(a.grad().to_vector<double>(), (std::vector<double>{0.5, 0}));
  EXPECT_EQ(b.grad().to_vector<double>(), (std::vector<double>{0.5, 1}));
}

TEST(Binary, ComparisonsAndWhere) {
  Tensor a = tensor({1.f, 2.f, 3.f});
  Tensor b = tensor({3.f, 2.f, 1.f});
  EXPECT_EQ(eq(a, b).to_vector<bool>(), (std::vector<bool>{false, true, false}));
  EXPECT_EQ(ne(a, b).to_vector<bool>(), (std::vector<bool>{true, false, true}));
  EXPECT_EQ(lt(a, b).to_vector<bool>(), (std::vector<bool>{true, false, false}));
  EXPECT_EQ(le(a, b).to_vector<bool>(), (std::vector<bool>{true, true, false}));
  EXPECT_EQ(gt(a, 1.5).to_vector<bool>(), (std::vector<bool>{false, true, true}));
  EXPECT_EQ(ge(a, 2.0).to_vector<bool>(), (std::vector<bool>{false, true, true}));
  EXPECT_EQ(where(gt(a, b), a, b).to_vector<float>(), (std::vector<float>{3, 2, 3}));
  EXPECT_EQ(where(gt(a, 1.5), a, -1.0).to_vector<float>(), (std::vector<float>{-1, 2, 3}));
  EXPECT_THROW(where(a, a, b), DTypeError);
}

TEST(Binary, WhereGradcheckWithBroadcasting) {
  Tensor cond = gt(randn64({3, 4}, 6), scalar_tensor(0.0, DType::f64));
  Tensor a = randn64({3, 1}, 7), b = randn64({4}, 8);
  EXPECT_GRADCHECK([&](const V& in) { return where(cond, in[0], in[1]); }, {a, b});
}

TEST(Binary, IntegerArithmetic) {
  Tensor a = from_vector(std::vector<int32_t>{1, 2, 3}, {3});
  Tensor b = from_vector(std::vector<int32_t>{4, 5, 6}, {3});
  EXPECT_EQ((a * b + a).to_vector<int32_t>(), (std::vector<int32_t>{5, 12, 21}));
  EXPECT_EQ(maximum(a, b - a * 2).to_vector<int32_t>(), (std::vector<int32_t>{2, 2, 3}));
}

TEST(Binary, NaNPropagatesThroughMaximum) {
  EXPECT_TRUE(std::isnan(maximum(tensor({NAN}), tensor({1.f})).item<float>()));
  EXPECT_TRUE(std::isnan(minimum(tensor({1.f}), tensor({NAN})).item<float>()));
}

TEST(Binary, HalfPrecisionComputesInFloat) {
  Tensor a = randn({257}), b = randn({257});
  for (DType d : {DType::f16, DType::bf16}) {
    Tensor r = (a.to(d) * b.to(d) + exp(a.to(d))).to(DType::f32);
    // each op rounds its result to the 16-bit type
    auto round = [d](const Tensor& t) { return t.to(d).to(DType::f32); };
    Tensor A = round(a), B = round(b);
    Tensor ref = round(round(A * B) + round(exp(A)));
    EXPECT_EQ(r.to_vector<float>(), ref.to_vector<float>()) << dtype_name(d);
    EXPECT_NEAR(sum(a.to(d)).to(DType::f32).item<float>(), sum(a.to(d).to(DType::f32)).item<float>(), 0.5);
  }
  EXPECT_THROW(matmul(ones({2, 2}, DType::f16), ones({2, 2}, DType::f16)), DTypeError);
}
