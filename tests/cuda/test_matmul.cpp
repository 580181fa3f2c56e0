// cuBLAS matmul against the CPU kernel, through the public ops (matmul, linear) forward
// and backward (the leaf gradients). The CPU computes f32 and f64 only, so f16/bf16 are
// checked against the CPU f32 result on the same rounded inputs.
#include <cmath>
#include <functional>

#include "cuda/parity.h"

using namespace ember;
using namespace ember::testing;

namespace {

std::string name(DType d) { return std::string(dtype_name(d)); }

// The sums run over K <= 65 terms of size ~1 in a different order than oneDNN's.
Tol matmul_tol(DType d, bool tf32) {
  if (tf32) return {5e-2, 1e-2};  // 10-bit mantissa inputs
  switch (d) {
    case DType::f64: return {1e-10, 1e-9};
    case DType::f32: return {1e-4, 1e-4};
    case DType::f16: return {1e-2, 4e-3};  // one f16 rounding of the f32 sum (2^-11)
    default: return {5e-2, 1.6e-2};        // bf16: one rounding (2^-8)
  }
}

// Operand layouts: 0 contiguous, 1 stored transposed (non_contiguous), 2 every other
// element of a wider last dim (no unit stride: copied before the GEMM); these keep the
// values. 3 repeats the first row (stride 0 inside the matrix), on both devices alike.
Tensor layout(const Tensor& x, int kind) {
  if (kind == 1) return non_contiguous(x);
  if (kind == 2 && x.dim() >= 1) {
    Shape wide = x.shape();
    wide.back() *= 2;
    Tensor w = zeros(wide, x.dtype(), x.device());
    Tensor v = w.slice(x.dim() - 1, 0, wide.back(), 2);
    v.copy_(x);
    return v;
  }
  if (kind == 3 && x.dim() >= 2) {
    return x.narrow(x.dim() - 2, 0, 1).contiguous().expand(x.shape());
  }
  return x;
}

// The CPU operand for a CUDA one of dtype d: f16/bf16 values rounded, then widened to f32.
Tensor cpu_operand(const Tensor& x, DType d) { return is_half(d) ? x.to(d).to(DType::f32) : x.to(d); }
Tensor gpu_operand(const Tensor& x, DType d) { return x.to(d).to(gpu()); }

// CUDA result in the CPU reference's dtype.
Tensor widen(const Tensor& t) { return is_half(t.dtype()) ? t.to(DType::f32) : t; }

struct MatmulCase {
  Shape a, b;
};

std::vector<MatmulCase> matmul_cases() {
  return {
      {{1, 1}, {1, 1}},          // 1x1
      {{17, 33}, {33, 5}},       // odd sizes
      {{64, 65}, {65, 63}},      // several tiles
      {{3, 17, 33}, {3, 33, 5}}, // batched
      {{4, 17, 33}, {33, 5}},    // b broadcast over the batch (one folded GEMM)
      {{33, 5}, {4, 5, 9}},      // a broadcast over the batch
      {{2, 1, 7, 9}, {3, 9, 4}}, // batch dims broadcast on both sides
      {{4, 1, 9}, {9, 6}},       // M = 1 with a batch
      {{5}, {5, 3}},             // vector @ matrix
      {{4, 5}, {5}},             // matrix @ vector
      {{5}, {5}},                // dot
  };
}

const DType kAllFloat[] = {DType::f32, DType::f64, DType::f16, DType::bf16};

void check_matmul(DType d, bool tf32) {
  Tf32Guard guard(tf32);
  const Tol tol = matmul_tol(d, tf32);
  uint64_t seed = 100;
  for (const MatmulCase& c : matmul_cases()) {
    const Tensor a0 = random_tensor(c.a, DType::f64, ++seed);
    const Tensor b0 = random_tensor(c.b, DType::f64, ++seed);
    for (int la = 0; la < 4; ++la) {
      for (int lb = 0; lb < 4; ++lb) {
        if ((la == 3 && c.a.size() < 2) || (lb == 3 && c.b.size() < 2)) continue;
        const Tensor ref = matmul(layout(cpu_operand(a0, d), la), layout(cpu_operand(b0, d), lb));
        const Tensor got = matmul(layout(gpu_operand(a0, d), la), layout(gpu_operand(b0, d), lb));
        EXPECT_TRUE(close(widen(got), ref, tol,
                          "matmul " + name(d) + " " + shape_str(c.a) + " @ " + shape_str(c.b) + " layouts " +
                              std::to_string(la) + "," + std::to_string(lb)));
      }
    }
  }
}

// Leaf gradients of a @ b for gradient gy, on `dev` in dtype d.
std::vector<Tensor> matmul_grads(const Tensor& a0, const Tensor& b0, const Tensor& gy0, DType d, Device dev, int la,
                                 int lb) {
  const bool cpu = dev.is_cpu();
  Tensor a = grad_leaf(cpu ? cpu_operand(a0, d) : gpu_operand(a0, d));
  Tensor b = grad_leaf(cpu ? cpu_operand(b0, d) : gpu_operand(b0, d));
  Tensor gy = cpu ? cpu_operand(gy0, d) : gpu_operand(gy0, d);
  Tensor y = matmul(layout(a, la), layout(b, lb));
  y.backward(gy);
  return {y, a.grad(), b.grad()};
}

void check_matmul_backward(DType d) {
  const Tol tol = matmul_tol(d, false);
  uint64_t seed = 300;
  for (const MatmulCase& c : matmul_cases()) {
    const Tensor a0 = random_tensor(c.a, DType::f64, ++seed);
    const Tensor b0 = random_tensor(c.b, DType::f64, ++seed);
    const Tensor probe = matmul(a0, b0);
    const Tensor gy0 = random_tensor(probe.shape(), DType::f64, ++seed);
    for (int la = 0; la < 2; ++la) {
      for (int lb = 0; lb < 2; ++lb) {
        // non_contiguous() of a 1-d operand goes through copy_, which autograd does not track.
        if ((la == 1 && c.a.size() < 2) || (lb == 1 && c.b.size() < 2)) continue;
        const auto ref = matmul_grads(a0, b0, gy0, d, Device::cpu(), la, lb);
        const auto got = matmul_grads(a0, b0, gy0, d, gpu(), la, lb);
        const std::string what = "matmul backward " + name(d) + " " + shape_str(c.a) + " @ " + shape_str(c.b) +
                                 " layouts " + std::to_string(la) + "," + std::to_string(lb);
        EXPECT_TRUE(close(widen(got[0]), ref[0], tol, what + " (out)"));
        EXPECT_TRUE(close(widen(got[1]), ref[1], tol, what + " (grad a)"));
        EXPECT_TRUE(close(widen(got[2]), ref[2], tol, what + " (grad b)"));
      }
    }
  }
}

}  // namespace

