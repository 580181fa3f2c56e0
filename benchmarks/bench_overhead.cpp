// bench_overhead: ember's fixed cost per op on the CPU, the time of ops on 1-element tensors,
// where the arithmetic is nothing and what is left is argument checks, dispatch, allocation
// and (when an input requires grad) building the graph. One line per measurement in the
// format of bench_cuda (`bench=<name> shape=1 ms=<median> us_per_op=<median>`), so that a
// PyTorch twin can be joined with it.
//
//   bench_overhead [--ops N] [--rounds R]
#include <cstdlib>
#include <string>
#include <vector>

#include <ember/ember.h>

#include "bench_util.h"

namespace {

struct Options {
  int64_t ops = 200000;  // per round
  int rounds = 7;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--ops" && i + 1 < argc) {
      o.ops = std::atoll(argv[++i]);
    } else if (a == "--rounds" && i + 1 < argc) {
      o.rounds = std::atoi(argv[++i]);
    } else {
      const bool help = a == "--help" || a == "-h";
      fmt::print(help ? stdout : stderr, "usage: {} [--ops N] [--rounds R]\n", argv[0]);
      std::exit(help ? 0 : 2);
    }
  }
  return o;
}

// Median over rounds of the mean time per call of `op`, in microseconds.
template <class F>
double us_per_op(const Options& o, F&& op) {
  for (int64_t i = 0; i < o.ops / 10; ++i) op();  // warm-up: caches, allocator, dispatch table
  std::vector<double> rounds;
  for (int r = 0; r < o.rounds; ++r) {
    const auto t0 = bench::Clock::now();
    for (int64_t i = 0; i < o.ops; ++i) op();
    rounds.push_back(bench::seconds_since(t0) * 1e6 / static_cast<double>(o.ops));
  }
  return bench::quantile(rounds, 0.5);
}

void report(const char* name, double us) {
  fmt::print("bench={} shape=1 ms={:.6f} us_per_op={:.4f}\n", name, us / 1000.0, us);
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  using namespace ember;
  fmt::print("# bench_overhead {} cpu=\"{}\" isa={} ops={} rounds={}\n", bench::today(), cpu_info().model,
             cpu_info().isa, o.ops, o.rounds);
  Tensor a = ones({1}), b = ones({1});
  report("add", us_per_op(o, [&] { bench::escape((a + b).raw_data()); }));
  report("add_inplace", us_per_op(o, [&] { a.add_(b); }));
  report("mul", us_per_op(o, [&] { bench::escape((a * b).raw_data()); }));
  report("relu", us_per_op(o, [&] { bench::escape(relu(a).raw_data()); }));
  {
    NoGradGuard no_grad;
    Tensor ga = ones({1}).requires_grad_(), gb = ones({1}).requires_grad_();
    report("add_no_grad_mode", us_per_op(o, [&] { bench::escape((ga + gb).raw_data()); }));
  }
  Tensor ga = ones({1}).requires_grad_(), gb = ones({1}).requires_grad_();
  report("add_requires_grad", us_per_op(o, [&] { bench::escape((ga + gb).raw_data()); }));
  // Forward and backward of one add into leaves that accumulate their gradients.
  report("add_forward_backward", us_per_op(o, [&] { (ga + gb).backward(ones({1})); }));
  return 0;
}
