// sort / argsort / topk (stable, NaN last) and selection by mask (nonzero, masked_select,
// index), with gradchecks through the values.
#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "testing/gradcheck.h"

using namespace ember;
using ember::testing::randn64;
using V = std::vector<Tensor>;

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
}  // namespace

TEST(Sort, StableAscendingAndDescendingWithNaN) {
  const Tensor x = from_vector<double>({3, 1, kNaN, 1, -2, 3}, {6});
  auto s = sort(x);
  EXPECT_EQ(s.indices.to_vector<int64_t>(), (std::vector<int64_t>{4, 1, 3, 0, 5, 2}));  // ties keep order, NaN last
  const std::vector<double> v = s.values.to_vector<double>();
  EXPECT_EQ(std::vector<double>(v.begin(), v.end() - 1), (std::vector<double>{-2, 1, 1, 3, 3}));
  EXPECT_TRUE(std::isnan(v.back()));
  EXPECT_EQ(argsort(x, 0, true).to_vector<int64_t>(), (std::vector<int64_t>{2, 0, 5, 1, 3, 4}));  // NaN first
  for (DType d : {DType::f32, DType::f16, DType::bf16, DType::i32, DType::i64, DType::u8}) {
    const Tensor y = from_vector<double>({5, 0, 7, 2}, {4}).to(d);
    EXPECT_EQ(argsort(y).to_vector<int64_t>(), (std::vector<int64_t>{1, 3, 0, 2})) << dtype_name(d);
  }
  EXPECT_THROW(argsort(zeros({3}, DType::boolean)), DTypeError);
}

TEST(Sort, AlongAnyDimAndTopk) {
  const Tensor x = from_vector<float>({4, 9, 1, 7, 2, 8}, {2, 3});
  EXPECT_EQ(sort(x, 0).values.to_vector<float>(), (std::vector<float>{4, 2, 1, 7, 9, 8}));
  EXPECT_EQ(sort(x, 1, true).indices.to_vector<int64_t>(), (std::vector<int64_t>{1, 0, 2, 2, 0, 1}));
  auto t = topk(x, 2);
  EXPECT_EQ(t.values.shape(), (Shape{2, 2}));
  EXPECT_EQ(t.values.to_vector<float>(), (std::vector<float>{9, 4, 8, 7}));
  EXPECT_EQ(t.indices.to_vector<int64_t>(), (std::vector<int64_t>{1, 0, 2, 0}));
  EXPECT_EQ(topk(x, 1, 0, false).values.to_vector<float>(), (std::vector<float>{4, 2, 1}));
  EXPECT_EQ(topk(x, 0).values.shape(), (Shape{2, 0}));
  EXPECT_THROW(topk(x, 4), ValueError);
  EXPECT_THROW(sort(x, 2), IndexError);
  EXPECT_EQ(sort(zeros({0, 3}), 0).values.shape(), (Shape{0, 3}));
}

TEST(Sort, Gradcheck) {
  EXPECT_GRADCHECK([](const V& v) { return sort(v[0], 1).values; }, {randn64({3, 5}, 1)});
  EXPECT_GRADCHECK([](const V& v) { return topk(v[0], 2, 0).values; }, {randn64({4, 3}, 2)});
}

TEST(Masked, NonzeroSelectAndIndex) {
  const Tensor x = from_vector<float>({0, 2, 0, 4, 5, 0}, {2, 3});
  EXPECT_EQ(nonzero(x).shape(), (Shape{3, 2}));
  EXPECT_EQ(nonzero(x).to_vector<int64_t>(), (std::vector<int64_t>{0, 1, 1, 0, 1, 1}));
  EXPECT_EQ(nonzero(zeros({4})).shape(), (Shape{0, 1}));
  const Tensor mask = gt(x, 1.0);
  EXPECT_EQ(masked_select(x, mask).to_vector<float>(), (std::vector<float>{2, 4, 5}));
  // A mask broadcast over rows.
  const Tensor cols = from_vector_bool({true, false, true}, {3});
  EXPECT_EQ(masked_select(x, cols).to_vector<float>(), (std::vector<float>{0, 0, 4, 0}));
  const Tensor rows = from_vector_bool({false, true}, {2});
  EXPECT_EQ(index(x, rows).shape(), (Shape{1, 3}));
  EXPECT_EQ(index(x, rows).to_vector<float>(), (std::vector<float>{4, 5, 0}));
  EXPECT_EQ(index(x, mask).to_vector<float>(), (std::vector<float>{2, 4, 5}));
  EXPECT_THROW(index(x, from_vector_bool({true, false, true}, {3})), ShapeError);
  EXPECT_THROW(masked_select(x, x), DTypeError);
}

TEST(Masked, Gradcheck) {
  const Tensor mask = from_vector_bool({true, false, true, true, false, false}, {2, 3});
  EXPECT_GRADCHECK([&](const V& v) { return masked_select(v[0], mask); }, {randn64({2, 3}, 3)});
  EXPECT_GRADCHECK([&](const V& v) { return index(v[0], from_vector_bool({false, true}, {2})); },
                   {randn64({2, 3}, 4)});
}
