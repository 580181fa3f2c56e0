// A class label and a bounding box from one image: Fashion-MNIST items pasted at random
// positions and scales on a larger canvas, a network with a shared trunk and two heads
// (forward_multi), trained with cross-entropy plus smooth-L1, scored by test accuracy and
// mean IoU. Only ember's public API.
//
//   class_and_box [--data-dir DIR] [--train N] [--test N] [--epochs E] [--threads T]
//                 [--min-accuracy A] [--min-iou U]
// Exits 1 when the test accuracy or mean IoU is below the given minimums (the suite's
// end-to-end test runs it small), 77 when the data set is not installed.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include <CLI/CLI.hpp>

#include <ember/data/data.h>
#include <ember/ember.h>
#include <ember/layers/layers.h>
#include <ember/metrics/metrics.h>
#include <ember/optim/optim.h>

using namespace ember;

namespace {

constexpr int64_t kCanvas = 48;

struct Options {
  std::string data_dir = "/usr/share/datasets/fashion-mnist";
  int64_t train = 20000, test = 2000, epochs = 4;
  int threads = 0;
  double min_accuracy = 0, min_iou = 0;
};

Options parse(int argc, char** argv) {
  Options o;
  CLI::App app{"class_and_box: a class and a box from each image"};
  app.add_option("--data-dir", o.data_dir)->capture_default_str();
  app.add_option("--train", o.train, "training canvases")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--test", o.test, "test canvases")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--epochs", o.epochs)->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--threads", o.threads, "0: OpenMP's default")->check(CLI::NonNegativeNumber);
  app.add_option("--min-accuracy", o.min_accuracy, "exit 1 below this test accuracy")->check(CLI::Range(0.0, 1.0));
  app.add_option("--min-iou", o.min_iou, "exit 1 below this mean IoU")->check(CLI::Range(0.0, 1.0));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    std::exit(app.exit(e));
  }
  return o;
}

// Each 28x28 item scaled by 0.6..1.4 (nearest neighbour) and pasted at a random place of a
// black canvas. Targets [N, 5] f32: the class, then the box x1, y1, x2, y2 as fractions of
// the canvas (the pasted square).
data::InMemoryDataset paste(const data::InMemoryDataset& items, int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> scale(0.6, 1.4);
  Tensor canvas = zeros({n, 1, kCanvas, kCanvas}, DType::u8);
  Tensor targets = make_tensor({n, 5}, DType::f32, Device::cpu());
  uint8_t* c = canvas.data<uint8_t>();
  float* t = targets.data<float>();
  const uint8_t* src = items.inputs().data<uint8_t>();
  const int64_t* cls = items.targets().data<int64_t>();
  for (int64_t i = 0; i < n; ++i) {
    const int64_t item = i % items.size();
    const auto size = static_cast<int64_t>(28 * scale(rng));
    std::uniform_int_distribution<int64_t> pos(0, kCanvas - size);
    const int64_t x0 = pos(rng), y0 = pos(rng);
    for (int64_t y = 0; y < size; ++y)
      for (int64_t x = 0; x < size; ++x)
        c[(i * kCanvas + y0 + y) * kCanvas + x0 + x] = src[item * 784 + (y * 28 / size) * 28 + x * 28 / size];
    const float k = 1.0f / kCanvas;
    const float row[5] = {static_cast<float>(cls[item]), x0 * k, y0 * k, (x0 + size) * k, (y0 + size) * k};
    std::copy(row, row + 5, t + i * 5);
  }
  return data::InMemoryDataset(canvas, targets);
}

