// The index arithmetic the CUDA kernels run (kernels/common/index_math.h and
// elementwise.h), checked on the CPU against brute force on the geometries real views
// produce: transposed, sliced, broadcast, with size-1 dims and 0-dim; and the integer
// math the CUDA elementwise kernels share (int_pow, int_cast) against the CPU kernels.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include <ember/core/dispatch.h>
#include <ember/ember.h>

#include "kernels/common/elementwise.h"
#include "kernels/common/index_math.h"

using namespace ember;
using kernels::Geometry;

namespace {

Geometry geometry_of(const Tensor& t) {
  Geometry g;
  g.ndim = static_cast<int>(t.dim());
  for (int d = 0; d < g.ndim; ++d) {
    g.shape[d] = t.shape()[d];
    g.strides[d] = t.strides()[d];
  }
  return g;
}

// Offsets of every element in row-major order by walking a multi-index.
std::vector<int64_t> brute_force(const Geometry& g) {
  int64_t n = 1;
  for (int d = 0; d < g.ndim; ++d) n *= g.shape[d];
  std::vector<int64_t> out;
  std::vector<int64_t> idx(static_cast<size_t>(g.ndim), 0);
  for (int64_t i = 0; i < n; ++i) {
    int64_t off = 0;
    for (int d = 0; d < g.ndim; ++d) off += idx[static_cast<size_t>(d)] * g.strides[d];
    out.push_back(off);
    for (int d = g.ndim - 1; d >= 0; --d) {
      if (++idx[static_cast<size_t>(d)] < g.shape[d]) break;
      idx[static_cast<size_t>(d)] = 0;
    }
  }
  return out;
}

// Operand sets as the elementwise kernels see them: all of the output's shape.
struct Case {
  const char* name;
  std::vector<Tensor> operands;
  int coalesced_ndim;  // what coalesce_dims should reach
};

std::vector<Case> cases() {
  Tensor a = zeros({4, 6, 5});
  Tensor m = zeros({6, 8});
  Tensor out3 = zeros({4, 6, 5});
  Tensor out68 = zeros({6, 8});
  return {
      {"contiguous pair", {out3, a}, 1},
      {"transposed input", {zeros({5, 6, 4}), a.permute({2, 1, 0})}, 3},
      {"last two dims swapped", {zeros({4, 5, 6}), a.transpose(1, 2)}, 3},
      {"bias broadcast over rows", {out68, zeros({8}).expand({6, 8})}, 2},
      {"column broadcast", {out68, zeros({6, 1}).expand({6, 8})}, 2},
      {"scalar broadcast", {out3, zeros({}).expand({4, 6, 5})}, 1},
      {"3x1x5 with 1x4x5", {zeros({3, 4, 5}), zeros({3, 1, 5}).expand({3, 4, 5}), zeros({1, 4, 5}).expand({3, 4, 5})}, 3},
      {"sliced columns", {zeros({6, 3}), m.slice(1, 2, 8, 2)}, 2},
      {"sliced rows stay mergeable", {zeros({3, 8}), m.slice(0, 1, 4)}, 1},
      {"row step 2", {zeros({3, 8}), m.slice(0, 0, 6, 2)}, 2},
      {"size-1 dims dropped", {zeros({1, 6, 1, 8}), m.unsqueeze(0).unsqueeze(2)}, 1},
      {"single element", {zeros({1, 1}), zeros({1, 1})}, 1},
      {"0-dim", {zeros({}), zeros({})}, 1},
      {"four operands", {out68, m, zeros({8, 6}).t(), zeros({8}).expand({6, 8})}, 2},
  };
}

}  // namespace

TEST(IndexMath, StridedOffsetMatchesBruteForce) {
  for (const auto& c : cases()) {
    for (const Tensor& t : c.operands) {
      const Geometry g = geometry_of(t);
      const auto want = brute_force(g);
      ASSERT_EQ(static_cast<int64_t>(want.size()), t.numel()) << c.name;
      for (int64_t i = 0; i < t.numel(); ++i)
        ASSERT_EQ(kernels::strided_offset(i, g), want[static_cast<size_t>(i)]) << c.name << " element " << i;
    }
  }
}

