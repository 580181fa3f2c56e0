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
    case MissingPolicy::error: return "MissingPolicy::error";
    case MissingPolicy::drop_row: return "MissingPolicy::drop_row";
    case MissingPolicy::keep: return "MissingPolicy::keep";
    case MissingPolicy::fill_mean: return "MissingPolicy::fill_mean";
    case MissingPolicy::fill_constant: return "MissingPolicy::fill_constant";
  }
  return "?";
}

// The header row: the column names, and all of them in one string for error messages.
struct CsvHeader {
  std::vector<std::string> names;
  std::string all_names;
};

// Reads the header row. A name given to two columns is refused: it could not pick one column.
CsvHeader read_header(CsvParser& parser, const std::string& ps) {
  std::vector<Field> fields;
  int64_t line = 0;
  EMBER_CHECK(parser.next(fields, line), IOError, "csv: {}: no header row (the file is blank)", ps);
  CsvHeader h;
  for (auto& f : fields) h.names.push_back(trimmed(f.text));
  for (size_t c = 0; c < h.names.size(); ++c) {
    h.all_names += (c ? ", " : "") + h.names[c];
    for (size_t d = 0; d < c; ++d)
      EMBER_CHECK(h.names[c] != h.names[d], IOError,
                  "csv: {}: line {}: columns {} and {} are both named '{}'", ps, line, d + 1, c + 1,
                  h.names[c]);
  }
  return h;
}

size_t column_of(const CsvHeader& h, const std::string& name, const char* role, const std::string& ps) {
  auto it = std::find(h.names.begin(), h.names.end(), name);
  EMBER_CHECK(it != h.names.end(), IOError,
              "csv: {}: no {} column '{}' in the header (columns: {})", ps, role, name,
              h.all_names);
  return static_cast<size_t>(it - h.names.begin());
}

// Which columns are read: the features (in header order) and the targets.
struct CsvColumns {
  std::vector<size_t> features;
  std::vector<size_t> targets;
};

// Picks the target and feature columns from the options, and names them in the table.
CsvColumns choose_columns(const CsvHeader& h, const CsvOptions& opt, const std::string& ps, CsvTable& table) {
  const size_t ncols = h.names.size();
  CsvColumns cols;
  EMBER_CHECK(opt.target_column.empty() || opt.target_columns.empty(), ValueError,
              "csv: {}: set target_column or target_columns, not both", ps);
  EMBER_CHECK(opt.target_columns.size() <= 1 || opt.target == CsvTarget::number, ValueError,
              "csv: {}: {} target columns need CsvTarget::number (classes come from one column)", ps,
              opt.target_columns.size());
  if (!opt.target_columns.empty()) {
    for (const auto& name : opt.target_columns) cols.targets.push_back(column_of(h, name, "target", ps));
  } else {
    cols.targets.push_back(opt.target_column.empty() ? ncols - 1 : column_of(h, opt.target_column, "target", ps));
  }
  std::vector<char> is_feature(ncols, 1);
  for (size_t t : cols.targets) is_feature[t] = 0;
  for (const auto& name : opt.ignore_columns) is_feature[column_of(h, name, "ignored", ps)] = 0;
  for (size_t c = 0; c < ncols; ++c)
    if (is_feature[c]) {
      cols.features.push_back(c);
      table.feature_names.push_back(h.names[c]);
    }
  for (size_t t : cols.targets) table.target_names.push_back(h.names[t]);
  return cols;
}

bool is_missing_value(const std::string& s, const CsvOptions& opt) {
  return s.empty() ||
         std::find(opt.na_values.begin(), opt.na_values.end(), s) != opt.na_values.end();
}

// Where a field is, for error messages.
std::string describe_cell(const Field& f, size_t c, const CsvHeader& h) {
  return fmt::format("line {}, column {} ('{}')", f.line, c + 1, h.names[c]);
}

// The data rows as read: missing features are NaN until fill_missing() replaces them, and
// category targets wait in raw_target until all of them are known and can be numbered.
struct CsvRows {
  std::vector<double> values;           // row-major [rows, nf], NaN = missing
  std::vector<std::string> raw_target;  // category targets
  std::vector<int64_t> targets;         // class_index / category
  std::vector<double> numbers;          // number targets, row-major [rows, T]
  int64_t in_file = 0;  // data rows in the file, dropped ones included
  int64_t dropped_features = 0, dropped_targets = 0;
};

