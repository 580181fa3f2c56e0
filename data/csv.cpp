#include "ember/data/csv.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <map>
#include <string_view>

#include "ember/core/error.h"
#include "ember/data/file_util.h"

namespace ember::data {
namespace fs = std::filesystem;

namespace {

struct Field {
  std::string text;
  int64_t line;
};

// Splits the file into records of fields. Blank lines are skipped.
class CsvParser {
 public:
  CsvParser(std::string_view text, char delim, std::string path)
      : s_(text), delim_(delim), path_(std::move(path)) {
    if (s_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;
  }

  // False at the end of the input.
  bool next(std::vector<Field>& fields, int64_t& record_line) {
    while (pos_ < s_.size()) {
      fields.clear();
      record_line = line_;
      bool any_quoted = false;
      while (true) {
        Field f{{}, line_};
        skip_spaces();
        if (pos_ < s_.size() && s_[pos_] == '"') {
          any_quoted = true;
          read_quoted(f);
        } else {
          size_t start = pos_;
          while (pos_ < s_.size() && s_[pos_] != delim_ && s_[pos_] != '\n' && s_[pos_] != '\r')
            ++pos_;
          size_t end = pos_;
          while (end > start && is_space(s_[end - 1])) --end;
          f.text.assign(s_.substr(start, end - start));
        }
        fields.push_back(std::move(f));
        if (pos_ < s_.size() && s_[pos_] == delim_) {
          ++pos_;
          continue;
        }
        end_line();
        break;
      }
      if (fields.size() == 1 && fields[0].text.empty() && !any_quoted) continue;  // blank line
      return true;
    }
    return false;
  }

 private:
  bool is_space(char c) const { return (c == ' ' || c == '\t') && c != delim_; }
  void skip_spaces() {
    while (pos_ < s_.size() && is_space(s_[pos_])) ++pos_;
  }
  void end_line() {
    if (pos_ >= s_.size()) return;
    if (s_[pos_] == '\r') ++pos_;
    if (pos_ < s_.size() && s_[pos_] == '\n') ++pos_;
    ++line_;
  }
  void read_quoted(Field& f) {
    const int64_t start_line = line_;
    ++pos_;  // opening quote
    while (true) {
      EMBER_CHECK(pos_ < s_.size(), IOError,
                  "csv: {}: line {}: unterminated quoted field (no closing '\"')", path_,
                  start_line);
      char c = s_[pos_++];
      if (c == '"') {
        if (pos_ < s_.size() && s_[pos_] == '"') {
          f.text.push_back('"');
          ++pos_;
          continue;
        }
        break;
      }
      if (c == '\n') ++line_;
      f.text.push_back(c);
    }
    skip_spaces();
    EMBER_CHECK(pos_ >= s_.size() || s_[pos_] == delim_ || s_[pos_] == '\n' || s_[pos_] == '\r',
                IOError, "csv: {}: line {}: unexpected '{}' after a closing quote", path_, line_,
                s_[pos_]);
  }

  std::string_view s_;
  size_t pos_ = 0;
  int64_t line_ = 1;
  char delim_;
  std::string path_;
};

std::string trimmed(const std::string& s) {
  size_t a = 0, b = s.size();
  while (a < b && (s[a] == ' ' || s[a] == '\t')) ++a;
  while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t')) --b;
  return s.substr(a, b - a);
}

bool parse_number(const std::string& s, double& out) {
  const char* b = s.data();
  const char* e = b + s.size();
  if (b != e && *b == '+') ++b;
  if (b == e) return false;
  auto [p, ec] = std::from_chars(b, e, out);
  return ec == std::errc() && p == e;
}

const char* policy_name(MissingPolicy p) {
  switch (p) {
    case MissingPolicy::Error: return "Error";
    case MissingPolicy::DropRow: return "DropRow";
    case MissingPolicy::FillMean: return "FillMean";
    case MissingPolicy::FillConstant: return "FillConstant";
  }
  return "?";
}

}  // namespace

CsvTable read_csv(const fs::path& path, const CsvOptions& opt) {
  const std::string ps = path.string();
  std::vector<uint8_t> bytes = read_file_bytes(path, "csv");
  EMBER_CHECK(!bytes.empty(), IOError, "csv: {}: empty file, expected a header row", ps);
  std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  CsvParser parser(text, opt.delimiter, ps);

  std::vector<Field> fields;
  int64_t line = 0;
  EMBER_CHECK(parser.next(fields, line), IOError, "csv: {}: no header row (the file is blank)", ps);
  std::vector<std::string> header;
  for (auto& f : fields) header.push_back(trimmed(f.text));
  const size_t ncols = header.size();
  std::string all_names;
  for (size_t c = 0; c < ncols; ++c) {
    all_names += (c ? ", " : "") + header[c];
    for (size_t d = 0; d < c; ++d)
      EMBER_CHECK(header[c] != header[d], IOError,
                  "csv: {}: line {}: columns {} and {} are both named '{}'", ps, line, d + 1, c + 1,
                  header[c]);
  }
  auto column_of = [&](const std::string& name, const char* role) -> size_t {
    auto it = std::find(header.begin(), header.end(), name);
    EMBER_CHECK(it != header.end(), IOError,
                "csv: {}: no {} column '{}' in the header (columns: {})", ps, role, name,
                all_names);
    return static_cast<size_t>(it - header.begin());
  };
  const size_t target_col =
      opt.target_column.empty() ? ncols - 1 : column_of(opt.target_column, "target");
  std::vector<char> is_feature(ncols, 1);
  is_feature[target_col] = 0;
  for (const auto& name : opt.ignore_columns) is_feature[column_of(name, "ignored")] = 0;
  CsvTable table;
  std::vector<size_t> feature_cols;
  for (size_t c = 0; c < ncols; ++c)
    if (is_feature[c]) {
      feature_cols.push_back(c);
      table.feature_names.push_back(header[c]);
    }
  table.target_name = header[target_col];
  const size_t nf = feature_cols.size();

  auto is_missing = [&](const std::string& s) {
    return s.empty() ||
           std::find(opt.na_values.begin(), opt.na_values.end(), s) != opt.na_values.end();
  };
  auto where = [&](const Field& f, size_t c) {
    return fmt::format("line {}, column {} ('{}')", f.line, c + 1, header[c]);
  };

  const double kMissing = std::numeric_limits<double>::quiet_NaN();
  std::vector<double> values;           // row-major [rows, nf], NaN = missing
  std::vector<std::string> raw_target;  // categorical targets
  std::vector<int64_t> targets;
  int64_t rows_in_file = 0;
  while (parser.next(fields, line)) {
    ++rows_in_file;
    EMBER_CHECK(fields.size() == ncols, IOError,
                "csv: {}: line {} has {} field{} but the header has {} columns", ps, line,
                fields.size(), fields.size() == 1 ? "" : "s", ncols);
    bool drop = false;
    const size_t row_start = values.size();
    for (size_t c : feature_cols) {
      const Field& f = fields[c];
      std::string s = trimmed(f.text);
      double v = 0;
      if (is_missing(s)) {
        EMBER_CHECK(opt.missing != MissingPolicy::Error, IOError,
                    "csv: {}: {}: missing value '{}' (missing-value policy is Error)", ps,
                    where(f, c), s);
        if (opt.missing == MissingPolicy::DropRow) drop = true;
        v = kMissing;
      } else {
        EMBER_CHECK(parse_number(s, v), IOError, "csv: {}: {}: '{}' is not a number", ps,
                    where(f, c), s);
        EMBER_CHECK(!std::isnan(v), IOError, "csv: {}: {}: '{}' is not a number", ps, where(f, c),
                    s);
      }
      values.push_back(v);
    }
    const Field& tf = fields[target_col];
    std::string ts = trimmed(tf.text);
    if (is_missing(ts)) {
      EMBER_CHECK(opt.missing == MissingPolicy::DropRow, IOError,
                  "csv: {}: {}: missing target '{}' (a target cannot be filled; policy {})", ps,
                  where(tf, target_col), ts, policy_name(opt.missing));
      drop = true;
    }
    if (drop) {
      values.resize(row_start);
      ++table.dropped_rows;
      continue;
    }
    if (opt.categorical_target) {
      raw_target.push_back(ts);
    } else {
      double v = 0;
      EMBER_CHECK(parse_number(ts, v), IOError, "csv: {}: {}: target '{}' is not a number", ps,
                  where(tf, target_col), ts);
      EMBER_CHECK(std::isfinite(v) && v >= 0 && v == std::floor(v) && v < 9.0e18, IOError,
                  "csv: {}: {}: target '{}' is not a non-negative integer class index (use "
                  "categorical_target for class names)",
                  ps, where(tf, target_col), ts);
      targets.push_back(static_cast<int64_t>(v));
    }
  }
  EMBER_CHECK(rows_in_file > 0, IOError, "csv: {}: no data rows after the header", ps);
  const int64_t n = rows_in_file - table.dropped_rows;
  EMBER_CHECK(n > 0, IOError, "csv: {}: all {} data rows have missing values (policy DropRow)", ps,
              rows_in_file);

  if (opt.missing == MissingPolicy::FillMean || opt.missing == MissingPolicy::FillConstant) {
    for (size_t j = 0; j < nf; ++j) {
      double fill = opt.fill_value;
      if (opt.missing == MissingPolicy::FillMean) {
        double sum = 0;
        int64_t count = 0;
        for (int64_t i = 0; i < n; ++i) {
          double v = values[i * nf + j];
          if (!std::isnan(v)) sum += v, ++count;
        }
        if (count == n) continue;
        EMBER_CHECK(count > 0, IOError,
                    "csv: {}: column {} ('{}') has no values, so FillMean has no mean", ps,
                    feature_cols[j] + 1, header[feature_cols[j]]);
        fill = sum / static_cast<double>(count);
      }
      for (int64_t i = 0; i < n; ++i)
        if (std::isnan(values[i * nf + j])) values[i * nf + j] = fill;
    }
  }

  if (opt.categorical_target) {
    std::map<std::string, int64_t> classes;
    for (const auto& s : raw_target) classes.emplace(s, 0);
    int64_t k = 0;
    for (auto& [name, idx] : classes) {
      idx = k++;
      table.class_names.push_back(name);
    }
    for (const auto& s : raw_target) targets.push_back(classes[s]);
  }

  table.features = make_tensor({n, static_cast<int64_t>(nf)}, DType::f32, Device::cpu());
  float* fp = table.features.data<float>();
  for (size_t i = 0; i < values.size(); ++i) fp[i] = static_cast<float>(values[i]);
  table.targets = make_tensor({n}, DType::i64, Device::cpu());
  std::copy(targets.begin(), targets.end(), table.targets.data<int64_t>());
  return table;
}

InMemoryDataset load_csv(const fs::path& path, const CsvOptions& options) {
  CsvTable t = read_csv(path, options);
  return InMemoryDataset(t.features, t.targets);
}

}  // namespace ember::data
