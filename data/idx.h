#pragma once
// IDX files (the MNIST / Fashion-MNIST format) and the MNIST layout on disk.
#include <filesystem>

#include "ember/core/tensor.h"
#include "ember/data/dataset.h"

namespace ember::data {

// Reads an IDX file: magic 0x0000TTDD (TT the type code, DD the number of dims), DD big-endian
// u32 sizes, then the data, big-endian. Gzip-compressed files are recognised from their
// content (whatever their name) and decompressed with zlib. Type codes and result dtypes:
// 0x08 u8 -> u8, 0x09 i8 / 0x0B i16 / 0x0C i32 -> i32, 0x0D f32 -> f32, 0x0E f64 -> f64.
// Throws IOError naming the file for: a missing file or a directory, an empty or truncated
// file, a wrong magic or type code, dims whose product overflows, sizes the file cannot hold
// (checked against the file's size before anything is allocated), bytes after the data,
// corrupt gzip data.
Tensor read_idx(const std::filesystem::path& path);

// Writes t (u8, i32, f32 or f64; any number of dims 1..255) as an IDX file, gzip-compressed
// when `gzip` is true.
void write_idx(const std::filesystem::path& path, const Tensor& t, bool gzip = false);

// MNIST or Fashion-MNIST from `dir`, holding {train,t10k}-images-idx3-ubyte and
// {train,t10k}-labels-idx1-ubyte, each optionally with a .gz suffix (the uncompressed file is
// preferred when both exist; "train-images.idx3-ubyte" spellings are accepted too).
// Returns images [N, 1, H, W] u8 (28x28 for MNIST) and labels [N] i64. Throws IOError when the
// files are missing or malformed, or when the image and label counts differ.
InMemoryDataset load_mnist(const std::filesystem::path& dir, bool train);

}  // namespace ember::data
