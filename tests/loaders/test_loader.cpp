// DataLoader: batching, shuffling per epoch, determinism for any worker count, resume,
// drop_last, errors from workers, shutdown mid-epoch.
#include "loaders/common.h"

#include <atomic>
#include <set>
#include <thread>

using namespace ember;
using namespace ember::data;
using namespace ember::testing_data;

namespace {

// n images [1, 4, 4] u8 whose pixels all equal i % 256; label i % 7.
std::shared_ptr<InMemoryDataset> toy(int64_t n) {
  std::vector<uint8_t> px;
  std::vector<int64_t> labels;
  for (int64_t i = 0; i < n; ++i) {
    for (int k = 0; k < 16; ++k) px.push_back(static_cast<uint8_t>(i % 256));
    labels.push_back(i % 7);
  }
  return std::make_shared<InMemoryDataset>(from_vector<uint8_t>(px, {n, 1, 4, 4}),
                                           from_vector<int64_t>(labels, {n}));
}

struct Collected {
  std::vector<std::vector<float>> inputs;
  std::vector<std::vector<int64_t>> targets;
  bool operator==(const Collected&) const = default;
};

Collected run_epoch(DataLoader& loader, int64_t epoch, int64_t start = 0) {
  Collected c;
  loader.begin_epoch(epoch, start);
  while (auto b = loader.next()) {
    c.inputs.push_back(b->inputs.to_vector<float>());
    c.targets.push_back(b->targets.to_vector<int64_t>());
  }
  return c;
}

DataLoaderOptions augmenting(int workers) {
  DataLoaderOptions o;
  o.batch_size = 8;
  o.shuffle = true;
  o.seed = 42;
  o.num_workers = workers;
  o.transforms = {make_random_crop(1), make_random_horizontal_flip(),
                  make_normalize({0.5f}, {0.25f})};
  return o;
}

}  // namespace

TEST(Loader, BatchesCoverTheDatasetInOrder) {
  DataLoaderOptions o;
  o.batch_size = 4;
  DataLoader loader(toy(10), o);
  EXPECT_EQ(loader.num_batches(), 3);
  loader.begin_epoch(0);
  std::vector<int64_t> sizes, firsts;
  while (auto b = loader.next()) {
    EXPECT_EQ(b->inputs.dtype(), DType::f32);
    EXPECT_EQ(b->targets.dtype(), DType::i64);
    sizes.push_back(b->inputs.size(0));
    firsts.push_back(std::lround(b->inputs.at<float>({0, 0, 0, 0}) * 255));
  }
  EXPECT_EQ(sizes, (std::vector<int64_t>{4, 4, 2}));
  EXPECT_EQ(firsts, (std::vector<int64_t>{0, 4, 8}));
  EXPECT_FALSE(loader.next().has_value());  // stays at the end
  EXPECT_EQ(loader.position(), (LoaderPosition{0, 3}));
}

TEST(Loader, DropLast) {
  DataLoaderOptions o;
  o.batch_size = 4;
  o.drop_last = true;
  DataLoader loader(toy(10), o);
  EXPECT_EQ(loader.num_batches(), 2);
  Collected c = run_epoch(loader, 0);
  ASSERT_EQ(c.targets.size(), 2u);
  for (auto& t : c.targets) EXPECT_EQ(t.size(), 4u);
  o.batch_size = 5;
  EXPECT_EQ(DataLoader(toy(10), o).num_batches(), 2);
  o.batch_size = 11;
  EXPECT_EQ(DataLoader(toy(10), o).num_batches(), 0);
  o.drop_last = false;
  EXPECT_EQ(DataLoader(toy(10), o).num_batches(), 1);
}

