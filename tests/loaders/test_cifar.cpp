// CIFAR-10 / CIFAR-100 binary readers.
#include "loaders/common.h"

using namespace ember;
using namespace ember::data;
using namespace ember::testing_data;

namespace {
// n records; record r has label(s) derived from r and pixel k = (r + k) % 256.
std::vector<uint8_t> cifar_records(int n, int label_bytes, int first = 0) {
  std::vector<uint8_t> b;
  for (int r = first; r < first + n; ++r) {
    if (label_bytes == 2) b.push_back(static_cast<uint8_t>(r % 20));  // coarse
    b.push_back(static_cast<uint8_t>(label_bytes == 2 ? (r * 7) % 100 : r % 10));
    for (int k = 0; k < 3072; ++k) b.push_back(static_cast<uint8_t>((r + k) % 256));
  }
  return b;
}
}  // namespace

TEST(Cifar, Cifar10TrainAndTest) {
  TempDir dir;
  for (int i = 1; i <= 5; ++i)
    write_bytes(dir / ("data_batch_" + std::to_string(i) + ".bin"),
                cifar_records(3, 1, 3 * (i - 1)));
  write_bytes(dir / "test_batch.bin", cifar_records(4, 1, 100));
  InMemoryDataset train = load_cifar10(dir.path(), true);
  InMemoryDataset test = load_cifar10(dir.path(), false);
  ASSERT_EQ(train.size(), 15);
  EXPECT_EQ(test.size(), 4);
  EXPECT_EQ(train.inputs().shape(), (Shape{15, 3, 32, 32}));
  EXPECT_EQ(train.inputs().dtype(), DType::u8);
  std::vector<int64_t> labels = train.targets().to_vector<int64_t>();
  for (int r = 0; r < 15; ++r) EXPECT_EQ(labels[r], r % 10);
  // Record 7: channel 1 (green), row 2, col 3 is pixel k = 1024 + 2 * 32 + 3.
  EXPECT_EQ(train.inputs().at<uint8_t>({7, 1, 2, 3}), static_cast<uint8_t>((7 + 1024 + 67) % 256));
  EXPECT_EQ(test.targets().to_vector<int64_t>(), (std::vector<int64_t>{0, 1, 2, 3}));
}

TEST(Cifar, Cifar10InSubfolder) {
  TempDir dir;
  fs::create_directories(dir / "cifar-10-batches-bin");
  write_bytes(dir / "cifar-10-batches-bin/test_batch.bin", cifar_records(2, 1));
  EXPECT_EQ(load_cifar10(dir.path(), false).size(), 2);
}

TEST(Cifar, Cifar100FineAndCoarse) {
  TempDir dir;
  write_bytes(dir / "train.bin", cifar_records(30, 2));
  write_bytes(dir / "test.bin", cifar_records(5, 2));
  InMemoryDataset fine = load_cifar100(dir.path(), true, true);
  InMemoryDataset coarse = load_cifar100(dir.path(), true, false);
  ASSERT_EQ(fine.size(), 30);
  for (int r = 0; r < 30; ++r) {
    EXPECT_EQ(fine.targets().to_vector<int64_t>()[r], (r * 7) % 100);
    EXPECT_EQ(coarse.targets().to_vector<int64_t>()[r], r % 20);
  }
  EXPECT_EQ(fine.inputs().at<uint8_t>({4, 0, 0, 5}), static_cast<uint8_t>(9));
  EXPECT_EQ(load_cifar100(dir.path(), false).size(), 5);
}

TEST(Cifar, MalformedFilesNameTheFile) {
  TempDir dir;
  EXPECT_DATA_ERROR(IOError, load_cifar10(dir.path(), false), "test_batch.bin", "no such file");
  EXPECT_DATA_ERROR(IOError, load_cifar10(dir / "nothing", false), "nothing", "no such directory");
  write_bytes(dir / "test_batch.bin", {});
  EXPECT_DATA_ERROR(IOError, load_cifar10(dir.path(), false), "test_batch.bin", "empty file");
  std::vector<uint8_t> b = cifar_records(3, 1);
  b.resize(b.size() - 1000);
  write_bytes(dir / "test_batch.bin", b);
  EXPECT_DATA_ERROR(IOError, load_cifar10(dir.path(), false), "test_batch.bin",
                    "not a whole number of 3073-byte records");
  b = cifar_records(3, 1);
  b[3073] = 42;  // label of record 1
  write_bytes(dir / "test_batch.bin", b);
  EXPECT_DATA_ERROR(IOError, load_cifar10(dir.path(), false), "test_batch.bin", "record 1",
                    "label 42");
  fs::remove(dir / "test_batch.bin");
  fs::create_directories(dir / "test_batch.bin");
  EXPECT_DATA_ERROR(IOError, load_cifar10(dir.path(), false), "test_batch.bin", "is a directory");
  // A CIFAR-100 file read as CIFAR-10: 3074-byte records.
  write_bytes(dir / "c100.bin", cifar_records(3073, 2));
  EXPECT_DATA_ERROR(IOError, read_cifar({dir / "c100.bin"}, CifarLabel::cifar10), "c100.bin");
}
