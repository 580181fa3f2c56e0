// argsort / sort / topk and the mask ops on CUDA against the CPU: the same stable order
// (ties by index, NaN last or first), in every key dtype.
#include <limits>

#include "cuda/parity.h"

using namespace ember;
using ember::testing::gpu;

TEST(SortParity, ArgsortEveryDtypeWithTiesAndNaN) {
  SKIP_WITHOUT_CUDA();
  for (DType d : {DType::f32, DType::f64, DType::f16, DType::bf16, DType::i32, DType::i64, DType::u8}) {
    for (const Shape& s : {Shape{1}, Shape{37}, Shape{5, 300}, Shape{3, 4, 65}, Shape{2000, 3}}) {
      // Few distinct values, so that ties are common and stability is tested.
      Tensor x = ember::testing::random_tensor(s, d, 7, 0, 9);
      if (is_floating(d) && x.numel() > 4) {
        x.reshape({x.numel()}).narrow(0, 1, 1).fill_(std::numeric_limits<double>::quiet_NaN());
        x.reshape({x.numel()}).narrow(0, 3, 1).fill_(-std::numeric_limits<double>::quiet_NaN());
      }
      for (int64_t dim = 0; dim < static_cast<int64_t>(s.size()); ++dim)
        for (bool desc : {false, true}) {
          EXPECT_EQ(argsort(x.to(gpu()), dim, desc).cpu().to_vector<int64_t>(), argsort(x, dim, desc).to_vector<int64_t>())
              << dtype_name(d) << " " << shape_str(s) << " dim " << dim << (desc ? " descending" : "");
        }
    }
  }
}

TEST(SortParity, TopkAndMasks) {
  SKIP_WITHOUT_CUDA();
  const Tensor x = ember::testing::random_tensor({16, 50}, DType::f32, 8);
  auto g = topk(x.to(gpu()), 5, 1);
  auto c = topk(x, 5, 1);
  EXPECT_TRUE(ember::testing::close(g.values, c.values, "topk values"));
  EXPECT_EQ(g.indices.cpu().to_vector<int64_t>(), c.indices.to_vector<int64_t>());
  const Tensor m = gt(x, 0.5);
  EXPECT_EQ(nonzero(m.to(gpu())).cpu().to_vector<int64_t>(), nonzero(m).to_vector<int64_t>());
  EXPECT_TRUE(ember::testing::close(masked_select(x.to(gpu()), m.to(gpu())), masked_select(x, m), "masked_select"));
}
