#include "tools/train/data_setup.h"

#include <filesystem>
#include <numeric>

#include <ember/core/dispatch.h>
#include <ember/ember.h>

namespace ember::train {
namespace {

const std::vector<std::string> kFashionNames = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                                "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
const std::vector<std::string> kCifar10Names = {"airplane", "automobile", "bird",  "cat",  "deer",
                                                "dog",      "frog",       "horse", "ship", "truck"};

std::shared_ptr<data::InMemoryDataset> take(data::InMemoryDataset d, int64_t n) {
  if (n <= 0 || n >= d.size()) return std::make_shared<data::InMemoryDataset>(std::move(d));
  std::vector<int64_t> idx(static_cast<size_t>(n));
  std::iota(idx.begin(), idx.end(), 0);
  return std::make_shared<data::InMemoryDataset>(d.subset(idx));
}

uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

// A small fixed dataset that needs no files (tests, smoke runs): 10 classes of 1x12x12 u8
// images, each a class template (fixed random pixels) plus per-image noise. The same on every
// machine; learnable but not trivially.
data::InMemoryDataset synthetic(int64_t n, uint64_t salt) {
  constexpr int64_t kPixels = 12 * 12, kClasses = 10;
  std::vector<uint8_t> px(static_cast<size_t>(n * kPixels));
  std::vector<int64_t> labels(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const uint64_t h = splitmix64(salt ^ static_cast<uint64_t>(i));
    const int64_t c = static_cast<int64_t>(h % kClasses);
    labels[static_cast<size_t>(i)] = c;
    for (int64_t p = 0; p < kPixels; ++p) {
      const int64_t tmpl = static_cast<int64_t>(splitmix64(1000 + static_cast<uint64_t>(c * kPixels + p)) % 160);
      const int64_t noise = static_cast<int64_t>(splitmix64(h + static_cast<uint64_t>(p)) % 96);
      px[static_cast<size_t>(i * kPixels + p)] = static_cast<uint8_t>(tmpl + noise);
    }
  }
  return data::InMemoryDataset(from_vector(px, {n, 1, 12, 12}), from_vector(labels, {n}));
}

}  // namespace

DataSetup make_data(const Options& o) {
  DataSetup s;
  data::InMemoryDataset train, test;
  if (o.dataset == "fashion-mnist" || o.dataset == "mnist") {
    std::filesystem::path dir = !o.data_dir.empty()       ? std::filesystem::path(o.data_dir)
                                : o.dataset == "mnist"     ? "/usr/share/datasets/mnist"
                                                           : "/usr/share/datasets/fashion-mnist";
    train = data::load_mnist(dir, true);
    test = data::load_mnist(dir, false);
    if (o.dataset == "fashion-mnist") s.class_names = kFashionNames;
  } else if (o.dataset == "cifar10" || o.dataset == "cifar100") {
    EMBER_CHECK(!o.data_dir.empty(), ValueError,
                "ember-train: --dataset {} needs --data-dir pointing at the binary version's files", o.dataset);
    if (o.dataset == "cifar10") {
      train = data::load_cifar10(o.data_dir, true);
      test = data::load_cifar10(o.data_dir, false);
      s.class_names = kCifar10Names;
    } else {
      train = data::load_cifar100(o.data_dir, true);
      test = data::load_cifar100(o.data_dir, false);
    }
  } else if (o.dataset == "synthetic") {
    train = synthetic(1024, 0x7261696eULL);
    test = synthetic(256, 0x74657374ULL);
  } else {
    EMBER_THROW(ValueError, "ember-train: unknown dataset '{}' (fashion-mnist, mnist, cifar10, cifar100, synthetic)",
                o.dataset);
  }
  Shape ex = train.example_shape();
  EMBER_CHECK(ex.size() == 3, ShapeError, "ember-train: expected images [C, H, W], got examples of shape {}",
              shape_str(ex));
  s.channels = ex[0], s.height = ex[1], s.width = ex[2];
  s.num_classes = std::max(train.num_classes(), test.num_classes());
  if (s.class_names.empty())
    for (int64_t c = 0; c < s.num_classes; ++c) s.class_names.push_back(std::to_string(c));

  data::ChannelStats stats = data::channel_stats(train.inputs(), 1.0 / 255.0);
  auto train_set = take(std::move(train), o.train_subset);
  auto test_set = take(std::move(test), o.test_subset);

  // Pinned batches make the copies to a GPU asynchronous, so the workers' next batch and the
  // upload overlap the training step. Only asked of a build that can pin (the loader refuses
  // otherwise; such a build fails --device cuda with its own message when the model moves).
  const bool pin = parse_device(o.device).is_cuda() && cuda_compiled();

  data::DataLoaderOptions tl;
  tl.batch_size = o.batch_size;
  tl.shuffle = true;
  tl.drop_last = true;  // equal batches keep BN statistics and timing steady
  tl.seed = o.seed;
  tl.num_workers = o.workers;
  tl.pin_memory = pin;
  const int64_t pad = s.height >= 32 ? 4 : 2;
  if (o.augment == "crop" || o.augment == "crop+flip") tl.transforms.push_back(data::make_random_crop(pad));
  if (o.augment == "flip" || o.augment == "crop+flip") tl.transforms.push_back(data::make_random_horizontal_flip());
  if (o.augment == "translate") tl.transforms.push_back(data::make_random_translate(pad, pad));
  tl.transforms.push_back(data::make_normalize(stats.mean, stats.std));
  s.train = std::make_unique<data::DataLoader>(train_set, tl);

  data::DataLoaderOptions el;
  el.batch_size = 500;
  el.num_workers = o.workers;
  el.pin_memory = pin;
  el.transforms.push_back(data::make_normalize(stats.mean, stats.std));
  s.test = std::make_unique<data::DataLoader>(test_set, el);
  return s;
}

}  // namespace ember::train