TEST(Loader, ShuffleIsAPermutationPerEpochAndReproducible) {
  DataLoaderOptions o;
  o.batch_size = 7;
  o.shuffle = true;
  o.seed = 7;
  DataLoader a(toy(100), o), b(toy(100), o);
  std::vector<int64_t> e0 = a.epoch_order(0), e1 = a.epoch_order(1);
  EXPECT_EQ(e0, b.epoch_order(0));  // same seed, same order
  EXPECT_NE(e0, e1);                // different epochs, different orders
  std::set<int64_t> s(e0.begin(), e0.end());
  EXPECT_EQ(s.size(), 100u);
  EXPECT_EQ(*s.begin(), 0);
  EXPECT_EQ(*s.rbegin(), 99);
  o.seed = 8;
  EXPECT_NE(DataLoader(toy(100), o).epoch_order(0), e0);
  // The batches follow the order.
  a.begin_epoch(1);
  auto first = a.next();
  for (int64_t k = 0; k < 7; ++k)
    EXPECT_EQ(std::lround(first->inputs.at<float>({k, 0, 0, 0}) * 255), e1[k]);
  EXPECT_EQ(run_epoch(a, 3), run_epoch(b, 3));
  EXPECT_NE(run_epoch(a, 3), run_epoch(b, 4));
}

TEST(Loader, SameBatchesForAnyWorkerCount) {
  auto ds = toy(203);
  DataLoader l0(ds, augmenting(0)), l1(ds, augmenting(1)), l3(ds, augmenting(3));
  for (int64_t e : {0, 1}) {
    Collected c0 = run_epoch(l0, e);
    EXPECT_EQ(c0.inputs.size(), 26u);
    EXPECT_EQ(c0, run_epoch(l1, e)) << "epoch " << e;
    EXPECT_EQ(c0, run_epoch(l3, e)) << "epoch " << e;
  }
  EXPECT_NE(run_epoch(l0, 0), run_epoch(l0, 1));
  // Augmentation differs between epochs even without shuffling.
  DataLoaderOptions o = augmenting(2);
  o.shuffle = false;
  DataLoader ns(ds, o);
  Collected a = run_epoch(ns, 0), b = run_epoch(ns, 1);
  EXPECT_EQ(a.targets, b.targets);
  EXPECT_NE(a.inputs, b.inputs);
}

TEST(Loader, ResumeMidEpochGivesTheSameBatches) {
  auto ds = toy(100);
  for (int workers : {0, 2}) {
    DataLoader full(ds, augmenting(workers));
    Collected all = run_epoch(full, 5);
    DataLoader resumed(ds, augmenting(workers));
    // Read a little of another epoch, then jump (as a checkpoint restore would).
    resumed.begin_epoch(2);
    resumed.next();
    resumed.restore(LoaderPosition{5, 9});
    EXPECT_EQ(resumed.position(), (LoaderPosition{5, 9}));
    Collected tail = run_epoch(resumed, 5, 9);
    ASSERT_EQ(tail.inputs.size(), all.inputs.size() - 9);
    for (size_t k = 0; k < tail.inputs.size(); ++k) {
      EXPECT_EQ(tail.inputs[k], all.inputs[9 + k]) << "batch " << 9 + k;
      EXPECT_EQ(tail.targets[k], all.targets[9 + k]);
    }
    // Restarting at the end gives nothing; out of range is an error.
    resumed.begin_epoch(5, resumed.num_batches());
    EXPECT_FALSE(resumed.next().has_value());
    EXPECT_DATA_ERROR(ValueError, resumed.begin_epoch(5, resumed.num_batches() + 1),
                      "out of range");
  }
}

TEST(Loader, WorkerErrorsAreRethrownInOrder) {
  auto ds = toy(40);
  for (int workers : {0, 3}) {
    DataLoaderOptions o;
    o.batch_size = 4;
    o.num_workers = workers;
    o.transforms = {make_lambda("fails on batch 2", [](const Tensor& x, Generator&) {
      if (std::lround(x.at<uint8_t>({0, 0, 0, 0})) == 8) EMBER_THROW(ValueError, "boom at 8");
      return x;
    })};
    DataLoader loader(ds, o);
    loader.begin_epoch(0);
    EXPECT_TRUE(loader.next().has_value());
    EXPECT_TRUE(loader.next().has_value());
    EXPECT_DATA_ERROR(ValueError, loader.next(), "boom at 8");
    EXPECT_EQ(loader.position(), (LoaderPosition{0, 3}));
    int rest = 0;
    while (loader.next()) ++rest;
    EXPECT_EQ(rest, 7);
  }
}