// conv-bn-relu-pool x3, then a class head and a box head (sigmoid: coordinates in [0, 1]).
class ClassAndBox : public nn::Module {
 public:
  ClassAndBox() : Module("ClassAndBox") {
    register_module("trunk", &trunk, std::make_shared<nn::Sequential>());
    for (auto [in, out] : {std::pair<int64_t, int64_t>{1, 16}, {16, 32}, {32, 64}}) {
      trunk->push_back(std::make_shared<nn::Conv2d>(in, out, 3, Conv2dOptions{.padding = {1, 1}}, false));
      trunk->push_back(std::make_shared<nn::BatchNorm2d>(out));
      trunk->push_back(std::make_shared<nn::ReLU>());
      trunk->push_back(std::make_shared<nn::MaxPool2d>(2));
    }
    trunk->push_back(std::make_shared<nn::Flatten>());  // 64 x 6 x 6
    register_module("cls", &cls, std::make_shared<nn::Linear>(64 * 6 * 6, 10));
    register_module("box", &box, std::make_shared<nn::Linear>(64 * 6 * 6, 4));
  }
  std::vector<Tensor> forward_multi(const std::vector<Tensor>& in) override {
    const Tensor h = (*trunk)(in.at(0));
    return {(*cls)(h), sigmoid((*box)(h))};
  }
  std::shared_ptr<nn::Sequential> trunk;
  std::shared_ptr<nn::Linear> cls, box;
};

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  if (o.threads > 0) set_num_threads(o.threads);
  manual_seed(0);
  data::InMemoryDataset fm_train, fm_test;
  try {
    fm_train = data::load_mnist(o.data_dir, true);
    fm_test = data::load_mnist(o.data_dir, false);
  } catch (const IOError& e) {
    std::printf("SKIPPED: no Fashion-MNIST (Debian's dataset-fashion-mnist) in %s: %s\n", o.data_dir.c_str(), e.what());
    return 77;
  }
  auto train = std::make_shared<data::InMemoryDataset>(paste(fm_train, o.train, 1));
  auto test = std::make_shared<data::InMemoryDataset>(paste(fm_test, o.test, 2));

  ClassAndBox model;
  optim::Adam opt(model.parameters(), {.lr = 2e-3});
  data::DataLoader loader(train, {.batch_size = 128, .shuffle = true, .seed = 3});
  for (int64_t epoch = 0; epoch < o.epochs; ++epoch) {
    model.train();
    loader.begin_epoch(epoch);
    double sum = 0;
    int64_t seen = 0;
    while (auto b = loader.next()) {
      const Tensor cls = b->targets.select(1, 0).to(DType::i64);
      const Tensor box = b->targets.narrow(1, 1, 4);
      model.zero_grad();
      const std::vector<Tensor> out = model({b->inputs});
      Tensor loss = cross_entropy(out[0], cls) + 10.0 * smooth_l1_loss(out[1], box);
      loss.backward();
      opt.step();
      sum += loss.item<double>() * static_cast<double>(cls.numel());
      seen += cls.numel();
    }
    std::printf("epoch %lld  train loss %.4f\n", static_cast<long long>(epoch + 1), sum / static_cast<double>(seen));
  }

  model.eval();
  NoGradGuard ng;
  metrics::ConfusionMatrix confusion(10);
  double iou_sum = 0;
  data::DataLoader test_loader(test, {.batch_size = 256});
  test_loader.begin_epoch(0);
  while (auto b = test_loader.next()) {
    const std::vector<Tensor> out = model({b->inputs});
    confusion.add_scores(b->targets.select(1, 0).to(DType::i64), out[0]);
    iou_sum += sum(metrics::box_iou(out[1], b->targets.narrow(1, 1, 4).contiguous())).item<double>();
  }
  const double accuracy = confusion.accuracy(), iou = iou_sum / static_cast<double>(test->size());
  std::printf("test accuracy %.2f%%  mean IoU %.3f  (%lld train / %lld test images, %lld epochs)\n", 100 * accuracy,
              iou, static_cast<long long>(o.train), static_cast<long long>(o.test), static_cast<long long>(o.epochs));
  return accuracy >= o.min_accuracy && iou >= o.min_iou ? 0 : 1;
}
