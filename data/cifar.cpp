#include "ember/data/cifar.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "ember/core/error.h"
#include "ember/data/file_util.h"

namespace ember::data {
namespace fs = std::filesystem;

namespace {
constexpr uint64_t kPixels = 3 * 32 * 32;

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

fs::path resolve_dir(const fs::path& dir, const char* sub, const char* probe) {
  std::error_code ec;
  EMBER_CHECK(fs::exists(dir, ec), IOError, "cifar: {}: no such directory", dir.string());
  EMBER_CHECK(fs::is_directory(dir, ec), IOError, "cifar: {}: not a directory", dir.string());
  if (!fs::exists(dir / probe, ec) && fs::is_directory(dir / sub, ec)) return dir / sub;
  return dir;
}
}  // namespace

InMemoryDataset read_cifar(const std::vector<fs::path>& files, CifarLabel label) {
  EMBER_CHECK(!files.empty(), ValueError, "read_cifar: no files given");
  const uint64_t label_bytes = label == CifarLabel::cifar10 ? 1 : 2;
  const uint64_t record = label_bytes + kPixels;
  const int64_t num_classes =
      label == CifarLabel::cifar10 ? 10 : (label == CifarLabel::cifar100_fine ? 100 : 20);
  const size_t label_at = label == CifarLabel::cifar100_fine ? 1 : 0;
  // Check every file's size before allocating the result.
  std::vector<uint64_t> counts;
  int64_t total = 0;
  for (const auto& p : files) {
    uint64_t size = file_size_of(p, "cifar");
    EMBER_CHECK(size > 0, IOError, "cifar: {}: empty file", p.string());
    EMBER_CHECK(size % record == 0, IOError,
                "cifar: {}: size {} is not a whole number of {}-byte records ({} label byte{} + "
                "3072 pixels): truncated or not a {} file",
                p.string(), size, record, label_bytes, label_bytes == 1 ? "" : "s",
                label == CifarLabel::cifar10 ? "CIFAR-10" : "CIFAR-100");
    counts.push_back(size / record);
    total += static_cast<int64_t>(size / record);
  }
  Tensor images = make_tensor({total, 3, 32, 32}, DType::u8, Device::cpu());
  Tensor labels = make_tensor({total}, DType::i64, Device::cpu());
  uint8_t* img = images.data<uint8_t>();
  int64_t* lab = labels.data<int64_t>();
  std::vector<uint8_t> buf(record * 1024);
  int64_t at = 0;
  for (size_t fi = 0; fi < files.size(); ++fi) {
    const fs::path& p = files[fi];
    std::unique_ptr<std::FILE, FileCloser> f(std::fopen(p.c_str(), "rb"));
    EMBER_CHECK(f != nullptr, IOError, "cifar: {}: cannot open: {}", p.string(),
                std::strerror(errno));
    uint64_t left = counts[fi], rec_in_file = 0;
    while (left > 0) {
      const uint64_t n = std::min<uint64_t>(left, 1024);
      EMBER_CHECK(std::fread(buf.data(), record, n, f.get()) == n, IOError,
                  "cifar: {}: truncated while reading record {}", p.string(), rec_in_file);
      for (uint64_t r = 0; r < n; ++r, ++rec_in_file, ++at) {
        const uint8_t* rec = buf.data() + r * record;
        const int64_t y = rec[label_at];
        EMBER_CHECK(y < num_classes, IOError, "cifar: {}: record {} has label {}, expected 0..{}{}",
                    p.string(), rec_in_file, y, num_classes - 1,
                    label == CifarLabel::cifar10 ? " (is this a CIFAR-100 file?)" : "");
        lab[at] = y;
        std::memcpy(img + at * kPixels, rec + label_bytes, kPixels);
      }
      left -= n;
    }
  }
  return InMemoryDataset(images, labels);
}

InMemoryDataset load_cifar10(const fs::path& dir, bool train) {
  fs::path d = resolve_dir(dir, "cifar-10-batches-bin", "test_batch.bin");
  std::vector<fs::path> files;
  if (train)
    for (int i = 1; i <= 5; ++i) files.push_back(d / ("data_batch_" + std::to_string(i) + ".bin"));
  else
    files.push_back(d / "test_batch.bin");
  return read_cifar(files, CifarLabel::cifar10);
}

InMemoryDataset load_cifar100(const fs::path& dir, bool train, bool fine) {
  fs::path d = resolve_dir(dir, "cifar-100-binary", "test.bin");
  return read_cifar({d / (train ? "train.bin" : "test.bin")},
                    fine ? CifarLabel::cifar100_fine : CifarLabel::cifar100_coarse);
}

}  // namespace ember::data
