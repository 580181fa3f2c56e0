// CPU/CUDA parity of the fused CrossEntropy and CrossEntropyBackward kernels: cross_entropy
// on [N, C] scores for short rows (a warp each), long rows (a block each) and every floating
// dtype, with label smoothing, ignored targets and each reduction, forward and the scores'
// gradient; strided scores, -inf/NaN rows, and the kernels' own outputs (the saved lse).
#include <cmath>
#include <string>
#include <vector>

#include <ember/core/dispatch.h>

#include "cuda/parity.h"

using namespace ember;
using namespace ember::testing;

namespace {

const std::vector<DType> kFloat = {DType::f32, DType::f64, DType::f16, DType::bf16};

// [1,1] and [7,3]: tiny; [64,10]: many warp rows; [33,1000]: the longest warp rows;
// [5,4097]: block rows with a ragged tail.
const std::vector<std::pair<int64_t, int64_t>> kShapes = {{1, 1}, {7, 3}, {64, 10}, {33, 1000}, {5, 4097}};

Tensor class_targets(int64_t n, int64_t c, uint64_t seed) {
  return random_tensor({n}, DType::i64, seed, 0, static_cast<double>(c));
}

// Every third target replaced by `ignore`.
Tensor with_ignored(const Tensor& t, int64_t ignore) {
  std::vector<int64_t> v = t.to_vector<int64_t>();
  for (size_t i = 0; i < v.size(); i += 3) v[i] = ignore;
  return from_vector(v, t.shape());
}

std::string what(DType d, int64_t n, int64_t c, Reduction r, double eps, int64_t ignore, const std::string& extra) {
  return "cross_entropy " + std::string(dtype_name(d)) + " [" + std::to_string(n) + ", " + std::to_string(c) +
         "] reduction " + std::to_string(static_cast<int>(r)) + " eps " + std::to_string(eps) + " ignore_index " +
         std::to_string(ignore) + (extra.empty() ? "" : " " + extra);
}

}  // namespace

TEST(CudaCrossEntropy, ForwardAndBackwardEveryDtype) {
  SKIP_WITHOUT_CUDA();
  uint64_t seed = 1;
  for (auto [n, c] : kShapes) {
    for (DType d : kFloat) {
      const Tensor x = (random_tensor({n, c}, DType::f64, seed++) * 3.0).to(d);
      const Tensor t = class_targets(n, c, seed++);
      // Plain targets, -100 on some rows, and a real class (0) as ignore_index.
      const std::vector<std::pair<Tensor, int64_t>> cases = {{t, -100}, {with_ignored(t, -100), -100}, {t, 0}};
      for (const auto& [tt, ignore] : cases) {
        for (Reduction r : {Reduction::none, Reduction::mean, Reduction::sum}) {
          for (double eps : {0.0, 0.1}) {
            Tensor xc = x.clone().requires_grad_();
            Tensor xg = x.to(gpu()).requires_grad_();
            Tensor yc = cross_entropy(xc, tt, r, eps, ignore);
            Tensor yg = cross_entropy(xg, tt.to(gpu()), r, eps, ignore);
            EXPECT_TRUE(close(yg, yc, what(d, n, c, r, eps, ignore, "forward")));
            const Tensor gy = random_tensor(yc.shape(), d, seed++);
            yc.backward(gy);
            yg.backward(gy.to(gpu()));
            EXPECT_TRUE(close(xg.grad(), xc.grad(), what(d, n, c, r, eps, ignore, "grad")));
          }
        }
      }
    }
  }
}

TEST(CudaCrossEntropy, StridedScores) {
  SKIP_WITHOUT_CUDA();
  uint64_t seed = 300;
  for (DType d : {DType::f32, DType::f64}) {
    for (auto [n, c] : kShapes) {
      const Tensor x = random_tensor({n, c}, d, seed++);
      const Tensor t = with_ignored(class_targets(n, c, seed++), -100);
      // Transposed storage: the front-end copies the scores before the kernel.
      Tensor xc = non_contiguous(x).detach().requires_grad_();
      Tensor xg = non_contiguous(x.to(gpu())).detach().requires_grad_();
      Tensor yc = cross_entropy(xc, t, Reduction::mean, 0.2);
      Tensor yg = cross_entropy(xg, t.to(gpu()), Reduction::mean, 0.2);
      EXPECT_TRUE(close(yg, yc, what(d, n, c, Reduction::mean, 0.2, -100, "strided")));
      yc.backward();
      yg.backward();
      EXPECT_TRUE(close(xg.grad(), xc.grad(), what(d, n, c, Reduction::mean, 0.2, -100, "strided grad")));
    }
  }
}