TEST(IndexMath, CoalescingKeepsEveryOffset) {
  for (const auto& c : cases()) {
    const int n = static_cast<int>(c.operands.size());
    std::vector<Geometry> g;
    for (const Tensor& t : c.operands) g.push_back(geometry_of(t));
    std::vector<Geometry> merged = g;
    const int nd = kernels::coalesce_dims(merged.data(), n);
    EXPECT_EQ(nd, c.coalesced_ndim) << c.name;
    for (int k = 0; k < n; ++k) {
      EXPECT_EQ(merged[static_cast<size_t>(k)].ndim, nd) << c.name;
      const auto want = brute_force(g[static_cast<size_t>(k)]);
      for (int64_t i = 0; i < c.operands[0].numel(); ++i)
        ASSERT_EQ(kernels::strided_offset(i, merged[static_cast<size_t>(k)]), want[static_cast<size_t>(i)])
            << c.name << " operand " << k << " element " << i;
    }
  }
}

TEST(IndexMath, ContiguousOperandsBecomeDense) {
  Geometry g[2] = {geometry_of(zeros({3, 4, 5})), geometry_of(zeros({3, 4, 5}))};
  kernels::coalesce_dims(g, 2);
  EXPECT_TRUE(kernels::is_dense(g[0]) && kernels::is_dense(g[1]));
  // A broadcast operand keeps every operand at two dims, the dense output included, so
  // such launches take the strided kernel.
  Geometry b[2] = {geometry_of(zeros({6, 8})), geometry_of(zeros({8}).expand({6, 8}))};
  EXPECT_EQ(kernels::coalesce_dims(b, 2), 2);
  EXPECT_FALSE(kernels::is_dense(b[0]));
  EXPECT_FALSE(kernels::is_dense(b[1]));
}

// strided_offsets (all operands at once, innermost dim first) equals strided_offset on
// each operand, with 32- and 64-bit index arithmetic.
template <int N>
void check_multi(const Case& c) {
  Geometry g[N];
  for (int k = 0; k < N; ++k) g[k] = geometry_of(c.operands[static_cast<size_t>(k)]);
  Geometry merged[N];
  for (int k = 0; k < N; ++k) merged[k] = g[k];
  kernels::coalesce_dims(merged, N);
  const auto m = kernels::make_multi_geometry<N>(merged);
  for (int64_t i = 0; i < c.operands[0].numel(); ++i) {
    int64_t off64[N], off32[N];
    kernels::strided_offsets<N, int64_t>(i, m, off64);
    kernels::strided_offsets<N, uint32_t>(static_cast<uint32_t>(i), m, off32);
    for (int k = 0; k < N; ++k) {
      const int64_t want = kernels::strided_offset(i, g[k]);
      ASSERT_EQ(off64[k], want) << c.name << " operand " << k << " element " << i;
      ASSERT_EQ(off32[k], want) << c.name << " operand " << k << " element " << i << " (32-bit)";
    }
  }
}

TEST(IndexMath, MultiOperandOffsets) {
  for (const auto& c : cases()) {
    switch (c.operands.size()) {
      case 2: check_multi<2>(c); break;
      case 3: check_multi<3>(c); break;
      case 4: check_multi<4>(c); break;
      default: FAIL() << c.name;
    }
  }
}

TEST(IndexMath, MultiOperandOffsetsAtHighRank) {
  // kMaxDims dims that cannot merge (each operand transposed), so the unrolled loop runs
  // to its end.
  Geometry g[2];
  g[0].ndim = g[1].ndim = kernels::kMaxDims;
  int64_t stride = 1;
  for (int d = kernels::kMaxDims - 1; d >= 0; --d) {
    g[0].shape[d] = g[1].shape[d] = 2;
    g[0].strides[d] = stride;
    stride *= 2;
  }
  for (int d = 0; d < kernels::kMaxDims; ++d) g[1].strides[d] = g[0].strides[kernels::kMaxDims - 1 - d];
  Geometry merged[2] = {g[0], g[1]};
  EXPECT_EQ(kernels::coalesce_dims(merged, 2), kernels::kMaxDims);
  const auto m = kernels::make_multi_geometry<2>(merged);
  for (int64_t i = 0; i < stride; ++i) {
    int64_t off[2];
    kernels::strided_offsets<2, int64_t>(i, m, off);
    ASSERT_EQ(off[0], kernels::strided_offset(i, g[0])) << i;
    ASSERT_EQ(off[1], kernels::strided_offset(i, g[1])) << i;
  }
}

