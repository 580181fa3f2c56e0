// CPU/CUDA parity of the Reduce and ArgReduce kernels (sum, amax, amin, max/min with
// indices) and of what is built on them (mean, var, std, losses): every dim, several
// dims, all dims, keepdim, every dtype the CPU kernel takes, strided inputs, NaN, ties,
// reductions long enough to be split across blocks, and the gradients.
#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "cuda/parity.h"

using namespace ember;
using namespace ember::testing;

namespace {

const std::vector<DType> kNumeric = {DType::f32, DType::f64, DType::f16, DType::bf16,
                                     DType::i32, DType::i64, DType::u8};

std::string what(const std::string& op, DType d, const Shape& s, const std::string& extra) {
  return op + " " + std::string(dtype_name(d)) + " " + shape_str(s) + " " + extra;
}

std::string dims_str(const std::vector<int64_t>& dims, bool keepdim) {
  std::string s = "dims [";
  for (size_t i = 0; i < dims.size(); ++i) s += std::to_string(dims[i]) + (i + 1 < dims.size() ? "," : "");
  return s + "]" + (keepdim ? " keepdim" : "");
}

Tensor input(const Shape& s, DType d, uint64_t seed) {
  if (is_floating(d)) return random_tensor(s, d, seed);
  return random_tensor(s, d, seed, d == DType::u8 ? 0 : -20, 20);
}

// Few distinct values, so that extrema are tied.
Tensor tied(const Shape& s, DType d, uint64_t seed) {
  return random_tensor(s, DType::i32, seed, d == DType::u8 ? 0 : -2, 2).to(d);
}

// The dims lists to sweep for a tensor of rank n: each dim, the first and last, all.
std::vector<std::vector<int64_t>> dim_lists(int64_t n) {
  std::vector<std::vector<int64_t>> l;
  for (int64_t d = 0; d < n; ++d) l.push_back({d});
  if (n >= 2) l.push_back({0, n - 1});
  if (n >= 3) l.push_back({-1, -2});
  l.push_back({});
  return l;
}

using ReduceFn = std::function<Tensor(const Tensor&, std::vector<int64_t>, bool)>;

struct NamedReduce {
  const char* name;
  ReduceFn fn;
};

const std::vector<NamedReduce>& reductions() {
  static const std::vector<NamedReduce> r = {
      {"sum", [](const Tensor& x, std::vector<int64_t> d, bool k) { return sum(x, std::move(d), k); }},
      {"amax", [](const Tensor& x, std::vector<int64_t> d, bool k) { return amax(x, std::move(d), k); }},
      {"amin", [](const Tensor& x, std::vector<int64_t> d, bool k) { return amin(x, std::move(d), k); }},
  };
  return r;
}

// Runs fn on the CPU tensor x and on its copy on the GPU (strided when asked).
void expect_parity(const NamedReduce& r, const Tensor& x, bool strided, const std::vector<int64_t>& dims,
                   bool keepdim, const std::string& extra = "") {
  Tensor xc = strided ? non_contiguous(x) : x;
  Tensor xg = strided ? non_contiguous(x.to(gpu())) : x.to(gpu());
  const std::string w = what(r.name, x.dtype(), x.shape(), dims_str(dims, keepdim) + (strided ? " strided " : " ") + extra);
  EXPECT_TRUE(close(r.fn(xg, dims, keepdim), r.fn(xc, dims, keepdim), w));
}

}  // namespace

TEST(CudaReduce, EveryDimEveryDtype) {
  SKIP_WITHOUT_CUDA();
  uint64_t seed = 1;
  for (const Shape& s : parity_shapes()) {
    for (DType d : kNumeric) {
      Tensor x = input(s, d, seed++);
      for (const auto& dims : dim_lists(static_cast<int64_t>(s.size())))
        for (bool keepdim : {false, true})
          for (bool strided : {false, true})
            for (const NamedReduce& r : reductions()) expect_parity(r, x, strided, dims, keepdim);
    }
  }
}

