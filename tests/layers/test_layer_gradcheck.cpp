// Gradchecks (f64, central differences) of layers with respect to their input and every
// parameter, through the module interface.
#include <gtest/gtest.h>

#include <ember/ember.h>
#include <ember/layers/layers.h>

#include "testing/gradcheck.h"

using namespace ember;
using namespace ember::nn;
using ember::testing::gradcheck;
using ember::testing::randn64;

namespace {

// Differentiates m(x) with respect to x and each parameter: gradcheck hands the lambda
// fresh tensors, which set_parameter binds into the module before each call.
::testing::AssertionResult module_gradcheck(Module& m, const Tensor& x, ember::testing::GradcheckOptions opt = {}) {
  m.to(DType::f64);
  std::vector<std::string> names;
  std::vector<Tensor> inputs{x};
  for (auto& [name, p] : m.named_parameters()) {
    names.push_back(name);
    inputs.push_back(p.detach().clone());
  }
  return gradcheck(
      [&](const std::vector<Tensor>& v) {
        for (size_t i = 0; i < names.size(); ++i) m.set_parameter(names[i], v[i + 1]);
        return m(v[0]);
      },
      inputs, opt);
}

TEST(LayerGradcheck, Linear) {
  Linear lin(4, 3);
  EXPECT_TRUE(module_gradcheck(lin, randn64({2, 4}, 1)));
  Linear nb(3, 2, false);
  EXPECT_TRUE(module_gradcheck(nb, randn64({2, 3, 3}, 2)));
}

TEST(LayerGradcheck, Conv2d) {
  Conv2d c(2, 3, Pair{3, 2}, {.stride = {2, 1}, .padding = {1, 1}});
  EXPECT_TRUE(module_gradcheck(c, randn64({2, 2, 5, 4}, 3)));
  Conv2d g(4, 2, 3, {.padding = {2, 2}, .dilation = {2, 2}, .groups = 2}, false);
  EXPECT_TRUE(module_gradcheck(g, randn64({1, 4, 4, 5}, 4)));
}

TEST(LayerGradcheck, BatchNormTrainAndEval) {
  BatchNorm2d bn(3);
  bn.to(DType::f64);
  {
    NoGradGuard ng;
    bn.weight.copy_(randn64({3}, 5) * 0.5 + 1.0);
    bn.bias.copy_(randn64({3}, 6));
    bn.running_mean.copy_(randn64({3}, 7) * 0.3);
  }
  EXPECT_TRUE(module_gradcheck(bn, randn64({3, 3, 2, 2}, 8)));
  bn.eval();
  EXPECT_TRUE(module_gradcheck(bn, randn64({3, 3, 2, 2}, 9)));
  BatchNorm1d bn1(2);
  EXPECT_TRUE(module_gradcheck(bn1, randn64({4, 2}, 10)));
}

TEST(LayerGradcheck, Pooling) {
  MaxPool2d mp(3, 2, 1);
  EXPECT_TRUE(module_gradcheck(mp, randn64({1, 2, 5, 4}, 11)));
  AvgPool2d ap(3, 2, 1, true, false);
  EXPECT_TRUE(module_gradcheck(ap, randn64({1, 2, 5, 4}, 12)));
  AdaptiveAvgPool2d aap(Pair{2, 3});
  EXPECT_TRUE(module_gradcheck(aap, randn64({1, 2, 5, 4}, 13)));
}

TEST(LayerGradcheck, Activations) {
  Tensor x = ember::testing::away_from(randn64({2, 5}, 14), {0.0});
  for (auto name : {"relu", "leaky_relu", "gelu", "sigmoid", "tanh"}) {
    auto act = make_activation(name);
    EXPECT_TRUE(module_gradcheck(*act, x)) << name;
  }
}

TEST(LayerGradcheck, ResidualBlock) {
  // Projection shortcut, stride 2, BN in training mode: every parameter of the block.
  Generator gen(15);
  BasicBlock block(2, 3, 2, projection_shortcut(2, 3, 2, &gen), &gen);
  EXPECT_TRUE(module_gradcheck(block, randn64({2, 2, 4, 4}, 16), {.eps = 1e-6, .atol = 1e-5, .rtol = 1e-4}));
}

TEST(LayerGradcheck, MLPWithLoss) {
  Generator gen(17);
  MLP mlp({3, 4, 2}, "tanh", 0.0, &gen);
  CrossEntropyLoss ce;
  Tensor target = from_vector<int64_t>({0, 1, 1}, {3});
  mlp.to(DType::f64);
  std::vector<std::string> names;
  std::vector<Tensor> inputs{randn64({3, 3}, 18)};
  for (auto& [name, p] : mlp.named_parameters()) {
    names.push_back(name);
    inputs.push_back(p.detach().clone());
  }
  EXPECT_GRADCHECK(
      [&](const std::vector<Tensor>& v) {
        for (size_t i = 0; i < names.size(); ++i) mlp.set_parameter(names[i], v[i + 1]);
        return ce(mlp(v[0]), target);
      },
      inputs);
}

}  // namespace
