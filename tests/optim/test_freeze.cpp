// Freezing and unfreezing with an optimizer that already exists, as PyTorch allows: frozen
// parameters are skipped at each step, and freeze(hold_statistics) keeps batch norm's
// running statistics still.
#include <gtest/gtest.h>

#include <ember/ember.h>
#include <ember/layers/layers.h>
#include <ember/optim/optim.h>

using namespace ember;
using namespace ember::nn;

namespace {

class TwoLayer : public Module {
 public:
  explicit TwoLayer(Generator* g) : Module("TwoLayer") {
    register_module("body", &body, std::make_shared<Linear>(4, 6, true, g));
    register_module("bn", &bn, std::make_shared<BatchNorm1d>(6));
    register_module("head", &head, std::make_shared<Linear>(6, 2, true, g));
  }
  Tensor forward(const Tensor& x) override { return (*head)(relu((*bn)((*body)(x)))); }
  std::shared_ptr<Linear> body;
  std::shared_ptr<BatchNorm1d> bn;
  std::shared_ptr<Linear> head;
};

void train_step(TwoLayer& m, optim::Optimizer& opt, const Tensor& x, const Tensor& y) {
  m.train();
  m.zero_grad();
  cross_entropy(m(x), y).backward();
  opt.step();
}

}  // namespace

TEST(Freeze, OptimizerSkipsParametersFrozenAfterItWasBuilt) {
  Generator g(1);
  TwoLayer m(&g);
  optim::SGD opt(m.parameters(), {.lr = 0.1, .momentum = 0.9});
  const Tensor x = randn({8, 4}, DType::f32, Device::cpu(), &g);
  const Tensor y = randint(0, 2, {8}, DType::i64, Device::cpu(), &g);
  train_step(m, opt, x, y);

  // Leftover gradients from the last backward must not move frozen weights either.
  cross_entropy(m(x), y).backward();
  m.body->freeze();
  const std::vector<float> body_w = m.body->weight.to_vector<float>();
  const std::vector<float> head_w = m.head->weight.to_vector<float>();
  opt.step();
  EXPECT_EQ(m.body->weight.to_vector<float>(), body_w);
  train_step(m, opt, x, y);
  EXPECT_EQ(m.body->weight.to_vector<float>(), body_w);
  EXPECT_NE(m.head->weight.to_vector<float>(), head_w);
  EXPECT_EQ(m.trainable_parameters().size(), m.parameters().size() - 2);

  // Clipping leaves a frozen parameter's leftover gradient out of the norm, like the step.
  cross_entropy(m(x), y).backward();
  m.body->freeze();
  const double with_frozen_left_out = optim::clip_grad_norm_(m.parameters(), 1e9);
  const double trainable_only = optim::clip_grad_norm_(m.trainable_parameters(), 1e9);
  EXPECT_EQ(with_frozen_left_out, trainable_only);
  m.zero_grad();

  m.body->unfreeze();  // partial unfreezing: the same optimizer picks it up again
  train_step(m, opt, x, y);
  EXPECT_NE(m.body->weight.to_vector<float>(), body_w);
  EXPECT_EQ(m.trainable_parameters().size(), m.parameters().size());
}

TEST(Freeze, OptimizerAcceptsFrozenParameters) {
  Generator g(2);
  TwoLayer m(&g);
  m.body->freeze();
  optim::Adam opt(m.parameters(), {.lr = 1e-2});  // PyTorch accepts them too
  const std::vector<float> body_w = m.body->weight.to_vector<float>();
  train_step(m, opt, randn({8, 4}, DType::f32, Device::cpu(), &g), randint(0, 2, {8}, DType::i64, Device::cpu(), &g));
  EXPECT_EQ(m.body->weight.to_vector<float>(), body_w);
  EXPECT_FALSE(m.body->weight.grad().defined());
}

TEST(Freeze, BatchNormStatisticsMoveUnlessHeld) {
  Generator g(3);
  TwoLayer m(&g);
  optim::SGD opt(m.trainable_parameters(), {.lr = 0.1});
  const Tensor x = randn({16, 4}, DType::f32, Device::cpu(), &g);
  const Tensor y = randint(0, 2, {16}, DType::i64, Device::cpu(), &g);

  m.bn->freeze();  // weights only: running statistics still follow the batches in train mode
  std::vector<float> mean = m.bn->running_mean.to_vector<float>();
  train_step(m, opt, x, y);
  EXPECT_NE(m.bn->running_mean.to_vector<float>(), mean);

  m.bn->freeze(/*hold_statistics=*/true);
  EXPECT_TRUE(m.bn->holds_statistics());
  mean = m.bn->running_mean.to_vector<float>();
  train_step(m, opt, x, y);  // calls m.train(): the held BatchNorm stays in eval mode
  EXPECT_FALSE(m.bn->is_training());
  EXPECT_TRUE(m.head->is_training());
  EXPECT_EQ(m.bn->running_mean.to_vector<float>(), mean);

  m.bn->unfreeze();
  m.train();
  EXPECT_TRUE(m.bn->is_training());
  EXPECT_TRUE(m.bn->weight.requires_grad());
}
