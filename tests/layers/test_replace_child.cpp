// Replacing a submodule (a new head): whatever the user assigns is what the module reports,
// trains and saves.
#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>

#include <ember/ember.h>
#include <ember/layers/layers.h>
#include <ember/layers/serialize.h>
#include <ember/optim/optim.h>

using namespace ember;
using namespace ember::nn;

namespace {

std::filesystem::path temp_file(const std::string& name) {
  return std::filesystem::temp_directory_path() /
         (name + "-" + std::to_string(::getpid()) + "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
}

// A ResNet-20 for 10 classes whose head is swapped for a 5-class one, the way a user writes it.
std::shared_ptr<CifarResNet> five_class_resnet(uint64_t seed) {
  Generator g(seed);
  auto model = resnet20({.num_classes = 10, .generator = &g});
  model->fc = std::make_shared<Linear>(64, 5, true, &g);
  return model;
}

}  // namespace

TEST(ReplaceChild, AssignedHeadIsWhatTheModuleReports) {
  auto model = five_class_resnet(1);
  const Tensor head_w = model->fc->weight;
  EXPECT_EQ(model->parameter("fc.weight").shape(), (Shape{5, 64}));
  EXPECT_TRUE(model->parameter("fc.weight").is_same(head_w));
  EXPECT_EQ(model->state_dict().at("fc.bias").shape(), (Shape{5}));
  EXPECT_EQ(model->submodule("fc").get(), model->fc.get());
  EXPECT_EQ(model->fc->path(), "fc");
  bool seen = false;
  for (const Tensor& p : model->parameters()) seen = seen || p.is_same(head_w);
  EXPECT_TRUE(seen) << "parameters() misses the new head";
  EXPECT_EQ(model->num_parameters(), 272474 - (64 * 10 + 10) + (64 * 5 + 5));
  EXPECT_NE(model->repr().find("(fc): Linear(in_features=64, out_features=5"), std::string::npos) << model->repr();
  EXPECT_EQ((*model)(randn({2, 3, 32, 32})).shape(), (Shape{2, 5}));
}

// Swap the head, train, save, reload into another model with the same swap: identical outputs.
TEST(ReplaceChild, TrainSaveReloadGivesIdenticalOutputs) {
  auto model = five_class_resnet(2);
  optim::SGD opt(model->parameters(), {.lr = 0.05, .momentum = 0.9});
  Generator data(3);
  const Tensor x = randn({8, 3, 32, 32}, DType::f32, Device::cpu(), &data);
  const Tensor y = randint(0, 5, {8}, DType::i64, Device::cpu(), &data);
  const Tensor head_before = model->fc->weight.clone();
  for (int step = 0; step < 3; ++step) {
    model->zero_grad();
    cross_entropy((*model)(x), y).backward();
    opt.step();
  }
  EXPECT_NE(model->fc->weight.to_vector<float>(), head_before.to_vector<float>()) << "the new head did not train";

  const auto path = temp_file("ember-replace-head.safetensors");
  save_weights(*model, path);
  auto reloaded = five_class_resnet(99);  // other initial weights everywhere
  load_weights(*reloaded, path);
  std::filesystem::remove(path);
  model->eval();
  reloaded->eval();
  EXPECT_EQ((*reloaded)(x).to_vector<float>(), (*model)(x).to_vector<float>());
  EXPECT_EQ(reloaded->fc->weight.to_vector<float>(), model->fc->weight.to_vector<float>());
}

TEST(ReplaceChild, ReplaceModuleByName) {
  Generator g(4);
  auto model = resnet20({.num_classes = 10, .generator = &g});
  model->replace_module("fc", std::make_shared<Linear>(64, 3, true, &g));
  EXPECT_EQ(model->fc->out_features, 3);  // the member itself holds the new head
  EXPECT_EQ(model->parameter("fc.weight").shape(), (Shape{3, 64}));
  try {
    model->replace_module("fc", std::make_shared<ReLU>());
    ADD_FAILURE() << "a ReLU went into a Linear member";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot hold a ReLU"), std::string::npos) << e.what();
  }
  EXPECT_EQ(model->fc->out_features, 3);  // unchanged by the refused replacement
  EXPECT_THROW(model->replace_module("head", std::make_shared<Linear>(64, 3)), IndexError);
  // A Module-typed member (ResNet's maxpool) takes any module.
  auto r18 = resnet18({.num_classes = 4, .small_input = true});
  r18->replace_module("maxpool", std::make_shared<MaxPool2d>(3, 2, 1));
  EXPECT_EQ(r18->submodule("maxpool")->type_name(), "MaxPool2d");
}

TEST(ReplaceChild, SequentialElements) {
  Generator g(5);
  Sequential seq{std::make_shared<Linear>(4, 8, true, &g), std::make_shared<ReLU>(),
                 std::make_shared<Linear>(8, 2, true, &g)};
  seq[2] = std::make_shared<Linear>(8, 6, true, &g);
  EXPECT_EQ(seq(randn({3, 4})).shape(), (Shape{3, 6}));
  EXPECT_EQ(seq.parameter("2.weight").shape(), (Shape{6, 8}));
  seq.replace_module("1", std::make_shared<Tanh>());
  EXPECT_EQ(seq.submodule("1")->type_name(), "Tanh");
  EXPECT_EQ(seq[1]->type_name(), "Tanh");
  seq[1] = nullptr;  // removed: skipped by forward and by the traversals
  EXPECT_EQ(seq.named_children().size(), 2u);
  EXPECT_EQ(seq(randn({3, 4})).shape(), (Shape{3, 6}));
}

TEST(ReplaceChild, NoCyclesAndNoHalfRegisteredElements) {
  Generator g(7);
  auto model = resnet20({.num_classes = 10, .generator = &g});
  EXPECT_THROW(model->layer1->replace_module("0", model), ValueError);  // would contain its parent
  Sequential seq;
  seq.push_back("1", std::make_shared<ReLU>());
  EXPECT_THROW(seq.push_back(std::make_shared<ReLU>()), ValueError);  // auto-named "1": taken
  EXPECT_EQ(seq.size(), 1u);  // the failed push left no element behind
  EXPECT_EQ(seq.push_back("b", std::make_shared<Tanh>())->type_name(), "Tanh");
  EXPECT_EQ(seq.size(), 2u);
}

TEST(ReplaceChild, AbsentShortcutCanBeAdded) {
  Generator g(6);
  BasicBlock block(8, 8, 1, nullptr, &g);
  EXPECT_EQ(block.named_children().size(), 5u);  // conv1, bn1, relu, conv2, bn2: no downsample yet
  block.downsample = std::make_shared<Identity>();
  EXPECT_EQ(block.named_children().size(), 6u);
  EXPECT_EQ(block.submodule("downsample")->type_name(), "Identity");
}
