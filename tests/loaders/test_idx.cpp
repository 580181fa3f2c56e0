// IDX reader: plain and gzipped files, MNIST layout, and every kind of malformed file.
#include "loaders/common.h"

#include <ember/data/file_util.h>

using namespace ember;
using namespace ember::data;
using namespace ember::testing_data;

namespace {

std::vector<uint8_t> idx_header(uint8_t type, std::vector<uint32_t> dims) {
  std::vector<uint8_t> b = {0, 0, type, static_cast<uint8_t>(dims.size())};
  for (uint32_t d : dims)
    for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<uint8_t>(d >> s));
  return b;
}

void write_gz(const fs::path& p, const std::vector<uint8_t>& bytes) {
  write_gzip_bytes(p, bytes.data(), bytes.size(), "test");
}

// A small MNIST-like pair: n images of h x w with pixel (i, y, x) = i + y * w + x, labels i % 10.
void write_mnist(const fs::path& dir, const std::string& prefix, int n, int h, int w, bool gz) {
  std::vector<uint8_t> img = idx_header(0x08, {uint32_t(n), uint32_t(h), uint32_t(w)});
  for (int i = 0; i < n; ++i)
    for (int k = 0; k < h * w; ++k) img.push_back(static_cast<uint8_t>(i + k));
  std::vector<uint8_t> lab = idx_header(0x08, {uint32_t(n)});
  for (int i = 0; i < n; ++i) lab.push_back(static_cast<uint8_t>(i % 10));
  std::string s = gz ? ".gz" : "";
  if (gz) {
    write_gz(dir / (prefix + "-images-idx3-ubyte" + s), img);
    write_gz(dir / (prefix + "-labels-idx1-ubyte" + s), lab);
  } else {
    write_bytes(dir / (prefix + "-images-idx3-ubyte"), img);
    write_bytes(dir / (prefix + "-labels-idx1-ubyte"), lab);
  }
}

}  // namespace

TEST(Idx, ReadsPlainU8) {
  TempDir dir;
  std::vector<uint8_t> b = idx_header(0x08, {2, 3});
  for (int i = 0; i < 6; ++i) b.push_back(static_cast<uint8_t>(10 * i));
  write_bytes(dir / "a.idx", b);
  Tensor t = read_idx(dir / "a.idx");
  EXPECT_EQ(t.dtype(), DType::u8);
  EXPECT_EQ(t.shape(), (Shape{2, 3}));
  EXPECT_EQ(t.to_vector<int>(), (std::vector<int>{0, 10, 20, 30, 40, 50}));
}

TEST(Idx, ReadsGzipWhateverTheName) {
  TempDir dir;
  std::vector<uint8_t> b = idx_header(0x08, {4});
  for (uint8_t v : {7, 8, 9, 250}) b.push_back(v);
  write_gz(dir / "no_suffix", b);
  Tensor t = read_idx(dir / "no_suffix");
  EXPECT_EQ(t.to_vector<int>(), (std::vector<int>{7, 8, 9, 250}));
}

TEST(Idx, BigEndianTypes) {
  TempDir dir;
  // i32 -5 and 258, f32 1.5, f64 -2.25, i16 -2, i8 -1
  std::vector<uint8_t> b = idx_header(0x0C, {2});
  for (uint8_t v : {0xFF, 0xFF, 0xFF, 0xFB, 0x00, 0x00, 0x01, 0x02}) b.push_back(v);
  write_bytes(dir / "i32", b);
  EXPECT_EQ(read_idx(dir / "i32").to_vector<int>(), (std::vector<int>{-5, 258}));
  b = idx_header(0x0D, {1});
  for (uint8_t v : {0x3F, 0xC0, 0x00, 0x00}) b.push_back(v);
  write_bytes(dir / "f32", b);
  EXPECT_EQ(read_idx(dir / "f32").item<float>(), 1.5f);
  b = idx_header(0x0E, {1});
  for (uint8_t v : {0xC0, 0x02, 0, 0, 0, 0, 0, 0}) b.push_back(v);
  write_bytes(dir / "f64", b);
  Tensor d = read_idx(dir / "f64");
  EXPECT_EQ(d.dtype(), DType::f64);
  EXPECT_EQ(d.item<double>(), -2.25);
  b = idx_header(0x0B, {1});
  for (uint8_t v : {0xFF, 0xFE}) b.push_back(v);
  write_bytes(dir / "i16", b);
  EXPECT_EQ(read_idx(dir / "i16").to_vector<int>(), std::vector<int>{-2});
  b = idx_header(0x09, {1});
  b.push_back(0xFF);
  write_bytes(dir / "i8", b);
  EXPECT_EQ(read_idx(dir / "i8").to_vector<int>(), std::vector<int>{-1});
}

