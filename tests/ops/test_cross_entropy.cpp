// The fused cross-entropy of [N, C] scores (kernels cross_entropy_forward/backward): f64
// gradchecks over every option, agreement with the composite path that [N, C, 1] scores
// still take (log_softmax + gather + sums), numerics at the edges and the kernel contract.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include <ember/core/autograd/node.h>
#include <ember/core/dispatch.h>

#include "testing/assert_close.h"
#include "testing/gradcheck.h"

using namespace ember;
using ember::testing::assert_close;
using ember::testing::randn64;
using ember::testing::Tol;
using V = std::vector<Tensor>;

namespace {

const std::vector<Reduction> kReductions = {Reduction::none, Reduction::mean, Reduction::sum};

Tensor targets(std::vector<int64_t> v) {
  const int64_t n = static_cast<int64_t>(v.size());
  return from_vector(v, {n});
}

// Class indices in [0, c) with every third one replaced by `ignore` when asked.
Tensor random_targets(int64_t n, int64_t c, uint64_t seed, bool with_ignored, int64_t ignore = -100) {
  Generator g(seed);
  Tensor t = randint(0, c, {n}, DType::i64, Device::cpu(), &g);
  if (!with_ignored) return t;
  std::vector<int64_t> v = t.to_vector<int64_t>();
  for (size_t i = 0; i < v.size(); i += 3) v[i] = ignore;
  return targets(v);
}

// The same loss through the composite: scores [N, C, 1] never take the fused path.
Tensor composite(const Tensor& x, const Tensor& t, Reduction r, double eps, int64_t ignore) {
  Tensor l = cross_entropy(x.unsqueeze(2), t.unsqueeze(1), r, eps, ignore);
  return r == Reduction::none ? l.squeeze(1) : l;
}

std::string what(DType d, int64_t n, int64_t c, Reduction r, double eps, bool ignored) {
  return std::string(dtype_name(d)) + " [" + std::to_string(n) + ", " + std::to_string(c) + "] reduction " +
         std::to_string(static_cast<int>(r)) + " eps " + std::to_string(eps) + (ignored ? " with ignored" : "");
}

}  // namespace

TEST(CrossEntropyFused, GradcheckEveryOption) {
  const Tensor t = targets({0, 2, 1, 2, 0});
  const Tensor ti = targets({0, -100, 1, 2, -100});
  const Tensor t1 = targets({1, 0, 1, 2, 1});  // ignore_index 1: a real class ignored
  for (Reduction r : kReductions) {
    for (double eps : {0.0, 0.1, 1.0}) {
      EXPECT_GRADCHECK([&](const V& v) { return cross_entropy(v[0], t, r, eps); }, {randn64({5, 3}, 1)});
      EXPECT_GRADCHECK([&](const V& v) { return cross_entropy(v[0], ti, r, eps); }, {randn64({5, 3}, 2)});
      EXPECT_GRADCHECK([&](const V& v) { return cross_entropy(v[0], t1, r, eps, 1); }, {randn64({5, 3}, 3)});
    }
  }
  // Strided scores (the fused path copies them), one class, one row.
  EXPECT_GRADCHECK([&](const V& v) { return cross_entropy(v[0], t, Reduction::sum, 0.2); },
                   {randn64({3, 5}, 4).t()});
  EXPECT_GRADCHECK([&](const V& v) { return cross_entropy(v[0], targets({0, 0}), Reduction::mean, 0.3); },
                   {randn64({2, 1}, 5)});
  EXPECT_GRADCHECK([&](const V& v) { return cross_entropy(v[0], targets({6}), Reduction::none, 0.05); },
                   {randn64({1, 7}, 6)});
}

TEST(CrossEntropyFused, MatchesCompositeForwardAndBackward) {
  // The reference is the composite in f64 on the same (rounded) values. f64 agrees to
  // rounding; f32 to its precision (the f32 composite is no better a reference: its
  // gradient sums C equal eps/C terms in f32).
  uint64_t seed = 10;
  for (DType d : {DType::f64, DType::f32}) {
    const double tol = d == DType::f64 ? 1e-12 : 1e-5;
    for (auto [n, c] : std::vector<std::pair<int64_t, int64_t>>{{1, 1}, {7, 3}, {64, 10}, {9, 1000}, {3, 4097}}) {
      const Tensor x0 = (randn64({n, c}, seed++) * 3.0).to(d);
      for (bool ignored : {false, true}) {
        const Tensor t = random_targets(n, c, seed++, ignored);
        const bool all_ignored = ignored && n == 1;
        for (Reduction r : kReductions) {
          for (double eps : {0.0, 0.1}) {
            const std::string w = what(d, n, c, r, eps, ignored);
            Tensor xf = x0.clone().requires_grad_(), xc = x0.to(DType::f64).detach().requires_grad_();
            Tensor yf = cross_entropy(xf, t, r, eps), yc = composite(xc, t, r, eps, -100);
            const double scale = std::max(1.0, amax(yc.abs()).item<double>());
            EXPECT_TRUE(assert_close(yf, yc, Tol{tol * scale, 0.0}, w));
            if (d == DType::f32 && eps == 0.0 && r == Reduction::none) {
              // lse - x[t] is exactly -(x[t] - lse): the f32 composite's row losses, bit for bit.
              EXPECT_TRUE(assert_close(yf, composite(x0, t, r, eps, -100), Tol{0.0, 0.0}, w));
            }
            const Tensor gy = randn64(yf.shape(), seed++);
            yf.backward(gy.to(d));
            yc.backward(gy);
            if (all_ignored && r == Reduction::mean) {
              // The mean is 0/0; the fused node still gives ignored rows a zero gradient (as
              // PyTorch), where the composite's 0 * inf is NaN.
              EXPECT_EQ(amax(xf.grad().abs()).item<double>(), 0.0) << w;
              continue;
            }
            const double gscale = std::max(1.0, amax(xc.grad().abs()).item<double>());
            EXPECT_TRUE(assert_close(xf.grad(), xc.grad(), Tol{tol * gscale, 0.0}, "grad " + w));
          }
        }
      }
    }
  }
}

