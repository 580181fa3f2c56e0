// CPU/CUDA parity of gather, scatter_add and index_select: every dim of 1-d to 4-d
// inputs, index shapes smaller than the input, strided inputs and indices (including a
// broadcast index), every dtype the CPU kernels take, the gradients of leaf inputs, the
// consumers that route through these kernels (cross_entropy), and bad indices, which
// the front-ends reject before any kernel runs.
#include <string>
#include <vector>

#include "cuda/parity.h"

using namespace ember;
using namespace ember::testing;

namespace {

const std::vector<DType> kAll = {DType::f32, DType::f64, DType::f16, DType::bf16,
                                 DType::i32, DType::i64, DType::u8,  DType::boolean};
const std::vector<DType> kNumeric = {DType::f32, DType::f64, DType::f16, DType::bf16,
                                     DType::i32, DType::i64, DType::u8};
const std::vector<DType> kFloat = {DType::f32, DType::f64, DType::f16, DType::bf16};

std::vector<Shape> shapes() { return {{7}, {3, 5}, {2, 3, 17}, {4, 1, 33, 9}, {64, 257}}; }

Tensor values(const Shape& s, DType d, uint64_t seed) {
  return is_floating(d) || d == DType::boolean ? random_tensor(s, d, seed) : random_tensor(s, d, seed, 0, 50);
}

// Indices in [0, bound).
Tensor indices(const Shape& s, int64_t bound, uint64_t seed) { return random_tensor(s, DType::i64, seed, 0, bound); }

// x's shape with `m` entries along dim and every other dim one shorter where it can be.
Shape index_shape(const Shape& x, size_t dim, int64_t m) {
  Shape s = x;
  for (size_t d = 0; d < s.size(); ++d) s[d] = d == dim ? m : (s[d] > 1 ? s[d] - 1 : s[d]);
  return s;
}

std::string what(const char* op, DType d, const Shape& s, size_t dim, bool strided) {
  return std::string(op) + " " + std::string(dtype_name(d)) + " " + shape_str(s) + " dim " + std::to_string(dim) +
         (strided ? " strided" : "");
}

Tensor maybe_strided(const Tensor& t, bool strided) { return strided ? non_contiguous(t) : t; }

}  // namespace

TEST(IndexingParity, Gather) {
  SKIP_WITHOUT_CUDA();
  uint64_t seed = 1;
  for (DType d : kAll)
    for (const Shape& s : shapes())
      for (size_t dim = 0; dim < s.size(); ++dim)
        for (bool strided : {false, true}) {
          Tensor x = values(s, d, ++seed);
          Tensor i = indices(index_shape(s, dim, s[dim] + 2), s[dim], ++seed);
          Tensor yc = gather(maybe_strided(x, strided), static_cast<int64_t>(dim), maybe_strided(i, strided));
          Tensor yg = gather(maybe_strided(x.to(gpu()), strided), static_cast<int64_t>(dim),
                             maybe_strided(i.to(gpu()), strided));
          ASSERT_TRUE(close(yg, yc, what("gather", d, s, dim, strided)));
        }
}

TEST(IndexingParity, IndexSelect) {
  SKIP_WITHOUT_CUDA();
  uint64_t seed = 100;
  for (DType d : kAll)
    for (const Shape& s : shapes())
      for (size_t dim = 0; dim < s.size(); ++dim)
        for (bool strided : {false, true}) {
          Tensor x = values(s, d, ++seed);
          Tensor i = indices({s[dim] + 3}, s[dim], ++seed);
          Tensor yc = index_select(maybe_strided(x, strided), static_cast<int64_t>(dim), maybe_strided(i, strided));
          Tensor yg = index_select(maybe_strided(x.to(gpu()), strided), static_cast<int64_t>(dim),
                                   maybe_strided(i.to(gpu()), strided));
          ASSERT_TRUE(close(yg, yc, what("index_select", d, s, dim, strided)));
        }
  // a 0-d index selects one slice; an empty index selects none
  Tensor x = random_tensor({4, 5}, DType::f32, 7);
  Tensor i0 = from_vector<int64_t>({2}, {});
  EXPECT_TRUE(close(index_select(x.to(gpu()), 1, i0.to(gpu())), index_select(x, 1, i0), "index_select 0-d index"));
  Tensor ie = zeros({0}, DType::i64);
  EXPECT_TRUE(close(index_select(x.to(gpu()), 0, ie.to(gpu())), index_select(x, 0, ie), "index_select empty"));
}

