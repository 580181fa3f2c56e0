#pragma once
// A folder of images, one sub-folder per class: root/cat/001.png, root/dog/a.jpg, ...
#include <filesystem>
#include <string>
#include <vector>

#include "ember/data/dataset.h"

namespace ember::data {

struct ImageFolderOptions {
  // 0: as stored in the first image; 1: grayscale; 3: RGB (every image is converted).
  int channels = 0;
  // File name extensions taken (compared case-insensitively); other files are ignored.
  std::vector<std::string> extensions = {".png", ".jpg", ".jpeg"};
};

// Class names are the sub-folders' names, sorted (byte order); class k is the k-th name.
// Files within a class are sorted by name; hidden files and folders (".x") are skipped.
// Images are decoded on demand by get(), which is safe to call from several threads.
// No resizing: every image must have the size (and, with channels = 0, the channel count) of
// the first one; get() throws IOError naming the file otherwise. The constructor decodes the
// first image to learn that shape, and throws IOError when root is not a directory, has no
// class folders, or has no images.
class ImageFolderDataset final : public Dataset {
 public:
  explicit ImageFolderDataset(std::filesystem::path root, ImageFolderOptions options = {});

  int64_t size() const override { return static_cast<int64_t>(samples_.size()); }
  // input [C, H, W] u8, target: the class index (i64 scalar).
  Example get(int64_t i) const override;

  const std::vector<std::string>& classes() const { return classes_; }
  const std::filesystem::path& path(int64_t i) const { return samples_.at(i).path; }
  int64_t label(int64_t i) const { return samples_.at(i).label; }
  const Shape& image_shape() const { return shape_; }  // [C, H, W]
  // Decodes every image (with `threads` threads; 0: hardware concurrency) into memory.
  InMemoryDataset load_all(int threads = 0) const;

 private:
  struct Sample {
    std::filesystem::path path;
    int64_t label;
  };
  Tensor decode(int64_t i) const;

  std::filesystem::path root_;
  ImageFolderOptions options_;
  std::vector<std::string> classes_;
  std::vector<Sample> samples_;
  Shape shape_;
  int channels_ = 0;  // resolved
};

}  // namespace ember::data