TEST(CrossEntropyFused, HalfPrecisionOnCpu) {
  // f16/bf16 compute in f32 on one rounding of the inputs: compare with the f32 loss of
  // the same (rounded) values, to the output dtype's precision.
  for (DType d : {DType::f16, DType::bf16}) {
    const double tol = d == DType::f16 ? 2e-3 : 1.6e-2;
    const Tensor x = (randn64({16, 37}, 40) * 2.0).to(d);
    const Tensor t = random_targets(16, 37, 41, true);
    for (double eps : {0.0, 0.1}) {
      Tensor xh = x.clone().requires_grad_(), x32 = x.to(DType::f32).requires_grad_();
      Tensor yh = cross_entropy(xh, t, Reduction::none, eps), y32 = cross_entropy(x32, t, Reduction::none, eps);
      EXPECT_EQ(yh.dtype(), d);
      EXPECT_TRUE(assert_close(yh, y32, Tol{tol * std::max(1.0, amax(y32.abs()).item<double>()), 0.0},
                             std::string(dtype_name(d))));
      yh.sum().backward();
      y32.sum().backward();
      EXPECT_EQ(xh.grad().dtype(), d);
      EXPECT_TRUE(assert_close(xh.grad(), x32.grad(), Tol{tol, 0.0}, "grad " + std::string(dtype_name(d))));
    }
  }
}

TEST(CrossEntropyFused, RowLossDefinition) {
  // loss = (1-eps)(lse - x[t]) + eps (lse - mean x), by hand for one row.
  const Tensor x = tensor({1.0, -2.0, 0.5, 3.0}, {1, 4});
  const double lse = std::log(std::exp(1.0) + std::exp(-2.0) + std::exp(0.5) + std::exp(3.0));
  const double mean = (1.0 - 2.0 + 0.5 + 3.0) / 4;
  const double eps = 0.25;
  const double want = (1 - eps) * (lse - 0.5) + eps * (lse - mean);
  EXPECT_NEAR(cross_entropy(x, targets({2}), Reduction::none, eps).item<double>(), want, 1e-14);
  EXPECT_NEAR(cross_entropy(x, targets({2}), Reduction::sum, eps).item<double>(), want, 1e-14);
}

TEST(CrossEntropyFused, IgnoredRowsAndReductions) {
  const Tensor x = randn64({4, 5}, 50).requires_grad_();
  const Tensor t = targets({1, -100, 4, -100});
  Tensor rows = cross_entropy(x, t, Reduction::none, 0.1);
  EXPECT_EQ(rows.at<double>({1}), 0.0);
  EXPECT_EQ(rows.at<double>({3}), 0.0);
  EXPECT_NEAR(cross_entropy(x, t, Reduction::mean, 0.1).item<double>(),
              (rows.at<double>({0}) + rows.at<double>({2})) / 2, 1e-14);
  cross_entropy(x, t, Reduction::sum, 0.1).backward();
  for (int64_t c = 0; c < 5; ++c) {
    EXPECT_EQ(x.grad().at<double>({1, c}), 0.0);
    EXPECT_EQ(x.grad().at<double>({3, c}), 0.0);
  }
  // A valid row's gradient sums to zero (softmax and the smoothed target both sum to one).
  double s = 0;
  for (int64_t c = 0; c < 5; ++c) s += x.grad().at<double>({0, c});
  EXPECT_NEAR(s, 0.0, 1e-14);
  // Every target ignored: the mean is 0/0, as in PyTorch.
  EXPECT_TRUE(std::isnan(cross_entropy(x, targets({-100, -100, -100, -100})).item<double>()));
}