namespace {

// The Binary pow kernel (the functor both devices run: int_cast<T>(int_pow(a, b))) on
// every (a, b) pair of the lists, against glibc's std::pow on the pair as doubles, which
// is what PyTorch's CPU kernel and ember's before the shared functor computed. Only pairs
// whose power T holds (a double -> integer cast out of range is undefined) and that a
// double holds exactly: past 2^53 glibc's pow need not round correctly (-9^17 comes out 2
// away from the nearest double), where int_pow is exact instead.
template <class T>
void check_int_pow(DType dtype, const std::vector<T>& as, const std::vector<T>& bs) {
  std::vector<T> av, bv, want;
  for (T a : as)
    for (T b : bs) {
      const double p = std::pow(static_cast<double>(a), static_cast<double>(b));
      // max + 1.0 is a power of two, exact in double (also 2^63 for int64).
      if (!(p >= static_cast<double>(std::numeric_limits<T>::lowest()) &&
            p < static_cast<double>(std::numeric_limits<T>::max()) + 1.0 && std::abs(p) <= 0x1p53))
        continue;
      av.push_back(a);
      bv.push_back(b);
      want.push_back(static_cast<T>(p));
    }
  const int64_t n = static_cast<int64_t>(av.size());
  ASSERT_GT(n, 0);
  Tensor a = from_vector<T>(av, {n}), b = from_vector<T>(bv, {n});
  Tensor out = make_tensor({n}, dtype, Device::cpu());
  get_kernel<OpId::pow>(DeviceType::cpu)(a, b, out);
  const T* cpu = out.data<T>();
  for (int64_t i = 0; i < n; ++i) {
    const size_t k = static_cast<size_t>(i);
    ASSERT_EQ(static_cast<int64_t>(want[k]), static_cast<int64_t>(cpu[i]))
        << dtype_name(dtype) << " " << +av[k] << " ^ " << +bv[k];
  }
}

}  // namespace

TEST(ElementwiseMath, IntPowMatchesGlibcPow) {
  std::vector<int32_t> a32, b32;
  for (int32_t a = -20; a <= 20; ++a) a32.push_back(a);
  a32.insert(a32.end(), {46340, -46341, 1 << 30, std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max()});
  for (int32_t b = -3; b <= 31; ++b) b32.push_back(b);
  check_int_pow<int32_t>(DType::i32, a32, b32);

  std::vector<int64_t> a64, b64;
  for (int64_t a = -13; a <= 13; ++a) a64.push_back(a);
  a64.insert(a64.end(), {94906265, -94906265, int64_t{1} << 52, -(int64_t{1} << 53), 999'999});
  for (int64_t b = -2; b <= 62; ++b) b64.push_back(b);
  check_int_pow<int64_t>(DType::i64, a64, b64);

  std::vector<uint8_t> a8, b8;
  for (int v = 0; v < 256; ++v) a8.push_back(static_cast<uint8_t>(v));
  for (int v = 0; v <= 9; ++v) b8.push_back(static_cast<uint8_t>(v));
  b8.push_back(255);
  check_int_pow<uint8_t>(DType::u8, a8, b8);
}

TEST(ElementwiseMath, IntPowEdgeCases) {
  EXPECT_EQ(kernels::int_pow<int32_t>(0, 0), 1.0);
  EXPECT_EQ(kernels::int_pow<int32_t>(-1, -3), -1.0);
  EXPECT_EQ(kernels::int_pow<int32_t>(-1, -4), 1.0);
  EXPECT_EQ(kernels::int_pow<int32_t>(2, -1), 0.0);
  EXPECT_TRUE(std::isinf(kernels::int_pow<int32_t>(0, -1)));
  EXPECT_EQ(kernels::int_pow<int32_t>(7, 2), 49.0);
  EXPECT_EQ(kernels::int_pow<int64_t>(-3, 39), -4052555153018976267.0);
  EXPECT_EQ(kernels::int_pow<int64_t>(std::numeric_limits<int64_t>::min(), 1), -9223372036854775808.0);
  // Past 64 bits the double chain takes over (every integer dtype overflows there).
  EXPECT_EQ(kernels::int_pow<int64_t>(10, 20), 1e20);
  EXPECT_TRUE(std::isinf(kernels::int_pow<int64_t>(10, 400)));
}

TEST(ElementwiseMath, IntCastWrapsU8ThroughInt64) {
  EXPECT_EQ(kernels::int_cast<uint8_t>(-1.0), 255);
  EXPECT_EQ(kernels::int_cast<uint8_t>(-1.5f), 255);
  EXPECT_EQ(kernels::int_cast<uint8_t>(300.0), 44);
  EXPECT_EQ(kernels::int_cast<uint8_t>(255.9), 255);
  EXPECT_EQ(kernels::int_cast<int32_t>(-7.9), -7);
  EXPECT_EQ(kernels::int_cast<uint8_t>(int32_t{-1}), 255);
  EXPECT_EQ(kernels::int_cast<int64_t>(3.99f), 3);
}
