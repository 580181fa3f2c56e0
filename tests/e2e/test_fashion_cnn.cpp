// End to end: a small CNN learns a 2,000-image subset of Fashion-MNIST to more than 80%
// test accuracy within the test's time budget (data, layers, autograd and optimizer together).
#include <gtest/gtest.h>

#include <filesystem>
#include <numeric>

#include <ember/data/data.h>
#include <ember/ember.h>
#include <ember/layers/layers.h>
#include <ember/optim/optim.h>

using namespace ember;

namespace {
const char* kDir = "/usr/share/datasets/fashion-mnist";

std::shared_ptr<data::InMemoryDataset> first(const data::InMemoryDataset& d, int64_t n) {
  std::vector<int64_t> idx(static_cast<size_t>(n));
  std::iota(idx.begin(), idx.end(), 0);
  return std::make_shared<data::InMemoryDataset>(d.subset(idx));
}
}  // namespace

TEST(EndToEnd, SmallCnnLearnsFashionMnistSubset) {
  if (!std::filesystem::exists(std::filesystem::path(kDir) / "train-images-idx3-ubyte.gz"))
    GTEST_SKIP() << "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)";
  auto train = first(data::load_mnist(kDir, true), 2000);
  auto test = first(data::load_mnist(kDir, false), 1000);
  data::DataLoaderOptions lo{.batch_size = 50, .shuffle = true, .seed = 1};
  lo.transforms.push_back(data::make_normalize({0.2860f}, {0.3530f}));
  data::DataLoader loader(train, lo);

  Generator gen(3);
  auto net = std::make_shared<nn::Sequential>();
  net->push_back(std::make_shared<nn::Conv2d>(1, 16, 3, Conv2dOptions{.padding = {1, 1}}, true, &gen));
  net->push_back(std::make_shared<nn::BatchNorm2d>(16));
  net->push_back(std::make_shared<nn::ReLU>());
  net->push_back(std::make_shared<nn::MaxPool2d>(2));
  net->push_back(std::make_shared<nn::Conv2d>(16, 32, 3, Conv2dOptions{.padding = {1, 1}}, true, &gen));
  net->push_back(std::make_shared<nn::BatchNorm2d>(32));
  net->push_back(std::make_shared<nn::ReLU>());
  net->push_back(std::make_shared<nn::MaxPool2d>(2));
  net->push_back(std::make_shared<nn::Flatten>());
  net->push_back(std::make_shared<nn::Linear>(32 * 7 * 7, 10, true, &gen));
  optim::SGD opt(net->parameters(), {.lr = 0.05, .momentum = 0.9, .weight_decay = 1e-4});
  const int epochs = 12;
  optim::CosineAnnealingLR schedule(opt, epochs * loader.num_batches());

  for (int epoch = 0; epoch < epochs; ++epoch) {
    loader.begin_epoch(epoch);
    while (auto b = loader.next()) {
      opt.zero_grad();
      cross_entropy((*net)(b->inputs), b->targets).backward();
      opt.step();
      schedule.step();
    }
  }
  net->eval();
  NoGradGuard ng;
  Tensor x = data::normalize(test->inputs(), {0.2860f}, {0.3530f});
  double acc = sum(eq(argmax((*net)(x), 1), test->targets())).item<int64_t>() / 1000.0;
  EXPECT_GT(acc, 0.80);
  std::printf("test accuracy after %d epochs on 2000 images: %.1f%%\n", epochs, 100 * acc);
}