// Appends a record's features to `values` (NaN where missing); returns true when one is
// missing under drop_row, so that the record is to be dropped.
bool read_features(const std::vector<Field>& fields, const CsvHeader& h, const CsvColumns& cols,
                   const CsvOptions& opt, const std::string& ps, std::vector<double>& values) {
  const double kMissing = std::numeric_limits<double>::quiet_NaN();
  bool drop = false;
  for (size_t c : cols.features) {
    const Field& f = fields[c];
    std::string s = trimmed(f.text);
    double v = 0;
    if (is_missing_value(s, opt)) {
      EMBER_CHECK(opt.missing != MissingPolicy::error, IOError,
                  "csv: {}: {}: missing value '{}' (missing-value policy MissingPolicy::error)", ps,
                  describe_cell(f, c, h), s);
      if (opt.missing == MissingPolicy::drop_row) drop = true;
      v = kMissing;
    } else {
      EMBER_CHECK(parse_number(s, v), IOError, "csv: {}: {}: '{}' is not a number", ps,
                  describe_cell(f, c, h), s);
      EMBER_CHECK(!std::isnan(v), IOError, "csv: {}: {}: '{}' is not a number", ps, describe_cell(f, c, h),
                  s);
    }
    values.push_back(v);
  }
  return drop;
}

// Reads one data record into `rows`; returns false when it is dropped under drop_row (its
// features are then taken out of rows.values again).
bool read_record(const std::vector<Field>& fields, int64_t line, const CsvHeader& h, const CsvColumns& cols,
                 const CsvOptions& opt, const std::string& ps, CsvRows& rows) {
  const size_t ncols = h.names.size();
  EMBER_CHECK(fields.size() == ncols, IOError,
              "csv: {}: line {} has {} field{} but the header has {} columns", ps, line,
              fields.size(), fields.size() == 1 ? "" : "s", ncols);
  const size_t row_start = rows.values.size();
  const bool drop_feature = read_features(fields, h, cols, opt, ps, rows.values);
  bool missing_target = false;
  for (size_t c : cols.targets) {
    const Field& tf = fields[c];
    const std::string ts = trimmed(tf.text);
    if (!is_missing_value(ts, opt)) continue;
    EMBER_CHECK(opt.missing == MissingPolicy::drop_row || opt.drop_missing_targets, IOError,
                "csv: {}: {}: missing target '{}' (a target cannot be filled; policy {}; set "
                "drop_missing_targets to drop such rows)",
                ps, describe_cell(tf, c, h), ts, policy_name(opt.missing));
    missing_target = true;
  }
  if (drop_feature || missing_target) {
    rows.values.resize(row_start);
    ++(missing_target ? rows.dropped_targets : rows.dropped_features);
    return false;
  }
  for (size_t c : cols.targets) {
    const Field& tf = fields[c];
    const std::string ts = trimmed(tf.text);
    if (opt.target == CsvTarget::category) {
      rows.raw_target.push_back(ts);
      continue;
    }
    double v = 0;
    EMBER_CHECK(parse_number(ts, v), IOError, "csv: {}: {}: target '{}' is not a number{}", ps,
                describe_cell(tf, c, h), ts,
                opt.target == CsvTarget::class_index ? " (use CsvTarget::category for class names)" : "");
    if (opt.target == CsvTarget::number) {
      EMBER_CHECK(std::isfinite(v), IOError, "csv: {}: {}: target '{}' is not a finite number", ps,
                  describe_cell(tf, c, h), ts);
      rows.numbers.push_back(v);
      continue;
    }
    EMBER_CHECK(std::isfinite(v) && v >= 0 && v == std::floor(v) && v < 9.0e18, IOError,
                "csv: {}: {}: target '{}' is not a non-negative integer class index (for a regression "
                "target use CsvTarget::number)",
                ps, describe_cell(tf, c, h), ts);
    rows.targets.push_back(static_cast<int64_t>(v));
  }
  return true;
}

// Reads every data row after the header, counting the dropped ones in table.dropped_rows.
CsvRows read_rows(CsvParser& parser, const CsvHeader& h, const CsvColumns& cols, const CsvOptions& opt,
                  const std::string& ps, CsvTable& table) {
  CsvRows rows;
  std::vector<Field> fields;
  int64_t line = 0;
  while (parser.next(fields, line)) {
    ++rows.in_file;
    read_record(fields, line, h, cols, opt, ps, rows);
  }
  table.dropped_rows = rows.dropped_features;
  table.dropped_targets = rows.dropped_targets;
  return rows;
}

