// The real Fashion-MNIST (Debian's dataset-fashion-mnist), when installed: counts, label
// histogram, and the time to load it and to iterate it with augmentation (printed, not asserted).
#include "loaders/common.h"

#include <chrono>

using namespace ember;
using namespace ember::data;
using namespace ember::testing_data;

namespace {
const char* kDir = "/usr/share/datasets/fashion-mnist";
double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}
}  // namespace

TEST(FashionMnist, RealDataset) {
  if (!fs::exists(fs::path(kDir) / "train-images-idx3-ubyte.gz") &&
      !fs::exists(fs::path(kDir) / "train-images-idx3-ubyte"))
    GTEST_SKIP() << "Fashion-MNIST is not installed in " << kDir
                 << " (Debian package dataset-fashion-mnist)";
  auto t0 = std::chrono::steady_clock::now();
  auto train = std::make_shared<InMemoryDataset>(load_mnist(kDir, true));
  InMemoryDataset test = load_mnist(kDir, false);
  const double load_s = seconds_since(t0);
  ASSERT_EQ(train->size(), 60000);
  ASSERT_EQ(test.size(), 10000);
  EXPECT_EQ(train->inputs().shape(), (Shape{60000, 1, 28, 28}));
  EXPECT_EQ(test.inputs().shape(), (Shape{10000, 1, 28, 28}));
  for (const InMemoryDataset* ds : {train.get(), &test}) {
    std::vector<int64_t> hist(10, 0);
    for (int64_t y : ds->targets().to_vector<int64_t>()) {
      ASSERT_GE(y, 0);
      ASSERT_LT(y, 10);
      ++hist[y];
    }
    for (int k = 0; k < 10; ++k) EXPECT_EQ(hist[k], ds->size() / 10) << "class " << k;
  }
  ChannelStats st = channel_stats(train->inputs(), 1.0 / 255);
  EXPECT_NEAR(st.mean[0], 0.2860, 1e-3);  // the usual Fashion-MNIST normalisation constants
  EXPECT_NEAR(st.std[0], 0.3530, 1e-3);

  // One epoch at batch 128 with normalize + random crop + flip, in the background.
  for (int workers : {0, 2}) {
    DataLoaderOptions o;
    o.batch_size = 128;
    o.shuffle = true;
    o.seed = 1;
    o.num_workers = workers;
    o.transforms = {make_random_crop(2), make_random_horizontal_flip(),
                    make_normalize(st.mean, st.std)};
    DataLoader loader(train, o);
    auto t1 = std::chrono::steady_clock::now();
    loader.begin_epoch(0);
    int64_t batches = 0;
    double checksum = 0;
    while (auto b = loader.next()) {
      ++batches;
      checksum += b->inputs.data<float>()[0];
    }
    const double epoch_s = seconds_since(t1);
    EXPECT_EQ(batches, 469);
    std::printf(
        "[ fashion-mnist ] load %.3f s (train+test); epoch with %d workers: %.3f s, "
        "%.0f batches/s (batch 128, crop+flip+normalize)\n",
        load_s, workers, epoch_s, batches / epoch_s);
  }
}
