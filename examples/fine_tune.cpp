// Frozen-backbone fine-tuning on Fashion-MNIST: a small CNN is trained on the first five
// classes (T-shirt, trouser, pullover, dress, coat) and saved; a new program's model loads
// it, freezes the backbone (batch-norm statistics held), replaces the head with one for the
// other five classes (sandal, shirt, sneaker, bag, ankle boot) and trains it on a few labelled
// examples of them. The frozen weights must come out bit-identical, and the head must beat the
// same head trained on a frozen backbone that was never trained (random features). Then the
// last block is unfrozen with its own, smaller learning rate (partial unfreezing). Only
// ember's public API.
//
//   fine_tune [--data-dir DIR] [--pretrain N] [--finetune N] [--pretrain-epochs E]
//             [--epochs E] [--unfreeze-epochs E] [--threads T] [--min-gain G]
// Exits 1 when a frozen weight changed or the pretrained backbone's head is not at least G
// (accuracy, 0..1) better than the random one's, 77 when the data set is not installed.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

#include <unistd.h>

#include <CLI/CLI.hpp>

#include <ember/data/data.h>
#include <ember/ember.h>
#include <ember/layers/layers.h>
#include <ember/metrics/metrics.h>
#include <ember/optim/optim.h>

using namespace ember;

namespace {

struct Options {
  std::string data_dir = "/usr/share/datasets/fashion-mnist";
  int64_t pretrain = 30000, finetune = 1000, pretrain_epochs = 3, epochs = 8, unfreeze_epochs = 3;
  int threads = 0;
  double min_gain = 0;
};

Options parse(int argc, char** argv) {
  Options o;
  CLI::App app{"fine_tune: a new head on a frozen pretrained backbone"};
  app.add_option("--data-dir", o.data_dir)->capture_default_str();
  app.add_option("--pretrain", o.pretrain, "images of classes 0-4 to pretrain on")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--finetune", o.finetune, "labelled images of classes 5-9 for the new head")
      ->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--pretrain-epochs", o.pretrain_epochs)->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--epochs", o.epochs, "epochs of the new head")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--unfreeze-epochs", o.unfreeze_epochs)->check(CLI::NonNegativeNumber)->capture_default_str();
  app.add_option("--threads", o.threads, "0: OpenMP's default")->check(CLI::NonNegativeNumber);
  app.add_option("--min-gain", o.min_gain, "exit 1 unless the pretrained backbone's head is this much more accurate")
      ->check(CLI::Range(-1.0, 1.0));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    std::exit(app.exit(e));
  }
  return o;
}

// The first `limit` examples whose class is in [first, first + 5), relabelled 0..4.
std::shared_ptr<data::InMemoryDataset> five_classes(const data::InMemoryDataset& all, int64_t first, int64_t limit) {
  std::vector<int64_t> idx;
  const int64_t* y = all.targets().data<int64_t>();
  for (int64_t i = 0; i < all.size() && static_cast<int64_t>(idx.size()) < limit; ++i)
    if (y[i] >= first && y[i] < first + 5) idx.push_back(i);
  const data::InMemoryDataset part = all.subset(idx);
  Tensor labels = part.targets().clone();
  int64_t* l = labels.data<int64_t>();
  for (int64_t i = 0; i < labels.numel(); ++i) l[i] -= first;
  return std::make_shared<data::InMemoryDataset>(part.inputs(), labels);
}

// Two conv-bn-relu-pool blocks (28 -> 14 -> 7) as the backbone, a linear head.
class Net : public nn::Module {
 public:
  explicit Net(int64_t classes) : Module("Net") {
    register_module("backbone", &backbone, std::make_shared<nn::Sequential>());
    for (auto [in, out] : {std::pair<int64_t, int64_t>{1, 32}, {32, 64}}) {
      backbone->push_back(std::make_shared<nn::Sequential>(std::initializer_list<std::shared_ptr<nn::Module>>{
          std::make_shared<nn::Conv2d>(in, out, 3, Conv2dOptions{.padding = {1, 1}}, false),
          std::make_shared<nn::BatchNorm2d>(out), std::make_shared<nn::ReLU>(), std::make_shared<nn::MaxPool2d>(2)}));
    }
    backbone->push_back(std::make_shared<nn::Flatten>());
    register_module("head", &head, std::make_shared<nn::Linear>(kFeatures, classes));
  }
  Tensor forward(const Tensor& x) override { return (*head)((*backbone)(x)); }
  static constexpr int64_t kFeatures = 64 * 7 * 7;
  std::shared_ptr<nn::Sequential> backbone;
  std::shared_ptr<nn::Linear> head;
};

void train(Net& net, optim::Optimizer& opt, const std::shared_ptr<data::InMemoryDataset>& data, int64_t epochs,
           const char* what) {
  data::DataLoader loader(data, {.batch_size = 64, .shuffle = true, .seed = 7});
  for (int64_t epoch = 0; epoch < epochs; ++epoch) {
    net.train();
    loader.begin_epoch(epoch);
    double sum = 0;
    int64_t seen = 0;
    while (auto b = loader.next()) {
      net.zero_grad();
      Tensor loss = cross_entropy(net(b->inputs), b->targets);
      loss.backward();
      opt.step();
      sum += loss.item<double>() * static_cast<double>(b->targets.numel());
      seen += b->targets.numel();
    }
    std::printf("  %s epoch %lld  train loss %.4f\n", what, static_cast<long long>(epoch + 1), sum / static_cast<double>(seen));
  }
}

