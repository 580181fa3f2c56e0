// read_csv on arbitrary bytes under a few option sets (every missing-value policy,
// numeric and categorical targets, a named target and ignored column, another delimiter).
#include "ember/data/csv.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static ember_fuzz::MemFile file("fuzz_csv");
  using namespace ember::data;
  const std::string& path = file.write(data, size);
  CsvOptions plain;
  CsvOptions drop;
  drop.missing = MissingPolicy::drop_row;
  drop.categorical_target = true;
  CsvOptions mean;
  mean.missing = MissingPolicy::fill_mean;
  mean.target_column = "y";
  mean.ignore_columns = {"id"};
  CsvOptions constant;
  constant.missing = MissingPolicy::fill_constant;
  constant.fill_value = -1.0;
  constant.delimiter = ';';
  constant.categorical_target = true;
  for (const CsvOptions* o : {&plain, &drop, &mean, &constant})
    ember_fuzz::expect_ember_error_only([&] { read_csv(path, *o); });
  return 0;
}
