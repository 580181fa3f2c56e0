// Tabular data beyond class labels: numeric (regression) and multi-column targets, missing
// targets, targets of any shape in datasets and loaders, seeded splits, and imputation and
// standardization fitted on the training split only.
#include <cmath>
#include <limits>
#include <set>

#include <ember/layers/layers.h>

#include "loaders/common.h"

using namespace ember;
using namespace ember::data;
using namespace ember::testing_data;

namespace {
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
}  // namespace

TEST(Tabular, NumberTargetsOneAndSeveralColumns) {
  TempDir dir;
  write_text(dir / "r.csv",
             "x1,x2,price,area\n"
             "1,2,3.5,40\n"
             "4,,7.25,55.5\n"
             "5,6,,60\n"  // price missing: dropped and counted
             "7,8,9,\n");  // area missing: dropped too when it is a target
  CsvOptions one;
  one.target_column = "price";
  one.target = CsvTarget::number;
  one.ignore_columns = {"area"};
  one.missing = MissingPolicy::keep;
  one.drop_missing_targets = true;
  CsvTable t = read_csv(dir / "r.csv", one);
  EXPECT_EQ(t.targets.dtype(), DType::f32);
  EXPECT_EQ(t.targets.shape(), (Shape{3}));
  EXPECT_EQ(t.targets.to_vector<float>(), (std::vector<float>{3.5f, 7.25f, 9.f}));
  EXPECT_EQ(t.dropped_targets, 1);
  EXPECT_EQ(t.dropped_rows, 0);
  EXPECT_EQ(t.target_names, (std::vector<std::string>{"price"}));
  const std::vector<float> f = t.features.to_vector<float>();
  ASSERT_EQ(f.size(), 6u);
  EXPECT_TRUE(std::isnan(f[3])) << "keep leaves the missing feature as NaN";

  CsvOptions two;
  two.target_columns = {"price", "area"};
  two.target = CsvTarget::number;
  two.missing = MissingPolicy::keep;
  two.drop_missing_targets = true;
  CsvTable u = read_csv(dir / "r.csv", two);
  EXPECT_EQ(u.targets.shape(), (Shape{2, 2}));
  EXPECT_EQ(u.targets.to_vector<float>(), (std::vector<float>{3.5f, 40.f, 7.25f, 55.5f}));
  EXPECT_EQ(u.dropped_targets, 2);
  EXPECT_EQ(u.feature_names, (std::vector<std::string>{"x1", "x2"}));

  // Without drop_missing_targets a missing target is an error that says how to drop it.
  CsvOptions strict = one;
  strict.drop_missing_targets = false;
  EXPECT_DATA_ERROR(IOError, read_csv(dir / "r.csv", strict), "line 4", "missing target", "drop_missing_targets");
  // Several target columns are numbers only.
  CsvOptions classes = two;
  classes.target = CsvTarget::class_index;
  EXPECT_DATA_ERROR(ValueError, read_csv(dir / "r.csv", classes), "need CsvTarget::number");
}

TEST(Tabular, HintsNeverLeadToNonsense) {
  TempDir dir;
  std::string text = "x,y\n";
  for (int i = 0; i < 60; ++i) text += std::to_string(i) + "," + std::to_string(i * 0.37 + 0.01) + "\n";
  write_text(dir / "c.csv", text);
  CsvOptions classes;  // the default: class indices
  EXPECT_DATA_ERROR(IOError, read_csv(dir / "c.csv", classes), "not a non-negative integer class index",
                    "CsvTarget::number");
  CsvOptions names;
  names.target = CsvTarget::category;  // 60 classes from 60 rows would be a nonsense result
  EXPECT_DATA_ERROR(IOError, read_csv(dir / "c.csv", names), "60 distinct non-integer numbers in 60 rows",
                    "CsvTarget::number");
  CsvOptions numbers;
  numbers.target = CsvTarget::number;
  EXPECT_EQ(read_csv(dir / "c.csv", numbers).targets.numel(), 60);
}

