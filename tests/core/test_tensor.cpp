#include <gtest/gtest.h>

#include <ember/ember.h>

using namespace ember;

TEST(Tensor, MetadataOfFreshTensor) {
  Tensor t = zeros({2, 3, 4});
  EXPECT_EQ(t.shape(), (Shape{2, 3, 4}));
  EXPECT_EQ(t.strides(), (Strides{12, 4, 1}));
  EXPECT_EQ(t.numel(), 24);
  EXPECT_EQ(t.dim(), 3);
  EXPECT_EQ(t.dtype(), DType::f32);
  EXPECT_TRUE(t.device().is_cpu());
  EXPECT_TRUE(t.is_contiguous());
  EXPECT_EQ(reinterpret_cast<uintptr_t>(t.raw_data()) % 64, 0u);
}

TEST(Tensor, UndefinedTensorThrowsClearly) {
  Tensor t;
  EXPECT_FALSE(t.defined());
  EXPECT_THROW(t.shape(), ValueError);
}

TEST(Tensor, ItemAndAt) {
  Tensor t = arange(0, 6, 1, DType::f32).reshape({2, 3});
  EXPECT_EQ(t.at<float>({1, 2}), 5.f);
  EXPECT_EQ(t.at<float>({-1, 0}), 3.f);
  EXPECT_EQ(t.sum().item<float>(), 15.f);
  EXPECT_THROW(t.item<float>(), ValueError);
  EXPECT_THROW(t.at<float>({2, 0}), IndexError);
  EXPECT_THROW(t.at<float>({0}), IndexError);
}

TEST(Tensor, DataChecksDType) {
  Tensor t = zeros({3}, DType::f64);
  EXPECT_NO_THROW(t.data<double>());
  EXPECT_THROW(t.data<float>(), DTypeError);
}

TEST(Tensor, CastsBetweenAllDTypes) {
  Tensor t = tensor({-1.5f, 0.f, 2.25f, 3.f});
  for (DType d : {DType::f32, DType::f64, DType::f16, DType::bf16}) {
    auto back = t.to(d).to(DType::f32).to_vector<float>();
    EXPECT_EQ(back, (std::vector<float>{-1.5f, 0.f, 2.25f, 3.f})) << dtype_name(d);
  }
  EXPECT_EQ(t.to(DType::i32).to_vector<int32_t>(), (std::vector<int32_t>{-1, 0, 2, 3}));
  EXPECT_EQ(t.to(DType::i64).to_vector<int64_t>(), (std::vector<int64_t>{-1, 0, 2, 3}));
  EXPECT_EQ(t.to(DType::boolean).to_vector<bool>(), (std::vector<bool>{true, false, true, true}));
  EXPECT_EQ(tensor({1.f, 200.f}).to(DType::u8).to_vector<uint8_t>(), (std::vector<uint8_t>{1, 200}));
}

TEST(Tensor, HalfRoundsToNearestEven) {
  // 2049 is between the f16 values 2048 and 2050: ties go to even (2048).
  EXPECT_EQ(static_cast<float>(Half(2049.f)), 2048.f);
  EXPECT_EQ(static_cast<float>(Half(2051.f)), 2052.f);
  EXPECT_EQ(static_cast<float>(Half(65504.f)), 65504.f);
  EXPECT_TRUE(std::isinf(static_cast<float>(Half(1e6f))));
  EXPECT_EQ(static_cast<float>(Half(5.9604645e-08f)), 5.9604645e-08f);  // smallest subnormal
  EXPECT_TRUE(std::isnan(static_cast<float>(Half(NAN))));
  EXPECT_EQ(static_cast<float>(BFloat16(1.00390625f)), 1.f);  // tie -> even
  EXPECT_EQ(static_cast<float>(BFloat16(1.01171875f)), 1.015625f);
  EXPECT_TRUE(std::isnan(static_cast<float>(BFloat16(NAN))));
}

TEST(Tensor, CloneDoesNotAlias) {
  Tensor a = ones({4});
  Tensor b = a.clone();
  b.fill_(2.0);
  EXPECT_EQ(a.sum().item<float>(), 4.f);
  EXPECT_EQ(b.sum().item<float>(), 8.f);
}

TEST(Tensor, InPlaceOpsBumpVersion) {
  Tensor a = zeros({3});
  uint32_t v0 = a.version();
  a.add_(1.0);
  a.mul_(3.0);
  a.add_(ones({3}), 2.0);
  EXPECT_EQ(a.version(), v0 + 3);
  EXPECT_EQ(a.to_vector<float>(), (std::vector<float>{5.f, 5.f, 5.f}));
  // views share the counter
  Tensor v = a.narrow(0, 1, 1);
  v.fill_(0.0);
  EXPECT_EQ(a.version(), v0 + 4);
  EXPECT_EQ(a.to_vector<float>(), (std::vector<float>{5.f, 0.f, 5.f}));
}

TEST(Tensor, InPlaceBroadcastsOther) {
  Tensor a = zeros({2, 3});
  a.add_(tensor({1.f, 2.f, 3.f}));
  EXPECT_EQ(a.to_vector<float>(), (std::vector<float>{1, 2, 3, 1, 2, 3}));
  EXPECT_THROW(a.add_(zeros({4})), ShapeError);
  EXPECT_EQ(a.to_vector<float>(), (std::vector<float>{1, 2, 3, 1, 2, 3}));
}

TEST(Tensor, CopyCastsAndBroadcasts) {
  Tensor dst = zeros({2, 2}, DType::f64);
  dst.copy_(tensor({1.f, 2.f}));
  EXPECT_EQ(dst.to_vector<double>(), (std::vector<double>{1, 2, 1, 2}));
  Tensor t = zeros({3, 2}).t();  // non-contiguous destination
  t.copy_(arange(0, 6, 1, DType::f32).reshape({2, 3}));
  EXPECT_EQ(t.contiguous().to_vector<float>(), (std::vector<float>{0, 1, 2, 3, 4, 5}));
}

TEST(Tensor, ToCpuIsIdentity) {
  Tensor a = ones({2});
  EXPECT_TRUE(a.to(Device::cpu()).is_same(a));
  EXPECT_TRUE(a.to(DType::f32).is_same(a));
}

TEST(Device, Parse) {
  EXPECT_EQ(parse_device("cpu"), Device::cpu());
  EXPECT_EQ(parse_device("cuda"), Device::cuda(0));
  EXPECT_EQ(parse_device("cuda:3"), Device::cuda(3));
  EXPECT_THROW(parse_device("gpu"), ValueError);
  EXPECT_THROW(parse_device("cuda:-1"), ValueError);
  EXPECT_EQ(Device::cuda(1).str(), "cuda:1");
}
