// CSV reader: parsing, each missing-value policy, and errors naming file, line and column.
#include "loaders/common.h"

using namespace ember;
using namespace ember::data;
using namespace ember::testing_data;

namespace {
const char* kWithMissing =
    "a,b,label\n"
    "1,10,0\n"
    ",20,1\n"       // a missing (empty)
    "3,NA,1\n"      // b missing
    "5, nan ,2\n";  // b missing (spaces around)

CsvOptions with_policy(MissingPolicy p, double fill = 0.0) {
  CsvOptions o;
  o.target_column = "label";
  o.missing = p;
  o.fill_value = fill;
  return o;
}
}  // namespace

TEST(Csv, ParsesNumbersQuotesAndTarget) {
  TempDir dir;
  write_text(dir / "t.csv",
             "\xEF\xBB\xBFid,\"x, one\",y,class\r\n"
             "7,\"1.5\",-2e3,1\r\n"
             "\n"
             "8, +3 ,\"4\",0\r\n");
  CsvOptions o;
  o.target_column = "class";
  o.ignore_columns = {"id"};
  CsvTable t = read_csv(dir / "t.csv", o);
  EXPECT_EQ(t.feature_names, (std::vector<std::string>{"x, one", "y"}));
  EXPECT_EQ(t.target_names, (std::vector<std::string>{"class"}));
  EXPECT_EQ(t.features.shape(), (Shape{2, 2}));
  EXPECT_EQ(t.features.dtype(), DType::f32);
  EXPECT_EQ(t.features.to_vector<float>(), (std::vector<float>{1.5f, -2000.f, 3.f, 4.f}));
  EXPECT_EQ(t.targets.to_vector<int64_t>(), (std::vector<int64_t>{1, 0}));
  InMemoryDataset ds = load_csv(dir / "t.csv", o);
  EXPECT_EQ(ds.size(), 2);
  EXPECT_EQ(ds.inputs().shape(), (Shape{2, 2}));
}

TEST(Csv, TargetDefaultsToLastColumnAndCategorical) {
  TempDir dir;
  write_text(dir / "iris.csv",
             "sl,sw,species\n5.1,3.5,setosa\n7.0,3.2,versicolor\n6.3,3.3,virginica\n"
             "4.9,3.0,setosa\n");
  CsvOptions o;
  o.target = CsvTarget::category;
  CsvTable t = read_csv(dir / "iris.csv", o);
  EXPECT_EQ(t.class_names, (std::vector<std::string>{"setosa", "versicolor", "virginica"}));
  EXPECT_EQ(t.targets.to_vector<int64_t>(), (std::vector<int64_t>{0, 1, 2, 0}));
  EXPECT_DATA_ERROR(IOError, read_csv(dir / "iris.csv", CsvOptions{}), "iris.csv", "line 2",
                    "column 3 ('species')", "setosa");
}

TEST(Csv, QuotedFieldWithNewlineAndEscapedQuote) {
  TempDir dir;
  write_text(dir / "q.csv", "\"say \"\"hi\"\"\nthere\",y\n1,0\n2,1\n");
  CsvTable t = read_csv(dir / "q.csv", CsvOptions{});
  EXPECT_EQ(t.feature_names, std::vector<std::string>{"say \"hi\"\nthere"});
  EXPECT_EQ(t.features.to_vector<float>(), (std::vector<float>{1.f, 2.f}));
  // Line numbers count physical lines: the bad value is on line 4.
  write_text(dir / "q2.csv", "\"a\nb\",y\n1,0\nx,1\n");
  EXPECT_DATA_ERROR(IOError, read_csv(dir / "q2.csv", CsvOptions{}), "q2.csv", "line 4", "column 1",
                    "'x' is not a number");
}

TEST(Csv, MissingPolicyError) {
  TempDir dir;
  write_text(dir / "m.csv", kWithMissing);
  EXPECT_DATA_ERROR(IOError, read_csv(dir / "m.csv", with_policy(MissingPolicy::error)), "m.csv",
                    "line 3", "column 1 ('a')", "missing value");
}

TEST(Csv, MissingPolicyDropRow) {
  TempDir dir;
  write_text(dir / "m.csv", kWithMissing);
  CsvTable t = read_csv(dir / "m.csv", with_policy(MissingPolicy::drop_row));
  EXPECT_EQ(t.dropped_rows, 3);
  EXPECT_EQ(t.features.to_vector<float>(), (std::vector<float>{1.f, 10.f}));
  EXPECT_EQ(t.targets.to_vector<int64_t>(), std::vector<int64_t>{0});
}

