// Each layer: output shapes, behaviour in train and eval mode, input checks, losses.
#include <gtest/gtest.h>

#include <cmath>

#include <ember/ember.h>
#include <ember/layers/layers.h>

using namespace ember;
using namespace ember::nn;

namespace {

std::string message_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no exception)";
}

TEST(Linear, ShapesAndBias) {
  Linear lin(5, 3);
  EXPECT_EQ(lin.weight.shape(), (Shape{3, 5}));
  EXPECT_EQ(lin.bias.shape(), (Shape{3}));
  EXPECT_EQ(lin(randn({4, 5})).shape(), (Shape{4, 3}));
  EXPECT_EQ(lin(randn({2, 4, 5})).shape(), (Shape{2, 4, 3}));
  Linear nb(5, 3, false);
  EXPECT_FALSE(nb.bias.defined());
  EXPECT_EQ(nb.named_parameters().size(), 1u);
  EXPECT_EQ(nb.state_dict().keys(), (std::vector<std::string>{"weight"}));
  EXPECT_THROW(lin(randn({4, 6})), ShapeError);
}

TEST(Conv2d, Shapes) {
  Conv2d c(3, 8, 3, {.stride = {2, 2}, .padding = {1, 1}});
  EXPECT_EQ(c.weight.shape(), (Shape{8, 3, 3, 3}));
  EXPECT_EQ(c(randn({2, 3, 9, 7})).shape(), (Shape{2, 8, 5, 4}));
  Conv2d g(4, 6, Pair{3, 1}, {.dilation = {2, 1}, .groups = 2}, false);
  EXPECT_EQ(g.weight.shape(), (Shape{6, 2, 3, 1}));
  EXPECT_EQ(g(randn({1, 4, 8, 5})).shape(), (Shape{1, 6, 4, 5}));
  EXPECT_THROW(Conv2d(3, 8, 3, {.groups = 2}), ValueError);
  EXPECT_THROW(Conv2d(3, 8, 0), ValueError);
  Conv2d d(3, 8, 3, {.dilation = {2, 1}});
  EXPECT_EQ(message_of([&] { d(randn({1, 3, 4, 4})); }),
            "conv2d: input spatial size [4, 4] with padding [0, 0] is smaller than the kernel [3, 3] with dilation "
            "[2, 1] (input shape [1, 3, 4, 4])");
}

TEST(BatchNorm2d, TrainingUpdatesRunningStats) {
  BatchNorm2d bn(3);
  EXPECT_EQ(bn.running_mean.to_vector<float>(), std::vector<float>(3, 0.0f));
  EXPECT_EQ(bn.running_var.to_vector<float>(), std::vector<float>(3, 1.0f));
  Tensor x = randn({4, 3, 5, 5}, DType::f64) * 2.0 + 3.0;
  bn.to(DType::f64);
  Tensor y = bn(x);
  EXPECT_EQ(y.shape(), x.shape());
  EXPECT_EQ(bn.num_batches_tracked.item<int64_t>(), 1);
  Tensor bmean = mean(x, {0, 2, 3});
  Tensor bvar = var(x, {0, 2, 3});  // unbiased, as the running buffer uses
  auto rm = bn.running_mean.to_vector<double>(), rv = bn.running_var.to_vector<double>();
  auto m = bmean.to_vector<double>(), v = bvar.to_vector<double>();
  for (int c = 0; c < 3; ++c) {
    EXPECT_NEAR(rm[c], 0.1 * m[c], 1e-12);
    EXPECT_NEAR(rv[c], 0.9 + 0.1 * v[c], 1e-12);
  }
  // The output is normalized per channel with the batch statistics.
  auto ym = mean(y, {0, 2, 3}).to_vector<double>();
  for (double a : ym) EXPECT_NEAR(a, 0.0, 1e-10);

  bn.eval();
  Tensor y2 = bn(x);
  EXPECT_EQ(bn.num_batches_tracked.item<int64_t>(), 1);
  EXPECT_EQ(bn.running_mean.to_vector<double>(), rm);
  // eval: (x - running_mean) / sqrt(running_var + eps)
  double x0 = x.at<double>({0, 1, 2, 2}), y0 = y2.at<double>({0, 1, 2, 2});
  EXPECT_NEAR(y0, (x0 - rm[1]) / std::sqrt(rv[1] + 1e-5), 1e-12);
}

TEST(BatchNorm2d, CumulativeAverageWithoutMomentum) {
  BatchNorm2d bn(2, {.momentum = std::nullopt});
  bn.to(DType::f64);
  Tensor a = randn({3, 2, 2, 2}, DType::f64), b = randn({3, 2, 2, 2}, DType::f64) + 1.0;
  bn(a);
  bn(b);
  EXPECT_EQ(bn.num_batches_tracked.item<int64_t>(), 2);
  auto ma = mean(a, {0, 2, 3}).to_vector<double>(), mb = mean(b, {0, 2, 3}).to_vector<double>();
  auto rm = bn.running_mean.to_vector<double>();
  for (int c = 0; c < 2; ++c) EXPECT_NEAR(rm[c], 0.5 * (ma[c] + mb[c]), 1e-12);
}

