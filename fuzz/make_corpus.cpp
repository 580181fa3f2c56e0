// Writes the seed corpora under fuzz/corpus/ with the library's own writers: a few small
// valid files per target and a few broken ones (truncated, wrong magic, bad sizes).
// Run once (tools/fuzz.sh --make-corpus) and commit the output; the files are small.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "ember/core/ops/factory.h"
#include "ember/core/safetensors.h"
#include "ember/data/idx.h"
#include "ember/data/image_io.h"

namespace fs = std::filesystem;
using namespace ember;

namespace {
std::vector<char> slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), {}};
}
void put(const fs::path& p, const std::vector<char>& b) {
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f.write(b.data(), static_cast<std::streamsize>(b.size()));
}
void put(const fs::path& p, const std::string& s) { put(p, std::vector<char>(s.begin(), s.end())); }
std::vector<char> prefix(std::vector<char> b, size_t n) {
  b.resize(std::min(n, b.size()));
  return b;
}
Tensor bytes_tensor(Shape s, int mul) {
  Tensor t = make_tensor(s, DType::u8, Device::cpu());
  uint8_t* p = t.data<uint8_t>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = static_cast<uint8_t>(i * mul + 7);
  return t;
}
}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <fuzz/corpus>\n", argv[0]);
    return 2;
  }
  const fs::path root = argv[1];
  for (const char* t : {"idx", "cifar", "csv", "image", "safetensors"}) fs::create_directories(root / t);

  // IDX: each type code, plain and gzip, and broken variants.
  const fs::path idx = root / "idx";
  data::write_idx(idx / "u8_3d.idx", bytes_tensor({2, 3, 4}, 3));
  data::write_idx(idx / "u8_3d.idx.gz", bytes_tensor({2, 3, 4}, 3), true);
  data::write_idx(idx / "i32_1d.idx", arange(0, 5, 1, DType::i32));
  data::write_idx(idx / "f32_2d.idx.gz", arange(0, 6, 1, DType::f32).reshape({2, 3}), true);
  data::write_idx(idx / "f64_1d.idx", arange(0, 3, 1, DType::f64));
  put(idx / "i8_1d.idx", std::vector<char>{0, 0, 0x09, 1, 0, 0, 0, 3, -1, 0, 1});
  put(idx / "i16_1d.idx", std::vector<char>{0, 0, 0x0B, 1, 0, 0, 0, 2, -1, -2, 0, 7});
  put(idx / "bad_truncated.idx", prefix(slurp(idx / "u8_3d.idx"), 20));
  put(idx / "bad_truncated.idx.gz", prefix(slurp(idx / "u8_3d.idx.gz"), 25));
  put(idx / "bad_type.idx", std::vector<char>{0, 0, 0x0A, 1, 0, 0, 0, 1, 5});
  put(idx / "bad_huge_dims.idx", std::vector<char>{0, 0, 0x08, 2, 127, -1, -1, -1, 127, -1, -1, -1});

  // CIFAR: one CIFAR-10 record, two CIFAR-100 records, broken ones.
  const fs::path cifar = root / "cifar";
  std::vector<char> rec10(1 + 3072), rec100(2 * (2 + 3072));
  for (size_t i = 0; i < rec10.size(); ++i) rec10[i] = static_cast<char>(i * 7);
  rec10[0] = 3;
  for (size_t i = 0; i < rec100.size(); ++i) rec100[i] = static_cast<char>(i * 13);
  rec100[0] = 4, rec100[1] = 42, rec100[3074] = 19, rec100[3075] = 99;
  put(cifar / "cifar10_1.bin", rec10);
  put(cifar / "cifar100_2.bin", rec100);
  put(cifar / "bad_truncated.bin", prefix(rec10, 100));
  std::vector<char> badlabel = rec10;
  badlabel[0] = static_cast<char>(200);
  put(cifar / "bad_label.bin", badlabel);

  // CSV: the shapes the reader documents, valid and not.
  const fs::path csv = root / "csv";
  put(csv / "basic.csv", "a,b,y\n1,2,0\n3.5,-4e2,1\n");
  put(csv / "quoted.csv", "\xEF\xBB\xBFid,\"x, 1\",y\r\n7,\"2.5\",cat\r\n8,NA,dog\r\n\r\n9,,cat\n");
  put(csv / "semicolon.csv", "x;y\n1;a\n2;b\n");
  put(csv / "bad_quote.csv", "a,y\n\"1,0\n");
  put(csv / "bad_fields.csv", "a,b,y\n1,2\n");
  put(csv / "bad_number.csv", "a,y\n1x,0\n1e999,-1\n");

  // Images: grey, RGB, RGBA PNGs, grey and RGB JPEGs, truncated and wrong-magic files.
  const fs::path img = root / "image";
  data::write_png(img / "gray.png", bytes_tensor({1, 5, 4}, 11));
  data::write_png(img / "rgb.png", bytes_tensor({3, 4, 3}, 5));
  data::write_png(img / "rgba.png", bytes_tensor({4, 2, 2}, 9));
  data::write_jpeg(img / "gray.jpg", bytes_tensor({1, 8, 8}, 3), 80);
  data::write_jpeg(img / "rgb.jpg", bytes_tensor({3, 9, 7}, 17), 50);
  put(img / "bad_truncated.png", prefix(slurp(img / "rgb.png"), 40));
  put(img / "bad_truncated.jpg", prefix(slurp(img / "rgb.jpg"), 200));
  put(img / "bad_magic.bin", std::string("GIF89a\x01\x00\x01\x00"));

  // safetensors: a few dtypes and shapes (a scalar, an empty tensor), broken headers.
  const fs::path st = root / "safetensors";
  save_safetensors(st / "mixed.safetensors",
                   {{"w", arange(0, 6, 1, DType::f32).reshape({2, 3})},
                    {"b", arange(0, 2, 1, DType::f64)},
                    {"step", full({}, 3, DType::i64)},
                    {"mask", bytes_tensor({3}, 1)},
                    {"empty", zeros({0, 4})}});
  save_safetensors(st / "one.safetensors", {{"x", ones({2}, DType::f16)}});
  put(st / "bad_truncated.safetensors", prefix(slurp(st / "mixed.safetensors"), 60));
  std::string hdr = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,16]}})";
  std::string bad(8, '\0');
  bad[0] = static_cast<char>(hdr.size());
  put(st / "bad_offsets.safetensors", bad + hdr + std::string(8, '\0'));
  std::string big(8, '\x7f');
  put(st / "bad_header_len.safetensors", big + "{}");
  return 0;
}
