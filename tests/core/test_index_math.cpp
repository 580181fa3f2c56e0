// The index arithmetic the CUDA kernels run (kernels/common/index_math.h and
// elementwise.h), checked on the CPU against brute force on the geometries real views
// produce: transposed, sliced, broadcast, with size-1 dims and 0-dim.
#include <gtest/gtest.h>

#include <vector>

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