TEST(CrossEntropyFused, LargeAndInfiniteScores) {
  // Max-subtracted: huge logits stay finite; -inf scores of other classes are fine; an
  // all -inf row and a NaN give NaN like the composite.
  const Tensor big = tensor({1000.0, 1001.0, 1002.0, -1000.0, 0.0, 1000.0}, {2, 3});
  const double l = cross_entropy(big, targets({2, 0}), Reduction::none).at<double>({0});
  EXPECT_NEAR(l, std::log(std::exp(-2.0) + std::exp(-1.0) + 1.0), 1e-12);
  const Tensor masked = tensor({0.0, -INFINITY, 1.0, -INFINITY, -INFINITY, -INFINITY, 2.0, NAN, 0.0}, {3, 3});
  const Tensor t = targets({2, 0, 0});
  for (DType d : {DType::f64, DType::f32}) {
    Tensor y = cross_entropy(masked.to(d), t, Reduction::none);
    Tensor yc = composite(masked.to(d), t, Reduction::none, 0.0, -100);
    EXPECT_TRUE(std::isfinite(y.to(DType::f64).at<double>({0})));
    EXPECT_TRUE(std::isnan(y.to(DType::f64).at<double>({1})));
    EXPECT_TRUE(std::isnan(y.to(DType::f64).at<double>({2})));
    EXPECT_TRUE(assert_close(y, yc, Tol{0.0, 0.0}, std::string(dtype_name(d))));
  }
}

TEST(CrossEntropyFused, ErrorsAndGraph) {
  const Tensor x = randn64({2, 3}, 60);
  try {
    (void)cross_entropy(x, targets({0, 3}));
    FAIL() << "expected IndexError";
  } catch (const IndexError& e) {
    EXPECT_NE(std::string(e.what()).find("target class 3"), std::string::npos) << e.what();
  }
  EXPECT_THROW((void)cross_entropy(x, targets({-1, 0})), IndexError);
  EXPECT_THROW((void)cross_entropy(x, targets({0})), ShapeError);
  EXPECT_THROW((void)cross_entropy(x, targets({0, 1}).to(DType::f64)), DTypeError);
  EXPECT_THROW((void)cross_entropy(x, targets({0, 1}), Reduction::mean, -0.1), ValueError);
  EXPECT_THROW((void)cross_entropy(x.to(DType::i64), targets({0, 1})), DTypeError);

  // One graph node maps the rows; without grad none is recorded.
  Tensor xr = x.clone().requires_grad_();
  Tensor rows = cross_entropy(xr, targets({0, 1}), Reduction::none);
  ASSERT_TRUE(rows.grad_fn() != nullptr);
  EXPECT_EQ(rows.grad_fn()->name(), "cross_entropy");
  {
    NoGradGuard ng;
    EXPECT_FALSE(cross_entropy(xr, targets({0, 1})).requires_grad());
  }
  // The node saved the scores: changing them in place before backward is refused.
  {
    NoGradGuard ng;
    xr.fill_(1.0);
  }
  EXPECT_THROW(rows.sum().backward(), AutogradError);
}

TEST(CrossEntropyFused, EmptyBatch) {
  const Tensor x = zeros({0, 4}, DType::f32).requires_grad_();
  const Tensor t = zeros({0}, DType::i64);
  EXPECT_EQ(cross_entropy(x, t, Reduction::none).numel(), 0);
  EXPECT_EQ(cross_entropy(x, t, Reduction::sum).item<float>(), 0.0f);
  cross_entropy(x, t, Reduction::sum).backward();
  EXPECT_EQ(x.grad().numel(), 0);
}

TEST(CrossEntropyFused, KernelContract) {
  // Called directly: lse per row (also for ignored rows), 0 for ignored rows and NaN for a
  // target out of range instead of an out-of-bounds read.
  const Tensor x = tensor({0.0, 1.0, 2.0, 0.0, 0.0, 0.0, 5.0, 5.0, 5.0}, {3, 3});
  const Tensor t = targets({2, -7, 9});
  Tensor loss = zeros({3}, DType::f64), lse = zeros({3}, DType::f64);
  const CrossEntropyArgs args{0.0, -7};
  get_kernel<OpId::cross_entropy_forward>(x.device())(x, t, loss, lse, args);
  const double lse0 = std::log(1.0 + std::exp(1.0) + std::exp(2.0));
  EXPECT_NEAR(lse.at<double>({0}), lse0, 1e-14);
  EXPECT_NEAR(lse.at<double>({1}), std::log(3.0), 1e-14);
  EXPECT_NEAR(loss.at<double>({0}), lse0 - 2.0, 1e-14);
  EXPECT_EQ(loss.at<double>({1}), 0.0);
  EXPECT_TRUE(std::isnan(loss.at<double>({2})));
  Tensor gx = zeros({3, 3}, DType::f64);
  get_kernel<OpId::cross_entropy_backward>(x.device())(x, t, lse, ones({3}, DType::f64), gx, args);
  EXPECT_NEAR(gx.at<double>({0, 2}), std::exp(2.0 - lse0) - 1.0, 1e-14);
  EXPECT_NEAR(gx.at<double>({0, 0}), std::exp(-lse0), 1e-14);
  EXPECT_EQ(gx.at<double>({1, 1}), 0.0);
  EXPECT_TRUE(std::isnan(gx.at<double>({2, 0})));
  // The lse dtype is the compute type: f32 for f32 scores.
  Tensor loss32 = zeros({3}), lse64 = zeros({3}, DType::f64);
  EXPECT_THROW(get_kernel<OpId::cross_entropy_forward>(x.device())(x.to(DType::f32), t, loss32, lse64, args),
               ShapeError);
}