TEST(Tabular, DatasetsAndLoadersCarryTargetsOfAnyShape) {
  Generator g(1);
  const Tensor x = randn({10, 3}, DType::f32, Device::cpu(), &g);
  const Tensor boxes = rand({10, 4}, DType::f32, Device::cpu(), &g);
  auto ds = std::make_shared<InMemoryDataset>(x, boxes);
  EXPECT_EQ(ds->target_shape(), (Shape{4}));
  Example e = ds->get(7);
  EXPECT_EQ(e.target.shape(), (Shape{4}));
  EXPECT_EQ(e.target.to_vector<float>(), boxes.select(0, 7).to_vector<float>());
  const std::vector<int64_t> idx{2, 9};
  Example b = ds->get_batch(idx);
  EXPECT_EQ(b.target.shape(), (Shape{2, 4}));
  EXPECT_EQ(b.target.select(0, 1).to_vector<float>(), boxes.select(0, 9).to_vector<float>());
  EXPECT_THROW(ds->num_classes(), DTypeError);

  DataLoader loader(ds, {.batch_size = 4, .shuffle = true, .seed = 3});
  loader.begin_epoch(0);
  int64_t seen = 0;
  while (auto batch = loader.next()) {
    EXPECT_EQ(batch->targets.dim(), 2);
    EXPECT_EQ(batch->targets.size(1), 4);
    EXPECT_EQ(batch->targets.dtype(), DType::f32);
    seen += batch->targets.size(0);
  }
  EXPECT_EQ(seen, 10);
  // A regression target [N] f32 and a multi-label one [N, 5] bool work the same way.
  EXPECT_EQ(InMemoryDataset(x, randn({10})).get(0).target.dim(), 0);
  EXPECT_EQ(InMemoryDataset(x, zeros({10, 5}, DType::boolean)).get_batch(idx).target.shape(), (Shape{2, 5}));
  EXPECT_THROW(InMemoryDataset(x, randn({9})), ShapeError);
}

TEST(Tabular, RandomAndStratifiedSplits) {
  EXPECT_EQ(split_sizes(10, {0.7, 0.15, 0.15}), (std::vector<int64_t>{8, 1, 1}));
  EXPECT_EQ(split_sizes(100, {0.8, 0.2}), (std::vector<int64_t>{80, 20}));
  EXPECT_THROW(split_sizes(10, {0.5, 0.4}), ValueError);
  const std::vector<int64_t> big = split_sizes(4000000, {0.5000005, 0.5});  // sums to 1 + 5e-7
  EXPECT_EQ(big[0] + big[1], 4000000);
  EXPECT_THROW(split_sizes(10, {1.5, -0.5}), ValueError);

  const auto parts = random_split(103, {0.6, 0.2, 0.2}, 42);
  ASSERT_EQ(parts.size(), 3u);
  std::set<int64_t> all;
  size_t total = 0;
  for (const auto& p : parts) {
    total += p.size();
    all.insert(p.begin(), p.end());
    EXPECT_TRUE(std::is_sorted(p.begin(), p.end()));
  }
  EXPECT_EQ(total, 103u);
  EXPECT_EQ(all.size(), 103u);  // disjoint and complete
  EXPECT_EQ(random_split(103, {0.6, 0.2, 0.2}, 42), parts);
  EXPECT_NE(random_split(103, {0.6, 0.2, 0.2}, 43), parts);

  // 90 of class 0, 10 of class 1: each part keeps about 10% of class 1.
  std::vector<int64_t> y(100, 0);
  for (int i = 0; i < 10; ++i) y[static_cast<size_t>(i * 10 + 3)] = 1;
  const Tensor labels = from_vector(y, {100});
  const auto strat = stratified_split(labels, {0.8, 0.2}, 7);
  auto ones_in = [&](const std::vector<int64_t>& p) {
    int n = 0;
    for (int64_t i : p) n += y[static_cast<size_t>(i)] == 1;
    return n;
  };
  EXPECT_EQ(strat[0].size(), 80u);
  EXPECT_EQ(ones_in(strat[0]), 8);
  EXPECT_EQ(ones_in(strat[1]), 2);

  InMemoryDataset d(randn({100, 2}), labels);
  const auto dsplit = stratified_split(d, {0.8, 0.2}, 7);
  EXPECT_EQ(dsplit[1].size(), 20);
  EXPECT_EQ(dsplit[1].targets().to_vector<int64_t>()[0], y[static_cast<size_t>(strat[1][0])]);
}