TEST(CudaCrossEntropy, LargeInfAndNaNScores) {
  SKIP_WITHOUT_CUDA();
  for (DType d : {DType::f32, DType::f64}) {
    for (int64_t c : {int64_t{40}, int64_t{3000}}) {
      Tensor x = random_tensor({5, c}, DType::f64, 7) * 1000.0;  // only a stable logsumexp stays finite
      x.select(0, 1).narrow(0, 1, 1).fill_(-INFINITY);
      x.select(0, 2).fill_(-INFINITY);
      x.select(0, 3).narrow(0, 3, 1).fill_(NAN);
      x.select(0, 4).narrow(0, 0, 1).fill_(INFINITY);
      x = x.to(d);
      const Tensor t = from_vector<int64_t>({0, 2, 0, 1, 5}, {5});
      for (double eps : {0.0, 0.1}) {
        Tensor xc = x.clone().requires_grad_();
        Tensor xg = x.to(gpu()).requires_grad_();
        Tensor yc = cross_entropy(xc, t, Reduction::none, eps);
        Tensor yg = cross_entropy(xg, t.to(gpu()), Reduction::none, eps);
        EXPECT_TRUE(close(yg, yc, what(d, 5, c, Reduction::none, eps, -100, "inf/NaN")));
        yc.sum().backward();
        yg.sum().backward();
        EXPECT_TRUE(close(xg.grad(), xc.grad(), what(d, 5, c, Reduction::none, eps, -100, "inf/NaN grad")));
      }
    }
  }
}

TEST(CudaCrossEntropy, KernelOutputsMatch) {
  SKIP_WITHOUT_CUDA();
  // The saved lse (f32 for f16/bf16/f32, f64 for f64) and the backward on a given gl,
  // called directly, so a wrong lse cannot hide behind the front-end.
  uint64_t seed = 500;
  for (auto [n, c] : kShapes) {
    for (DType d : kFloat) {
      const Tensor x = random_tensor({n, c}, d, seed++);
      const Tensor t = with_ignored(class_targets(n, c, seed++), -100);
      const DType ld = d == DType::f64 ? DType::f64 : DType::f32;
      const CrossEntropyArgs args{0.1, -100};
      Tensor lc = zeros({n}, d), sc = zeros({n}, ld);
      Tensor lg = zeros({n}, d, gpu()), sg = zeros({n}, ld, gpu());
      get_kernel<OpId::cross_entropy_forward>(Device::cpu())(x, t, lc, sc, args);
      get_kernel<OpId::cross_entropy_forward>(gpu())(x.to(gpu()), t.to(gpu()), lg, sg, args);
      const std::string w = what(d, n, c, Reduction::none, 0.1, -100, "kernel");
      EXPECT_TRUE(close(lg, lc, w + " loss"));
      EXPECT_TRUE(close(sg, sc, parity_tol(ld), w + " lse"));
      const Tensor gl = random_tensor({n}, d, seed++);
      Tensor gc = zeros({n, c}, d), gg = zeros({n, c}, d, gpu());
      get_kernel<OpId::cross_entropy_backward>(Device::cpu())(x, t, sc, gl, gc, args);
      get_kernel<OpId::cross_entropy_backward>(gpu())(x.to(gpu()), t.to(gpu()), sg, gl.to(gpu()),
                                                                         gg, args);
      EXPECT_TRUE(close(gg, gc, w + " gx"));
    }
  }
}

TEST(CudaCrossEntropy, AllIgnoredAndEmpty) {
  SKIP_WITHOUT_CUDA();
  const Tensor x = random_tensor({4, 6}, DType::f32, 900);
  const Tensor t = full({4}, -100, DType::i64);
  EXPECT_TRUE(close(cross_entropy(x.to(gpu()), t.to(gpu())), cross_entropy(x, t), "all ignored mean (NaN)"));
  EXPECT_TRUE(close(cross_entropy(x.to(gpu()), t.to(gpu()), Reduction::sum), cross_entropy(x, t, Reduction::sum),
                    "all ignored sum"));
  const Tensor e = zeros({0, 5}, DType::f32, gpu()).requires_grad_();
  Tensor y = cross_entropy(e, zeros({0}, DType::i64, gpu()), Reduction::sum);
  y.backward();
  EXPECT_EQ(e.grad().numel(), 0);
}
