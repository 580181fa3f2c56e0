// PNG/JPEG reading and writing, and ImageFolderDataset.
#include "loaders/common.h"
#include "testing/assert_close.h"

#include <cmath>
#include <cstdlib>

using namespace ember;
using namespace ember::data;
using namespace ember::testing_data;

namespace {
// [c, h, w] u8 with a smooth pattern (JPEG-friendly) shifted by `seed`.
Tensor pattern(int64_t c, int64_t h, int64_t w, int seed = 0) {
  std::vector<uint8_t> v;
  for (int64_t k = 0; k < c; ++k)
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x)
        v.push_back(static_cast<uint8_t>(40 + 4 * x + 3 * y + 30 * k + seed));
  return from_vector<uint8_t>(v, {c, h, w});
}
}  // namespace

TEST(ImageIO, PngRoundTripGrayAndRgb) {
  TempDir dir;
  for (int64_t c : {1, 3}) {
    Tensor img = pattern(c, 5, 7);
    fs::path p = dir / ("img" + std::to_string(c) + ".png");
    write_png(p, img);
    Tensor back = read_image(p);
    EXPECT_EQ(back.shape(), (Shape{c, 5, 7}));
    EXPECT_EQ(back.to_vector<int>(), img.to_vector<int>());
  }
  // [H, W] is grayscale.
  write_png(dir / "hw.png", pattern(1, 4, 4).view({4, 4}));
  EXPECT_EQ(read_image(dir / "hw.png").shape(), (Shape{1, 4, 4}));
}

// encode_png gives the bytes write_png writes, and refuses what write_png refuses.
TEST(ImageIO, EncodePngInMemory) {
  TempDir dir;
  const Tensor img = pattern(3, 6, 5);
  write_png(dir / "a.png", img);
  const std::vector<uint8_t> bytes = encode_png(img);
  EXPECT_EQ(bytes, read_bytes(dir / "a.png"));
  EXPECT_EQ(decode_image(bytes, "memory").to_vector<int>(), img.to_vector<int>());
  EXPECT_DATA_ERROR(DTypeError, encode_png(img.to(DType::f32)), "encode_png", "uint8");
  EXPECT_THROW(encode_png(pattern(2, 4, 4)), ShapeError);
}

TEST(ImageIO, PngChannelConversion) {
  TempDir dir;
  write_png(dir / "g.png", pattern(1, 3, 3));
  Tensor rgb = read_image(dir / "g.png", 3);
  EXPECT_EQ(rgb.shape(), (Shape{3, 3, 3}));
  for (int64_t k = 0; k < 3; ++k)
    EXPECT_EQ(rgb.select(0, k).to_vector<int>(), pattern(1, 3, 3).view({3, 3}).to_vector<int>());
  // Gray RGB (r = g = b) converts back to the same gray.
  write_png(dir / "rgb.png", rgb);
  EXPECT_TRUE(ember::testing::assert_close(read_image(dir / "rgb.png", 1), pattern(1, 3, 3),
                                           ember::testing::Tol{1.0, 0.0}, "gray from RGB"));
  // RGBA: the alpha channel is dropped by compositing onto black.
  std::vector<uint8_t> rgba = {200, 100, 50, 255};  // one opaque pixel, planar [4, 1, 1]
  write_png(dir / "a.png", from_vector<uint8_t>(rgba, {4, 1, 1}));
  EXPECT_EQ(read_image(dir / "a.png").to_vector<int>(), (std::vector<int>{200, 100, 50}));
}

TEST(ImageIO, JpegRoundTrip) {
  TempDir dir;
  for (int64_t c : {1, 3}) {
    Tensor img = pattern(c, 16, 16);
    fs::path p = dir / ("img" + std::to_string(c) + ".jpg");
    write_jpeg(p, img, 100);
    Tensor back = read_image(p);
    EXPECT_EQ(back.shape(), (Shape{c, 16, 16}));
    EXPECT_TRUE(ember::testing::assert_close(back, img, ember::testing::Tol{6.0, 0.0}, "JPEG round trip"))
        << "channels " << c;
  }
  EXPECT_EQ(read_image(dir / "img3.jpg", 1).shape(), (Shape{1, 16, 16}));
  EXPECT_EQ(read_image(dir / "img1.jpg", 3).shape(), (Shape{3, 16, 16}));
}

