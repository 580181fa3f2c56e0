// Training throughput of whole models on the CPU (synthetic 1x28x28 data, 16 features for the
// tabular MLP; SGD with momentum), the ember half of the comparisons that run_train_bench.sh
// and run_contention_bench.sh make with torch_train.py: same models, batch sizes and step.
// Prints one JSON line per model.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <numeric>
#include <string>
#include <vector>

#include <ember/ember.h>
#include <ember/layers/layers.h>
#include <ember/optim/optim.h>

using namespace ember;

namespace {

std::shared_ptr<nn::Module> small_cnn() {
  auto s = std::make_shared<nn::Sequential>();
  s->push_back(std::make_shared<nn::Conv2d>(1, 32, 3, Conv2dOptions{.padding = {1, 1}}));
  s->push_back(std::make_shared<nn::BatchNorm2d>(32));
  s->push_back(std::make_shared<nn::ReLU>());
  s->push_back(std::make_shared<nn::MaxPool2d>(2));
  s->push_back(std::make_shared<nn::Conv2d>(32, 64, 3, Conv2dOptions{.padding = {1, 1}}));
  s->push_back(std::make_shared<nn::BatchNorm2d>(64));
  s->push_back(std::make_shared<nn::ReLU>());
  s->push_back(std::make_shared<nn::MaxPool2d>(2));
  s->push_back(std::make_shared<nn::Flatten>());
  s->push_back(std::make_shared<nn::Linear>(64 * 7 * 7, 128));
  s->push_back(std::make_shared<nn::ReLU>());
  s->push_back(std::make_shared<nn::Linear>(128, 10));
  return s;
}

std::shared_ptr<nn::Module> make(const std::string& name, int64_t channels) {
  if (name == "cnn") return small_cnn();
  // A small model of a table: 16 features, two hidden layers of 32.
  if (name == "tabular") return std::make_shared<nn::MLP>(std::vector<int64_t>{16, 32, 32, 10});
  nn::ModelOptions o;
  o.in_channels = channels;
  o.small_input = name != "resnet50";  // resnet50: torchvision's stem, for 64x64 and larger
  return nn::make_model(name, o);
}

double peak_rss_mb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string model = "resnet20";
  int64_t batch = 128;
  int steps = 10, warmup = 3;
  bool inference = false;
  long long chw[3] = {1, 28, 28};
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (a == "--model") model = next();
    else if (a == "--batch") batch = std::stoll(next());
    else if (a == "--steps") steps = std::stoi(next());
    else if (a == "--warmup") warmup = std::stoi(next());
    else if (a == "--inference") inference = true;
    else if (a == "--input") {
      if (std::sscanf(next().c_str(), "%lld,%lld,%lld", &chw[0], &chw[1], &chw[2]) != 3) {
        std::fprintf(stderr, "bench_train: --input takes C,H,W\n");
        return 2;
      }
    }
    else {
      std::fprintf(stderr, "usage: bench_train [--model mlp|tabular|cnn|resnet20|resnet18|resnet50] [--batch B] "
                           "[--steps N] [--warmup N] [--inference] [--input C,H,W]\n");
      return 2;
    }
  }
  if (steps < 1 || warmup < 0) {
    std::fprintf(stderr, "bench_train: --steps must be at least 1 and --warmup at least 0\n");
    return 2;
  }
  manual_seed(0);
  auto net = make(model, chw[0]);
  Tensor x = model == "tabular" ? randn({batch, 16}) : randn({batch, chw[0], chw[1], chw[2]});
  Tensor y = randint(0, 10, {batch});
  optim::SGD opt(net->parameters(), {.lr = 0.01, .momentum = 0.9});
  if (inference) net->eval();
  std::vector<double> times;
  for (int i = 0; i < warmup + steps; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    if (inference) {
      NoGradGuard ng;
      (*net)(x);
    } else {
      opt.zero_grad();
      cross_entropy((*net)(x), y).backward();
      opt.step();
    }
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (i >= warmup) times.push_back(s);
  }
  // The mean counts the slow steps a median hides (a loaded machine's descheduled threads).
  const double mean = std::accumulate(times.begin(), times.end(), 0.0) / static_cast<double>(times.size());
  std::sort(times.begin(), times.end());
  double med = times[times.size() / 2];
  std::printf("{\"model\": \"%s\", \"batch\": %lld, \"inference\": %s, \"images_per_s\": %.1f, "
              "\"mean_images_per_s\": %.1f, \"median_step_ms\": %.3f, \"peak_rss_mb\": %.1f}\n",
              model.c_str(), static_cast<long long>(batch), inference ? "true" : "false",
              static_cast<double>(batch) / med, static_cast<double>(batch) / mean, med * 1e3, peak_rss_mb());
}
