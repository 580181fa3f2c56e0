// CPU/CUDA parity of batch_norm: training (batch statistics, running buffers updated the
// same way) and eval (running statistics), with and without affine parameters, the
// gradients of x, weight and bias in both modes, over [N, C] and [N, C, H, W] inputs with
// C = 1, S = 1, odd sizes, a large mean against the spread, and channels large enough to
// be split over many blocks (at row boundaries and inside rows); then the BatchNorm2d
// layer over two steps.
#include <ember/core/dispatch.h>
#include <ember/layers/layers.h>

#include <cmath>
#include <string>
#include <vector>

#include "cuda/parity.h"

using namespace ember;
using namespace ember::testing;

namespace {

const std::vector<DType> kFloat = {DType::f32, DType::f64, DType::f16, DType::bf16};

std::vector<Shape> bn_shapes() {
  return {{2, 1},       {5, 3},        {64, 7},        {2, 3, 5, 7},   {1, 1, 3, 3},
          {3, 4, 1, 1}, {7, 2, 9, 11}, {16, 5, 33, 1},
          {32, 3, 64, 64},   // many blocks per channel, each a whole number of rows
          {37, 2, 41, 43}};  // many blocks per channel, split mid-row (S = 1763)
}

std::string what(const char* step, DType d, const Shape& s, bool training, bool affine) {
  return std::string(step) + " " + std::string(dtype_name(d)) + " " + shape_str(s) + (training ? " train" : " eval") +
         (affine ? " affine" : "");
}

// The leaves of one batch_norm call on one device.
struct BnCall {
  Tensor x, w, b, rm, rv, y;
};

BnCall run(const Tensor& x0, const Tensor& w0, const Tensor& b0, const Tensor& rm0, const Tensor& rv0, Device dev,
           bool training, bool affine) {
  BnCall c;
  c.x = x0.to(dev).detach().requires_grad_();
  if (affine) {
    c.w = w0.to(dev).detach().requires_grad_();
    c.b = b0.to(dev).detach().requires_grad_();
  }
  c.rm = rm0.to(dev).clone();
  c.rv = rv0.to(dev).clone();
  c.y = batch_norm(c.x, c.w, c.b, c.rm, c.rv, training, 0.1, 1e-5);
  return c;
}

}  // namespace

TEST(BatchNormParity, TrainAndEval) {
  SKIP_WITHOUT_CUDA();
  uint64_t seed = 1;
  for (DType d : kFloat)
    for (const Shape& s : bn_shapes())
      for (bool training : {true, false})
        for (bool affine : {true, false}) {
          if (d != DType::f32 && s[0] >= 32) continue;  // the big case once is enough
          const int64_t C = s[1];
          Tensor x = random_tensor(s, d, ++seed);
          if (d == DType::f32 || d == DType::f64) x = x * 0.5 + 20.0;  // a mean large against the spread
          Tensor w = random_tensor({C}, d, ++seed), b = random_tensor({C}, d, ++seed);
          Tensor rm = random_tensor({C}, d, ++seed), rv = exp(random_tensor({C}, d, ++seed) * 0.2);
          BnCall cpu = run(x, w, b, rm, rv, Device::cpu(), training, affine);
          BnCall dev = run(x, w, b, rm, rv, gpu(), training, affine);
          ASSERT_TRUE(close(dev.y, cpu.y, what("forward", d, s, training, affine)));
          ASSERT_TRUE(close(dev.rm, cpu.rm, what("running_mean", d, s, training, affine)));
          ASSERT_TRUE(close(dev.rv, cpu.rv, what("running_var", d, s, training, affine)));
          Tensor gy = random_tensor(s, d, ++seed);
          cpu.y.backward(gy);
          dev.y.backward(gy.to(gpu()));
          // gx sums cancel in training: compare against the gradient's own scale
          Tol tol = parity_tol(d);
          if (training) tol.atol *= 10;
          ASSERT_TRUE(close(dev.x.grad(), cpu.x.grad(), tol, what("grad x", d, s, training, affine)));
          if (affine) {
            const double n = static_cast<double>(x.numel() / C);
            const Tol sum_tol{tol.atol * std::sqrt(n), tol.rtol * 4};  // sums over N*S terms
            ASSERT_TRUE(close(dev.w.grad(), cpu.w.grad(), sum_tol, what("grad weight", d, s, training, affine)));
            ASSERT_TRUE(close(dev.b.grad(), cpu.b.grad(), sum_tol, what("grad bias", d, s, training, affine)));
          }
        }
}