TEST(ImageIO, MalformedFilesNameTheFile) {
  TempDir dir;
  write_png(dir / "ok.png", pattern(3, 20, 20));
  write_jpeg(dir / "ok.jpg", pattern(3, 32, 32), 90);
  std::vector<uint8_t> png = read_bytes(dir / "ok.png"), jpg = read_bytes(dir / "ok.jpg");
  write_bytes(dir / "cut.png", std::vector<uint8_t>(png.begin(), png.begin() + png.size() / 2));
  EXPECT_DATA_ERROR(IOError, read_image(dir / "cut.png"), "cut.png", "PNG");
  write_bytes(dir / "hdr.png", std::vector<uint8_t>(png.begin(), png.begin() + 12));
  EXPECT_DATA_ERROR(IOError, read_image(dir / "hdr.png"), "hdr.png", "PNG");
  write_bytes(dir / "cut.jpg", std::vector<uint8_t>(jpg.begin(), jpg.begin() + jpg.size() / 2));
  EXPECT_DATA_ERROR(IOError, read_image(dir / "cut.jpg"), "cut.jpg", "JPEG");
  write_bytes(dir / "hdr.jpg", std::vector<uint8_t>(jpg.begin(), jpg.begin() + 20));
  EXPECT_DATA_ERROR(IOError, read_image(dir / "hdr.jpg"), "hdr.jpg", "JPEG");
  write_text(dir / "text.png", "hello, not an image");
  EXPECT_DATA_ERROR(IOError, read_image(dir / "text.png"), "text.png", "not a PNG or JPEG",
                    "68 65 6c 6c");
  write_bytes(dir / "empty.jpg", {});
  EXPECT_DATA_ERROR(IOError, read_image(dir / "empty.jpg"), "empty.jpg", "empty file");
  fs::create_directories(dir / "dir.png");
  EXPECT_DATA_ERROR(IOError, read_image(dir / "dir.png"), "dir.png", "is a directory");
  EXPECT_DATA_ERROR(IOError, read_image(dir / "none.png"), "none.png", "no such file");
}

TEST(ImageFolder, ClassesSortedAndImagesDecoded) {
  TempDir dir;
  fs::create_directories(dir / "zebra");
  fs::create_directories(dir / "ant");
  fs::create_directories(dir / ".hidden");
  write_png(dir / "zebra/b.png", pattern(3, 8, 8, 1));
  write_png(dir / "zebra/a.PNG", pattern(3, 8, 8, 2));
  write_jpeg(dir / "ant/x.jpg", pattern(3, 8, 8, 3), 100);
  write_text(dir / "zebra/notes.txt", "ignored");
  write_png(dir / ".hidden/h.png", pattern(3, 8, 8));
  auto ds = std::make_shared<ImageFolderDataset>(dir.path());
  EXPECT_EQ(ds->classes(), (std::vector<std::string>{"ant", "zebra"}));
  ASSERT_EQ(ds->size(), 3);
  EXPECT_EQ(ds->image_shape(), (Shape{3, 8, 8}));
  EXPECT_EQ(ds->path(0).filename(), "x.jpg");
  EXPECT_EQ(ds->path(1).filename(), "a.PNG");
  EXPECT_EQ(ds->label(0), 0);
  EXPECT_EQ(ds->label(2), 1);
  Example ex = ds->get(2);
  EXPECT_EQ(ex.input.to_vector<int>(), pattern(3, 8, 8, 1).to_vector<int>());
  EXPECT_EQ(ex.target.item<int64_t>(), 1);
  InMemoryDataset all = ds->load_all(2);
  EXPECT_EQ(all.inputs().shape(), (Shape{3, 3, 8, 8}));
  EXPECT_EQ(all.targets().to_vector<int64_t>(), (std::vector<int64_t>{0, 1, 1}));
  EXPECT_EQ(all.get(1).input.to_vector<int>(), pattern(3, 8, 8, 2).to_vector<int>());
  // Through a loader (the default get_batch path).
  DataLoaderOptions o;
  o.batch_size = 2;
  o.num_workers = 2;
  DataLoader loader(ds, o);
  loader.begin_epoch(0);
  auto b = loader.next();
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->inputs.shape(), (Shape{2, 3, 8, 8}));
  EXPECT_NEAR(b->inputs.at<float>({1, 0, 0, 0}), (40 + 2) / 255.0, 1e-6);
  // Grayscale conversion.
  ImageFolderOptions gray;
  gray.channels = 1;
  EXPECT_EQ(ImageFolderDataset(dir.path(), gray).get(1).input.shape(), (Shape{1, 8, 8}));
}

TEST(ImageFolder, Errors) {
  TempDir dir;
  EXPECT_DATA_ERROR(IOError, ImageFolderDataset(dir / "none"), "none", "no such directory");
  EXPECT_DATA_ERROR(IOError, ImageFolderDataset(dir.path()), dir.path().string(),
                    "no class sub-folders");
  fs::create_directories(dir / "c0");
  EXPECT_DATA_ERROR(IOError, ImageFolderDataset(dir.path()), "no images");
  write_png(dir / "c0/a.png", pattern(3, 8, 8));
  write_png(dir / "c0/b.png", pattern(3, 9, 8));
  write_text(dir / "c0/c.png", "garbage");
  ImageFolderDataset ds(dir.path());
  EXPECT_DATA_ERROR(IOError, ds.get(1), "b.png", "[3, 9, 8]", "a.png", "same size");
  EXPECT_DATA_ERROR(IOError, ds.get(2), "c.png", "not a PNG or JPEG");
  EXPECT_DATA_ERROR(IOError, ds.load_all(2), "c0");
  // The loader rethrows a worker's error in next(), naming the file.
  DataLoaderOptions o;
  o.batch_size = 1;
  o.num_workers = 2;
  DataLoader loader(std::make_shared<ImageFolderDataset>(dir.path()), o);
  loader.begin_epoch(0);
  EXPECT_TRUE(loader.next().has_value());
  EXPECT_DATA_ERROR(IOError, loader.next(), "b.png");
  EXPECT_DATA_ERROR(IOError, loader.next(), "c.png");
  EXPECT_FALSE(loader.next().has_value());
}
