#include <gtest/gtest.h>

#include "testing/assert_close.h"
#include "testing/gradcheck.h"

using namespace ember;
using ember::testing::assert_close;
using ember::testing::gradcheck;
using ember::testing::randn64;
using ember::testing::Tol;
using V = std::vector<Tensor>;

namespace {
struct ConvCase {
  Shape x, w;
  Conv2dOptions opt;
  bool bias;
};
// Odd shapes: non-square inputs, stride 2, padding, dilation, groups, 1x1 and no bias.
std::vector<ConvCase> cases() {
  return {
      {{2, 3, 5, 6}, {4, 3, 3, 3}, {}, true},
      {{1, 2, 7, 5}, {3, 2, 3, 2}, {{2, 1}, {1, 0}, {1, 1}, 1}, true},
      {{2, 4, 6, 7}, {4, 2, 3, 3}, {{1, 2}, {2, 1}, {2, 1}, 2}, false},
      {{1, 4, 5, 5}, {2, 4, 1, 1}, {{2, 2}, {0, 0}, {1, 1}, 1}, true},
      {{2, 6, 4, 4}, {6, 1, 3, 3}, {{1, 1}, {1, 1}, {1, 1}, 6}, true},  // depthwise
  };
}
}  // namespace

TEST(Conv2d, Gradcheck) {
  int seed = 0;
  for (const auto& c : cases()) {
    Tensor x = randn64(c.x, ++seed), w = randn64(c.w, ++seed), b = randn64({c.w[0]}, ++seed);
    if (c.bias)
      EXPECT_GRADCHECK([&](const V& v) { return conv2d(v[0], v[1], v[2], c.opt); }, {x, w, b}) << shape_str(c.x);
    else
      EXPECT_GRADCHECK([&](const V& v) { return conv2d(v[0], v[1], Tensor(), c.opt); }, {x, w}) << shape_str(c.x);
  }
}

TEST(Conv2d, OneDnnMatchesDirectLoops) {
  int seed = 100;
  for (const auto& c : cases()) {
    Tensor x = randn64(c.x, ++seed), w = randn64(c.w, ++seed), b = c.bias ? randn64({c.w[0]}, ++seed) : Tensor();
    Tensor x32 = x.to(DType::f32).requires_grad_(), w32 = w.to(DType::f32).requires_grad_();
    Tensor b32 = c.bias ? b.to(DType::f32).requires_grad_() : Tensor();
    Tensor x64 = x.detach().requires_grad_(), w64 = w.detach().requires_grad_();
    Tensor b64 = c.bias ? b.detach().requires_grad_() : Tensor();
    Tensor y32 = conv2d(x32, w32, b32, c.opt), y64 = conv2d(x64, w64, b64, c.opt);
    Tensor gy = randn64(y64.shape(), ++seed);
    y32.backward(gy.to(DType::f32));
    y64.backward(gy);
    const Tol tol{1e-4, 1e-4, /*require_finite=*/true};  // |f32 - f64| <= 1e-4 * (1 + |f64|)
    EXPECT_TRUE(assert_close(y32, y64, tol, "forward"));
    EXPECT_TRUE(assert_close(x32.grad(), x64.grad(), tol, "grad input"));
    EXPECT_TRUE(assert_close(w32.grad(), w64.grad(), tol, "grad weight"));
    if (c.bias) EXPECT_TRUE(assert_close(b32.grad(), b64.grad(), tol, "grad bias"));
  }
}

TEST(Conv2d, KnownValues) {
  // 1 channel, 3x3 ones kernel over 0..15: each output is the 3x3 window sum.
  Tensor x = arange(0, 16, 1, DType::f32).reshape({1, 1, 4, 4});
  Tensor w = ones({1, 1, 3, 3});
  EXPECT_EQ(conv2d(x, w).to_vector<float>(), (std::vector<float>{45, 54, 81, 90}));
  Tensor p = conv2d(x, w, tensor({1.f}), {{2, 2}, {1, 1}, {1, 1}, 1});
  EXPECT_EQ(p.shape(), (Shape{1, 1, 2, 2}));
  EXPECT_EQ(p.to_vector<float>(), (std::vector<float>{11, 25, 52, 91}));
}

TEST(Conv2d, BadInputs) {
  Tensor x = zeros({8, 3, 32, 32});
  try {
    conv2d(x, zeros({16, 1, 3, 3}));
    FAIL();
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("input has 3 channels but weight expects 1"), std::string::npos) << e.what();
  }
  EXPECT_THROW(conv2d(zeros({3, 32, 32}), zeros({1, 3, 3, 3})), ShapeError);
  EXPECT_THROW(conv2d(x, zeros({16, 3, 40, 3})), ShapeError);
  EXPECT_THROW(conv2d(zeros({1, 1, 2, 2}), zeros({1, 1, 4, 4}), Tensor(), {{2, 2}, {0, 0}, {1, 1}, 1}), ShapeError);
  EXPECT_THROW(conv2d(x, zeros({16, 3, 3, 3}, DType::f64)), DTypeError);
  EXPECT_THROW(conv2d(x, zeros({16, 3, 3, 3}), zeros({15})), ShapeError);
  EXPECT_THROW(conv2d(x, zeros({16, 3, 3, 3}), Tensor(), {{0, 1}, {0, 0}, {1, 1}, 1}), ValueError);
  EXPECT_THROW(conv2d(x, zeros({16, 1, 3, 3}), Tensor(), {{1, 1}, {0, 0}, {1, 1}, 3}), ValueError);
}
