// The README's "ten lines of ember", kept compiling and running.
#include <gtest/gtest.h>

#include <ember/ember.h>

using namespace ember;

TEST(Readme, TenLines) {
  Tensor x = randn({64, 3});
  Tensor w = (randn({2, 3}) * 0.1).requires_grad_();
  Tensor y = randint(0, 2, {64});
  Tensor loss = cross_entropy(linear(x, w), y);
  loss.backward();
  fmt::print("loss {}\ngrad {}\n", loss, w.grad());
  Tensor before = w.detach().clone();
  { NoGradGuard ng; w.add_(w.grad(), -0.1); }
  EXPECT_EQ(w.grad().shape(), (Shape{2, 3}));
  EXPECT_LT(cross_entropy(linear(x, w), y).item<float>(), loss.item<float>());
  EXPECT_NE(w.to_vector<float>(), before.to_vector<float>());
}