TEST(Idx, WriteThenReadRoundTrips) {
  TempDir dir;
  Tensor f = from_vector<float>({1.f, -2.5f, 3.25f, 1e-3f, 7.f, 8.f}, {3, 2});
  Tensor u = from_vector<uint8_t>({1, 2, 3, 255}, {2, 2});
  for (bool gz : {false, true}) {
    write_idx(dir / "f", f, gz);
    write_idx(dir / "u", u, gz);
    EXPECT_EQ(read_idx(dir / "f").to_vector<float>(), f.to_vector<float>());
    EXPECT_EQ(read_idx(dir / "f").shape(), (Shape{3, 2}));
    EXPECT_EQ(read_idx(dir / "u").to_vector<int>(), u.to_vector<int>());
  }
}

TEST(Idx, LoadMnistPlainAndGz) {
  for (bool gz : {false, true}) {
    TempDir dir;
    write_mnist(dir.path(), "train", 5, 28, 28, gz);
    write_mnist(dir.path(), "t10k", 3, 28, 28, gz);
    InMemoryDataset train = load_mnist(dir.path(), true);
    InMemoryDataset test = load_mnist(dir.path(), false);
    EXPECT_EQ(train.size(), 5);
    EXPECT_EQ(test.size(), 3);
    EXPECT_EQ(train.inputs().shape(), (Shape{5, 1, 28, 28}));
    EXPECT_EQ(train.inputs().dtype(), DType::u8);
    EXPECT_EQ(train.targets().dtype(), DType::i64);
    EXPECT_EQ(train.targets().to_vector<int64_t>(), (std::vector<int64_t>{0, 1, 2, 3, 4}));
    Example ex = train.get(3);
    EXPECT_EQ(ex.input.shape(), (Shape{1, 28, 28}));
    EXPECT_EQ(ex.input.at<uint8_t>({0, 1, 2}), static_cast<uint8_t>(3 + 28 + 2));
    EXPECT_EQ(ex.target.item<int64_t>(), 3);
  }
}

TEST(Idx, LoadMnistErrors) {
  TempDir dir;
  EXPECT_DATA_ERROR(IOError, load_mnist(dir.path(), true), dir.path().string(),
                    "train-images-idx3-ubyte.gz");
  EXPECT_DATA_ERROR(IOError, load_mnist(dir / "nope", true), "nope", "no such directory");
  write_mnist(dir.path(), "train", 5, 28, 28, false);
  // Labels for 4 images only.
  std::vector<uint8_t> lab = idx_header(0x08, {4});
  for (int i = 0; i < 4; ++i) lab.push_back(0);
  write_bytes(dir / "train-labels-idx1-ubyte", lab);
  EXPECT_DATA_ERROR(IOError, load_mnist(dir.path(), true), "5 images", "4 labels",
                    "train-labels-idx1-ubyte");
}

