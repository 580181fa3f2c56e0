// Batch transforms: flips, crops with padding, translations, normalize; reproducibility.
#include "loaders/common.h"

#include <cmath>

using namespace ember;
using namespace ember::data;
using namespace ember::testing_data;

namespace {
// [n, c, h, w] with value (i*1000 + k*100 + y*10 + x) (as f32), or that mod 256 (u8).
Tensor coords(int64_t n, int64_t c, int64_t h, int64_t w, DType dt) {
  std::vector<float> v;
  for (int64_t i = 0; i < n; ++i)
    for (int64_t k = 0; k < c; ++k)
      for (int64_t y = 0; y < h; ++y)
        for (int64_t x = 0; x < w; ++x)
          v.push_back(static_cast<float>(i * 1000 + k * 100 + y * 10 + x));
  Tensor t = from_vector<float>(v, {n, c, h, w});
  if (dt == DType::u8) {
    std::vector<uint8_t> u;
    for (float f : v) u.push_back(static_cast<uint8_t>(static_cast<int>(f) % 256));
    t = from_vector<uint8_t>(u, {n, c, h, w});
  }
  return t;
}
}  // namespace

TEST(Transforms, FlipTwiceIsIdentity) {
  for (DType dt : {DType::u8, DType::f32}) {
    Tensor x = coords(3, 2, 4, 5, dt);
    Tensor f = horizontal_flip(x);
    EXPECT_EQ(f.dtype(), dt);
    EXPECT_EQ(f.at<float>({1, 1, 2, 0}), x.at<float>({1, 1, 2, 4}));
    EXPECT_EQ(horizontal_flip(f).to_vector<float>(), x.to_vector<float>());
  }
}

TEST(Transforms, RandomFlipIsPerSampleAndReproducible) {
  Tensor x = coords(64, 1, 2, 3, DType::f32);
  Generator g1(123), g2(123);
  Tensor a = random_horizontal_flip(x, g1);
  Tensor b = random_horizontal_flip(x, g2);
  EXPECT_EQ(a.to_vector<float>(), b.to_vector<float>());
  EXPECT_EQ(g1.offset(), 64u);  // one counter per sample
  int flipped = 0;
  Tensor fx = horizontal_flip(x);
  for (int64_t i = 0; i < 64; ++i) {
    std::vector<float> ai = a.select(0, i).to_vector<float>();
    bool is_flip = ai == fx.select(0, i).to_vector<float>();
    bool is_same = ai == x.select(0, i).to_vector<float>();
    EXPECT_TRUE(is_flip != is_same) << "sample " << i;
    flipped += is_flip;
  }
  EXPECT_GT(flipped, 10);
  EXPECT_LT(flipped, 54);
  // p = 0 and p = 1.
  Generator g3(1);
  EXPECT_EQ(random_horizontal_flip(x, g3, 0.0).to_vector<float>(), x.to_vector<float>());
  EXPECT_EQ(random_horizontal_flip(x, g3, 1.0).to_vector<float>(), fx.to_vector<float>());
}

TEST(Transforms, CropPaddedContent) {
  Tensor x = coords(2, 1, 3, 3, DType::f32);
  // Image 0 at offset (0, 0) of the 1-padded 5x5 image: the top-left 3x3 window.
  // Image 1 at offset (2, 1): rows 1..3 and cols 0..2 of the original, shifted.
  Tensor c = crop_padded(x, 1, 3, 3, {0, 2}, {0, 1}, -7.0);
  EXPECT_EQ(c.shape(), (Shape{2, 1, 3, 3}));
  EXPECT_EQ(c.select(0, 0).to_vector<float>(),
            (std::vector<float>{-7, -7, -7, -7, 0, 1, -7, 10, 11}));
  EXPECT_EQ(c.select(0, 1).to_vector<float>(),
            (std::vector<float>{1010, 1011, 1012, 1020, 1021, 1022, -7, -7, -7}));
  // The centre offset is the identity.
  EXPECT_EQ(crop_padded(x, 1, 3, 3, {1, 1}, {1, 1}, 0).to_vector<float>(), x.to_vector<float>());
}

TEST(Transforms, RandomCropShapeAndContent) {
  for (DType dt : {DType::u8, DType::f32}) {
    Tensor x = coords(16, 3, 8, 8, dt);
    Generator g(5);
    Tensor c = random_crop(x, 4, g);  // the CIFAR recipe: pad 4, crop back to 8x8
    EXPECT_EQ(c.shape(), (Shape{16, 3, 8, 8}));
    EXPECT_EQ(c.dtype(), dt);
    Tensor small = random_crop(x, 0, g, 5, 6);
    EXPECT_EQ(small.shape(), (Shape{16, 3, 5, 6}));
    // Every crop equals crop_padded at some offset, the same for all channels.
    Tensor xf = x.to(DType::f32), cf = c.to(DType::f32);
    for (int64_t i = 0; i < 16; ++i) {
      bool found = false;
      for (int64_t oy = 0; oy <= 8 && !found; ++oy)
        for (int64_t ox = 0; ox <= 8 && !found; ++ox) {
          Tensor ref = crop_padded(xf.narrow(0, i, 1), 4, 8, 8, {oy}, {ox}, 0.0);
          found = ref.to_vector<float>() == cf.narrow(0, i, 1).to_vector<float>();
        }
      EXPECT_TRUE(found) << "sample " << i;
    }
  }
  Tensor x = coords(2, 1, 4, 4, DType::f32);
  Generator g(0);
  EXPECT_DATA_ERROR(ShapeError, random_crop(x, 1, g, 7, 4), "7x4", "4x4", "padded by 1");
  EXPECT_DATA_ERROR(ShapeError, random_crop(x.view({2, 16}), 1, g), "[N, C, H, W]", "[2, 16]");
}