TEST(Csv, MissingPolicyFillMean) {
  TempDir dir;
  write_text(dir / "m.csv", kWithMissing);
  CsvTable t = read_csv(dir / "m.csv", with_policy(MissingPolicy::fill_mean));
  // mean(a) over 1, 3, 5 = 3; mean(b) over 10, 20 = 15.
  EXPECT_EQ(t.features.to_vector<float>(),
            (std::vector<float>{1.f, 10.f, 3.f, 20.f, 3.f, 15.f, 5.f, 15.f}));
  EXPECT_EQ(t.targets.to_vector<int64_t>(), (std::vector<int64_t>{0, 1, 1, 2}));
}

TEST(Csv, MissingPolicyFillConstant) {
  TempDir dir;
  write_text(dir / "m.csv", kWithMissing);
  CsvTable t = read_csv(dir / "m.csv", with_policy(MissingPolicy::fill_constant, -1.0));
  EXPECT_EQ(t.features.to_vector<float>(),
            (std::vector<float>{1.f, 10.f, -1.f, 20.f, 3.f, -1.f, 5.f, -1.f}));
}

TEST(Csv, MissingTarget) {
  TempDir dir;
  write_text(dir / "t.csv", "a,label\n1,0\n2,\n3,1\n");
  for (MissingPolicy p :
       {MissingPolicy::error, MissingPolicy::fill_mean, MissingPolicy::fill_constant})
    EXPECT_DATA_ERROR(IOError, read_csv(dir / "t.csv", with_policy(p)), "t.csv", "line 3",
                      "column 2 ('label')", "missing target");
  CsvTable t = read_csv(dir / "t.csv", with_policy(MissingPolicy::drop_row));
  EXPECT_EQ(t.targets.to_vector<int64_t>(), (std::vector<int64_t>{0, 1}));
  // The target column is not in the header at all.
  CsvOptions o;
  o.target_column = "y";
  EXPECT_DATA_ERROR(IOError, read_csv(dir / "t.csv", o), "t.csv", "no target column 'y'",
                    "columns: a, label");
}

TEST(Csv, Errors) {
  TempDir dir;
  write_text(dir / "ragged.csv", "a,b,y\n1,2,0\n1,2\n");
  EXPECT_DATA_ERROR(IOError, read_csv(dir / "ragged.csv", CsvOptions{}), "ragged.csv", "line 3",
                    "2 fields", "3 columns");
  write_text(dir / "long.csv", "a,b,y\n1,2,0,9\n");
  EXPECT_DATA_ERROR(IOError, read_csv(dir / "long.csv", CsvOptions{}), "long.csv", "line 2",
                    "4 fields");
  write_text(dir / "text.csv", "a,b,y\n1,2,0\n1,abc,1\n");
  EXPECT_DATA_ERROR(IOError, read_csv(dir / "text.csv", CsvOptions{}), "text.csv", "line 3",
                    "column 2 ('b')", "'abc' is not a number");
  write_text(dir / "frac.csv", "a,y\n1,0.5\n");
  EXPECT_DATA_ERROR(IOError, read_csv(dir / "frac.csv", CsvOptions{}), "frac.csv", "line 2",
                    "non-negative integer");
  write_text(dir / "quote.csv", "a,y\n\"1,0\n");
  EXPECT_DATA_ERROR(IOError, read_csv(dir / "quote.csv", CsvOptions{}), "quote.csv", "line 2",
                    "unterminated");
  write_text(dir / "empty.csv", "");
  EXPECT_DATA_ERROR(IOError, read_csv(dir / "empty.csv", CsvOptions{}), "empty.csv", "empty file");
  write_text(dir / "header.csv", "a,y\n");
  EXPECT_DATA_ERROR(IOError, read_csv(dir / "header.csv", CsvOptions{}), "header.csv",
                    "no data rows");
  write_text(dir / "dup.csv", "a,a,y\n1,2,0\n");
  EXPECT_DATA_ERROR(IOError, read_csv(dir / "dup.csv", CsvOptions{}), "dup.csv", "both named 'a'");
  write_text(dir / "allna.csv", "a,label\nNA,0\n,1\n");
  EXPECT_DATA_ERROR(IOError, read_csv(dir / "allna.csv", with_policy(MissingPolicy::fill_mean)),
                    "allna.csv", "no values");
  fs::create_directories(dir / "d.csv");
  EXPECT_DATA_ERROR(IOError, read_csv(dir / "d.csv", CsvOptions{}), "d.csv", "is a directory");
  EXPECT_DATA_ERROR(IOError, read_csv(dir / "none.csv", CsvOptions{}), "none.csv", "no such file");
}