TEST(CudaReduce, ScalarsBoolsAndEmpty) {
  SKIP_WITHOUT_CUDA();
  Tensor s = scalar_tensor(3.5, DType::f32);
  for (const NamedReduce& r : reductions()) EXPECT_TRUE(close(r.fn(s.to(gpu()), {}, false), r.fn(s, {}, false), r.name));
  // bool and small integers sum into i64 (the front-end widens them first).
  Tensor b = random_tensor({5, 37}, DType::boolean, 3);
  EXPECT_TRUE(close(sum(b.to(gpu()), {1}), sum(b, {1}), "sum bool"));
  EXPECT_TRUE(close(sum(b.to(gpu())), sum(b), "sum bool all"));
  // A reduced dim of size 0 gives the sum's identity; a kept dim of size 0 gives nothing.
  Tensor e = zeros({0, 3});
  EXPECT_TRUE(close(sum(e.to(gpu()), {0}), sum(e, {0}), "sum over an empty dim"));
  EXPECT_TRUE(close(sum(e.to(gpu()), {1}), sum(e, {1}), "sum of an empty output"));
  EXPECT_TRUE(close(sum(e.to(gpu())), sum(e), "sum of nothing"));
}

TEST(CudaReduce, SlicedAndExpandedInputs) {
  SKIP_WITHOUT_CUDA();
  Tensor x = input({6, 10, 12}, DType::f32, 11);
  Tensor xg = x.to(gpu());
  // A step-2 slice in the middle dim and a permuted view: odd strides and an offset.
  auto sl = [](const Tensor& t) { return t.slice(1, 1, 9, 2); };
  auto pm = [](const Tensor& t) { return t.permute({2, 0, 1}); };
  for (const NamedReduce& r : reductions()) {
    for (const auto& dims : dim_lists(3)) {
      EXPECT_TRUE(close(r.fn(sl(xg), dims, false), r.fn(sl(x), dims, false), std::string(r.name) + " sliced " + dims_str(dims, false)));
      EXPECT_TRUE(close(r.fn(pm(xg), dims, true), r.fn(pm(x), dims, true), std::string(r.name) + " permuted " + dims_str(dims, true)));
    }
  }
  // Stride-0 (expanded) dims are reduced element by element like the CPU does.
  Tensor row = input({1, 7}, DType::f64, 12);
  for (const NamedReduce& r : reductions()) {
    EXPECT_TRUE(close(r.fn(row.to(gpu()).expand({5, 7}), {0}, false), r.fn(row.expand({5, 7}), {0}, false), r.name));
    EXPECT_TRUE(close(r.fn(row.to(gpu()).expand({5, 7}), {}, false), r.fn(row.expand({5, 7}), {}, false), r.name));
  }
}

TEST(CudaReduce, LongReductionsSplitAcrossBlocks) {
  SKIP_WITHOUT_CUDA();
  struct Case {
    Shape shape;
    std::vector<int64_t> dims;
  };
  // One output of millions of elements; a few long rows; long strided columns (the
  // bias-gradient shape); a handful of outputs over a strided dim.
  const std::vector<Case> cases = {{{1 << 22}, {}}, {{3, 200003}, {1}}, {{50000, 33}, {0}},
                                   {{100003, 3}, {0}}, {{4096, 512}, {0}}, {{64, 3, 2000}, {0, 2}}};
  uint64_t seed = 20;
  for (const Case& c : cases) {
    for (DType d : {DType::f32, DType::f64, DType::bf16, DType::i64}) {
      Tensor x = input(c.shape, d, seed++);
      for (const NamedReduce& r : reductions()) expect_parity(r, x, false, c.dims, false);
    }
  }
  // Double accumulation: a float sum of 1e7 equal terms stays exact to float rounding.
  Tensor big = full({10'000'001}, 0.1, DType::f32, gpu());
  EXPECT_NEAR(sum(big).item<float>(), 1'000'000.1, 0.2);
}

TEST(CudaReduce, NaNPropagates) {
  SKIP_WITHOUT_CUDA();
  for (DType d : {DType::f32, DType::f64, DType::f16, DType::bf16}) {
    for (const Shape& s : std::vector<Shape>{{5, 9}, {3, 3000}, {1 << 20}}) {
      Tensor x = input(s, DType::f64, 40);
      Tensor flat = x.view({x.numel()});
      for (int64_t i : {int64_t{0}, x.numel() / 3, x.numel() - 1}) flat.narrow(0, i, 1).fill_(NAN);
      x = x.to(d);
      for (const NamedReduce& r : reductions())
        for (const auto& dims : dim_lists(static_cast<int64_t>(s.size()))) expect_parity(r, x, false, dims, false, "with NaN");
    }
  }
}