TEST(BatchNorm2d, WithoutRunningStatsOrAffine) {
  BatchNorm2d bn(2, {.affine = false, .track_running_stats = false});
  EXPECT_TRUE(bn.named_parameters().empty());
  EXPECT_TRUE(bn.state_dict().empty());
  bn.eval();  // still normalizes with the batch statistics
  Tensor y = bn(randn({3, 2, 4, 4}) * 5.0 + 2.0);
  for (double m : mean(y, {0, 2, 3}).to_vector<double>()) EXPECT_NEAR(m, 0.0, 1e-5);
}

TEST(BatchNorm, InputChecks) {
  BatchNorm2d bn(3);
  EXPECT_EQ(message_of([&] { bn(randn({2, 4, 5, 5})); }),
            "batch_norm2d: input has 4 channels but the layer expects 3 (input shape [2, 4, 5, 5])");
  EXPECT_THROW(bn(randn({2, 3, 5})), ShapeError);
  EXPECT_THROW(bn(randn({1, 3, 1, 1})), ValueError);  // one value per channel in training
  bn.eval();
  EXPECT_EQ(bn(randn({1, 3, 1, 1})).shape(), (Shape{1, 3, 1, 1}));
  BatchNorm1d bn1(4);
  EXPECT_EQ(bn1(randn({5, 4})).shape(), (Shape{5, 4}));
  EXPECT_EQ(bn1(randn({5, 4, 7})).shape(), (Shape{5, 4, 7}));
  EXPECT_THROW(bn1(randn({5, 4, 7, 2})), ShapeError);
}

TEST(Activations, MatchTheOps) {
  Tensor x = randn({3, 4});
  EXPECT_EQ(ReLU()(x).to_vector<float>(), relu(x).to_vector<float>());
  EXPECT_EQ(LeakyReLU(0.2)(x).to_vector<float>(), leaky_relu(x, 0.2).to_vector<float>());
  EXPECT_EQ(GELU()(x).to_vector<float>(), gelu(x).to_vector<float>());
  EXPECT_EQ(Sigmoid()(x).to_vector<float>(), sigmoid(x).to_vector<float>());
  EXPECT_EQ(Tanh()(x).to_vector<float>(), tanh(x).to_vector<float>());
  EXPECT_EQ(make_activation("gelu")->type_name(), "GELU");
  EXPECT_NE(message_of([] { make_activation("swish"); }).find("relu, leaky_relu, gelu, sigmoid, tanh"),
            std::string::npos);
}

TEST(Pooling, Shapes) {
  Tensor x = randn({2, 3, 7, 6});
  EXPECT_EQ(MaxPool2d(2)(x).shape(), (Shape{2, 3, 3, 3}));
  EXPECT_EQ(MaxPool2d(3, 2, 1)(x).shape(), (Shape{2, 3, 4, 3}));
  EXPECT_EQ(MaxPool2d(2, 2, 0, true)(x).shape(), (Shape{2, 3, 4, 3}));
  EXPECT_EQ(AvgPool2d(2)(x).shape(), (Shape{2, 3, 3, 3}));
  EXPECT_EQ(AdaptiveAvgPool2d(1)(x).shape(), (Shape{2, 3, 1, 1}));
  EXPECT_EQ(AdaptiveAvgPool2d(Pair{2, 4})(x).shape(), (Shape{2, 3, 2, 4}));
  EXPECT_THROW(MaxPool2d(2, 2, 2), ValueError);  // padding over half the kernel
  EXPECT_THROW(MaxPool2d(2)(randn({3, 7, 6})), ShapeError);
  EXPECT_THROW(MaxPool2d(3)(randn({1, 1, 2, 2})), ShapeError);
  // Known values: 2x2 max and mean of 0..15.
  Tensor r = arange(0, 16, 1, DType::f32).reshape({1, 1, 4, 4});
  EXPECT_EQ(MaxPool2d(2)(r).to_vector<float>(), (std::vector<float>{5, 7, 13, 15}));
  EXPECT_EQ(AvgPool2d(2)(r).to_vector<float>(), (std::vector<float>{2.5, 4.5, 10.5, 12.5}));
}

