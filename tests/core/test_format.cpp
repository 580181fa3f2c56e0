#include <gtest/gtest.h>

#include <ember/ember.h>

using namespace ember;

TEST(Format, LikePyTorch) {
  EXPECT_EQ(fmt::format("{}", tensor({1.f, 2.f, 3.f})), "tensor([1., 2., 3.])");
  EXPECT_EQ(fmt::format("{}", tensor({1.5f, -2.25f})), "tensor([ 1.5000, -2.2500])");
  Tensor m = arange(0, 4, 1, DType::f64).reshape({2, 2});
  EXPECT_EQ(fmt::format("{}", m), "tensor([[0., 1.],\n        [2., 3.]], dtype=float64)");
  EXPECT_EQ(fmt::format("{}", arange(3)), "tensor([0, 1, 2])");
  EXPECT_EQ(fmt::format("{}", gt(arange(3), scalar_tensor(0, DType::i64))), "tensor([False,  True,  True])");
  EXPECT_EQ(fmt::format("{}", scalar_tensor(2.5)), "tensor(2.5000)");
  EXPECT_EQ(fmt::format("{}", zeros({0, 2})), "tensor([], shape=[0, 2])");
}

TEST(Format, SummarisesLargeTensors) {
  std::string s = fmt::format("{}", arange(2000));
  EXPECT_EQ(s, "tensor([   0,    1,    2, ..., 1997, 1998, 1999], shape=[2000])");
  std::string m = fmt::format("{}", zeros({100, 100}));
  EXPECT_NE(m.find("..."), std::string::npos);
  EXPECT_NE(m.find("shape=[100, 100]"), std::string::npos);
}

TEST(Format, GradAndScientific) {
  Tensor x = tensor({1.f, 2.f}).requires_grad_();
  EXPECT_EQ(fmt::format("{}", x), "tensor([1., 2.], requires_grad=True)");
  EXPECT_NE(fmt::format("{}", x * 2.0).find("grad_fn=<affine>"), std::string::npos);
  EXPECT_EQ(fmt::format("{}", tensor({1e-6f, 1.f})), "tensor([1.0000e-06, 1.0000e+00])");
}
