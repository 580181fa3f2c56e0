#include "tools/train/report.h"

#include <cstdlib>
#include <iterator>

#include <ember/core/error.h>

namespace ember::train {

namespace {
std::vector<metrics::Column> columns(const std::vector<std::string>& names, const std::vector<std::string>& formats) {
  std::vector<metrics::Column> c;
  for (size_t i = 0; i < names.size(); ++i) c.push_back({names[i], formats[i]});
  return c;
}

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> fields;
  size_t start = 0;
  for (;;) {
    const size_t comma = line.find(',', start);
    fields.push_back(line.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) return fields;
    start = comma + 1;
  }
}
}  // namespace

const std::vector<std::string>& metrics_header() {
  static const std::vector<std::string> h = {"epoch",   "train_loss", "train_acc", "test_loss",
                                             "test_acc", "lr",         "seconds",   "images_per_s"};
  return h;
}

const std::vector<std::string>& steps_header() {
  static const std::vector<std::string> h = {"step", "epoch", "loss", "lr", "images_per_s", "grad_norm"};
  return h;
}

MetricsFile::MetricsFile(const std::filesystem::path& path, const std::vector<EpochMetrics>& done)
    : log_(path, columns(metrics_header(), {"{}", "{:.6f}", "{:.6f}", "{:.6f}", "{:.6f}", "{:.6g}", "{:.2f}", "{:.1f}"})) {
  for (const EpochMetrics& m : done) write(m);
}

void MetricsFile::write(const EpochMetrics& m) {
  log_.log({static_cast<double>(m.epoch), m.train_loss, m.train_acc, m.test_loss, m.test_acc, m.lr, m.seconds,
            m.images_per_s});
}

StepsFile::StepsFile(const std::filesystem::path& path, const std::vector<StepMetrics>& done)
    : log_(path, columns(steps_header(), {"{}", "{}", "{:.6g}", "{:.6g}", "{:.1f}", "{:.6g}"})) {
  for (const StepMetrics& m : done) write(m);
}

void StepsFile::write(const StepMetrics& m) {
  log_.log({static_cast<double>(m.step), static_cast<double>(m.epoch), m.loss, m.lr, m.images_per_s, m.grad_norm});
}

std::vector<std::vector<double>> read_metric_rows(const std::filesystem::path& path,
                                                  const std::vector<std::string>& header, std::string* problem) {
  std::error_code ec;
  std::ifstream in(path, std::ios::binary);
  EMBER_CHECK(in.good() && !std::filesystem::is_directory(path, ec), IOError, "{}: cannot be read (no such file?)",
              path.string());
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EMBER_CHECK(!in.bad(), IOError, "{}: read error", path.string());
  if (problem) problem->clear();
  std::vector<std::vector<double>> rows;
  if (text.empty()) {
    const std::string bad = fmt::format("{}: is empty (line 1 should be the header)", path.string());
    EMBER_CHECK(problem != nullptr, IOError, "{}", bad);
    *problem = bad;
    return rows;
  }
  size_t pos = 0;
  for (int64_t n = 1; pos < text.size(); ++n) {
    const size_t end = text.find('\n', pos);
    const std::string line = text.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
    pos = end == std::string::npos ? text.size() : end + 1;
    std::string bad;
    std::vector<double> row;
    if (end == std::string::npos) {
      bad = fmt::format("{}: line {} has no line end (a write cut short?): \"{}\"", path.string(), n, line);
    } else if (n == 1) {
      if (split(line) != header)
        bad = fmt::format("{}: line 1 should be the header \"{}\", got \"{}\"", path.string(), fmt::join(header, ","),
                          line);
    } else if (!line.empty()) {
      const std::vector<std::string> f = split(line);
      if (f.size() != header.size())
        bad = fmt::format("{}: line {} has {} fields, the header {}: \"{}\"", path.string(), n, f.size(),
                          header.size(), line);
      for (size_t i = 0; bad.empty() && i < f.size(); ++i) {
        char* stop = nullptr;
        const double v = std::strtod(f[i].c_str(), &stop);
        if (f[i].empty() || *stop != '\0')
          bad = fmt::format("{}: line {}, column {}: \"{}\" is not a number", path.string(), n, header[i], f[i]);
        row.push_back(v);
      }
    }
    if (!bad.empty()) {
      EMBER_CHECK(problem != nullptr, IOError, "{}", bad);
      *problem = bad;
      return rows;
    }
    if (n > 1 && !line.empty()) rows.push_back(std::move(row));
  }
  return rows;
}

std::vector<EpochMetrics> read_metrics_file(const std::filesystem::path& path) {
  std::vector<EpochMetrics> out;
  for (const auto& r : read_metric_rows(path, metrics_header()))
    out.push_back({static_cast<int64_t>(r[0]), r[1], r[2], r[3], r[4], r[5], r[6], r[7]});
  return out;
}

std::vector<StepMetrics> read_steps_file(const std::filesystem::path& path, std::string* problem) {
  std::vector<StepMetrics> out;
  for (const auto& r : read_metric_rows(path, steps_header(), problem))
    out.push_back({static_cast<int64_t>(r[0]), static_cast<int64_t>(r[1]), r[2], r[3], r[4], r[5]});
  return out;
}

}  // namespace ember::train