TEST(CudaMatmul, ForwardF32) {
  SKIP_WITHOUT_CUDA();
  check_matmul(DType::f32, false);
}

TEST(CudaMatmul, ForwardF32Tf32) {
  SKIP_WITHOUT_CUDA();
  check_matmul(DType::f32, true);
}

TEST(CudaMatmul, ForwardF64) {
  SKIP_WITHOUT_CUDA();
  check_matmul(DType::f64, false);
}

TEST(CudaMatmul, ForwardF16) {
  SKIP_WITHOUT_CUDA();
  check_matmul(DType::f16, false);
}

TEST(CudaMatmul, ForwardBF16) {
  SKIP_WITHOUT_CUDA();
  check_matmul(DType::bf16, false);
}

TEST(CudaMatmul, Backward) {
  SKIP_WITHOUT_CUDA();
  for (DType d : kAllFloat) check_matmul_backward(d);
}

TEST(CudaMatmul, EmptyContractionGivesZeros) {
  SKIP_WITHOUT_CUDA();
  Tensor a = zeros({3, 0}, DType::f32, gpu());
  Tensor b = zeros({0, 4}, DType::f32, gpu());
  EXPECT_TRUE(close(matmul(a, b), zeros({3, 4}), "matmul K = 0"));
}

TEST(CudaLinear, ForwardAndBackward) {
  SKIP_WITHOUT_CUDA();
  struct Case {
    Shape x;
    int64_t in, out;
  };
  const Case cases[] = {{{1, 1}, 1, 1}, {{7, 13}, 13, 5}, {{2, 3, 13}, 13, 17}, {{13}, 13, 4}, {{65, 64}, 64, 33}};
  uint64_t seed = 500;
  for (DType d : kAllFloat) {
    const Tol tol = matmul_tol(d, false);
    for (const Case& c : cases) {
      for (bool with_bias : {false, true}) {
        const Tensor x0 = random_tensor(c.x, DType::f64, ++seed);
        const Tensor w0 = random_tensor({c.out, c.in}, DType::f64, ++seed);
        const Tensor b0 = random_tensor({c.out}, DType::f64, ++seed);
        Shape ys = c.x;
        ys.back() = c.out;
        const Tensor gy0 = random_tensor(ys, DType::f64, ++seed);
        auto run = [&](Device dev) {
          auto put = [&](const Tensor& t) { return dev.is_cpu() ? cpu_operand(t, d) : gpu_operand(t, d); };
          Tensor x = grad_leaf(put(x0));
          Tensor w = grad_leaf(put(w0));
          Tensor b = with_bias ? grad_leaf(put(b0)) : Tensor();
          Tensor y = linear(x, w, b);
          y.backward(put(gy0));
          return std::vector<Tensor>{y, x.grad(), w.grad(), with_bias ? b.grad() : Tensor()};
        };
        const auto ref = run(Device::cpu());
        const auto got = run(gpu());
        const std::string what = "linear " + name(d) + " x " + shape_str(c.x) + " -> " + std::to_string(c.out) +
                                 (with_bias ? " with bias" : "");
        EXPECT_TRUE(close(widen(got[0]), ref[0], tol, what + " (out)"));
        EXPECT_TRUE(close(widen(got[1]), ref[1], tol, what + " (grad x)"));
        EXPECT_TRUE(close(widen(got[2]), ref[2], tol, what + " (grad weight)"));
        if (with_bias) EXPECT_TRUE(close(widen(got[3]), ref[3], tol, what + " (grad bias)"));
      }
    }
  }
}