TEST(CudaReduce, MeanVarStd) {
  SKIP_WITHOUT_CUDA();
  uint64_t seed = 60;
  for (DType d : {DType::f32, DType::f64, DType::f16, DType::bf16}) {
    for (const Shape& s : std::vector<Shape>{{7}, {3, 5}, {4, 1, 33, 9}, {64, 257}}) {
      Tensor x = input(s, d, seed++);
      Tensor xg = x.to(gpu());
      for (const auto& dims : dim_lists(static_cast<int64_t>(s.size()))) {
        const std::string w = what("mean/var/std", d, s, dims_str(dims, false));
        EXPECT_TRUE(close(mean(xg, dims), mean(x, dims), "mean " + w));
        EXPECT_TRUE(close(var(xg, dims), var(x, dims), "var " + w));
        EXPECT_TRUE(close(var(xg, dims, 0, true), var(x, dims, 0, true), "var biased keepdim " + w));
        EXPECT_TRUE(close(ember::std(xg, dims), ember::std(x, dims), "std " + w));
      }
    }
  }
}

TEST(CudaReduce, MaxMinWithIndices) {
  SKIP_WITHOUT_CUDA();
  uint64_t seed = 80;
  for (const Shape& s : parity_shapes()) {
    for (DType d : kNumeric) {
      // Random values and heavily tied ones: the first extremum's index must win.
      for (const Tensor& x : {input(s, d, seed++), tied(s, d, seed++)}) {
        for (int64_t dim = 0; dim < static_cast<int64_t>(s.size()); ++dim) {
          for (bool strided : {false, true}) {
            Tensor xc = strided ? non_contiguous(x) : x;
            Tensor xg = strided ? non_contiguous(x.to(gpu())) : x.to(gpu());
            const std::string w = what("max/min", d, s, "dim " + std::to_string(dim) + (strided ? " strided" : ""));
            for (bool keepdim : {false, true}) {
              ValuesIndices gm = max(xg, dim, keepdim), cm = max(xc, dim, keepdim);
              EXPECT_TRUE(close(gm.values, cm.values, "max values " + w));
              EXPECT_TRUE(close(gm.indices, cm.indices, "max indices " + w));
              ValuesIndices gn = min(xg, dim, keepdim), cn = min(xc, dim, keepdim);
              EXPECT_TRUE(close(gn.values, cn.values, "min values " + w));
              EXPECT_TRUE(close(gn.indices, cn.indices, "min indices " + w));
            }
            EXPECT_TRUE(close(argmax(xg, dim), argmax(xc, dim), "argmax " + w));
            EXPECT_TRUE(close(argmin(xg, dim), argmin(xc, dim), "argmin " + w));
          }
        }
      }
    }
  }
}

TEST(CudaReduce, ArgExtremaTiesAndNaNOverLongDims) {
  SKIP_WITHOUT_CUDA();
  // Long dims are split across blocks: ties between splits must still pick the first.
  for (const Shape& s : std::vector<Shape>{{2, 300001}, {300001, 2}, {5000, 40}, {1, 1 << 20}}) {
    for (DType d : {DType::f32, DType::f64, DType::i32, DType::u8}) {
      Tensor x = tied(s, d, 90);
      for (int64_t dim : {0, 1}) {
        EXPECT_TRUE(close(argmax(x.to(gpu()), dim), argmax(x, dim), what("argmax tied", d, s, std::to_string(dim))));
        EXPECT_TRUE(close(argmin(x.to(gpu()), dim), argmin(x, dim), what("argmin tied", d, s, std::to_string(dim))));
      }
    }
  }
  // The first NaN wins, whatever comes before or after it.
  Tensor x = input({4, 100000}, DType::f32, 91);
  x.select(0, 1).narrow(0, 77777, 1).fill_(NAN);
  x.select(0, 1).narrow(0, 99999, 1).fill_(NAN);
  x.select(0, 2).narrow(0, 5, 1).fill_(NAN);
  x.select(0, 3).narrow(0, 0, 1).fill_(NAN);
  for (int64_t dim : {0, 1}) {
    ValuesIndices g = max(x.to(gpu()), dim), c = max(x, dim);
    EXPECT_TRUE(close(g.indices, c.indices, "max NaN indices dim " + std::to_string(dim)));
    EXPECT_TRUE(close(g.values, c.values, "max NaN values dim " + std::to_string(dim)));
    ValuesIndices gn = min(x.to(gpu()), dim), cn = min(x, dim);
    EXPECT_TRUE(close(gn.indices, cn.indices, "min NaN indices dim " + std::to_string(dim)));
  }
  // All -inf: index 0, like the CPU's scan.
  Tensor ninf = full({3, 50}, -INFINITY);
  EXPECT_TRUE(close(argmax(ninf.to(gpu()), 1), argmax(ninf, 1), "argmax of -inf"));
}