TEST(Tabular, ImputeAndStandardizeUseTheTrainingSplitOnly) {
  // Column 0 of the training rows has mean 2; the test row's 100 must not move it.
  const Tensor train = from_vector<float>({1, 10, kNaN, 20, 3, 30}, {3, 2});
  const Tensor test = from_vector<float>({100, kNaN}, {1, 2});
  nn::Impute impute(2);
  EXPECT_THROW(impute(train), ValueError);  // not fitted yet
  impute.fit(train);
  EXPECT_EQ(impute.fill.to_vector<float>(), (std::vector<float>{2.f, 20.f}));
  EXPECT_EQ(impute(test).to_vector<float>(), (std::vector<float>{100.f, 20.f}));
  nn::Impute median(2, nn::Impute::Strategy::median);
  median.fit(from_vector<float>({1, 5, 2, kNaN, 9, 7, 4, 1}, {4, 2}));
  EXPECT_EQ(median.fill.to_vector<float>(), (std::vector<float>{3.f, 5.f}));  // (2+4)/2, of {5, 7, 1}
  EXPECT_THROW(nn::Impute(2).fit(from_vector<float>({kNaN, 1, kNaN, 2}, {2, 2})), ValueError);

  nn::Standardize scale(2);
  const Tensor filled = impute(train);
  scale.fit(filled);
  const Tensor z = scale(filled);
  for (int64_t j = 0; j < 2; ++j) {
    const Tensor c = z.select(1, j);
    EXPECT_NEAR(c.mean().item<float>(), 0.0, 1e-6);
    EXPECT_NEAR((c * c).mean().item<float>(), 1.0, 1e-5);
  }
  const std::vector<float> back = scale.inverse(z).to_vector<float>(), want = filled.to_vector<float>();
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(back[i], want[i], 1e-5 * std::abs(want[i])) << i;
  EXPECT_THROW(scale.fit(train), ValueError);  // NaN: impute first
  // A column constant on the training split keeps scale 1 (other values later stay finite).
  nn::Standardize flat(2);
  flat.fit(from_vector<float>({1, 5, 2, 5, 3, 5}, {3, 2}));
  EXPECT_EQ(flat.scale.to_vector<float>()[1], 1.0f);
  EXPECT_EQ(flat(from_vector<float>({2, 7}, {1, 2})).to_vector<float>()[1], 2.0f);
  // Loading an unfitted state into a fitted layer makes it unfitted again.
  nn::Standardize fresh(2);
  flat.load_state_dict(fresh.state_dict());
  EXPECT_FALSE(flat.fitted());
  EXPECT_THROW(flat(from_vector<float>({2, 7}, {1, 2})), ValueError);

  // The statistics are buffers: a model that starts with them saves and reloads them.
  auto a = std::make_shared<nn::Impute>(2);
  a->fit(train);
  nn::Sequential model{a, std::make_shared<nn::Standardize>(2)};
  std::dynamic_pointer_cast<nn::Standardize>(model[1])->fit((*a)(train));
  nn::Sequential loaded{std::make_shared<nn::Impute>(2), std::make_shared<nn::Standardize>(2)};
  loaded.load_state_dict(model.state_dict());
  EXPECT_EQ(loaded(test).to_vector<float>(), model(test).to_vector<float>());
  EXPECT_EQ(model.state_dict().keys(),
            (std::vector<std::string>{"0.fill", "0.fitted", "1.mean", "1.scale", "1.fitted"}));
}