TEST(Dropout, TrainAndEval) {
  Generator g(7);
  Dropout d(0.25, &g);
  Tensor x = ones({100, 100});
  auto v = d(x).to_vector<float>();
  int64_t zeros_count = 0;
  for (float a : v) {
    if (a == 0.0f)
      ++zeros_count;
    else
      EXPECT_FLOAT_EQ(a, 1.0f / 0.75f);
  }
  EXPECT_NEAR(zeros_count / 10000.0, 0.25, 0.02);
  // The same generator state gives the same mask.
  Generator g1(3), g2(3);
  Dropout d1(0.5, &g1), d2(0.5, &g2);
  EXPECT_EQ(d1(x).to_vector<float>(), d2(x).to_vector<float>());
  Generator g3(4);
  Dropout d3(0.5, &g3);
  EXPECT_NE(d1(x).to_vector<float>(), d3(x).to_vector<float>());
  d.eval();
  EXPECT_EQ(d(x).to_vector<float>(), x.to_vector<float>());
  EXPECT_THROW(Dropout(1.5), ValueError);
}

TEST(FlattenAndIdentity, Shapes) {
  Tensor x = randn({2, 3, 4, 5});
  EXPECT_EQ(Flatten()(x).shape(), (Shape{2, 60}));
  EXPECT_EQ(Flatten(0)(x).shape(), (Shape{120}));
  EXPECT_EQ(Flatten(1, 2)(x).shape(), (Shape{2, 12, 5}));
  EXPECT_THROW(Flatten(2, 1)(x), ShapeError);
  EXPECT_THROW(Flatten(4)(x), ShapeError);
  Identity id;
  EXPECT_TRUE(id(x).is_same(x));
}

TEST(Sequential, ChainsAndNames) {
  Sequential s{std::make_shared<Linear>(4, 8), std::make_shared<ReLU>()};
  auto out = s.push_back(std::make_shared<Linear>(8, 2));
  EXPECT_EQ(s.size(), 3u);
  EXPECT_EQ(s[2].get(), out.get());
  EXPECT_EQ(out->path(), "2");
  EXPECT_EQ(s(randn({5, 4})).shape(), (Shape{5, 2}));
  EXPECT_THROW(s[3], IndexError);
  std::vector<std::string> names;
  for (auto& [n, p] : s.named_parameters()) names.push_back(n);
  EXPECT_EQ(names, (std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias"}));
  Sequential empty;
  Tensor x = randn({2});
  EXPECT_TRUE(empty(x).is_same(x));
  // A bad shape in the middle is reported by the layer that sees it.
  Sequential bad{std::make_shared<Linear>(4, 8), std::make_shared<Linear>(7, 2)};
  EXPECT_EQ(message_of([&] { bad(randn({5, 4})); }),
            "linear '1': input has 8 features (last dim) but weight expects 7 (input shape [5, 8])");
}

TEST(Losses, WrapTheOps) {
  Tensor logits = randn({6, 4}), target = randint(0, 4, {6});
  EXPECT_FLOAT_EQ(CrossEntropyLoss()(logits, target).item<float>(), cross_entropy(logits, target).item<float>());
  EXPECT_FLOAT_EQ(CrossEntropyLoss(Reduction::sum, 0.1)(logits, target).item<float>(),
                  cross_entropy(logits, target, Reduction::sum, 0.1).item<float>());
  Tensor t2 = target.clone();
  {
    NoGradGuard ng;
    t2.narrow(0, 0, 2).fill_(-1.0);
  }
  EXPECT_FLOAT_EQ(CrossEntropyLoss(Reduction::mean, 0.0, -1)(logits, t2).item<float>(),
                  cross_entropy(logits, t2, Reduction::mean, 0.0, -1).item<float>());
  Tensor a = randn({3, 5}), b = randn({3, 5});
  EXPECT_FLOAT_EQ(MSELoss()(a, b).item<float>(), mse_loss(a, b).item<float>());
  EXPECT_EQ(MSELoss(Reduction::none)(a, b).shape(), (Shape{3, 5}));
  EXPECT_FLOAT_EQ(L1Loss(Reduction::sum)(a, b).item<float>(), l1_loss(a, b, Reduction::sum).item<float>());
  EXPECT_FLOAT_EQ(SmoothL1Loss(Reduction::mean, 0.5)(a, b).item<float>(),
                  smooth_l1_loss(a, b, Reduction::mean, 0.5).item<float>());
  Tensor y = rand({3, 5}), pw = full({5}, 2.0);
  BCEWithLogitsLoss bce(Reduction::mean, pw);
  EXPECT_FLOAT_EQ(bce(a, y).item<float>(), binary_cross_entropy_with_logits(a, y, Reduction::mean, pw).item<float>());
  EXPECT_EQ(bce.state_dict().keys(), (std::vector<std::string>{"pos_weight"}));
  EXPECT_FLOAT_EQ(BCEWithLogitsLoss()(a, y).item<float>(), binary_cross_entropy_with_logits(a, y).item<float>());
  // Gradients flow through the module form.
  Linear lin(5, 4);
  CrossEntropyLoss ce;
  ce(lin(a), randint(0, 4, {3})).backward();
  EXPECT_TRUE(lin.weight.grad().defined());
  EXPECT_THROW(ce.forward(a), ValueError);
  EXPECT_THROW(CrossEntropyLoss(Reduction::mean, 1.5), ValueError);
}

}  // namespace
