// DataLoader pin_memory: the same batches as pageable ones; pinned where a CUDA device is
// present, pageable without one (CUDA build), refused in a build without the CUDA backend.
#include "loaders/common.h"

#include <ember/core/dispatch.h>

using namespace ember;
using namespace ember::data;
using namespace ember::testing_data;

namespace {

// n images [1, 5, 5] u8 with varied pixels; label i % 3.
std::shared_ptr<InMemoryDataset> pixels(int64_t n) {
  std::vector<uint8_t> px;
  std::vector<int64_t> labels;
  for (int64_t i = 0; i < n; ++i) {
    for (int k = 0; k < 25; ++k) px.push_back(static_cast<uint8_t>((i * 37 + k * 11) % 256));
    labels.push_back(i % 3);
  }
  return std::make_shared<InMemoryDataset>(from_vector<uint8_t>(px, {n, 1, 5, 5}),
                                           from_vector<int64_t>(labels, {n}));
}

DataLoaderOptions options(int workers, bool pin) {
  DataLoaderOptions o;
  o.batch_size = 6;
  o.shuffle = true;
  o.seed = 9;
  o.num_workers = workers;
  o.transforms = {make_random_crop(1), make_random_horizontal_flip(), make_normalize({0.5f}, {0.25f})};
  o.pin_memory = pin;
  return o;
}

struct Epoch {
  std::vector<std::vector<float>> inputs;
  std::vector<std::vector<int64_t>> targets;
  std::vector<Shape> shapes;
  bool operator==(const Epoch&) const = default;
};

// Also checks that every batch is pinned exactly when the loader says it pins.
Epoch collect(DataLoader& loader, int64_t epoch) {
  Epoch c;
  loader.begin_epoch(epoch);
  while (auto b = loader.next()) {
    EXPECT_EQ(b->inputs.is_pinned(), loader.pins_memory());
    EXPECT_EQ(b->targets.is_pinned(), loader.pins_memory());
    EXPECT_TRUE(b->inputs.device().is_cpu());
    EXPECT_TRUE(b->inputs.is_contiguous());
    c.shapes.push_back(b->inputs.shape());
    c.inputs.push_back(b->inputs.to_vector<float>());
    c.targets.push_back(b->targets.to_vector<int64_t>());
  }
  return c;
}

}  // namespace

TEST(LoaderPinMemory, OffByDefault) {
  DataLoader loader(pixels(10), DataLoaderOptions{});
  EXPECT_FALSE(loader.options().pin_memory);
  EXPECT_FALSE(loader.pins_memory());
  loader.begin_epoch(0);
  auto b = loader.next();
  ASSERT_TRUE(b.has_value());
  EXPECT_FALSE(b->inputs.is_pinned());
}

TEST(LoaderPinMemory, SameBatchesAsPageable) {
  if (!cuda_compiled()) GTEST_SKIP() << "no CUDA backend in this build: pin_memory is refused (tested below)";
  for (int workers : {0, 3}) {
    SCOPED_TRACE(workers);
    DataLoader pageable(pixels(23), options(workers, false));
    DataLoader pinned(pixels(23), options(workers, true));
    EXPECT_TRUE(pinned.options().pin_memory);
    EXPECT_EQ(pinned.pins_memory(), cuda_available());
    for (int64_t epoch : {0, 1}) {
      Epoch want = collect(pageable, epoch);
      EXPECT_EQ(collect(pinned, epoch), want);
      EXPECT_EQ(want.inputs.size(), 4u);
    }
  }
}

TEST(LoaderPinMemory, ResumedEpochMatches) {
  if (!cuda_compiled()) GTEST_SKIP() << "no CUDA backend in this build";
  DataLoader pageable(pixels(23), options(2, false));
  DataLoader pinned(pixels(23), options(2, true));
  pageable.begin_epoch(1, 2);
  pinned.restore({1, 2});
  for (int k = 0; k < 2; ++k) {
    auto a = pageable.next(), b = pinned.next();
    ASSERT_TRUE(a && b);
    EXPECT_EQ(a->index, b->index);
    EXPECT_EQ(a->inputs.to_vector<float>(), b->inputs.to_vector<float>());
    EXPECT_EQ(a->targets.to_vector<int64_t>(), b->targets.to_vector<int64_t>());
  }
  EXPECT_FALSE(pinned.next().has_value());
}

TEST(LoaderPinMemory, RefusedWithoutTheCudaBackend) {
  if (cuda_compiled()) GTEST_SKIP() << "this build has the CUDA backend";
  try {
    DataLoader loader(pixels(10), options(1, true));
    FAIL() << "pin_memory without the CUDA backend should throw";
  } catch (const DeviceError& e) {
    EXPECT_NE(std::string(e.what()).find("pin_memory"), std::string::npos) << e.what();
  }
}
