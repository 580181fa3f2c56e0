// cuDNN convolution against the CPU kernel: forward and both backward passes through the
// public conv2d op and the nn::Conv2d layer. The CPU convolves f32 and f64 only, so the
// CUDA f16/bf16 results are checked against the CPU f32 result on the same rounded inputs.
#include <ember/layers/conv.h>

#include "cuda/parity.h"

using namespace ember;
using namespace ember::testing;

namespace {

std::string name(DType d) { return std::string(dtype_name(d)); }

// Reductions of up to a few hundred terms of size ~1, in another order than the CPU's, and
// cuDNN may pick Winograd or FFT algorithms, which round differently again.
Tol conv_tol(DType d) {
  switch (d) {
    case DType::f64: return {1e-8, 1e-8};
    case DType::f32: return {1e-3, 1e-3};
    case DType::f16: return {5e-2, 1e-2};
    default: return {1e-1, 3e-2};  // bf16
  }
}

struct ConvCase {
  const char* what;
  Shape x, w;
  Conv2dOptions opt;
};

std::vector<ConvCase> conv_cases() {
  return {
      {"stride 2", {2, 3, 9, 11}, {4, 3, 3, 3}, {.stride = {2, 2}}},
      {"padding 1", {2, 3, 8, 8}, {5, 3, 3, 3}, {.padding = {1, 1}}},
      {"dilation 2", {1, 2, 11, 9}, {3, 2, 3, 3}, {.dilation = {2, 2}}},
      {"groups 2", {2, 4, 7, 7}, {6, 2, 3, 3}, {.padding = {1, 1}, .groups = 2}},
      {"groups 4", {2, 8, 6, 5}, {8, 2, 3, 3}, {.groups = 4}},
      {"depthwise", {2, 6, 9, 9}, {6, 1, 3, 3}, {.padding = {1, 1}, .groups = 6}},
      {"1x1", {3, 5, 4, 6}, {7, 5, 1, 1}, {}},
      {"7x7 stride 2 (stem)", {2, 3, 32, 32}, {8, 3, 7, 7}, {.stride = {2, 2}, .padding = {3, 3}}},
      {"odd spatial, mixed options",
       {1, 3, 13, 17},
       {4, 3, 5, 3},
       {.stride = {2, 1}, .padding = {2, 1}, .dilation = {1, 2}}},
      {"single pixel output", {2, 4, 3, 3}, {2, 4, 3, 3}, {}},
  };
}

// The CPU operand for a CUDA one of dtype d: f16/bf16 values rounded, then widened to f32.
Tensor on_cpu(const Tensor& x, DType d) { return is_half(d) ? x.to(d).to(DType::f32) : x.to(d); }
Tensor on_gpu(const Tensor& x, DType d) { return x.to(d).to(gpu()); }
Tensor widen(const Tensor& t) { return is_half(t.dtype()) ? t.to(DType::f32) : t; }

struct ConvResult {
  Tensor y, gx, gw, gb;
};

ConvResult run_conv(const ConvCase& c, const Tensor& x0, const Tensor& w0, const Tensor& b0, const Tensor& gy0,
                    DType d, Device dev) {
  auto put = [&](const Tensor& t) { return dev.is_cpu() ? on_cpu(t, d) : on_gpu(t, d); };
  Tensor x = grad_leaf(put(x0));
  Tensor w = grad_leaf(put(w0));
  Tensor b = b0.defined() ? grad_leaf(put(b0)) : Tensor();
  Tensor y = conv2d(x, w, b, c.opt);
  y.backward(put(gy0));
  return {y, x.grad(), w.grad(), b.defined() ? b.grad() : Tensor()};
}

void check_conv(DType d, Tol tol, bool tf32 = false) {
  Tf32Guard guard(tf32);
  uint64_t seed = 700;
  for (const ConvCase& c : conv_cases()) {
    for (bool with_bias : {true, false}) {
      const Tensor x0 = random_tensor(c.x, DType::f64, ++seed);
      const Tensor w0 = random_tensor(c.w, DType::f64, ++seed);
      const Tensor b0 = with_bias ? random_tensor({c.w[0]}, DType::f64, ++seed) : Tensor();
      const Shape ys = conv2d(x0, w0, Tensor(), c.opt).shape();
      const Tensor gy0 = random_tensor(ys, DType::f64, ++seed);
      const ConvResult ref = run_conv(c, x0, w0, b0, gy0, d, Device::cpu());
      const ConvResult got = run_conv(c, x0, w0, b0, gy0, d, gpu());
      const std::string what = std::string("conv2d ") + c.what + " " + name(d) + (with_bias ? " with bias" : "") +
                               (tf32 ? " tf32" : "") + " x " + shape_str(c.x) + " w " + shape_str(c.w);
      EXPECT_TRUE(close(widen(got.y), ref.y, tol, what + " (out)"));
      EXPECT_TRUE(close(widen(got.gx), ref.gx, tol, what + " (grad x)"));
      EXPECT_TRUE(close(widen(got.gw), ref.gw, tol, what + " (grad weight)"));
      if (with_bias) EXPECT_TRUE(close(widen(got.gb), ref.gb, tol, what + " (grad bias)"));
    }
  }
}

}  // namespace

TEST(CudaConv, F32) {
  SKIP_WITHOUT_CUDA();
  check_conv(DType::f32, conv_tol(DType::f32));
}

