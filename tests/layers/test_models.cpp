// Models: output shapes, parameter counts, and parameter/buffer/state-dict names equal to
// torchvision's (names and shapes from the fixture, see make_layer_fixtures.py).
#include <gtest/gtest.h>

#include <cmath>

#include <ember/ember.h>
#include <ember/layers/layers.h>

#include "layer_fixture.h"

using namespace ember;
using namespace ember::nn;
using ember::testing::LayerFixture;

namespace {

void expect_layout_matches(const std::string& fixture_name, Module& m) {
  SCOPED_TRACE(fixture_name);
  const auto& fx = LayerFixture::get();
  ASSERT_TRUE(fx.error().empty()) << fx.error();
  const auto* c = fx.find(fixture_name);
  ASSERT_NE(c, nullptr);
  auto params = m.named_parameters();
  auto ref_params = c->all("pshape");
  ASSERT_EQ(params.size(), ref_params.size());
  for (size_t i = 0; i < params.size(); ++i) {
    EXPECT_EQ(params[i].first, ref_params[i]->name) << "parameter " << i;
    EXPECT_EQ(params[i].second.shape(), ref_params[i]->shape) << params[i].first;
  }
  auto buffers = m.named_buffers();
  auto ref_buffers = c->all("buffer");
  ASSERT_EQ(buffers.size(), ref_buffers.size());
  for (size_t i = 0; i < buffers.size(); ++i) {
    EXPECT_EQ(buffers[i].first, ref_buffers[i]->name) << "buffer " << i;
    EXPECT_EQ(buffers[i].second.shape(), ref_buffers[i]->shape) << buffers[i].first;
  }
  std::vector<std::string> ref_keys;
  for (const auto* r : c->all("skey")) ref_keys.push_back(r->name);
  EXPECT_EQ(m.state_dict().keys(), ref_keys);
  EXPECT_EQ(std::to_string(m.num_parameters()), c->find("count")->rest.at(0));
}

int64_t fixture_count(const std::string& name) {
  const auto* c = LayerFixture::get().find(name);
  return c ? std::stoll(c->find("count")->rest.at(0)) : -1;
}

TEST(Models, ResNet18MatchesTorchvision) {
  auto m = make_model("resnet18", {.num_classes = 1000});
  EXPECT_EQ(m->num_parameters(), 11689512);
  expect_layout_matches("resnet18", *m);
  EXPECT_EQ(m->type_name(), "ResNet");
}

TEST(Models, ResNet34MatchesTorchvision) {
  auto m = make_model("resnet34", {.num_classes = 1000});
  EXPECT_EQ(m->num_parameters(), 21797672);
  expect_layout_matches("resnet34", *m);
}

TEST(Models, ResNet50MatchesTorchvision) {
  auto m = make_model("resnet50", {.num_classes = 1000});
  EXPECT_EQ(m->num_parameters(), 25557032);
  expect_layout_matches("resnet50", *m);
  m->eval();
  EXPECT_EQ((*m)(randn({1, 3, 32, 32})).shape(), (Shape{1, 1000}));
}

TEST(Models, ResNet18SmallStem) {
  auto m = make_model("resnet18", {.num_classes = 10, .in_channels = 1, .small_input = true});
  expect_layout_matches("resnet18_small_c1_k10", *m);
  EXPECT_EQ(m->submodule("maxpool")->type_name(), "Identity");
  Tensor y = (*m)(randn({2, 1, 28, 28}));
  EXPECT_EQ(y.shape(), (Shape{2, 10}));
  // Backward reaches every parameter.
  cross_entropy(y, from_vector<int64_t>({3, 7}, {2})).backward();
  for (auto& [name, p] : m->named_parameters()) EXPECT_TRUE(p.grad().defined()) << name;
}

TEST(Models, ImageNetStemShapes) {
  auto r18 = resnet18({.num_classes = 7});
  EXPECT_EQ((*r18)(randn({1, 3, 64, 48})).shape(), (Shape{1, 7}));
  auto r34 = make_model("resnet34", {.num_classes = 3, .in_channels = 1, .small_input = true});
  EXPECT_EQ((*r34)(randn({2, 1, 16, 16})).shape(), (Shape{2, 3}));
}

TEST(Models, CifarResNets) {
  auto r20 = make_model("resnet20", {});
  expect_layout_matches("resnet20", *r20);
  EXPECT_EQ(r20->num_parameters(), 272474);  // 269,722 + 2,752 for the two projection shortcuts
  EXPECT_EQ((*r20)(randn({2, 3, 32, 32})).shape(), (Shape{2, 10}));
  EXPECT_EQ(r20->submodule("layer2.0.downsample.0")->type_name(), "Conv2d");
  auto r32 = make_model("resnet32", {.num_classes = 100});
  EXPECT_EQ(r32->num_parameters(), fixture_count("resnet32") + 64 * 90 + 90);  // fixture has 10 classes
  auto r56 = make_model("resnet56", {.in_channels = 1});
  EXPECT_EQ(r56->num_parameters(), fixture_count("resnet56") - 16 * 2 * 9);
  r56->eval();
  EXPECT_EQ((*r56)(randn({1, 1, 28, 28})).shape(), (Shape{1, 10}));
  EXPECT_THROW(CifarResNet(21), ValueError);
}

TEST(Models, MLP) {
  auto m = make_model("mlp", {});
  expect_layout_matches("mlp", *m);
  EXPECT_EQ((*m)(randn({4, 1, 28, 28})).shape(), (Shape{4, 10}));
  EXPECT_EQ((*m)(randn({4, 784})).shape(), (Shape{4, 10}));
  EXPECT_THROW((*m)(randn({4, 3, 28, 28})), ShapeError);
  auto d = make_model("mlp", {.num_classes = 2, .in_features = 2, .hidden_sizes = {16}, .activation = "gelu",
                              .dropout = 0.1});
  std::vector<std::string> types;
  for (auto& [name, child] : d->named_children()) types.push_back(child->type_name());
  EXPECT_EQ(types, (std::vector<std::string>{"Linear", "GELU", "Dropout", "Linear"}));
  EXPECT_THROW(MLP({5}), ValueError);
}

TEST(Models, UnknownNameListsTheValidOnes) {
  try {
    make_model("vgg16", {});
    FAIL() << "no exception";
  } catch (const ValueError& e) {
    EXPECT_STREQ(e.what(),
                 "make_model: unknown model 'vgg16' (valid: mlp, resnet18, resnet34, resnet50, resnet20, resnet32, "
                 "resnet56)");
  }
}

TEST(Models, TorchvisionInitialisation) {
  Generator gen(99);
  auto m = resnet18({.num_classes = 10, .generator = &gen});
  // conv: kaiming_normal_(fan_out, relu): std = sqrt(2 / (out * kh * kw))
  Tensor w = m->conv1->weight;
  double expect_std = std::sqrt(2.0 / (64 * 49));
  double s = ember::std(w).item<double>();
  EXPECT_NEAR(s, expect_std, 0.05 * expect_std);
  EXPECT_NEAR(mean(w).item<double>(), 0.0, 0.05 * expect_std);
  for (auto& [name, p] : m->named_parameters()) {
    if (name.find("bn") != std::string::npos || name.find("downsample.1") != std::string::npos) {
      double v = name.ends_with("weight") ? 1.0 : 0.0;
      for (float a : p.to_vector<float>()) ASSERT_EQ(a, v) << name;
    }
  }
  // fc keeps Linear's default: U(-1/sqrt(512), 1/sqrt(512))
  for (float a : m->fc->weight.to_vector<float>()) ASSERT_LE(std::fabs(a), 1.0 / std::sqrt(512.0) + 1e-7);
  // The same generator seed gives the same model.
  Generator g1(5), g2(5);
  auto a = make_model("resnet20", {.generator = &g1}), b = make_model("resnet20", {.generator = &g2});
  EXPECT_EQ(a->parameters()[3].to_vector<float>(), b->parameters()[3].to_vector<float>());
}

TEST(Models, ZeroInitResidual) {
  // Bottleneck blocks (one per stage keeps this test quick).
  auto m = std::make_shared<ResNet>(BlockType::bottleneck, std::array<int64_t, 4>{1, 1, 1, 1},
                                    ResNetOptions{.num_classes = 10, .zero_init_residual = true});
  EXPECT_EQ(m->fc->in_features, 2048);
  int checked = 0;
  m->apply([&](Module& mod) {
    if (auto* b = dynamic_cast<Bottleneck*>(&mod)) {
      for (float a : b->bn3->weight.to_vector<float>()) ASSERT_EQ(a, 0.0f);
      for (float a : b->bn2->weight.to_vector<float>()) ASSERT_EQ(a, 1.0f);
      ++checked;
    }
  });
  EXPECT_EQ(checked, 4);
  auto r = make_model("resnet20", {.zero_init_residual = true});
  auto blk = std::dynamic_pointer_cast<BasicBlock>(r->submodule("layer3.2"));
  ASSERT_NE(blk, nullptr);
  for (float a : blk->bn2->weight.to_vector<float>()) EXPECT_EQ(a, 0.0f);
  // With zero-initialised residuals (and eval-mode BN at its initial statistics) a block
  // without downsample is relu(identity).
  blk->eval();
  Tensor x = relu(randn({1, 64, 4, 4}));
  EXPECT_EQ((*blk)(x).to_vector<float>(), x.to_vector<float>());
}

TEST(Models, TrainingStepLowersTheLoss) {
  // Two SGD steps by hand on a fixed batch: the plumbing of forward, backward and parameters.
  Generator gen(3);
  auto m = make_model("resnet20", {.num_classes = 4, .generator = &gen});
  Tensor x = randn({8, 3, 8, 8}, DType::f32, Device::cpu(), &gen);
  Tensor y = randint(0, 4, {8}, DType::i64, Device::cpu(), &gen);
  CrossEntropyLoss ce;
  double first = 0.0, last = 0.0;
  for (int step = 0; step < 5; ++step) {
    m->zero_grad();
    Tensor loss = ce((*m)(x), y);
    if (step == 0) first = loss.item<double>();
    last = loss.item<double>();
    loss.backward();
    NoGradGuard ng;
    for (auto& p : m->parameters()) p.add_(p.grad(), -0.05);
  }
  EXPECT_LT(last, first);
}

}  // namespace
