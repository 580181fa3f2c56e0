#pragma once
// CSV files of numeric tabular data: a header row, numeric feature columns and one target
// column of class labels.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "ember/core/tensor.h"
#include "ember/data/dataset.h"

namespace ember::data {

// What to do with a missing value: an empty field or one listed in CsvOptions::na_values.
enum class MissingPolicy {
  error,          // throw IOError naming the line and column
  drop_row,       // drop every row with a missing feature or target
  fill_mean,      // replace a missing feature by its column's mean over the present values
  fill_constant,  // replace a missing feature by CsvOptions::fill_value
};
// A missing target cannot be filled: it is an error under every policy except DropRow.

struct CsvOptions {
  // The target column's name in the header; empty: the last column.
  std::string target_column;
  // Columns (by header name) that are neither features nor the target, e.g. an id.
  std::vector<std::string> ignore_columns;
  MissingPolicy missing = MissingPolicy::error;
  double fill_value = 0.0;  // for FillConstant
  // Besides empty fields, these (exact, after trimming spaces) are missing values.
  std::vector<std::string> na_values = {"NA", "N/A", "nan", "NaN", "NAN", "null", "NULL"};
  char delimiter = ',';
  // false: targets are non-negative integers (class indices), e.g. "3" or "3.0".
  // true: targets are names; the sorted distinct names become classes 0..K-1.
  bool categorical_target = false;
};

struct CsvTable {
  Tensor features;  // [N, F] f32, columns in header order without target and ignored ones
  Tensor targets;   // [N] i64
  std::vector<std::string> feature_names;
  std::string target_name;
  std::vector<std::string> class_names;  // with categorical_target: name of class k
  int64_t dropped_rows = 0;              // with MissingPolicy::drop_row
};

// Fields may be quoted ("a, b", "say ""hi"""), with the delimiter or newlines inside;
// spaces around fields are ignored; \n, \r\n line ends; blank lines are skipped; a UTF-8
// byte-order mark is ignored. Throws IOError naming the file, the (1-based) line and the column
// for: a non-numeric value, a row with more or fewer fields than the header, a target column
// not in the header, a missing value under MissingPolicy::error, a missing target (except under
// DropRow), a non-integer or negative target, an unterminated quote, an empty file, a file
// without data rows, a directory.
CsvTable read_csv(const std::filesystem::path& path, const CsvOptions& options);
// read_csv as a dataset: inputs [N, F] f32, targets [N] i64.
InMemoryDataset load_csv(const std::filesystem::path& path, const CsvOptions& options);

}  // namespace ember::data
