#pragma once
// Metrics file and the end-of-run confusion matrix.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace ember::train {

struct EpochMetrics {
  int64_t epoch;
  double train_loss, train_acc, test_loss, test_acc, lr, seconds, images_per_s;
};

// metrics.csv in the run directory, one row per epoch, flushed after each.
class MetricsFile {
 public:
  // Starts the file with the header and the rows of `done` (the epochs a resumed run already
  // has, from its checkpoint: rows a crashed run wrote after that checkpoint are dropped).
  explicit MetricsFile(const std::filesystem::path& path, const std::vector<EpochMetrics>& done = {});
  void write(const EpochMetrics& m);

 private:
  void put(const EpochMetrics& m);

  std::filesystem::path path_;
  std::ofstream out_;
};

class ConfusionMatrix {
 public:
  explicit ConfusionMatrix(int64_t classes) : n_(classes), counts_(static_cast<size_t>(classes * classes), 0) {}
  void add(int64_t truth, int64_t predicted) { ++counts_[static_cast<size_t>(truth * n_ + predicted)]; }
  // Rows: true class; columns: predicted; then per-class accuracy.
  std::string render(const std::vector<std::string>& names) const;

 private:
  int64_t n_;
  std::vector<int64_t> counts_;
};

}  // namespace ember::train
