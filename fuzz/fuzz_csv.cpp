// read_csv on arbitrary bytes under a few option sets (every missing-value policy,
// class-index, category and numeric (two-column) targets, a named target and ignored column,
// another delimiter).
#include "ember/data/csv.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static ember_fuzz::MemFile file("fuzz_csv");
  using namespace ember::data;
  const std::string& path = file.write(data, size);
  CsvOptions plain;
  CsvOptions drop;
  drop.missing = MissingPolicy::drop_row;
  drop.target = ember::data::CsvTarget::category;
  CsvOptions mean;
  mean.missing = MissingPolicy::fill_mean;
  mean.target_column = "y";
  mean.ignore_columns = {"id"};
  CsvOptions constant;
  constant.missing = MissingPolicy::fill_constant;
  constant.fill_value = -1.0;
  constant.delimiter = ';';
  constant.target = ember::data::CsvTarget::category;
  CsvOptions numbers;
  numbers.missing = MissingPolicy::keep;
  numbers.target = CsvTarget::number;
  numbers.target_columns = {"y", "z"};
  numbers.drop_missing_targets = true;
  for (const CsvOptions* o : {&plain, &drop, &mean, &constant, &numbers})
    ember_fuzz::expect_ember_error_only([&] { read_csv(path, *o); });
  return 0;
}