TEST(CudaReduce, Gradients) {
  SKIP_WITHOUT_CUDA();
  uint64_t seed = 100;
  for (DType d : {DType::f32, DType::f64}) {
    for (const Shape& s : std::vector<Shape>{{7}, {3, 5}, {2, 3, 17}}) {
      const int64_t n = static_cast<int64_t>(s.size());
      Tensor x0 = tied(s, d, seed++);  // ties: amax splits the gradient among them
      for (const auto& dims : dim_lists(n)) {
        for (const NamedReduce& r : reductions()) {
          Tensor xc = x0.clone().detach().requires_grad_();
          Tensor xg = x0.to(gpu()).detach().requires_grad_();
          Tensor yc = r.fn(xc, dims, false), yg = r.fn(xg, dims, false);
          Tensor gy = input(yc.shape(), d, seed++);
          yc.backward(gy);
          yg.backward(gy.to(gpu()));
          EXPECT_TRUE(close(xg.grad(), xc.grad(), what(std::string(r.name) + " grad", d, s, dims_str(dims, false))));
        }
      }
      Tensor xr = input(s, d, seed++);
      for (int64_t dim = 0; dim < n; ++dim) {
        Tensor xc = xr.clone().detach().requires_grad_();
        Tensor xg = xr.to(gpu()).detach().requires_grad_();
        max(xc, dim).values.sum().backward();
        max(xg, dim).values.sum().backward();
        EXPECT_TRUE(close(xg.grad(), xc.grad(), what("max grad", d, s, std::to_string(dim))));
        Tensor mc = xr.clone().detach().requires_grad_();
        Tensor mg = xr.to(gpu()).detach().requires_grad_();
        (var(mc, {dim}) + mean(mc)).sum().backward();
        (var(mg, {dim}) + mean(mg)).sum().backward();
        EXPECT_TRUE(close(mg.grad(), mc.grad(), what("var+mean grad", d, s, std::to_string(dim))));
      }
    }
  }
}

TEST(CudaReduce, LossesForwardAndBackward) {
  SKIP_WITHOUT_CUDA();
  uint64_t seed = 120;
  for (DType d : {DType::f32, DType::f64}) {
    for (const Shape& s : std::vector<Shape>{{8, 5}, {33, 10}, {4, 7, 9}, {2, 1000}}) {
      Shape ts = s;
      ts.erase(ts.begin() + 1);
      Tensor logits = input(s, d, seed++);
      Tensor target = random_tensor(ts, DType::i64, seed++, 0, static_cast<double>(s[1]));
      // Some targets ignored.
      Tensor ignored = where(lt(random_tensor(ts, DType::f64, seed++), -0.8), full(ts, -100, DType::i64), target);
      for (const Tensor& t : {target, ignored}) {
        for (Reduction red : {Reduction::none, Reduction::mean, Reduction::sum}) {
          for (double smoothing : {0.0, 0.1}) {
            const std::string w = what("cross_entropy", d, s,
                                       "reduction " + std::to_string(static_cast<int>(red)) + " smoothing " +
                                           std::to_string(smoothing));
            Tensor lc = logits.clone().detach().requires_grad_();
            Tensor lg = logits.to(gpu()).detach().requires_grad_();
            Tensor yc = cross_entropy(lc, t, red, smoothing), yg = cross_entropy(lg, t.to(gpu()), red, smoothing);
            EXPECT_TRUE(close(yg, yc, w));
            Tensor gy = input(yc.shape(), d, seed++);
            yc.backward(gy);
            yg.backward(gy.to(gpu()));
            EXPECT_TRUE(close(lg.grad(), lc.grad(), "grad " + w));
          }
          const std::string w = what("nll_loss", d, s, "reduction " + std::to_string(static_cast<int>(red)));
          Tensor pc = log_softmax(logits, 1).detach().requires_grad_();
          Tensor pg = pc.to(gpu()).detach().requires_grad_();
          Tensor yc = nll_loss(pc, t, red), yg = nll_loss(pg, t.to(gpu()), red);
          EXPECT_TRUE(close(yg, yc, w));
          yc.sum().backward();
          yg.sum().backward();
          EXPECT_TRUE(close(pg.grad(), pc.grad(), "grad " + w));
        }
      }
    }
  }
}