TEST(Idx, MalformedFilesNameTheFile) {
  TempDir dir;
  // Missing file, directory, empty file.
  EXPECT_DATA_ERROR(IOError, read_idx(dir / "missing.idx"), "missing.idx", "no such file");
  fs::create_directories(dir / "adir");
  EXPECT_DATA_ERROR(IOError, read_idx(dir / "adir"), "adir", "is a directory");
  write_bytes(dir / "empty.idx", {});
  EXPECT_DATA_ERROR(IOError, read_idx(dir / "empty.idx"), "empty.idx", "empty file");
  // Shorter than the magic.
  write_bytes(dir / "short.idx", {0, 0});
  EXPECT_DATA_ERROR(IOError, read_idx(dir / "short.idx"), "short.idx", "truncated");
  // Wrong magic (a PNG signature), unknown type code, zero dims.
  write_bytes(dir / "png.idx", {0x89, 'P', 'N', 'G', 0, 0, 0, 0});
  EXPECT_DATA_ERROR(IOError, read_idx(dir / "png.idx"), "png.idx", "wrong magic 0x89504e47");
  write_bytes(dir / "type.idx", {0, 0, 0x0A, 1, 0, 0, 0, 1, 0});
  EXPECT_DATA_ERROR(IOError, read_idx(dir / "type.idx"), "type.idx", "unknown type code 0x0a");
  write_bytes(dir / "nodims.idx", {0, 0, 0x08, 0});
  EXPECT_DATA_ERROR(IOError, read_idx(dir / "nodims.idx"), "nodims.idx", "0 dims");
  // Header cut inside the dims.
  write_bytes(dir / "hdr.idx", {0, 0, 0x08, 3, 0, 0, 0, 2, 0, 0});
  EXPECT_DATA_ERROR(IOError, read_idx(dir / "hdr.idx"), "hdr.idx", "truncated header");
  // Data shorter than the header claims.
  std::vector<uint8_t> b = idx_header(0x08, {10, 28, 28});
  b.resize(b.size() + 100);
  write_bytes(dir / "trunc.idx", b);
  EXPECT_DATA_ERROR(IOError, read_idx(dir / "trunc.idx"), "trunc.idx", "truncated", "7840 bytes",
                    "only 100");
  // Extra bytes after the data.
  b = idx_header(0x08, {2});
  b.resize(b.size() + 5);
  write_bytes(dir / "extra.idx", b);
  EXPECT_DATA_ERROR(IOError, read_idx(dir / "extra.idx"), "extra.idx", "3 unexpected bytes");
}

TEST(Idx, AbsurdSizesAreRefusedBeforeAllocating) {
  TempDir dir;
  // 4e9 x 4e9 x 4e9 elements: the product overflows 64 bits.
  write_bytes(dir / "overflow.idx", idx_header(0x0E, {4000000000u, 4000000000u, 4000000000u}));
  EXPECT_DATA_ERROR(IOError, read_idx(dir / "overflow.idx"), "overflow.idx", "overflow");
  // Claims 4e9 x 1000 bytes (4 TB) in a 16-byte file: must fail fast, not try to allocate.
  write_bytes(dir / "huge.idx", idx_header(0x08, {4000000000u, 1000u}));
  EXPECT_DATA_ERROR(IOError, read_idx(dir / "huge.idx"), "huge.idx", "truncated");
  // The same claim in a gzip file: more than deflate can expand a tiny file to.
  write_gz(dir / "huge.idx.gz", idx_header(0x08, {60000, 60000, 28}));
  EXPECT_DATA_ERROR(IOError, read_idx(dir / "huge.idx.gz"), "huge.idx.gz", "more than a",
                    "gzip file can hold");
}

TEST(Idx, TruncatedAndCorruptGzip) {
  TempDir dir;
  std::vector<uint8_t> b = idx_header(0x08, {100, 10});
  for (int i = 0; i < 1000; ++i) b.push_back(static_cast<uint8_t>(i * 7));
  write_gz(dir / "full.gz", b);
  std::vector<uint8_t> gz = read_bytes(dir / "full.gz");
  ASSERT_GT(gz.size(), 40u);
  // Cut the compressed stream in half.
  write_bytes(dir / "cut.gz", std::vector<uint8_t>(gz.begin(), gz.begin() + gz.size() / 2));
  EXPECT_DATA_ERROR(IOError, read_idx(dir / "cut.gz"), "cut.gz");
  // Payload shorter than claimed, in a well-formed gzip stream.
  b.resize(b.size() - 10);
  write_gz(dir / "short.gz", b);
  EXPECT_DATA_ERROR(IOError, read_idx(dir / "short.gz"), "short.gz", "truncated");
  // Flip bytes inside the deflate data.
  std::vector<uint8_t> bad = gz;
  for (size_t i = 12; i < bad.size() - 8; i += 3) bad[i] ^= 0x5A;
  write_bytes(dir / "corrupt.gz", bad);
  EXPECT_DATA_ERROR(IOError, read_idx(dir / "corrupt.gz"), "corrupt.gz");
}
