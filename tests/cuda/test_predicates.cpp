// isnan / isinf / isfinite and argmax of all elements on CUDA against the CPU (they are
// composites of the comparison, unary and reduction kernels), and randperm's values on
// either device.
#include <limits>

#include "cuda/parity.h"

using namespace ember;
using ember::testing::gpu;

TEST(PredicatesParity, NanInfFiniteArgmax) {
  SKIP_WITHOUT_CUDA();
  const double inf = std::numeric_limits<double>::infinity(), nan = std::numeric_limits<double>::quiet_NaN();
  for (DType d : {DType::f32, DType::f64, DType::f16, DType::bf16}) {
    Tensor x = ember::testing::random_tensor({7, 33}, d, 11);
    x.narrow(1, 3, 2).fill_(nan);
    x.narrow(1, 8, 1).fill_(inf);
    x.narrow(1, 9, 1).fill_(-inf);
    const Tensor xg = x.to(gpu());
    EXPECT_EQ(isnan(xg).cpu().to_vector<uint8_t>(), isnan(x).to_vector<uint8_t>()) << dtype_name(d);
    EXPECT_EQ(isinf(xg).cpu().to_vector<uint8_t>(), isinf(x).to_vector<uint8_t>()) << dtype_name(d);
    EXPECT_EQ(isfinite(xg).cpu().to_vector<uint8_t>(), isfinite(x).to_vector<uint8_t>()) << dtype_name(d);
    const Tensor finite = ember::testing::random_tensor({7, 33}, d, 12);
    EXPECT_EQ(argmax(finite.to(gpu())).cpu().item<int64_t>(), argmax(finite).item<int64_t>()) << dtype_name(d);
  }
}

TEST(PredicatesParity, RandpermOnTheGpuHasTheCpuValues) {
  SKIP_WITHOUT_CUDA();
  Generator a(3), b(3);
  EXPECT_EQ(randperm(513, DType::i64, gpu(), &a).cpu().to_vector<int64_t>(),
            randperm(513, DType::i64, Device::cpu(), &b).to_vector<int64_t>());
}
