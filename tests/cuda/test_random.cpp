// Random draws: the CUDA kernels compute the same function of (seed, counter, index) as the
// CPU ones (core/philox.h), so a seed gives the same tensor on both devices: bit for bit
// for uniform, bernoulli and randint; normal within an ulp or two, since Box-Muller uses
// the device's log and cos. RandomGolden pins CPU values and runs without a GPU.
#include <cstring>
#include <string>

#include "cuda/parity.h"

namespace ember::testing {
namespace {

::testing::AssertionResult same_bits(const Tensor& cuda, const Tensor& cpu, const std::string& what) {
  if (!cuda.device().is_cuda()) return ::testing::AssertionFailure() << what << ": result is on " << cuda.device().str();
  Tensor a = cuda.cpu().contiguous(), b = cpu.contiguous();
  if (a.shape() != b.shape() || a.dtype() != b.dtype())
    return ::testing::AssertionFailure() << what << ": shape/dtype " << shape_str(a.shape()) << " "
                                         << dtype_name(a.dtype()) << " vs " << shape_str(b.shape()) << " "
                                         << dtype_name(b.dtype());
  const size_t elem = dtype_size(a.dtype());
  const auto* pa = static_cast<const unsigned char*>(a.raw_data());
  const auto* pb = static_cast<const unsigned char*>(b.raw_data());
  for (int64_t i = 0; i < a.numel(); ++i)
    if (std::memcmp(pa + i * elem, pb + i * elem, elem) != 0)
      return ::testing::AssertionFailure() << what << ": element " << i << " of " << a.numel() << " differs ("
                                           << a.reshape({-1}).to(DType::f64).to_vector<double>()[i] << " on CUDA, "
                                           << b.reshape({-1}).to(DType::f64).to_vector<double>()[i] << " on the CPU)";
  return ::testing::AssertionSuccess();
}

const DType kFloats[] = {DType::f32, DType::f64, DType::f16, DType::bf16};
const int64_t kSizes[] = {1, 2, 7, 1000, 70001};

std::string name(const char* op, DType d, int64_t n) { return fmt::format("{} {} n={}", op, d, n); }

TEST(RandomGolden, CpuValuesArePinned) {
  // Values of the host generator before the draws moved into kernels; the CUDA kernels
  // must give the same ones.
  Generator g(42);
  EXPECT_EQ(rand({5}, DType::f32, Device::cpu(), &g).to_vector<float>(),
            (std::vector<float>{0.612959862f, 0.0732316971f, 0.987718642f, 0.513906121f, 0.825866818f}));
  const std::vector<double> n = randn({5}, DType::f64, Device::cpu(), &g).to_vector<double>();
  const double expect_n[] = {-1.3847915069807142, -0.39231718140509897, 0.82398762204017728, -0.70875753091831251,
                             0.79432427962845586};
  for (int i = 0; i < 5; ++i) EXPECT_NEAR(n[i], expect_n[i], 1e-15) << i;
  EXPECT_EQ(randint(-5, 1000, {5}, DType::i64, Device::cpu(), &g).to_vector<int64_t>(),
            (std::vector<int64_t>{219, 458, 951, 707, 72}));
  EXPECT_EQ(bernoulli({12}, 0.5, DType::f32, Device::cpu(), &g).to_vector<float>(),
            (std::vector<float>{1, 0, 1, 0, 0, 0, 0, 1, 1, 0, 0, 0}));
  EXPECT_EQ(rand({3}, DType::f64, Device::cpu(), &g).to_vector<double>(),
            (std::vector<double>{0.32806167382731677, 0.95014448740114421, 0.339967571414592}));
  EXPECT_EQ(g.offset(), 21u);
}

TEST(RandomParity, UniformIsBitIdentical) {
  SKIP_WITHOUT_CUDA();
  for (DType d : kFloats) {
    for (int64_t n : kSizes) {
      Generator a(1234), b(1234);
      a.reserve(3);  // an odd first counter
      b.reserve(3);
      Tensor cpu = rand({n}, d, Device::cpu(), &a);
      Tensor cuda = rand({n}, d, gpu(), &b);
      EXPECT_TRUE(same_bits(cuda, cpu, name("rand", d, n)));
      EXPECT_EQ(a.offset(), b.offset());
      // The next draw continues from the same counter on both devices.
      EXPECT_TRUE(same_bits(rand({3, n}, d, gpu(), &b), rand({3, n}, d, Device::cpu(), &a), name("rand 2-d", d, n)));
    }
  }
}

TEST(RandomParity, NormalMatches) {
  SKIP_WITHOUT_CUDA();
  for (DType d : kFloats) {
    for (int64_t n : kSizes) {
      Generator a(99), b(99);
      Tensor cpu = randn({n}, d, Device::cpu(), &a);
      Tensor cuda = randn({n}, d, gpu(), &b);
      // Only the last bit of the device's f64 log/cos may differ; after rounding to f32 or
      // narrower almost every value is the same.
      const Tol tol = d == DType::f64 ? Tol{1e-14, 1e-14} : parity_tol(d);
      EXPECT_TRUE(close(cuda, cpu, tol, name("randn", d, n)));
      EXPECT_EQ(a.offset(), b.offset());
    }
  }
}

TEST(RandomParity, RandintIsBitIdentical) {
  SKIP_WITHOUT_CUDA();
  for (DType d : {DType::i64, DType::i32, DType::u8, DType::f32, DType::f64, DType::boolean}) {
    for (int64_t n : kSizes) {
      Generator a(7), b(7);
      EXPECT_TRUE(same_bits(randint(0, 100, {n}, d, gpu(), &b), randint(0, 100, {n}, d, Device::cpu(), &a),
                            name("randint", d, n)));
      if (d == DType::i64)
        EXPECT_TRUE(same_bits(randint(-(int64_t{1} << 40), int64_t{1} << 41, {n}, d, gpu(), &b),
                              randint(-(int64_t{1} << 40), int64_t{1} << 41, {n}, d, Device::cpu(), &a),
                              name("randint wide", d, n)));
      EXPECT_EQ(a.offset(), b.offset());
    }
  }
}

TEST(RandomParity, BernoulliIsBitIdentical) {
  SKIP_WITHOUT_CUDA();
  for (DType d : {DType::f32, DType::f64, DType::f16, DType::bf16, DType::u8, DType::boolean}) {
    for (int64_t n : kSizes) {
      Generator a(5), b(5);
      EXPECT_TRUE(same_bits(bernoulli({n}, 0.3, d, gpu(), &b), bernoulli({n}, 0.3, d, Device::cpu(), &a),
                            name("bernoulli", d, n)));
      EXPECT_EQ(a.offset(), b.offset());
    }
  }
  // Per-element probabilities, contiguous and strided, in each floating dtype.
  for (DType d : kFloats) {
    for (const Shape& s : parity_shapes()) {
      Generator pg(11);
      Tensor p = rand(s, d, Device::cpu(), &pg);
      for (const Tensor& probs : {p, non_contiguous(p)}) {
        Generator a(21), b(21);
        EXPECT_TRUE(same_bits(bernoulli(probs.to(gpu()), &b), bernoulli(probs, &a),
                              fmt::format("bernoulli(p) {} {}", d, shape_str(s))));
        Tensor strided_gpu = non_contiguous(p.to(gpu()));
        Generator c(21), e(21);
        EXPECT_TRUE(same_bits(bernoulli(strided_gpu, &c), bernoulli(p, &e),
                              fmt::format("bernoulli(strided p on the GPU) {} {}", d, shape_str(s))));
      }
    }
  }
  EXPECT_THROW(bernoulli(full({3}, 1.5, DType::f32, gpu())), ValueError);
}

TEST(RandomParity, EmptyDrawsReserveNothing) {
  SKIP_WITHOUT_CUDA();
  Generator a(3), b(3);
  EXPECT_EQ(rand({0}, DType::f32, gpu(), &b).numel(), 0);
  EXPECT_EQ(rand({0}, DType::f32, Device::cpu(), &a).numel(), 0);
  EXPECT_EQ(a.offset(), b.offset());
}

TEST(RandomParity, DropoutMatchesCpu) {
  SKIP_WITHOUT_CUDA();
  for (DType d : kFloats) {
    for (const Shape& s : parity_shapes()) {
      Tensor x = random_tensor(s, d, 17);
      Tensor xc = x.clone().requires_grad_(true);
      Tensor xg = x.to(gpu()).requires_grad_(true);
      Generator a(8), b(8);
      Tensor yc = dropout(xc, 0.35, true, &a);
      Tensor yg = dropout(xg, 0.35, true, &b);
      const std::string what = fmt::format("dropout {} {}", d, shape_str(s));
      EXPECT_TRUE(close(yg, yc, what));
      // The same elements are dropped on both devices.
      EXPECT_TRUE(same_bits(eq(yg, 0.0), eq(yc, 0.0), what + " mask"));
      Tensor gy = random_tensor(s, d, 18);
      sum(yc * gy).backward();
      sum(yg * gy.to(gpu())).backward();
      EXPECT_TRUE(close(xg.grad(), xc.grad(), what + " grad"));
    }
  }
}

TEST(RandomParity, DefaultGeneratorSameStream) {
  SKIP_WITHOUT_CUDA();
  manual_seed(2024);
  Tensor cpu = rand({100}, DType::f32, Device::cpu());
  manual_seed(2024);
  Tensor cuda = rand({100}, DType::f32, gpu());
  EXPECT_TRUE(same_bits(cuda, cpu, "rand with the default generator"));
}

}  // namespace
}  // namespace ember::testing
