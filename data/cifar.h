#pragma once
// CIFAR-10 and CIFAR-100 in their binary versions (cifar-10-batches-bin, cifar-100-binary).
#include <filesystem>
#include <vector>

#include "ember/data/dataset.h"

namespace ember::data {

enum class CifarLabel {
  cifar10,          // 1 label byte per record (0..9)
  cifar100_fine,    // 2 label bytes (coarse, fine): the fine label (0..99)
  cifar100_coarse,  // 2 label bytes (coarse, fine): the coarse label (0..19)
};

// Records of 1 (CIFAR-10) or 2 (CIFAR-100) label bytes followed by 3072 pixel bytes
// (1024 red, 1024 green, 1024 blue, row-major 32x32) from one or more files, in order.
// Returns images [N, 3, 32, 32] u8 and labels [N] i64. Throws IOError naming the file for a
// missing file or a directory, an empty file, a size that is not a whole number of records,
// or a label out of range (which also catches reading CIFAR-100 files as CIFAR-10).
InMemoryDataset read_cifar(const std::vector<std::filesystem::path>& files, CifarLabel label);

// CIFAR-10 from `dir` (the extracted cifar-10-batches-bin, or a folder containing it):
// data_batch_1.bin .. data_batch_5.bin (50000 images) or test_batch.bin (10000).
InMemoryDataset load_cifar10(const std::filesystem::path& dir, bool train);
// CIFAR-100 from `dir` (cifar-100-binary, or a folder containing it): train.bin (50000) or
// test.bin (10000), with the fine (100 classes) or coarse (20 classes) labels.
InMemoryDataset load_cifar100(const std::filesystem::path& dir, bool train, bool fine = true);

}  // namespace ember::data