TEST(Loader, TransformThatChangesBatchSizeIsAnError) {
  DataLoaderOptions o;
  o.batch_size = 4;
  o.transforms = {
      make_lambda("halve", [](const Tensor& x, Generator&) { return x.narrow(0, 0, 2); })};
  DataLoader loader(toy(8), o);
  loader.begin_epoch(0);
  EXPECT_DATA_ERROR(ShapeError, loader.next(), "halve", "batch of 4");
}

TEST(Loader, DestroyMidEpochDoesNotHang) {
  std::atomic<int> made{0};
  for (int round = 0; round < 20; ++round) {
    DataLoaderOptions o;
    o.batch_size = 3;
    o.num_workers = 4;
    o.prefetch = 3;
    o.shuffle = true;
    o.transforms = {make_lambda("slow", [&made](const Tensor& x, Generator&) {
      ++made;
      std::this_thread::sleep_for(std::chrono::microseconds(200));
      return x;
    })};
    DataLoader loader(toy(300), o);
    loader.begin_epoch(0);
    for (int k = 0; k < round % 5; ++k) loader.next();
    if (round % 2) loader.begin_epoch(1, 7);  // abandon epoch 0 with batches in flight
  }
  // The bounded queue keeps the workers from racing ahead: far fewer than 20 epochs' worth.
  EXPECT_LT(made.load(), 20 * 100);
}

TEST(Loader, NextBeforeBeginEpochAndBadOptions) {
  DataLoader loader(toy(4), DataLoaderOptions{});
  EXPECT_DATA_ERROR(ValueError, loader.next(), "begin_epoch");
  DataLoaderOptions o;
  o.batch_size = 0;
  EXPECT_DATA_ERROR(ValueError, DataLoader(toy(4), o), "batch_size");
  EXPECT_DATA_ERROR(ValueError, DataLoader(nullptr, DataLoaderOptions{}), "null dataset");
}

TEST(Loader, InMemoryDatasetGatherAndSubset) {
  auto ds = toy(10);
  std::vector<int64_t> idx = {9, 0, 3};
  Example b = ds->get_batch(idx);
  EXPECT_EQ(b.input.shape(), (Shape{3, 1, 4, 4}));
  EXPECT_EQ(b.input.at<uint8_t>({0, 0, 3, 3}), 9);
  EXPECT_EQ(b.target.to_vector<int64_t>(), (std::vector<int64_t>{2, 0, 3}));
  InMemoryDataset sub = ds->subset(idx);
  EXPECT_EQ(sub.size(), 3);
  EXPECT_EQ(sub.get(2).target.item<int64_t>(), 3);
  EXPECT_EQ(ds->num_classes(), 7);
  std::vector<int64_t> bad = {10};
  EXPECT_DATA_ERROR(IndexError, ds->get_batch(bad), "index 10", "10");
  // Any dtype is a dataset's own business now (f64 tables, f32 targets: test_tabular.cpp);
  // what cannot be one is an undefined tensor.
  EXPECT_EQ(InMemoryDataset(zeros({2, 3}, DType::f64), zeros({2}, DType::i64)).get(1).input.dtype(), DType::f64);
  EXPECT_DATA_ERROR(ValueError, InMemoryDataset(Tensor(), zeros({2}, DType::i64)), "must be defined");
  EXPECT_DATA_ERROR(ShapeError, InMemoryDataset(zeros({2, 3}), zeros({3}, DType::i64)), "[2, 3]",
                    "[3]");
}

TEST(Loader, TabularCsvThroughTheLoader) {
  TempDir dir;
  std::string text = "x1,x2,y\n";
  for (int i = 0; i < 25; ++i) text += fmt::format("{},{},{}\n", i, -i, i % 3);
  write_text(dir / "t.csv", text);
  DataLoaderOptions o;
  o.batch_size = 10;
  o.num_workers = 1;
  DataLoader loader(std::make_shared<InMemoryDataset>(load_csv(dir / "t.csv", CsvOptions{})), o);
  loader.begin_epoch(0);
  auto b = loader.next();
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->inputs.shape(), (Shape{10, 2}));
  EXPECT_EQ(b->inputs.at<float>({3, 1}), -3.f);  // f32 is not rescaled
  EXPECT_EQ(b->targets.at<int64_t>({4}), 1);
}
