// GPU benchmarks of ember on cuda:0, the ember half of the comparison that
// benchmarks/torch_cuda.py makes with PyTorch (same names, shapes and steps; tools/gpu_check.sh
// runs both and prints the ratios). One line per measurement, `key=value` fields:
//   bench=<name> shape=<shape> ms=<median ms> [tflops=...] [images_per_s=...] [peak_mb=...] [us_per_op=...]
// or, when a measurement fails, `bench=<name> shape=<shape> error=<message to the end of the line>`.
// Lines starting with '#' are comments. Device work is timed with ember::cuda::Event on the
// current stream (warm-up first, median of the samples); the per-op overhead rows use the
// host clock around many tiny ops and one synchronize.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <ember/ember.h>
#include <ember/core/dispatch.h>
#include <ember/layers/layers.h>
#include <ember/optim/optim.h>

using namespace ember;

namespace {

using Clock = std::chrono::steady_clock;

const std::vector<std::string> kGroups = {"matmul", "conv", "resnet50", "resnet20", "overhead"};

struct Config {
  std::set<std::string> only{kGroups.begin(), kGroups.end()};
  int iters = 10;             // timed samples per measurement (fewer if max_seconds runs out)
  int warmup = 3;             // untimed calls first
  double max_seconds = 10.0;  // per measurement, warm-up included; at least one sample is taken
  bool big = true;            // also 8192^3 matmuls
  int64_t conv_batch = 32;
  int64_t r50_batch = 128;
  int64_t r20_batch = 128;
  int64_t overhead_ops = 10000;
  bool tf32_models = true;  // also ResNet-50 with TF32 allowed
};

int g_errors = 0;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

Device gpu() { return Device::cuda(0); }

std::string one_line(std::string s) {
  std::replace(s.begin(), s.end(), '\n', ' ');
  return s;
}

struct Field {
  const char* key;
  double value;
};

void emit(const std::string& bench, const std::string& shape, double ms, std::initializer_list<Field> extra = {}) {
  std::string line = fmt::format("bench={} shape={} ms={:.4f}", bench, shape, ms);
  for (const Field& f : extra) line += fmt::format(" {}={:.4g}", f.key, f.value);
  std::puts(line.c_str());
  std::fflush(stdout);
}

void emit_error(const std::string& bench, const std::string& shape, const std::string& what) {
  ++g_errors;
  std::printf("bench=%s shape=%s error=%s\n", bench.c_str(), shape.c_str(), one_line(what).c_str());
  std::fflush(stdout);
}

// Runs one measurement; an exception becomes an error line and the run goes on.
void guarded(const std::string& bench, const std::string& shape, const std::function<void()>& body) {
  try {
    body();
  } catch (const std::exception& e) {
    emit_error(bench, shape, e.what());
    try {
      cuda::synchronize(0);
      cuda::empty_cache();
    } catch (const std::exception&) {
      // A sticky device error: later measurements will report it themselves.
    }
  }
}

// Median milliseconds of fn on the current stream of cuda:0, timed with events.
double time_gpu(const Config& cfg, const std::function<void()>& fn) {
  const auto t0 = Clock::now();
  for (int i = 0; i < cfg.warmup; ++i) fn();
  cuda::synchronize(0);
  const cuda::Stream cur = cuda::current_stream(0);
  cuda::Event start(0), stop(0);
  std::vector<double> ms;
  for (int i = 0; i < std::max(cfg.iters, 1); ++i) {
    start.record(cur);
    fn();
    stop.record(cur);
    stop.synchronize();
    ms.push_back(start.elapsed_ms(stop));
    if (seconds_since(t0) > cfg.max_seconds) break;
  }
  return median(ms);
}

// Random normal values on the GPU: drawn there when the device RNG exists, else on the
// host and copied (the values only need to be non-trivial, not identical to PyTorch's).
Tensor gpu_randn(const Shape& shape, uint64_t seed) {
  Generator gen(seed);
  try {
    return randn(shape, DType::f32, gpu(), &gen);
  } catch (const NotImplementedError&) {
    return randn(shape, DType::f32, Device::cpu(), &gen).to(gpu());
  }
}

// ---- matmul ----

void bench_matmul(const Config& cfg) {
  std::vector<int64_t> sizes = {4096};
  if (cfg.big) sizes.push_back(8192);
  for (int64_t n : sizes) {
    const std::string shape = fmt::format("{}x{}x{}", n, n, n);
    const double flops = 2.0 * static_cast<double>(n) * static_cast<double>(n) * static_cast<double>(n);
    Tensor a32, b32;
    guarded("matmul_inputs", shape, [&] {
      a32 = gpu_randn({n, n}, 1);
      b32 = gpu_randn({n, n}, 2);
    });
    if (!a32.defined()) continue;
    struct Variant {
      const char* name;
      DType dtype;
      bool tf32;
    };
    for (Variant v : {Variant{"matmul_f32", DType::f32, false}, Variant{"matmul_tf32", DType::f32, true},
                      Variant{"matmul_bf16", DType::bf16, false}}) {
      guarded(v.name, shape, [&] {
        Tensor a = v.dtype == DType::f32 ? a32 : a32.to(v.dtype);
        Tensor b = v.dtype == DType::f32 ? b32 : b32.to(v.dtype);
        const bool prev = cuda::allow_tf32();
        cuda::set_allow_tf32(v.tf32);
        double ms = 0;
        try {
          ms = time_gpu(cfg, [&] { (void)matmul(a, b); });
        } catch (...) {
          cuda::set_allow_tf32(prev);
          throw;
        }
        cuda::set_allow_tf32(prev);
        emit(v.name, shape, ms, {{"tflops", flops / (ms * 1e-3) / 1e12}});
      });
    }
  }
  cuda::empty_cache();
}

// ---- convolutions of ResNet-50 (forward + backward) ----

struct ConvShape {
  int64_t c, hw, o, k, stride, pad;
  bool input_grad;  // the stem's input (the images) needs no gradient
};

// The stem, then each stage's 1x1 reduce, 3x3, 1x1 expand and the 1x1 from the previous
// stage's width, plus one strided 3x3 (the first block of stage 2, v1.5 layout).
const std::vector<ConvShape> kResNet50Convs = {
    {3, 224, 64, 7, 2, 3, false},  // stem
    {64, 56, 64, 1, 1, 0, true},    {64, 56, 64, 3, 1, 1, true},    {64, 56, 256, 1, 1, 0, true},
    {256, 56, 64, 1, 1, 0, true},
    {128, 56, 128, 3, 2, 1, true},  // layer2.0.conv2
    {512, 28, 128, 1, 1, 0, true},  {128, 28, 128, 3, 1, 1, true},  {128, 28, 512, 1, 1, 0, true},
    {1024, 14, 256, 1, 1, 0, true}, {256, 14, 256, 3, 1, 1, true},  {256, 14, 1024, 1, 1, 0, true},
    {2048, 7, 512, 1, 1, 0, true},  {512, 7, 512, 3, 1, 1, true},   {512, 7, 2048, 1, 1, 0, true},
};

void bench_conv(const Config& cfg) {
  const int64_t n = cfg.conv_batch;
  uint64_t seed = 100;
  for (const ConvShape& s : kResNet50Convs) {
    const int64_t out_hw = (s.hw + 2 * s.pad - s.k) / s.stride + 1;
    const std::string shape =
        fmt::format("n{}_c{}_hw{}_o{}_k{}_s{}", n, s.c, s.hw, s.o, s.k, s.stride);
    guarded("conv_fwd_bwd", shape, [&] {
      Tensor x = gpu_randn({n, s.c, s.hw, s.hw}, ++seed);
      Tensor w = gpu_randn({s.o, s.c, s.k, s.k}, ++seed);
      Tensor gy = gpu_randn({n, s.o, out_hw, out_hw}, ++seed);
      if (s.input_grad) x.requires_grad_();
      w.requires_grad_();
      const Conv2dOptions opt{.stride = {s.stride, s.stride}, .padding = {s.pad, s.pad}};
      const double ms = time_gpu(cfg, [&] {
        x.zero_grad();
        w.zero_grad();
        conv2d(x, w, Tensor(), opt).backward(gy);
      });
      const double fwd = 2.0 * static_cast<double>(n * s.o * out_hw * out_hw) * static_cast<double>(s.c * s.k * s.k);
      const double flops = fwd * (s.input_grad ? 3.0 : 2.0);
      emit("conv_fwd_bwd", shape, ms, {{"tflops", flops / (ms * 1e-3) / 1e12}});
    });
  }
  cuda::empty_cache();
}

// ---- whole training steps ----

void bench_train(const Config& cfg, const std::string& bench, std::shared_ptr<nn::Module> model, int64_t batch,
                 int64_t hw, int64_t classes, bool tf32) {
  const std::string shape = fmt::format("b{}_{}x{}", batch, hw, hw);
  guarded(bench, shape, [&] {
    model->to(gpu());
    model->train();
    optim::SGD opt(model->parameters(), {.lr = 0.01, .momentum = 0.9, .weight_decay = 1e-4});
    Tensor x = gpu_randn({batch, 3, hw, hw}, 7);
    Generator gen(8);
    Tensor y = randint(0, classes, {batch}, DType::i64, Device::cpu(), &gen).to(gpu());
    const bool prev = cuda::allow_tf32();
    cuda::set_allow_tf32(tf32);
    cuda::synchronize(0);
    cuda::reset_peak_memory_stats(0);
    double ms = 0;
    try {
      ms = time_gpu(cfg, [&] {
        opt.zero_grad();
        Tensor loss = cross_entropy((*model)(x), y);
        loss.backward();
        opt.step();
      });
    } catch (...) {
      cuda::set_allow_tf32(prev);
      throw;
    }
    cuda::set_allow_tf32(prev);
    const double peak_mb = static_cast<double>(cuda::memory_stats(0).peak_allocated) / (1 << 20);
    emit(bench, shape, ms, {{"images_per_s", static_cast<double>(batch) / (ms * 1e-3)}, {"peak_mb", peak_mb}});
  });
  model.reset();
  cuda::empty_cache();
}

// ---- per-op host overhead ----

void bench_overhead(const Config& cfg) {
  const std::string shape = "16";
  auto run = [&](const std::string& bench, const std::function<void()>& op) {
    guarded(bench, shape, [&] {
      for (int i = 0; i < 100; ++i) op();
      cuda::synchronize(0);
      std::vector<double> us;
      const auto t_all = Clock::now();
      for (int s = 0; s < std::max(cfg.iters / 2, 3); ++s) {
        const auto t0 = Clock::now();
        for (int64_t i = 0; i < cfg.overhead_ops; ++i) op();
        cuda::synchronize(0);
        us.push_back(seconds_since(t0) * 1e6 / static_cast<double>(cfg.overhead_ops));
        if (seconds_since(t_all) > cfg.max_seconds) break;
      }
      const double per_op = median(us);
      emit(bench, shape, per_op * 1e-3, {{"us_per_op", per_op}});
    });
  };
  Tensor a, b;
  guarded("add_overhead", shape, [&] {
    a = gpu_randn({16}, 3);
    b = gpu_randn({16}, 4);
  });
  if (!a.defined()) return;
  run("add_overhead", [&] { (void)(a + b); });     // allocates its result
  run("add_inplace_overhead", [&] { a.add_(b); });  // no allocation
}

int usage(const char* argv0, int code) {
  std::fprintf(code ? stderr : stdout,
               "usage: %s [--only matmul,conv,resnet50,resnet20,overhead] [--iters N] [--warmup N]\n"
               "          [--max-seconds S] [--no-big] [--no-tf32-models] [--conv-batch N] [--r50-batch N]\n"
               "          [--r20-batch N] [--overhead-ops N]\n"
               "Prints one line per measurement: bench=<name> shape=<shape> ms=<median> [tflops= images_per_s=\n"
               "peak_mb= us_per_op=]. --max-seconds bounds each measurement (warm-up included).\n",
               argv0);
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  Config cfg;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(usage(argv[0], 2));
      }
      return argv[++i];
    };
    try {
      if (a == "--only") {
        cfg.only.clear();
        std::stringstream ss(next());
        for (std::string g; std::getline(ss, g, ',');) {
          if (std::find(kGroups.begin(), kGroups.end(), g) == kGroups.end()) {
            std::fprintf(stderr, "unknown group '%s'\n", g.c_str());
            return usage(argv[0], 2);
          }
          cfg.only.insert(g);
        }
      } else if (a == "--iters") cfg.iters = std::stoi(next());
      else if (a == "--warmup") cfg.warmup = std::stoi(next());
      else if (a == "--max-seconds") cfg.max_seconds = std::stod(next());
      else if (a == "--no-big") cfg.big = false;
      else if (a == "--no-tf32-models") cfg.tf32_models = false;
      else if (a == "--conv-batch") cfg.conv_batch = std::stoll(next());
      else if (a == "--r50-batch") cfg.r50_batch = std::stoll(next());
      else if (a == "--r20-batch") cfg.r20_batch = std::stoll(next());
      else if (a == "--overhead-ops") cfg.overhead_ops = std::stoll(next());
      else if (a == "--help" || a == "-h") return usage(argv[0], 0);
      else return usage(argv[0], 2);
    } catch (const std::logic_error&) {  // stoi/stod on a non-number
      std::fprintf(stderr, "bad value for %s\n", a.c_str());
      return usage(argv[0], 2);
    }
  }
  if (cfg.iters < 1 || cfg.warmup < 0 || cfg.conv_batch < 1 || cfg.r50_batch < 1 || cfg.r20_batch < 1 ||
      cfg.overhead_ops < 1)
    return usage(argv[0], 2);

  if (!cuda_available()) {
    std::printf("bench_cuda: no CUDA device (%d found%s); nothing measured\n", cuda_device_count(),
                cuda_compiled() ? "" : ", ember was built with EMBER_CUDA=OFF");
    return 0;
  }
  std::printf("# bench_cuda device=\"%s\" iters=%d warmup=%d max_seconds=%g tf32_default=%s\n",
              cuda::device_name(0).c_str(), cfg.iters, cfg.warmup, cfg.max_seconds,
              cuda::allow_tf32() ? "on" : "off");
  std::fflush(stdout);
  const auto t0 = Clock::now();
  manual_seed(0);
  if (cfg.only.count("overhead")) bench_overhead(cfg);  // first: a cold process, like the torch side
  if (cfg.only.count("matmul")) bench_matmul(cfg);
  if (cfg.only.count("conv")) bench_conv(cfg);
  if (cfg.only.count("resnet20"))
    bench_train(cfg, "resnet20_train", nn::resnet20(), cfg.r20_batch, 32, 10, false);
  if (cfg.only.count("resnet50")) {
    bench_train(cfg, "resnet50_train", nn::resnet50(), cfg.r50_batch, 224, 1000, false);
    if (cfg.tf32_models) bench_train(cfg, "resnet50_train_tf32", nn::resnet50(), cfg.r50_batch, 224, 1000, true);
  }
  std::printf("# bench_cuda done in %.1f s, %d error(s)\n", seconds_since(t0), g_errors);
  return g_errors ? 1 : 0;
}
