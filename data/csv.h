#pragma once
// CSV files of numeric tabular data: a header row, numeric feature columns and the target
// column(s): class indices, class names, or numbers (regression, one or several columns).
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "ember/core/tensor.h"
#include "ember/data/dataset.h"

namespace ember::data {

// What to do with a missing value: an empty field or one listed in CsvOptions::na_values.
enum class MissingPolicy {
  error,     // throw IOError naming the line and column
  drop_row,  // drop every row with a missing feature or target
  keep,      // leave missing features as NaN, to be imputed with statistics of the training
             // split only (nn::Impute fitted after data::random_split): what a model should do
  // Fill from the whole file: quick, but the statistics then include the rows that later
  // become the validation and test splits (a leak). Prefer keep + Imputer.
  fill_mean,      // replace a missing feature by its column's mean over the present values
  fill_constant,  // replace a missing feature by CsvOptions::fill_value
};
// A missing target cannot be filled: it is an error unless the policy is drop_row or
// CsvOptions::drop_missing_targets is set.

// What the target column holds.
enum class CsvTarget {
  class_index,  // non-negative integers ("3" or "3.0"): classes, i64 targets [N]
  category,     // names: the sorted distinct names become classes 0..K-1, i64 targets [N]
  number,       // any numbers (regression): f32 targets [N], or [N, T] for T target columns
};

struct CsvOptions {
  // The target column's name in the header; empty: the last column.
  std::string target_column;
  // Several target columns (CsvTarget::number only), instead of target_column.
  std::vector<std::string> target_columns;
  CsvTarget target = CsvTarget::class_index;
  // Rows whose target is missing are dropped (and counted in CsvTable::dropped_targets)
  // whatever the feature policy.
  bool drop_missing_targets = false;
  // Columns (by header name) that are neither features nor the target, e.g. an id.
  std::vector<std::string> ignore_columns;
  MissingPolicy missing = MissingPolicy::error;
  double fill_value = 0.0;  // for fill_constant
  // Besides empty fields, these (exact, after trimming spaces) are missing values.
  std::vector<std::string> na_values = {"NA", "N/A", "nan", "NaN", "NAN", "null", "NULL"};
  char delimiter = ',';
};

struct CsvTable {
  Tensor features;  // [N, F] f32, columns in header order without targets and ignored ones;
                    // NaN where missing under MissingPolicy::keep
  Tensor targets;   // [N] i64 (class_index, category), [N] f32 (number), [N, T] f32 (T columns)
  std::vector<std::string> feature_names;
  std::vector<std::string> target_names;
  std::vector<std::string> class_names;  // with CsvTarget::category: name of class k
  int64_t dropped_rows = 0;              // rows dropped for a missing feature (drop_row)
  int64_t dropped_targets = 0;           // rows dropped for a missing target
};

// Fields may be quoted ("a, b", "say ""hi"""), with the delimiter or newlines inside;
// spaces around fields are ignored; \n, \r\n line ends; blank lines are skipped; a UTF-8
// byte-order mark is ignored. Throws IOError naming the file, the (1-based) line and the column
// for: a non-numeric value, a row with more or fewer fields than the header, a target column
// not in the header, a missing value under MissingPolicy::error, a missing target (unless
// dropped), a class_index target that is not a non-negative integer, a category target that is
// a continuous number (more distinct values than classes can sensibly be: use number), an
// unterminated quote, an empty file, a file without data rows, a directory.
CsvTable read_csv(const std::filesystem::path& path, const CsvOptions& options);
// read_csv as a dataset: inputs [N, F] f32, targets as CsvTable::targets.
InMemoryDataset load_csv(const std::filesystem::path& path, const CsvOptions& options);

}  // namespace ember::data
