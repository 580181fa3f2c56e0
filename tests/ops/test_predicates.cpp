// isnan / isinf / isfinite, argmax over all elements, randperm, the thread-count setters.
#include <cmath>
#include <limits>
#include <set>

#include <gtest/gtest.h>

#include <ember/ember.h>

using namespace ember;

namespace {
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
std::vector<bool> bools(const Tensor& t) {
  std::vector<bool> out;
  for (uint8_t v : t.to(DType::u8).to_vector<uint8_t>()) out.push_back(v != 0);
  return out;
}
}  // namespace

TEST(Predicates, NanInfFinite) {
  for (DType d : {DType::f32, DType::f64, DType::f16, DType::bf16}) {
    const Tensor x = from_vector<double>({1.5, kNaN, kInf, -kInf, 0.0, -2.0}, {2, 3}).to(d);
    EXPECT_EQ(bools(isnan(x)), (std::vector<bool>{false, true, false, false, false, false})) << dtype_name(d);
    EXPECT_EQ(bools(isinf(x)), (std::vector<bool>{false, false, true, true, false, false})) << dtype_name(d);
    EXPECT_EQ(bools(isfinite(x)), (std::vector<bool>{true, false, false, false, true, true})) << dtype_name(d);
    EXPECT_EQ(isnan(x).shape(), (Shape{2, 3}));
    EXPECT_EQ(isnan(x).dtype(), DType::boolean);
  }
  const Tensor i = from_vector<int64_t>({1, -3}, {2});
  EXPECT_EQ(bools(isnan(i)), (std::vector<bool>{false, false}));
  EXPECT_EQ(bools(isinf(i)), (std::vector<bool>{false, false}));
  EXPECT_EQ(bools(isfinite(i)), (std::vector<bool>{true, true}));
  // No gradient flows through a test, and asking for one on a leaf leaves it alone.
  Tensor p = randn({3}).requires_grad_();
  EXPECT_FALSE(isnan(p).requires_grad());
  EXPECT_THROW(isnan(Tensor()), ValueError);
}

TEST(Predicates, ArgmaxOfAll) {
  const Tensor x = from_vector<float>({3, 9, -1, 9, 2, -7}, {2, 3});
  EXPECT_EQ(argmax(x).item<int64_t>(), 1);  // first of the tied maxima, row-major
  EXPECT_EQ(argmin(x).item<int64_t>(), 5);
  EXPECT_EQ(argmax(x).dim(), 0);
  EXPECT_EQ(argmax(x.t()).item<int64_t>(), 1);  // in the view's own order: 3, 9, 9, 2, -1, -7
  EXPECT_EQ(argmin(x.t()).item<int64_t>(), 5);
  EXPECT_THROW(argmax(Tensor()), ValueError);
}

TEST(Randperm, IsAPermutationAndReproducible) {
  Generator g1(7), g2(7);
  const Tensor a = randperm(1000, DType::i64, Device::cpu(), &g1);
  const Tensor b = randperm(1000, DType::i64, Device::cpu(), &g2);
  EXPECT_EQ(a.to_vector<int64_t>(), b.to_vector<int64_t>());
  std::set<int64_t> seen;
  for (int64_t v : a.to_vector<int64_t>()) seen.insert(v);
  EXPECT_EQ(seen.size(), 1000u);
  EXPECT_EQ(*seen.begin(), 0);
  EXPECT_EQ(*seen.rbegin(), 999);
  EXPECT_NE(a.to_vector<int64_t>(), arange(0, 1000, 1, DType::i64).to_vector<int64_t>());
  EXPECT_EQ(g1.offset(), 1000u);  // n counters reserved, so the next draw differs
  EXPECT_NE(randperm(1000, DType::i64, Device::cpu(), &g1).to_vector<int64_t>(), a.to_vector<int64_t>());
  EXPECT_EQ(randperm(0).numel(), 0);
  EXPECT_EQ(randperm(5, DType::f32).dtype(), DType::f32);
  EXPECT_THROW(randperm(-1), ValueError);
  EXPECT_THROW(randperm(300, DType::u8), ValueError);
  EXPECT_THROW(randperm(3, DType::boolean), DTypeError);
}

TEST(Runtime, ThreadCount) {
  const int before = get_num_threads();
  set_num_threads(1);
  EXPECT_EQ(get_num_threads(), 1);
  set_num_threads(before);
  EXPECT_EQ(get_num_threads(), before);
  EXPECT_THROW(set_num_threads(0), ValueError);
}