// Replaces the missing features (NaN) of the n kept rows under fill_mean and fill_constant;
// under the other policies none are left by now.
void fill_missing(std::vector<double>& values, int64_t n, const CsvHeader& h, const CsvColumns& cols,
                  const CsvOptions& opt, const std::string& ps) {
  if (opt.missing != MissingPolicy::fill_mean && opt.missing != MissingPolicy::fill_constant) return;
  const size_t nf = cols.features.size();
  for (size_t j = 0; j < nf; ++j) {
    double fill = opt.fill_value;
    if (opt.missing == MissingPolicy::fill_mean) {
      double sum = 0;
      int64_t count = 0;
      for (int64_t i = 0; i < n; ++i) {
        double v = values[i * nf + j];
        if (!std::isnan(v)) sum += v, ++count;
      }
      if (count == n) continue;
      EMBER_CHECK(count > 0, IOError,
                  "csv: {}: column {} ('{}') has no values, so MissingPolicy::fill_mean has no mean", ps,
                  cols.features[j] + 1, h.names[cols.features[j]]);
      fill = sum / static_cast<double>(count);
    }
    for (int64_t i = 0; i < n; ++i)
      if (std::isnan(values[i * nf + j])) values[i * nf + j] = fill;
  }
}

// Numbers the distinct class names in sorted order (so that the numbering does not depend on
// the order of the rows) and appends each row's class to `targets`. A column of numbers with
// about as many distinct values as rows is a regression target, not names: numbering it
// would make a class per row, so it is refused with the option that fits.
void number_classes(const std::vector<std::string>& raw_target, std::vector<int64_t>& targets,
                    std::vector<std::string>& class_names, const std::string& target_name, const std::string& ps) {
  std::map<std::string, int64_t> classes;
  for (const auto& s : raw_target) classes.emplace(s, 0);
  const auto n = static_cast<int64_t>(raw_target.size());
  const auto distinct = static_cast<int64_t>(classes.size());
  bool numbers = true, fractions = false;
  for (const auto& [name, idx] : classes) {
    double v = 0;
    numbers = numbers && parse_number(name, v);
    fractions = fractions || (numbers && v != std::floor(v));
  }
  EMBER_CHECK(!(numbers && fractions && distinct > 20 && 2 * distinct > n), IOError,
              "csv: {}: target '{}' has {} distinct non-integer numbers in {} rows: that is a continuous "
              "quantity, not class names (use CsvTarget::number for regression)",
              ps, target_name, distinct, n);
  int64_t k = 0;
  for (auto& [name, idx] : classes) {
    idx = k++;
    class_names.push_back(name);
  }
  for (const auto& s : raw_target) targets.push_back(classes[s]);
}

// The n kept rows as the table's tensors: features [n, nf] f32, targets [n] i64 (classes)
// or [n] / [n, T] f32 (numbers).
void store_tensors(const CsvRows& rows, int64_t n, size_t nf, const CsvColumns& cols, const CsvOptions& opt,
                   CsvTable& table) {
  table.features = make_tensor({n, static_cast<int64_t>(nf)}, DType::f32, Device::cpu());
  float* fp = table.features.data<float>();
  for (size_t i = 0; i < rows.values.size(); ++i) fp[i] = static_cast<float>(rows.values[i]);
  if (opt.target == CsvTarget::number) {
    const auto t = static_cast<int64_t>(cols.targets.size());
    table.targets = make_tensor(opt.target_columns.empty() ? Shape{n} : Shape{n, t}, DType::f32, Device::cpu());
    float* tp = table.targets.data<float>();
    for (size_t i = 0; i < rows.numbers.size(); ++i) tp[i] = static_cast<float>(rows.numbers[i]);
    return;
  }
  table.targets = make_tensor({n}, DType::i64, Device::cpu());
  std::copy(rows.targets.begin(), rows.targets.end(), table.targets.data<int64_t>());
}

}  // namespace

CsvTable read_csv(const fs::path& path, const CsvOptions& opt) {
  const std::string ps = path.string();
  std::vector<uint8_t> bytes = read_file_bytes(path, "csv");
  EMBER_CHECK(!bytes.empty(), IOError, "csv: {}: empty file, expected a header row", ps);
  std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  CsvParser parser(text, opt.delimiter, ps);

  const CsvHeader header = read_header(parser, ps);
  CsvTable table;
  const CsvColumns cols = choose_columns(header, opt, ps, table);
  CsvRows rows = read_rows(parser, header, cols, opt, ps, table);
  EMBER_CHECK(rows.in_file > 0, IOError, "csv: {}: no data rows after the header", ps);
  const int64_t n = rows.in_file - table.dropped_rows - table.dropped_targets;
  EMBER_CHECK(n > 0, IOError, "csv: {}: all {} data rows have missing values (policy {})", ps, rows.in_file,
              policy_name(opt.missing));

  fill_missing(rows.values, n, header, cols, opt, ps);
  if (opt.target == CsvTarget::category)
    number_classes(rows.raw_target, rows.targets, table.class_names, table.target_names[0], ps);
  store_tensors(rows, n, cols.features.size(), cols, opt, table);
  return table;
}

InMemoryDataset load_csv(const fs::path& path, const CsvOptions& options) {
  CsvTable t = read_csv(path, options);
  return InMemoryDataset(t.features, t.targets);
}

}  // namespace ember::data
