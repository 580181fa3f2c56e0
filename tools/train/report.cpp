#include "tools/train/report.h"

#include <fmt/format.h>

#include "ember/core/error.h"

namespace ember::train {

MetricsFile::MetricsFile(const std::filesystem::path& path, const std::vector<EpochMetrics>& done)
    : path_(path), out_(path) {
  EMBER_CHECK(out_.good(), IOError, "ember-train: cannot write {}", path.string());
  out_ << "epoch,train_loss,train_acc,test_loss,test_acc,lr,seconds,images_per_s\n";
  for (const EpochMetrics& m : done) put(m);
  out_.flush();
  EMBER_CHECK(out_.good(), IOError, "ember-train: writing {} failed", path_.string());
}

void MetricsFile::write(const EpochMetrics& m) {
  put(m);
  out_.flush();
  EMBER_CHECK(out_.good(), IOError, "ember-train: writing {} failed", path_.string());
}

void MetricsFile::put(const EpochMetrics& m) {
  out_ << fmt::format("{},{:.6f},{:.6f},{:.6f},{:.6f},{:.6g},{:.2f},{:.1f}\n", m.epoch, m.train_loss, m.train_acc,
                      m.test_loss, m.test_acc, m.lr, m.seconds, m.images_per_s);
}

std::string ConfusionMatrix::render(const std::vector<std::string>& names) const {
  size_t w = 16;
  for (int64_t i = 0; i < n_; ++i) w = std::max(w, fmt::format("{} {}", i, names[static_cast<size_t>(i)]).size());
  std::string out = fmt::format("{:<{}}  ", "true \\ predicted", w);
  for (int64_t j = 0; j < n_; ++j) out += fmt::format("{:>6}", j);
  out += "   accuracy\n";
  for (int64_t i = 0; i < n_; ++i) {
    int64_t row = 0;
    for (int64_t j = 0; j < n_; ++j) row += counts_[static_cast<size_t>(i * n_ + j)];
    out += fmt::format("{:<{}}  ", fmt::format("{} {}", i, names[static_cast<size_t>(i)]), w);
    for (int64_t j = 0; j < n_; ++j) out += fmt::format("{:>6}", counts_[static_cast<size_t>(i * n_ + j)]);
    double acc = row ? static_cast<double>(counts_[static_cast<size_t>(i * n_ + i)]) / static_cast<double>(row) : 0.0;
    out += fmt::format("   {:6.2f}%\n", 100 * acc);
  }
  return out;
}

}  // namespace ember::train
