#include <gtest/gtest.h>

#include <ember/ember.h>

using namespace ember;

namespace {
std::vector<double> v64(const Tensor& t) { return t.to_vector<double>(); }
Tensor leaf(std::initializer_list<double> v) {
  return tensor(v, {static_cast<int64_t>(v.size())}).requires_grad_();
}
}  // namespace

TEST(Engine, ScalarBackward) {
  Tensor x = leaf({1, 2, 3});
  (x * x).sum().backward();
  EXPECT_EQ(v64(x.grad()), (std::vector<double>{2, 4, 6}));
  EXPECT_TRUE(x.is_leaf());
  EXPECT_FALSE((x * x).is_leaf());
}

TEST(Engine, ExplicitGradient) {
  Tensor x = leaf({1, 2});
  Tensor y = x * 3.0;
  y.backward(tensor({1.0, 10.0}, {2}));
  EXPECT_EQ(v64(x.grad()), (std::vector<double>{3, 30}));
  EXPECT_THROW(y.backward(tensor({1.0}, {1})), Error);
}

TEST(Engine, AccumulatesAcrossCalls) {
  Tensor x = leaf({1, 2});
  (x * 2.0).sum().backward();
  (x * 3.0).sum().backward();
  EXPECT_EQ(v64(x.grad()), (std::vector<double>{5, 5}));
  x.zero_grad();
  EXPECT_FALSE(x.grad().defined());
}

TEST(Engine, GradDoesNotAliasBetweenLeaves) {
  // add's backward hands one tensor to both inputs; the leaves must not share it.
  Tensor a = leaf({1, 2}), b = leaf({3, 4});
  (a + b).sum().backward();
  {
    NoGradGuard ng;
    Tensor ga = a.grad();
    ga.mul_(5.0);
  }
  EXPECT_EQ(v64(b.grad()), (std::vector<double>{1, 1}));
}

TEST(Engine, DiamondGraph) {
  Tensor x = leaf({2});
  Tensor a = x * 3.0;  // 6
  Tensor b = a * a;    // uses a twice
  Tensor c = exp(a * 0.0) * a;  // a again through another path
  (b + c).sum().backward();
  // d/dx (9x^2 + 3x) = 18x + 3
  EXPECT_NEAR(x.grad().item<double>(), 39.0, 1e-12);
}

TEST(Engine, RetainGraph) {
  Tensor x = leaf({1, 2});
  Tensor y = (x.exp()).sum();
  y.backward(Tensor(), /*retain_graph=*/true);
  y.backward();
  EXPECT_NEAR(x.grad().at<double>({1}), 2 * std::exp(2.0), 1e-12);
  EXPECT_THROW(y.backward(), AutogradError);
}

TEST(Engine, SecondBackwardWithoutRetainFails) {
  Tensor x = leaf({1});
  Tensor y = (x + 1.0).sum();
  y.backward();
  try {
    y.backward();
    FAIL() << "expected AutogradError";
  } catch (const AutogradError& e) {
    EXPECT_NE(std::string(e.what()).find("retain_graph"), std::string::npos) << e.what();
  }
}

TEST(Engine, NoGradGuard) {
  Tensor x = leaf({1, 2});
  {
    NoGradGuard ng;
    Tensor y = x * 2.0;
    EXPECT_FALSE(y.requires_grad());
    EXPECT_FALSE(grad_enabled());
    {
      EnableGradGuard eg;
      EXPECT_TRUE((x * 2.0).requires_grad());
    }
  }
  EXPECT_TRUE(grad_enabled());
  EXPECT_TRUE((x * 2.0).requires_grad());
}

TEST(Engine, Detach) {
  Tensor x = leaf({1, 2});
  Tensor d = (x * 2.0).detach();
  EXPECT_FALSE(d.requires_grad());
  EXPECT_TRUE(d.is_leaf());
  Tensor y = (x * d).sum();  // d is a constant
  y.backward();
  EXPECT_EQ(v64(x.grad()), (std::vector<double>{2, 4}));
}

