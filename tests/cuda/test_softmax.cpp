// CPU/CUDA parity of the Softmax and SoftmaxBackward kernels: softmax and log_softmax
// along every dim of 1-d to 4-d tensors (short and long rows, inner dims of every size),
// strided inputs, -inf and NaN entries, and the gradients of leaf inputs.
#include <cmath>
#include <string>
#include <vector>

#include "cuda/parity.h"

using namespace ember;
using namespace ember::testing;

namespace {

const std::vector<DType> kFloat = {DType::f32, DType::f64, DType::f16, DType::bf16};

std::string what(const char* op, DType d, const Shape& s, int64_t dim, const std::string& extra = "") {
  return std::string(op) + " " + std::string(dtype_name(d)) + " " + shape_str(s) + " dim " + std::to_string(dim) +
         (extra.empty() ? "" : " " + extra);
}

Tensor apply(bool log, const Tensor& x, int64_t dim) { return log ? log_softmax(x, dim) : softmax(x, dim); }

const std::vector<Shape>& shapes() {
  // Short and long rows (a warp or a block per row), inner dims from 1 to large, few
  // slices over a long dim (threads share one slice), and odd sizes everywhere.
  static const std::vector<Shape> s = {{7},        {1031},         {3, 5},       {64, 257},   {2, 5000},
                                       {2, 3, 17}, {4, 1, 33, 9},  {2, 3000, 3}, {5, 2, 7, 4}, {300, 40, 2},
                                       {1, 1},     {8, 1025, 1}};
  return s;
}

std::vector<int64_t> dims_of(const Shape& s) {
  std::vector<int64_t> d;
  for (int64_t i = 0; i < static_cast<int64_t>(s.size()); ++i) d.push_back(i);
  d.push_back(-1);
  return d;
}

}  // namespace

TEST(CudaSoftmax, ForwardEveryDimEveryDtype) {
  SKIP_WITHOUT_CUDA();
  uint64_t seed = 1;
  for (const Shape& s : shapes()) {
    for (DType d : kFloat) {
      Tensor x = (random_tensor(s, DType::f64, seed++) * 3.0).to(d);
      Tensor xg = x.to(gpu());
      for (int64_t dim : dims_of(s)) {
        for (bool log : {false, true}) {
          const char* op = log ? "log_softmax" : "softmax";
          EXPECT_TRUE(close(apply(log, xg, dim), apply(log, x, dim), what(op, d, s, dim)));
          EXPECT_TRUE(close(apply(log, non_contiguous(xg), dim), apply(log, non_contiguous(x), dim),
                            what(op, d, s, dim, "strided")));
        }
      }
    }
  }
}

TEST(CudaSoftmax, LargeValuesInfAndNaN) {
  SKIP_WITHOUT_CUDA();
  for (DType d : {DType::f32, DType::f64}) {
    for (const Shape& s : std::vector<Shape>{{6, 40}, {6, 3000}, {6, 40, 3}}) {
      // Large logits: only the max-subtracted form stays finite.
      Tensor x = random_tensor(s, DType::f64, 7) * 1000.0;
      // Attention-style masks: some -inf entries, a row of -inf only, a NaN, a +inf.
      Tensor rows = x.select(0, 0);
      rows.narrow(0, 1, 1).fill_(-INFINITY);
      x.select(0, 1).fill_(-INFINITY);
      x.select(0, 2).narrow(0, 3, 1).fill_(NAN);
      x.select(0, 3).narrow(0, 0, 1).fill_(INFINITY);
      x = x.to(d);
      for (int64_t dim : {int64_t{0}, int64_t{1}, int64_t{-1}}) {
        for (bool log : {false, true}) {
          const char* op = log ? "log_softmax" : "softmax";
          EXPECT_TRUE(close(apply(log, x.to(gpu()), dim), apply(log, x, dim), what(op, d, s, dim, "inf/NaN")));
        }
      }
    }
  }
}

TEST(CudaSoftmax, Backward) {
  SKIP_WITHOUT_CUDA();
  uint64_t seed = 100;
  for (DType d : {DType::f32, DType::f64}) {
    for (const Shape& s : shapes()) {
      Tensor x = random_tensor(s, d, seed++);
      for (int64_t dim : dims_of(s)) {
        for (bool log : {false, true}) {
          for (bool strided : {false, true}) {
            const char* op = log ? "log_softmax backward" : "softmax backward";
            // Strided leaves: the front-end makes a contiguous copy, the gradient comes back.
            Tensor xc = (strided ? non_contiguous(x) : x.clone()).detach().requires_grad_();
            Tensor xg = (strided ? non_contiguous(x.to(gpu())) : x.to(gpu())).detach().requires_grad_();
            Tensor yc = apply(log, xc, dim);
            Tensor yg = apply(log, xg, dim);
            Tensor gy = random_tensor(s, d, seed++);
            yc.backward(gy);
            // A strided upstream gradient as well: the kernel must see it contiguous.
            yg.backward(strided ? non_contiguous(gy.to(gpu())) : gy.to(gpu()));
            EXPECT_TRUE(close(yg, yc, what(op, d, s, dim, strided ? "forward strided" : "forward")));
            EXPECT_TRUE(close(xg.grad(), xc.grad(), what(op, d, s, dim, strided ? "strided" : "")));
          }
        }
      }
    }
  }
}

TEST(CudaSoftmax, BackwardHalfPrecision) {
  SKIP_WITHOUT_CUDA();
  // f16/bf16 gradients: the kernels compute in float like the CPU.
  uint64_t seed = 200;
  for (DType d : {DType::f16, DType::bf16}) {
    for (const Shape& s : std::vector<Shape>{{3, 5}, {64, 257}, {2, 3, 17}, {2, 3000, 3}}) {
      Tensor x = random_tensor(s, d, seed++);
      for (int64_t dim : dims_of(s)) {
        for (bool log : {false, true}) {
          Tensor xc = x.clone().detach().requires_grad_();
          Tensor xg = x.to(gpu()).detach().requires_grad_();
          Tensor gy = random_tensor(s, d, seed++);
          apply(log, xc, dim).backward(gy);
          apply(log, xg, dim).backward(gy.to(gpu()));
          EXPECT_TRUE(close(xg.grad(), xc.grad(), what(log ? "log_softmax backward" : "softmax backward", d, s, dim)));
        }
      }
    }
  }
}

TEST(CudaSoftmax, ScalarAndEmpty) {
  SKIP_WITHOUT_CUDA();
  Tensor s = scalar_tensor(2.0, DType::f32);
  EXPECT_TRUE(close(softmax(s.to(gpu()), 0), softmax(s, 0), "softmax of a scalar"));
  EXPECT_TRUE(close(log_softmax(s.to(gpu()), -1), log_softmax(s, -1), "log_softmax of a scalar"));
  Tensor e = zeros({0, 4});
  EXPECT_TRUE(close(softmax(e.to(gpu()), 1), softmax(e, 1), "softmax of an empty tensor"));
}
