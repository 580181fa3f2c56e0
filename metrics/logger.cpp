#include "ember/metrics/logger.h"

#include <fmt/format.h>

#include "ember/core/error.h"

namespace ember::metrics {

MetricsLogger::MetricsLogger(const std::filesystem::path& path, std::vector<Column> columns)
    : path_(path), columns_(std::move(columns)), out_(path) {
  EMBER_CHECK(!columns_.empty(), ValueError, "MetricsLogger: no columns for {}", path.string());
  for (const Column& c : columns_) {
    try {
      (void)fmt::vformat(c.format, fmt::make_format_args(0.0));
    } catch (const fmt::format_error& e) {
      EMBER_THROW(ValueError, "MetricsLogger: column '{}' has the format '{}', which cannot format a number ({})",
                  c.name, c.format, e.what());
    }
  }
  EMBER_CHECK(out_.good(), IOError, "MetricsLogger: cannot write {}", path.string());
  for (size_t i = 0; i < columns_.size(); ++i) out_ << (i ? "," : "") << columns_[i].name;
  out_ << "\n";
  out_.flush();
  EMBER_CHECK(out_.good(), IOError, "MetricsLogger: writing {} failed", path_.string());
}

void MetricsLogger::log(const std::vector<double>& values) {
  EMBER_CHECK(values.size() == columns_.size(), ValueError, "MetricsLogger: {} values for the {} columns of {}",
              values.size(), columns_.size(), path_.string());
  std::string row;
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) row += ",";
    const bool integral = columns_[i].format == "{}";
    row += integral ? fmt::format("{}", static_cast<long long>(values[i]))
                    : fmt::vformat(columns_[i].format, fmt::make_format_args(values[i]));
  }
  out_ << row << "\n";
  out_.flush();
  EMBER_CHECK(out_.good(), IOError, "MetricsLogger: writing {} failed", path_.string());
}

}  // namespace ember::metrics
