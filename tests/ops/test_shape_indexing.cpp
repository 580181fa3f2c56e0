#include <gtest/gtest.h>

#include "testing/gradcheck.h"

using namespace ember;
using ember::testing::gradcheck;
using ember::testing::randn64;
using V = std::vector<Tensor>;

namespace {
Tensor idx(std::vector<int64_t> v, Shape s) { return from_vector(v, std::move(s)); }
}  // namespace

TEST(Shape, CatStackSplit) {
  Tensor a = arange(0, 6, 1, DType::f32).reshape({2, 3});
  Tensor b = arange(6, 10, 1, DType::f32).reshape({2, 2});
  Tensor c = cat({a, b}, 1);
  EXPECT_EQ(c.shape(), (Shape{2, 5}));
  EXPECT_EQ(c.to_vector<float>(), (std::vector<float>{0, 1, 2, 6, 7, 3, 4, 5, 8, 9}));
  EXPECT_EQ(stack({a, a}, 1).shape(), (Shape{2, 2, 3}));
  auto parts = split(c, 2, 1);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[2].shape(), (Shape{2, 1}));
  auto p2 = split(c, std::vector<int64_t>{1, 4}, 1);
  EXPECT_EQ(p2[1].to_vector<float>(), (std::vector<float>{1, 2, 6, 7, 4, 5, 8, 9}));
  EXPECT_THROW(split(c, std::vector<int64_t>{1, 2}, 1), ShapeError);
  EXPECT_THROW(stack({a, b}), ShapeError);
}

TEST(Shape, Pad) {
  Tensor a = arange(1, 5, 1, DType::f32).reshape({2, 2});
  Tensor p = pad(a, {1, 0, 0, 1}, -1.0);
  EXPECT_EQ(p.shape(), (Shape{3, 3}));
  EXPECT_EQ(p.to_vector<float>(), (std::vector<float>{-1, 1, 2, -1, 3, 4, -1, -1, -1}));
  Tensor crop = pad(a, {-1, 0});
  EXPECT_EQ(crop.to_vector<float>(), (std::vector<float>{2, 4}));
  EXPECT_THROW(pad(a, {1}), ShapeError);
}

TEST(Shape, Gradcheck) {
  EXPECT_GRADCHECK([](const V& v) { return cat({v[0], v[1], v[0]}, 0); }, {randn64({2, 3}, 1), randn64({1, 3}, 2)});
  EXPECT_GRADCHECK([](const V& v) { return stack({v[0], v[1]}, 2); }, {randn64({2, 3}, 3), randn64({2, 3}, 4)});
  EXPECT_GRADCHECK([](const V& v) { return split(v[0], 2, 1)[1] * 3.0; }, {randn64({2, 5}, 5)});
  EXPECT_GRADCHECK([](const V& v) { return pad(v[0], {1, 2, 0, 1}); }, {randn64({2, 3}, 6)});
  EXPECT_GRADCHECK([](const V& v) { return pad(v[0], {-1, 1}); }, {randn64({2, 3}, 7).t()});
  EXPECT_GRADCHECK([](const V& v) { return v[0].reshape({3, 2}).t().slice(0, 0, 2, 1).expand({4, 2, 3}); },
                   {randn64({2, 3}, 8)});
  EXPECT_GRADCHECK([](const V& v) { return v[0].permute({2, 0, 1}).flatten().narrow(0, 3, 10); },
                   {randn64({2, 3, 4}, 9)});
  EXPECT_GRADCHECK([](const V& v) { return v[0].unsqueeze(1).squeeze(1).select(0, 1); }, {randn64({2, 3}, 10)});
  EXPECT_GRADCHECK([](const V& v) { return v[0].to(DType::f32).to(DType::f64) * 1.0; }, {randn64({3}, 11)},
                   {1e-3, 1e-4, 1e-3});
}

TEST(Indexing, GatherScatterIndexSelect) {
  Tensor x = arange(0, 6, 1, DType::f32).reshape({2, 3});
  Tensor i = idx({2, 0, 1, 1}, {2, 2});
  EXPECT_EQ(gather(x, 1, i).to_vector<float>(), (std::vector<float>{2, 0, 4, 4}));
  Tensor s = scatter_add(zeros({2, 3}), 1, i, ones({2, 2}));
  EXPECT_EQ(s.to_vector<float>(), (std::vector<float>{1, 0, 1, 0, 2, 0}));
  EXPECT_EQ(index_select(x, 1, idx({2, 2, 0}, {3})).to_vector<float>(), (std::vector<float>{2, 2, 0, 5, 5, 3}));
  EXPECT_EQ(index_select(x, 0, idx({1}, {1})).to_vector<float>(), (std::vector<float>{3, 4, 5}));
  EXPECT_THROW(gather(x, 1, idx({3, 0}, {2, 1})), IndexError);
  EXPECT_THROW(gather(x, 1, idx({-1, 0}, {2, 1})), IndexError);
  EXPECT_THROW(index_select(x, 0, idx({2}, {1})), IndexError);
  EXPECT_THROW(gather(x, 1, i.to(DType::i32)), DTypeError);
}

// f16/bf16 sums accumulate in f32 and round once: adding 4096 ones one f16 rounding at a
// time would stop at 2048 (2048 + 1 rounds back to 2048).
TEST(Indexing, HalfScatterAddAccumulatesInFloat) {
  for (DType d : {DType::f16, DType::bf16}) {
    Tensor s = scatter_add(zeros({2}, d), 0, zeros({4096}, DType::i64), ones({4096}, d));
    EXPECT_EQ(s.to_vector<double>(), (std::vector<double>{4096, 0})) << dtype_name(d);
    EXPECT_EQ(s.dtype(), d);
  }
}

TEST(Indexing, OneHot) {
  Tensor o = one_hot(idx({2, 0}, {2}), 3);
  EXPECT_EQ(o.shape(), (Shape{2, 3}));
  EXPECT_EQ(o.to_vector<int64_t>(), (std::vector<int64_t>{0, 0, 1, 1, 0, 0}));
  EXPECT_EQ(one_hot(idx({1, 3}, {2})).shape(), (Shape{2, 4}));
}

TEST(Indexing, Gradcheck) {
  Tensor i = idx({2, 0, 1, 1, 0, 0}, {2, 3});
  EXPECT_GRADCHECK([&](const V& v) { return gather(v[0], 1, i); }, {randn64({2, 4}, 1)});
  EXPECT_GRADCHECK([&](const V& v) { return gather(v[0], 0, idx({1, 0, 1}, {1, 3})); }, {randn64({2, 3}, 2)});
  EXPECT_GRADCHECK([&](const V& v) { return scatter_add(v[0], 1, i, v[1]); }, {randn64({2, 4}, 3), randn64({2, 3}, 4)});
  EXPECT_GRADCHECK([&](const V& v) { return index_select(v[0], 1, idx({3, 0, 3}, {3})); }, {randn64({2, 4}, 5)});
  EXPECT_GRADCHECK([&](const V& v) { return index_select(v[0], 0, idx({1, 1}, {2})); }, {randn64({3, 2}, 6).t()});
}

TEST(Dropout, GradientUsesTheSameMask) {
  Generator g(1);
  Tensor x = ones({1000}, DType::f64).requires_grad_();
  Tensor y = dropout(x, 0.5, true, &g);
  y.sum().backward();
  EXPECT_EQ(x.grad().to_vector<double>(), y.detach().to_vector<double>());
}