// b shared by the batch while a's rows are views into wider storage: the batch folds into
// one GEMM only when a's rows are evenly spaced across batch entries (row stride * M ==
// batch stride); otherwise it must stay a strided batched GEMM. Both must give the CPU's
// result, with and without a bias (linear), for every a layout that keeps unit stride.
TEST(CudaMatmul, BroadcastWeightWithStridedRows) {
  SKIP_WITHOUT_CUDA();
  const Tensor w0 = random_tensor({9, 6}, DType::f64, 901);
  const Tensor bias0 = random_tensor({6}, DType::f64, 902);
  const Tensor big0 = random_tensor({4, 7, 13}, DType::f64, 903);
  struct View {
    const char* what;
    std::function<Tensor(const Tensor&)> take;
  };
  const View views[] = {
      {"rows evenly spaced (folds, lda 13)", [](const Tensor& t) { return t.narrow(2, 2, 9); }},
      {"row subset (batch stride != M * lda)", [](const Tensor& t) { return t.narrow(1, 1, 5).narrow(2, 0, 9); }},
      {"M = 1, batch stride 91 (folds, lda 91)", [](const Tensor& t) { return t.narrow(1, 3, 1).narrow(2, 4, 9); }},
      {"column-major rows", [](const Tensor& t) { return t.transpose(1, 2).contiguous().transpose(1, 2).narrow(2, 0, 9); }},
  };
  for (DType d : kAllFloat) {
    const Tol tol = matmul_tol(d, false);
    for (const View& v : views) {
      const Tensor ref = matmul(v.take(cpu_operand(big0, d)), cpu_operand(w0, d));
      const Tensor got = matmul(v.take(gpu_operand(big0, d)), gpu_operand(w0, d));
      EXPECT_TRUE(close(widen(got), ref, tol, std::string("matmul ") + name(d) + " " + v.what));
      // linear: x [.., 9] @ w.t() + bias, the weight stored [out, in] (column-major operand).
      const Tensor wt_cpu = cpu_operand(w0, d).t().contiguous();
      const Tensor wt_gpu = gpu_operand(w0, d).t().contiguous();
      const Tensor lref = linear(v.take(cpu_operand(big0, d)), wt_cpu, cpu_operand(bias0, d));
      const Tensor lgot = linear(v.take(gpu_operand(big0, d)), wt_gpu, gpu_operand(bias0, d));
      EXPECT_TRUE(close(widen(lgot), lref, tol, std::string("linear ") + name(d) + " " + v.what));
    }
  }
}

// A transposed weight (op T) shared by a batch, and a batch of column-major a's (op T on a,
// which never folds).
TEST(CudaMatmul, TransposedOperandsWithBatchBroadcast) {
  SKIP_WITHOUT_CUDA();
  const Tensor a0 = random_tensor({3, 8, 5}, DType::f64, 911);
  const Tensor b0 = random_tensor({7, 5}, DType::f64, 912);
  for (DType d : kAllFloat) {
    const Tol tol = matmul_tol(d, false);
    const Tensor ref = matmul(cpu_operand(a0, d).transpose(1, 2).contiguous().transpose(1, 2),
                              cpu_operand(b0, d).t());
    const Tensor got = matmul(gpu_operand(a0, d).transpose(1, 2).contiguous().transpose(1, 2),
                              gpu_operand(b0, d).t());
    EXPECT_TRUE(close(widen(got), ref, tol, std::string("matmul op T/T ") + name(d)));
  }
}
