#pragma once
// A CSV file of metrics, one row per log() call, flushed row by row so that a crashed or
// killed run keeps every row it logged. Each column has a name and an fmt format for its
// value ("{:.6f}", "{}" for counts).
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

namespace ember::metrics {

struct Column {
  std::string name;
  std::string format = "{:.6g}";
};

class MetricsLogger {
 public:
  // Creates (or truncates) the file and writes the header. Throws IOError naming the file.
  MetricsLogger(const std::filesystem::path& path, std::vector<Column> columns);
  // One value per column, in order. Throws ValueError for another count, IOError when the
  // write fails.
  void log(const std::vector<double>& values);
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  std::vector<Column> columns_;
  std::ofstream out_;
};

}  // namespace ember::metrics