TEST(CudaConv, F32Tf32) {
  SKIP_WITHOUT_CUDA();
  check_conv(DType::f32, {5e-2, 1e-2}, true);
}

TEST(CudaConv, F64) {
  SKIP_WITHOUT_CUDA();
  check_conv(DType::f64, conv_tol(DType::f64));
}

TEST(CudaConv, F16) {
  SKIP_WITHOUT_CUDA();
  check_conv(DType::f16, conv_tol(DType::f16));
}

TEST(CudaConv, BF16) {
  SKIP_WITHOUT_CUDA();
  check_conv(DType::bf16, conv_tol(DType::bf16));
}

// The same geometry twice: the second call takes the cached algorithm and must agree.
TEST(CudaConv, CachedAlgorithmGivesSameResult) {
  SKIP_WITHOUT_CUDA();
  const Tensor x = random_tensor({4, 8, 16, 16}, DType::f32, 1).to(gpu());
  const Tensor w = random_tensor({16, 8, 3, 3}, DType::f32, 2).to(gpu());
  const Tensor first = conv2d(x, w, Tensor(), {.padding = {1, 1}});
  const Tensor second = conv2d(x, w, Tensor(), {.padding = {1, 1}});
  EXPECT_TRUE(close(second, first.cpu(), {0.0, 0.0}, "conv2d second call"));
}

TEST(CudaConv, Conv2dLayer) {
  SKIP_WITHOUT_CUDA();
  for (bool with_bias : {true, false}) {
    Generator g1(42), g2(42);
    nn::Conv2d cpu_layer(3, 8, 3, {.stride = {2, 2}, .padding = {1, 1}}, with_bias, &g1);
    nn::Conv2d gpu_layer(3, 8, 3, {.stride = {2, 2}, .padding = {1, 1}}, with_bias, &g2);
    gpu_layer.to(gpu());
    const Tensor x0 = random_tensor({2, 3, 15, 15}, DType::f32, 9);
    Tensor xc = x0.clone().requires_grad_();
    Tensor xg = x0.to(gpu()).requires_grad_();
    Tensor yc = cpu_layer(xc);
    Tensor yg = gpu_layer(xg);
    const Tensor gy = random_tensor(yc.shape(), DType::f32, 10);
    yc.backward(gy);
    yg.backward(gy.to(gpu()));
    const Tol tol = conv_tol(DType::f32);
    const std::string what = std::string("nn::Conv2d") + (with_bias ? " with bias" : "");
    EXPECT_TRUE(close(yg, yc, tol, what + " (out)"));
    EXPECT_TRUE(close(xg.grad(), xc.grad(), tol, what + " (grad x)"));
    EXPECT_TRUE(close(gpu_layer.weight.grad(), cpu_layer.weight.grad(), tol, what + " (grad weight)"));
    if (with_bias) EXPECT_TRUE(close(gpu_layer.bias.grad(), cpu_layer.bias.grad(), tol, what + " (grad bias)"));
  }
}

// The algorithm search runs every candidate on the real output buffers (it overwrites y, gx
// and gw). Gradients must still come out exact when the first backward pass searches and
// the second hits the cache, and accumulate across the two passes like on the CPU. The
// geometry is used by no other test, so the first pass here is the one that searches.
TEST(CudaConv, SearchThenCachedBackwardAccumulate) {
  SKIP_WITHOUT_CUDA();
  const Conv2dOptions opt{.stride = {1, 2}, .padding = {1, 2}, .dilation = {2, 1}, .groups = 3};
  const Tensor x0 = random_tensor({3, 6, 11, 13}, DType::f64, 801);
  const Tensor w0 = random_tensor({9, 2, 3, 3}, DType::f64, 802);
  const Tensor b0 = random_tensor({9}, DType::f64, 803);
  const Shape ys = conv2d(x0, w0, Tensor(), opt).shape();
  const Tensor gy0 = random_tensor(ys, DType::f64, 804);
  const Tensor gy1 = random_tensor(ys, DType::f64, 805);
  for (DType d : {DType::f32, DType::f64}) {
    auto run = [&](Device dev) {
      auto put = [&](const Tensor& t) { return dev.is_cpu() ? t.to(d) : t.to(d).to(dev); };
      Tensor x = grad_leaf(put(x0));
      Tensor w = grad_leaf(put(w0));
      Tensor b = grad_leaf(put(b0));
      conv2d(x, w, b, opt).backward(put(gy0));
      conv2d(x, w, b, opt).backward(put(gy1));
      return ConvResult{conv2d(x, w, b, opt), x.grad(), w.grad(), b.grad()};
    };
    const ConvResult ref = run(Device::cpu());
    const ConvResult got = run(gpu());
    const Tol tol = conv_tol(d);
    const std::string what = std::string("conv2d search then cache ") + name(d);
    EXPECT_TRUE(close(got.y, ref.y, tol, what + " (out)"));
    EXPECT_TRUE(close(got.gx, ref.gx, tol, what + " (grad x, two passes)"));
    EXPECT_TRUE(close(got.gw, ref.gw, tol, what + " (grad weight, two passes)"));
    EXPECT_TRUE(close(got.gb, ref.gb, tol, what + " (grad bias, two passes)"));
  }
}