TEST(Engine, OnlyNeededGradients) {
  Tensor a = leaf({1, 2});
  Tensor b = tensor({3.0, 4.0}, {2});  // no grad
  (a * b).sum().backward();
  EXPECT_EQ(v64(a.grad()), (std::vector<double>{3, 4}));
  EXPECT_FALSE(b.grad().defined());
  // grad() runs only the part of the graph between outputs and inputs
  Tensor x = leaf({1}), w = leaf({5});
  Tensor h = x * w;
  Tensor out = (h * h).sum();
  auto g = autograd::grad({out}, {h});
  EXPECT_NEAR(g[0].item<double>(), 10.0, 1e-12);
  EXPECT_FALSE(x.grad().defined());  // grad() does not accumulate into leaves
  EXPECT_FALSE(w.grad().defined());
}

TEST(Engine, GradReportsUnusedInputs) {
  Tensor x = leaf({1}), z = leaf({2});
  Tensor y = (x * 2.0).sum();
  EXPECT_THROW(autograd::grad({y}, {z}, {}, true), AutogradError);
  auto g = autograd::grad({y}, {z}, {}, true, /*allow_unused=*/true);
  EXPECT_FALSE(g[0].defined());
}

TEST(Engine, InPlaceModificationOfSavedTensorIsDetected) {
  Tensor x = leaf({1, 2});
  Tensor y = x.exp();  // saves its output
  Tensor z = y.sum();
  {
    NoGradGuard ng;
    y.add_(1.0);
  }
  try {
    z.backward();
    FAIL() << "expected AutogradError";
  } catch (const AutogradError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("exp"), std::string::npos) << m;
    EXPECT_NE(m.find("modified in place"), std::string::npos) << m;
  }
}

TEST(Engine, InPlaceOnSavedInputThroughAView) {
  Tensor a = tensor({1.0, 2.0, 3.0}, {3});  // no grad, saved by mul
  Tensor x = leaf({1, 1, 1});
  Tensor y = (a * x).sum();
  a.narrow(0, 0, 1).fill_(9.0);  // the view shares a's version counter
  EXPECT_THROW(y.backward(), AutogradError);
}

TEST(Engine, InPlaceOnLeafRequiringGradIsRefused) {
  Tensor x = leaf({1});
  EXPECT_THROW(x.mul_(2.0), AutogradError);
  EXPECT_THROW(x.copy_(ones({1}, DType::f64)), AutogradError);
  NoGradGuard ng;
  EXPECT_NO_THROW(x.mul_(2.0));  // the optimizer's way
}

TEST(Engine, DeepChainDoesNotOverflowTheStack) {
  Tensor x = leaf({1.0});
  Tensor y = x;
  for (int i = 0; i < 100000; ++i) y = y * 1.0;
  y.sum().backward();
  EXPECT_EQ(x.grad().item<double>(), 1.0);
  // and freeing a retained deep graph does not recurse either
  Tensor z = x;
  for (int i = 0; i < 100000; ++i) z = z + 0.0;
  z = Tensor();
}

TEST(Engine, MultipleRoots) {
  Tensor x = leaf({2});
  Tensor a = x * 3.0, b = x * x;
  autograd::backward({a.sum(), b.sum()}, {});
  EXPECT_NEAR(x.grad().item<double>(), 3.0 + 4.0, 1e-12);
}

TEST(Engine, GradientsFlowThroughViews) {
  Tensor x = arange(0, 6, 1, DType::f64).requires_grad_();
  Tensor v = x.reshape({2, 3}).t().slice(0, 1, 3).select(1, 1);  // [x4, x5]
  (v * tensor({10.0, 100.0}, {2})).sum().backward();
  EXPECT_EQ(v64(x.grad()), (std::vector<double>{0, 0, 0, 0, 10, 100}));
}

TEST(Engine, IntegerOutputsDoNotRequireGrad) {
  Tensor x = leaf({1, 5, 3});
  Tensor idx = argmax(x, 0);
  EXPECT_FALSE(idx.requires_grad());
  Tensor m = gt(x, tensor({2.0}, {1}));
  EXPECT_FALSE(m.requires_grad());
}

TEST(Engine, SetRequiresGradOnNonLeafIsRefused) {
  Tensor x = leaf({1});
  Tensor y = x * 2.0;
  EXPECT_THROW(y.requires_grad_(false), AutogradError);
}
