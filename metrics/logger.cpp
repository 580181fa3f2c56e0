#include "ember/metrics/logger.h"

#include <cmath>

#include <fmt/format.h>

#include "ember/core/error.h"

namespace ember::metrics {

MetricsLogger::MetricsLogger(const std::filesystem::path& path, std::vector<Column> columns)
    : path_(path), columns_(std::move(columns)), out_(path) {
  EMBER_CHECK(!columns_.empty(), ValueError, "MetricsLogger: no columns for {}", path.string());
  for (const Column& c : columns_) {
    try {
      const double zero = 0.0;
      (void)fmt::vformat(c.format, fmt::make_format_args(zero));
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
    // "{}" columns hold counts: written without a decimal point (a non-finite value as is).
    const double v = values[i];
    const bool integral = columns_[i].format == "{}" && std::isfinite(v) && std::abs(v) < 9.0e18;
    row += integral ? fmt::format("{}", static_cast<long long>(v)) : fmt::vformat(columns_[i].format, fmt::make_format_args(v));
  }
  out_ << row << "\n";
  out_.flush();
  EMBER_CHECK(out_.good(), IOError, "MetricsLogger: writing {} failed", path_.string());
}

}  // namespace ember::metrics
