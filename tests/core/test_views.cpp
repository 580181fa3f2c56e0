#include <gtest/gtest.h>

#include <ember/ember.h>

using namespace ember;

namespace {
Tensor iota(Shape s) { return arange(0, static_cast<double>(numel_of(s)), 1, DType::f32).reshape(s); }
std::vector<float> vals(const Tensor& t) { return t.to_vector<float>(); }
}  // namespace

TEST(Views, ShareStorage) {
  Tensor a = iota({2, 3});
  Tensor v = a.view({3, 2});
  EXPECT_EQ(v.impl()->storage().get(), a.impl()->storage().get());
  v.fill_(7.0);
  EXPECT_EQ(a.sum().item<float>(), 42.f);
}

TEST(Views, ReshapeInfersAndCopiesWhenNeeded) {
  Tensor a = iota({2, 3, 4});
  EXPECT_EQ(a.reshape({-1, 4}).shape(), (Shape{6, 4}));
  EXPECT_THROW(a.reshape({5, -1}), ShapeError);
  EXPECT_THROW(a.reshape({-1, -1}), ShapeError);
  Tensor t = a.transpose(0, 2);  // [4,3,2], non-contiguous
  EXPECT_FALSE(t.is_contiguous());
  EXPECT_THROW(t.view({24}), ShapeError);
  Tensor r = t.reshape({24});
  EXPECT_TRUE(r.is_contiguous());
  EXPECT_EQ(r.at<float>({1}), 12.f);  // t[0,0,1] = a[1,0,0]
  // merging dims that are contiguous with each other stays a view
  Tensor p = a.permute({1, 2, 0});  // [3,4,2]
  EXPECT_NO_THROW(p.view({12, 2}));
}

TEST(Views, PermuteTranspose) {
  Tensor a = iota({2, 3, 4});
  Tensor p = a.permute({2, 0, 1});
  EXPECT_EQ(p.shape(), (Shape{4, 2, 3}));
  EXPECT_EQ(p.at<float>({3, 1, 2}), a.at<float>({1, 2, 3}));
  EXPECT_THROW(a.permute({0, 0, 1}), ShapeError);
  EXPECT_THROW(a.permute({0, 1}), ShapeError);
  EXPECT_EQ(a.transpose(-1, 0).shape(), (Shape{4, 3, 2}));
}

TEST(Views, SliceNarrowSelect) {
  Tensor a = iota({4, 5});
  EXPECT_EQ(vals(a.slice(1, 1, 5, 2).contiguous()), (std::vector<float>{1, 3, 6, 8, 11, 13, 16, 18}));
  EXPECT_EQ(vals(a.narrow(0, 2, 2).select(1, -1)), (std::vector<float>{14, 19}));
  EXPECT_EQ(a.slice(0, -2, 100).shape(), (Shape{2, 5}));
  EXPECT_THROW(a.narrow(0, 3, 2), IndexError);
  EXPECT_THROW(a.select(1, 5), IndexError);
  EXPECT_THROW(a.slice(0, 0, 2, 0), ValueError);
}

TEST(Views, ExpandSqueezeUnsqueeze) {
  Tensor a = iota({3, 1});
  Tensor e = a.expand({2, 3, 4});
  EXPECT_EQ(e.strides(), (Strides{0, 1, 0}));
  EXPECT_EQ(e.at<float>({1, 2, 3}), 2.f);
  EXPECT_THROW(a.expand({3, 2, 2}), ShapeError);
  EXPECT_EQ(a.unsqueeze(0).shape(), (Shape{1, 3, 1}));
  EXPECT_EQ(a.unsqueeze(-1).shape(), (Shape{3, 1, 1}));
  EXPECT_EQ(a.squeeze().shape(), (Shape{3}));
  EXPECT_EQ(a.squeeze(0).shape(), (Shape{3, 1}));
  EXPECT_EQ(iota({2, 3, 4}).flatten(1).shape(), (Shape{2, 12}));
}

TEST(Views, BroadcastShapes) {
  EXPECT_EQ(broadcast_shapes(Shape{3, 1, 5}, Shape{4, 1}, "t"), (Shape{3, 4, 5}));
  EXPECT_EQ(broadcast_shapes(Shape{}, Shape{2, 2}, "t"), (Shape{2, 2}));
  EXPECT_THROW(broadcast_shapes(Shape{3}, Shape{4}, "t"), ShapeError);
}

TEST(Views, OpsOnNonContiguousInputs) {
  Tensor a = iota({3, 4});
  Tensor t = a.t();
  Tensor b = iota({4, 3});
  EXPECT_EQ(vals(t + b), vals(t.contiguous() + b));
  EXPECT_EQ(vals(exp(t * 0.1)), vals(exp(t.contiguous() * 0.1)));
  EXPECT_EQ(vals(sum(t, {1})), vals(sum(t.contiguous(), {1})));
  Tensor s = a.slice(1, 0, 4, 3);  // stride 3 columns
  EXPECT_EQ(vals(s * 2.0), (std::vector<float>{0, 6, 8, 14, 16, 22}));
}