TEST(IndexingParity, ScatterAdd) {
  SKIP_WITHOUT_CUDA();
  uint64_t seed = 200;
  for (DType d : kNumeric)
    for (const Shape& s : shapes())
      for (size_t dim = 0; dim < s.size(); ++dim)
        for (bool strided : {false, true}) {
          Tensor x = values(s, d, ++seed);
          const Shape is = index_shape(s, dim, s[dim] + 1);
          Tensor i = indices(is, s[dim], ++seed);
          Shape ss = is;
          ss.back() += 1;  // src may be larger than the index
          Tensor src = values(ss, d, ++seed);
          Tensor yc = scatter_add(maybe_strided(x, strided), static_cast<int64_t>(dim), maybe_strided(i, strided),
                                  maybe_strided(src, strided));
          Tensor yg = scatter_add(maybe_strided(x.to(gpu()), strided), static_cast<int64_t>(dim),
                                  maybe_strided(i.to(gpu()), strided), maybe_strided(src.to(gpu()), strided));
          ASSERT_TRUE(close(yg, yc, what("scatter_add", d, s, dim, strided)));
        }
  // Many adds into one element (atomics under contention), f32 and i64.
  for (DType d : {DType::f32, DType::i64}) {
    Tensor x = zeros({3}, d);
    Tensor i = zeros({100000}, DType::i64);
    Tensor src = values({100000}, d, 300);
    EXPECT_TRUE(close(scatter_add(x.to(gpu()), 0, i.to(gpu()), src.to(gpu())), scatter_add(x, 0, i, src),
                      ::ember::testing::Tol{1e-2, 1e-4},
                      std::string("scatter_add contended ") + std::string(dtype_name(d))));
  }
}

TEST(IndexingParity, Gradients) {
  SKIP_WITHOUT_CUDA();
  uint64_t seed = 400;
  for (DType d : kFloat)
    for (const Shape& s : shapes())
      for (size_t dim = 0; dim < s.size(); ++dim) {
        const int64_t dm = static_cast<int64_t>(dim);
        Tensor x = random_tensor(s, d, ++seed);
        Tensor gi = indices(index_shape(s, dim, s[dim]), s[dim], ++seed);
        Tensor si = indices({s[dim] + 2}, s[dim], ++seed);
        // gather and index_select: x's gradient is a scatter_add of gy
        for (int op = 0; op < 2; ++op) {
          Tensor xc = x.detach().requires_grad_(), xg = non_contiguous(x.to(gpu())).detach().requires_grad_();
          Tensor yc = op == 0 ? gather(xc, dm, gi) : index_select(xc, dm, si);
          Tensor yg = op == 0 ? gather(xg, dm, gi.to(gpu())) : index_select(xg, dm, si.to(gpu()));
          Tensor gy = random_tensor(yc.shape(), d, ++seed);
          yc.backward(gy);
          yg.backward(gy.to(gpu()));
          ASSERT_TRUE(
              close(xg.grad(), xc.grad(), what(op == 0 ? "gather grad" : "index_select grad", d, s, dim, true)));
        }
        // scatter_add: identity into x, gather into src
        Tensor src = random_tensor(gi.shape(), d, ++seed);
        Tensor xc = x.detach().requires_grad_(), sc = src.detach().requires_grad_();
        Tensor xg = x.to(gpu()).detach().requires_grad_(), sg = src.to(gpu()).detach().requires_grad_();
        Tensor yc = scatter_add(xc, dm, gi, sc), yg = scatter_add(xg, dm, gi.to(gpu()), sg);
        Tensor gy = random_tensor(yc.shape(), d, ++seed);
        yc.backward(gy);
        yg.backward(gy.to(gpu()));
        ASSERT_TRUE(close(xg.grad(), xc.grad(), what("scatter_add grad x", d, s, dim, false)));
        ASSERT_TRUE(close(sg.grad(), sc.grad(), what("scatter_add grad src", d, s, dim, false)));
      }
}

// Scores with a spatial dim take the composite path (log_softmax + gather); 2-d scores
// take the fused kernel, tested in test_cross_entropy.cpp.
TEST(IndexingParity, SpatialCrossEntropyRoutesThroughGather) {
  SKIP_WITHOUT_CUDA();
  for (DType d : {DType::f32, DType::f64}) {
    Tensor logits = random_tensor({33, 10, 3}, d, 500);
    Tensor target = indices({33, 3}, 10, 501);
    Tensor lc = logits.detach().requires_grad_(), lg = logits.to(gpu()).detach().requires_grad_();
    Tensor yc = cross_entropy(lc, target), yg = cross_entropy(lg, target.to(gpu()));
    ASSERT_TRUE(close(yg, yc, std::string("cross_entropy ") + std::string(dtype_name(d))));
    yc.backward();
    yg.backward();
    ASSERT_TRUE(close(lg.grad(), lc.grad(), std::string("cross_entropy grad ") + std::string(dtype_name(d))));
  }
}

TEST(IndexingParity, BadIndicesNeverReachTheKernel) {
  SKIP_WITHOUT_CUDA();
  Tensor x = zeros({2, 3}, DType::f32, gpu());
  Tensor too_big = from_vector<int64_t>({0, 3}, {2, 1}, gpu());
  Tensor negative = from_vector<int64_t>({-1, 0}, {2, 1}, gpu());
  EXPECT_THROW(gather(x, 1, too_big), IndexError);
  EXPECT_THROW(gather(x, 1, negative), IndexError);
  EXPECT_THROW(scatter_add(x, 1, too_big, ones({2, 1}, DType::f32, gpu())), IndexError);
  EXPECT_THROW(index_select(x, 0, from_vector<int64_t>({2}, {1}, gpu())), IndexError);
  EXPECT_THROW(gather(x, 1, too_big.to(DType::i32)), DTypeError);
  // nothing was written
  EXPECT_EQ(x.cpu().to_vector<float>(), std::vector<float>(6, 0.f));
}