TEST(Transforms, RandomTranslateShiftsWithinBounds) {
  Tensor x = coords(32, 1, 6, 6, DType::f32) + 1.0;  // no zero pixels
  Generator g(9);
  Tensor t = random_translate(x, 2, 1, g);
  EXPECT_EQ(t.shape(), x.shape());
  for (int64_t i = 0; i < 32; ++i) {
    // Find the shift: pixel (y, x) of the output is input (y - dy, x - dx).
    bool found = false;
    for (int64_t dy = -1; dy <= 1 && !found; ++dy)
      for (int64_t dx = -2; dx <= 2 && !found; ++dx) {
        Tensor ref = crop_padded(x.narrow(0, i, 1), 2, 6, 6, {2 - dy}, {2 - dx}, 0.0);
        found = ref.to_vector<float>() == t.narrow(0, i, 1).to_vector<float>();
      }
    EXPECT_TRUE(found) << "sample " << i;
  }
  Generator g0(9);
  EXPECT_EQ(random_translate(x, 0, 0, g0).to_vector<float>(), x.to_vector<float>());
}

TEST(Transforms, NormalizeValues) {
  // u8: scaled by 1/255 first.
  std::vector<uint8_t> v = {0, 255, 51, 102};  // [1, 2, 1, 2]: channel 0 {0, 255}, 1 {51, 102}
  Tensor x = from_vector<uint8_t>(v, {1, 2, 1, 2});
  Tensor y = normalize(x, {0.5f, 0.1f}, {0.5f, 0.2f});
  EXPECT_EQ(y.dtype(), DType::f32);
  std::vector<float> got = y.to_vector<float>();
  std::vector<float> want = {-1.f, 1.f, (0.2f - 0.1f) / 0.2f, (0.4f - 0.1f) / 0.2f};
  for (size_t i = 0; i < 4; ++i) EXPECT_NEAR(got[i], want[i], 1e-6) << i;
  // f32: no scaling unless asked; a single mean/std applies to all channels.
  Tensor f = from_vector<float>({1.f, 3.f, 5.f, 7.f}, {1, 2, 1, 2});
  EXPECT_EQ(normalize(f, {1.f}, {2.f}).to_vector<float>(),
            (std::vector<float>{0.f, 1.f, 2.f, 3.f}));
  EXPECT_EQ(normalize(f, {0.f}, {1.f}, 0.5).to_vector<float>(),
            (std::vector<float>{0.5f, 1.5f, 2.5f, 3.5f}));
  // Tabular [N, F]: features are the channels.
  Tensor tab = from_vector<float>({1.f, 10.f, 3.f, 30.f}, {2, 2});
  EXPECT_EQ(normalize(tab, {2.f, 20.f}, {1.f, 10.f}).to_vector<float>(),
            (std::vector<float>{-1.f, -1.f, 1.f, 1.f}));
  EXPECT_DATA_ERROR(ShapeError, normalize(f, {0.f, 0.f, 0.f}, {1.f, 1.f, 1.f}), "3 values",
                    "2 channels");
  EXPECT_DATA_ERROR(ValueError, normalize(f, {0.f}, {0.f}), "std[0]");
  // channel_stats gives what normalize needs to reach mean 0, std 1.
  Tensor r = rand({50, 3, 4, 4});
  ChannelStats st = channel_stats(r);
  Tensor z = normalize(r, st.mean, st.std);
  ChannelStats zs = channel_stats(z);
  for (int k = 0; k < 3; ++k) {
    EXPECT_NEAR(zs.mean[k], 0.0, 1e-4);
    EXPECT_NEAR(zs.std[k], 1.0, 1e-4);
  }
}

TEST(Transforms, PipelineObjects) {
  Tensor x = coords(4, 3, 8, 8, DType::u8);
  std::vector<TransformPtr> pipe = {make_random_crop(2), make_random_horizontal_flip(),
                                    make_random_translate(1, 1), make_normalize({0.5f}, {0.25f})};
  auto run = [&](uint64_t seed) {
    Generator g(seed);
    Tensor t = x;
    for (const auto& p : pipe) t = (*p)(t, g);
    return t;
  };
  Tensor a = run(3), b = run(3), c = run(4);
  EXPECT_EQ(a.dtype(), DType::f32);
  EXPECT_EQ(a.shape(), (Shape{4, 3, 8, 8}));
  EXPECT_EQ(a.to_vector<float>(), b.to_vector<float>());
  EXPECT_NE(a.to_vector<float>(), c.to_vector<float>());
  EXPECT_EQ(pipe[0]->name(), "random_crop");
  auto twice = make_lambda("twice", [](const Tensor& t, Generator&) { return t * 2.0; });
  Generator g(0);
  EXPECT_EQ((*twice)(from_vector<float>({1.f}, {1, 1}), g).item<float>(), 2.f);
}