double accuracy(Net& net, const std::shared_ptr<data::InMemoryDataset>& data) {
  NoGradGuard ng;
  net.eval();
  metrics::ConfusionMatrix m(5);
  data::DataLoader loader(data, {.batch_size = 500});
  loader.begin_epoch(0);
  while (auto b = loader.next()) m.add_scores(b->targets, net(b->inputs));
  return m.accuracy();
}

// The names of the entries of `now` that differ in any bit from `before`.
std::vector<std::string> changed(const nn::StateDict& before, const nn::StateDict& now) {
  std::vector<std::string> out;
  for (const auto& [k, v] : before) {
    const Tensor& w = now.at(k);
    if (std::memcmp(v.raw_data(), w.raw_data(), v.nbytes()) != 0) out.push_back(k);
  }
  return out;
}

// Loads the pretrained weights (or keeps the random ones), freezes the backbone with its
// statistics held, puts in a new five-class head and trains it. Returns the test accuracy;
// `frozen_ok` says whether every backbone weight and statistic is bit-identical afterwards.
double head_on_frozen_backbone(Net& net, const std::filesystem::path* pretrained, const Options& o,
                               const std::shared_ptr<data::InMemoryDataset>& train_b,
                               const std::shared_ptr<data::InMemoryDataset>& test_b, bool& frozen_ok) {
  if (pretrained) nn::load_weights(net, *pretrained);
  net.backbone->freeze(/*hold_statistics=*/true);
  net.head = std::make_shared<nn::Linear>(Net::kFeatures, 5);
  const nn::StateDict before = net.backbone->state_dict().clone();
  optim::Adam opt(net.trainable_parameters(), {.lr = 1e-3});
  train(net, opt, train_b, o.epochs, pretrained ? "head (pretrained backbone)" : "head (random backbone)");
  const std::vector<std::string> diff = changed(before, net.backbone->state_dict());
  for (const auto& k : diff) std::printf("FROZEN WEIGHT CHANGED: backbone.%s\n", k.c_str());
  frozen_ok = diff.empty();
  return accuracy(net, test_b);
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  if (o.threads > 0) set_num_threads(o.threads);
  data::InMemoryDataset fm_train, fm_test;
  try {
    fm_train = data::load_mnist(o.data_dir, true);
    fm_test = data::load_mnist(o.data_dir, false);
  } catch (const IOError& e) {
    std::printf("SKIPPED: no Fashion-MNIST (Debian's dataset-fashion-mnist) in %s: %s\n", o.data_dir.c_str(), e.what());
    return 77;
  }
  const auto train_a = five_classes(fm_train, 0, o.pretrain), test_a = five_classes(fm_test, 0, 5000);
  const auto train_b = five_classes(fm_train, 5, o.finetune), test_b = five_classes(fm_test, 5, 5000);
  std::printf("classes 0-4: %lld training examples; classes 5-9: %lld labelled examples for the new head\n",
              static_cast<long long>(train_a->size()), static_cast<long long>(train_b->size()));

  // 1. Pretraining on classes 0-4, saved as any training program would.
  const std::filesystem::path pretrained =
      std::filesystem::temp_directory_path() / ("fine_tune_" + std::to_string(::getpid()) + ".safetensors");
  {
    manual_seed(0);
    Net net(5);
    optim::Adam opt(net.parameters(), {.lr = 1e-3});
    train(net, opt, train_a, o.pretrain_epochs, "pretrain");
    std::printf("pretrained: test accuracy on classes 0-4 %.4f\n", accuracy(net, test_a));
    nn::save_weights(net, pretrained);
  }

  // 2. A new head for classes 5-9 on the frozen pretrained backbone, and the same on a
  //    frozen random one (the same seed, so the heads start alike).
  bool frozen_ok = true, random_frozen_ok = true;
  manual_seed(1);
  Net net(5);
  const double acc = head_on_frozen_backbone(net, &pretrained, o, train_b, test_b, frozen_ok);
  std::filesystem::remove(pretrained);
  manual_seed(1);
  Net random_net(5);
  const double random_acc = head_on_frozen_backbone(random_net, nullptr, o, train_b, test_b, random_frozen_ok);
  std::printf("classes 5-9 test accuracy: head on the pretrained frozen backbone %.4f, on a random frozen one %.4f\n",
              acc, random_acc);
  std::printf("frozen backbone weights and statistics bit-identical after training the head: %s\n",
              frozen_ok && random_frozen_ok ? "yes" : "NO");

  // 3. Partial unfreezing: the last block learns too, ten times slower than the head.
  const auto last = net.backbone->submodule("1");
  last->unfreeze();
  optim::Adam opt({optim::ParamGroup{.params = net.head->parameters(), .lr = 1e-3},
                   optim::ParamGroup{.params = last->parameters(), .lr = 1e-4}});
  train(net, opt, train_b, o.unfreeze_epochs, "last block unfrozen");
  const double unfrozen_acc = accuracy(net, test_b);
  std::printf("classes 5-9 test accuracy after unfreezing the last block (lr 1e-4, head 1e-3): %.4f\n", unfrozen_acc);

  bool ok = frozen_ok && random_frozen_ok;
  if (!(acc >= random_acc + o.min_gain)) {
    std::printf("FAILED: the pretrained backbone's head (%.4f) is not %.3f better than the random one's (%.4f)\n", acc,
                o.min_gain, random_acc);
    ok = false;
  }
  return ok ? 0 : 1;
}
