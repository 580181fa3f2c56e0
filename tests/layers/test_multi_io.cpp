// Modules of several inputs and outputs: a class head and a box head on one trunk, a model of
// an image and a table; summary(), Sequential and a training step with two losses.
#include <gtest/gtest.h>

#include <ember/ember.h>
#include <ember/layers/layers.h>
#include <ember/optim/optim.h>

using namespace ember;
using namespace ember::nn;

namespace {

// Shared trunk, two heads: {logits [N, 3], boxes [N, 4]}.
class TwoHeads : public Module {
 public:
  explicit TwoHeads(Generator* g) : Module("TwoHeads") {
    register_module("trunk", &trunk, std::make_shared<Linear>(6, 16, true, g));
    register_module("cls", &cls, std::make_shared<Linear>(16, 3, true, g));
    register_module("box", &box, std::make_shared<Linear>(16, 4, true, g));
  }
  std::vector<Tensor> forward_multi(const std::vector<Tensor>& in) override {
    Tensor h = relu((*trunk)(in.at(0)));
    return {(*cls)(h), sigmoid((*box)(h))};
  }
  std::shared_ptr<Linear> trunk, cls, box;
};

// Two inputs, one output.
class ImageAndTable : public Module {
 public:
  explicit ImageAndTable(Generator* g) : Module("ImageAndTable") {
    register_module("image", &image, std::make_shared<Linear>(8, 4, true, g));
    register_module("table", &table, std::make_shared<Linear>(3, 4, true, g));
  }
  std::vector<Tensor> forward_multi(const std::vector<Tensor>& in) override {
    return {(*image)(in.at(0)) + (*table)(in.at(1))};
  }

 protected:
  void check_inputs(const std::vector<Tensor>& in) const override {
    EMBER_CHECK(in.size() == 2, ValueError, "{}: expected an image and a table, got {} inputs", label("ImageAndTable"),
                in.size());
  }

 public:
  std::shared_ptr<Linear> image, table;
};

class Nothing : public Module {
 public:
  Nothing() : Module("Nothing") {}
};

}  // namespace

TEST(MultiIO, TwoHeadsTrainWithTwoLosses) {
  Generator g(1);
  TwoHeads model(&g);
  const Tensor x = randn({8, 6}, DType::f32, Device::cpu(), &g);
  const Tensor y = randint(0, 3, {8}, DType::i64, Device::cpu(), &g);
  const Tensor boxes = rand({8, 4}, DType::f32, Device::cpu(), &g);
  optim::Adam opt(model.parameters(), {.lr = 1e-2});
  double first = 0, last = 0;
  for (int step = 0; step < 30; ++step) {
    model.zero_grad();
    const std::vector<Tensor> out = model({x});
    ASSERT_EQ(out.size(), 2u);
    Tensor loss = cross_entropy(out[0], y) + smooth_l1_loss(out[1], boxes);
    loss.backward();
    opt.step();
    (step == 0 ? first : last) = loss.item<double>();
  }
  EXPECT_LT(last, first * 0.8);
  EXPECT_TRUE(model.box->weight.grad().defined() && model.cls->weight.grad().defined());
  // The one-tensor call refuses a module of two outputs with a pointer to the other call.
  try {
    (void)model(x);
    ADD_FAILURE() << "no error";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("gives 2 outputs"), std::string::npos) << e.what();
  }
  const std::string s = model.summary({8, 6});
  EXPECT_NE(s.find("Output shape: [8, 3], [8, 4]"), std::string::npos) << s;
  EXPECT_NE(s.find("cls (Linear)"), std::string::npos) << s;
}

TEST(MultiIO, TwoInputsAndSequential) {
  Generator g(2);
  auto both = std::make_shared<ImageAndTable>(&g);
  const Tensor img = randn({5, 8}), tab = randn({5, 3});
  EXPECT_EQ(both->operator()({img, tab}).at(0).shape(), (Shape{5, 4}));
  EXPECT_THROW((*both)({img}), ValueError);
  const std::string s = both->summary(std::vector<Shape>{{5, 8}, {5, 3}});
  EXPECT_NE(s.find("Input shape: [5, 8], [5, 3]"), std::string::npos) << s;
  // Sequential passes several tensors along, and one tensor to one-tensor children.
  Sequential seq{both, std::make_shared<ReLU>(), std::make_shared<Linear>(4, 2, true, &g)};
  const std::vector<Tensor> y = seq({img, tab});
  ASSERT_EQ(y.size(), 1u);
  EXPECT_EQ(y[0].shape(), (Shape{5, 2}));
  // A plain layer works through the list call too.
  Linear lin(3, 2);
  EXPECT_EQ(lin({tab}).at(0).shape(), (Shape{5, 2}));
  EXPECT_THROW(lin({tab, tab}), ValueError);
}

TEST(MultiIO, SequentialTrunkThenTwoHeads) {
  Generator g(3);
  Sequential seq{std::make_shared<Linear>(5, 6, true, &g), std::make_shared<TwoHeads>(&g)};
  const std::vector<Tensor> out = seq({randn({4, 5})});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1].shape(), (Shape{4, 4}));
  // An MLP flattens image inputs through either call, and in summary().
  auto mlp = make_model("mlp", {.num_classes = 10, .in_features = 784});
  EXPECT_EQ((*mlp)({zeros({2, 1, 28, 28})}).at(0).shape(), (Shape{2, 10}));
  EXPECT_NE(mlp->summary({2, 1, 28, 28}).find("Output shape: [2, 10]"), std::string::npos);
}

TEST(MultiIO, ModuleWithoutForwardSaysSo) {
  Nothing n;
  EXPECT_THROW(n(ones({1})), NotImplementedError);
  EXPECT_THROW(n({ones({1})}), NotImplementedError);
}