TEST(BatchNormParity, NoRunningStatsAndStridedInput) {
  SKIP_WITHOUT_CUDA();
  Tensor base = random_tensor({6, 4, 5, 3}, DType::f32, 77);
  Tensor xc = non_contiguous(base).detach().requires_grad_();
  Tensor xg = non_contiguous(base.to(gpu())).detach().requires_grad_();
  Tensor yc = batch_norm(xc, Tensor(), Tensor(), Tensor(), Tensor(), true);
  Tensor yg = batch_norm(xg, Tensor(), Tensor(), Tensor(), Tensor(), true);
  ASSERT_TRUE(close(yg, yc, "batch_norm strided forward"));
  Tensor gy = random_tensor(yc.shape(), DType::f32, 78);
  yc.backward(gy);
  yg.backward(gy.to(gpu()));
  ASSERT_TRUE(close(xg.grad(), xc.grad(), Tol{1e-4, 1e-4}, "batch_norm strided grad"));
}

TEST(BatchNormParity, Layer) {
  SKIP_WITHOUT_CUDA();
  for (DType d : {DType::f32, DType::f64}) {
    nn::BatchNorm2d cpu(5), dev(5);
    cpu.to(d);
    dev.to(d);
    dev.to(gpu());
    for (int step = 0; step < 2; ++step) {
      Tensor x = random_tensor({4, 5, 7, 6}, d, 900 + step) * 3.0 + 1.0;
      const std::string tag =
          std::string("BatchNorm2d ") + std::string(dtype_name(d)) + " step " + std::to_string(step);
      ASSERT_TRUE(close(dev(x.to(gpu())), cpu(x), tag + " train"));
      ASSERT_TRUE(close(dev.running_mean, cpu.running_mean, tag + " running_mean"));
      ASSERT_TRUE(close(dev.running_var, cpu.running_var, tag + " running_var"));
      EXPECT_EQ(dev.num_batches_tracked.cpu().item<int64_t>(), cpu.num_batches_tracked.item<int64_t>()) << tag;
    }
    cpu.eval();
    dev.eval();
    Tensor x = random_tensor({3, 5, 4, 4}, d, 999);
    ASSERT_TRUE(close(dev(x.to(gpu())), cpu(x), std::string("BatchNorm2d eval ") + std::string(dtype_name(d))));
  }
}

// The kernel itself (not only the front-end) refuses per-channel vectors on another device
// with a DeviceError and a wrong dtype with a DTypeError, before anything runs.
TEST(BatchNormParity, KernelChecksDevicesAndDtypes) {
  SKIP_WITHOUT_CUDA();
  Tensor x = random_tensor({2, 3, 4}, DType::f32, 5).to(gpu());
  Tensor out = empty({2, 3, 4}, DType::f32, gpu());
  Tensor mean = empty({3}, DType::f32, gpu()), invstd = empty({3}, DType::f32, gpu());
  auto bn = get_kernel<OpId::batch_norm>(DeviceType::cuda);
  EXPECT_THROW(bn(x, ones({3}, DType::f32), Tensor(), mean, invstd, out, true, 1e-5), DeviceError);
  EXPECT_THROW(bn(x, ones({3}, DType::f64, gpu()), Tensor(), mean, invstd, out, true, 1e-5), DTypeError);
  EXPECT_NO_THROW(bn(x, ones({3}, DType::f32, gpu()), Tensor(), mean, invstd, out, true, 1e-5));
}
