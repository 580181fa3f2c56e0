#include "ember/data/image_folder.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstring>
#include <exception>
#include <thread>

#include "ember/core/error.h"
#include "ember/data/image_io.h"

namespace ember::data {
namespace fs = std::filesystem;

namespace {
std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}
bool hidden(const fs::path& p) {
  std::string n = p.filename().string();
  return !n.empty() && n[0] == '.';
}
}  // namespace

ImageFolderDataset::ImageFolderDataset(fs::path root, ImageFolderOptions options)
    : root_(std::move(root)), options_(std::move(options)) {
  const std::string rs = root_.string();
  EMBER_CHECK(options_.channels == 0 || options_.channels == 1 || options_.channels == 3,
              ValueError, "image_folder: {}: channels must be 0, 1 or 3, got {}", rs,
              options_.channels);
  std::error_code ec;
  EMBER_CHECK(fs::exists(root_, ec), IOError, "image_folder: {}: no such directory", rs);
  EMBER_CHECK(fs::is_directory(root_, ec), IOError,
              "image_folder: {}: not a directory (expected one sub-folder per class)", rs);
  std::vector<fs::path> class_dirs;
  try {
    for (const auto& e : fs::directory_iterator(root_))
      if (e.is_directory() && !hidden(e.path())) class_dirs.push_back(e.path());
  } catch (const fs::filesystem_error& e) {
    EMBER_THROW(IOError, "image_folder: {}: cannot list: {}", rs, e.what());
  }
  EMBER_CHECK(!class_dirs.empty(), IOError,
              "image_folder: {}: no class sub-folders (expected root/<class>/<image>)", rs);
  std::sort(class_dirs.begin(), class_dirs.end(), [](const fs::path& a, const fs::path& b) {
    return a.filename().string() < b.filename().string();
  });
  std::vector<std::string> exts;
  for (const auto& e : options_.extensions) exts.push_back(lower(e));
  for (size_t k = 0; k < class_dirs.size(); ++k) {
    classes_.push_back(class_dirs[k].filename().string());
    std::vector<fs::path> files;
    try {
      for (const auto& e : fs::directory_iterator(class_dirs[k])) {
        if (hidden(e.path()) || e.is_directory()) continue;
        if (std::find(exts.begin(), exts.end(), lower(e.path().extension().string())) == exts.end())
          continue;
        files.push_back(e.path());
      }
    } catch (const fs::filesystem_error& e) {
      EMBER_THROW(IOError, "image_folder: {}: cannot list: {}", class_dirs[k].string(), e.what());
    }
    std::sort(files.begin(), files.end());
    for (auto& f : files) samples_.push_back({std::move(f), static_cast<int64_t>(k)});
  }
  EMBER_CHECK(!samples_.empty(), IOError,
              "image_folder: {}: no images in its {} class folders (looked for {})", rs,
              classes_.size(), fmt::join(options_.extensions, ", "));
  Tensor first = read_image(samples_[0].path, options_.channels);
  shape_ = first.shape();
  channels_ = static_cast<int>(shape_[0]);
}

Tensor ImageFolderDataset::decode(int64_t i) const {
  EMBER_CHECK(i >= 0 && i < size(), IndexError,
              "ImageFolderDataset::get: index {} out of range for a dataset of {}", i, size());
  const fs::path& p = samples_[i].path;
  Tensor img = read_image(p, channels_);
  EMBER_CHECK(img.shape() == shape_, IOError,
              "image_folder: {}: image is {} (CxHxW) but {} is {}; images must all have the same "
              "size (no resizing is done)",
              p.string(), shape_str(img.shape()), samples_[0].path.string(), shape_str(shape_));
  return img;
}

Example ImageFolderDataset::get(int64_t i) const {
  Tensor img = decode(i);
  Tensor y = make_tensor({}, DType::i64, Device::cpu());
  *y.data<int64_t>() = samples_[i].label;
  return {img, y};
}

InMemoryDataset ImageFolderDataset::load_all(int threads) const {
  const int64_t n = size();
  Shape s{n};
  s.insert(s.end(), shape_.begin(), shape_.end());
  Tensor images = make_tensor(s, DType::u8, Device::cpu());
  Tensor labels = make_tensor({n}, DType::i64, Device::cpu());
  const size_t bytes = static_cast<size_t>(numel_of(shape_));
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  threads = static_cast<int>(std::min<int64_t>(threads, n));
  std::atomic<int64_t> next{0};
  std::atomic<bool> failed{false};
  std::vector<std::exception_ptr> errors(threads);
  auto work = [&](int t) {
    try {
      for (int64_t i; !failed && (i = next.fetch_add(1)) < n;) {
        Tensor img = decode(i);
        std::memcpy(images.data<uint8_t>() + i * bytes, img.data<uint8_t>(), bytes);
        labels.data<int64_t>()[i] = samples_[i].label;
      }
    } catch (...) {
      errors[t] = std::current_exception();
      failed = true;
    }
  };
  std::vector<std::thread> pool;
  try {
    for (int t = 1; t < threads; ++t) pool.emplace_back(work, t);
  } catch (...) {  // could not start a thread: the ones started (and this one) do the work
  }
  work(0);
  for (auto& th : pool) th.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
  return InMemoryDataset(images, labels);
}

}  // namespace ember::data
