#include "tools/train/report.h"

namespace ember::train {

MetricsFile::MetricsFile(const std::filesystem::path& path, const std::vector<EpochMetrics>& done)
    : log_(path, {{"epoch", "{}"},
                  {"train_loss", "{:.6f}"},
                  {"train_acc", "{:.6f}"},
                  {"test_loss", "{:.6f}"},
                  {"test_acc", "{:.6f}"},
                  {"lr", "{:.6g}"},
                  {"seconds", "{:.2f}"},
                  {"images_per_s", "{:.1f}"}}) {
  for (const EpochMetrics& m : done) write(m);
}

void MetricsFile::write(const EpochMetrics& m) {
  log_.log({static_cast<double>(m.epoch), m.train_loss, m.train_acc, m.test_loss, m.test_acc, m.lr, m.seconds,
            m.images_per_s});
}

}  // namespace ember::train
