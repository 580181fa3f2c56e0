// The reduction plan shared with the CUDA kernels (kernels/common/reduce_plan.h), checked
// on the CPU against brute force: every output must see exactly the elements of x that
// share its kept coordinates, whatever the strides, and the launch split must cover each
// reduced element once.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <random>
#include <vector>

#include <ember/ember.h>

#include "kernels/common/reduce_plan.h"

using ember::kernels::Geometry;
using ember::kernels::kMaxGridX;
using ember::kernels::kMaxSplits;
using ember::kernels::make_reduce_plan;
using ember::kernels::plan_reduce_launch;
using ember::kernels::ReduceLaunch;
using ember::kernels::ReduceMode;
using ember::kernels::ReducePlan;
using ember::kernels::strided_offset;

namespace {

Geometry contiguous(const std::vector<int64_t>& shape) {
  Geometry g;
  g.ndim = static_cast<int>(shape.size());
  int64_t s = 1;
  for (int d = g.ndim - 1; d >= 0; --d) {
    g.shape[d] = shape[d];
    g.strides[d] = s;
    s *= std::max<int64_t>(shape[d], 1);
  }
  return g;
}

// Strides of `shape` stored in the dim order `order` (outermost first), optionally with
// every stride doubled (a step-2 slice of a bigger buffer).
Geometry permuted(const std::vector<int64_t>& shape, const std::vector<int>& order, int64_t step) {
  Geometry g;
  g.ndim = static_cast<int>(shape.size());
  int64_t s = step;
  for (int k = g.ndim - 1; k >= 0; --k) {
    const int d = order[k];
    g.shape[d] = shape[d];
    g.strides[d] = s;
    s *= std::max<int64_t>(shape[d], 1);
  }
  return g;
}

using Groups = std::map<int64_t, std::vector<int64_t>>;  // out offset -> x offsets

// Walks every coordinate of x: the element goes to the output at the same coordinates
// with the reduced ones set to 0.
Groups brute_force(const Geometry& x, const Geometry& out, uint64_t mask) {
  Groups g;
  int64_t n_out = 1, n_x = 1;
  for (int d = 0; d < x.ndim; ++d) {
    n_x *= x.shape[d];
    n_out *= out.shape[d];
  }
  for (int64_t o = 0; o < n_out; ++o) g[strided_offset(o, out)];
  for (int64_t i = 0; i < n_x; ++i) {
    int64_t rem = i, xo = 0, oo = 0;
    for (int d = x.ndim - 1; d >= 0; --d) {
      const int64_t c = rem % x.shape[d];
      rem /= x.shape[d];
      xo += c * x.strides[d];
      if (!((mask >> d) & 1u)) oo += c * out.strides[d];
    }
    g[oo].push_back(xo);
  }
  for (auto& [k, v] : g) std::sort(v.begin(), v.end());
  return g;
}

Groups from_plan(const ReducePlan& p) {
  Groups g;
  for (int64_t o = 0; o < p.n_out; ++o) {
    const int64_t key = strided_offset(o, p.out);
    EXPECT_EQ(g.count(key), 0u) << "output offset " << key << " is visited twice";
    std::vector<int64_t>& v = g[key];
    for (int64_t r = 0; r < p.n_red; ++r) v.push_back(strided_offset(o, p.outer) + strided_offset(r, p.inner));
    std::sort(v.begin(), v.end());
  }
  return g;
}

Geometry keep_shape_contiguous(const Geometry& x, uint64_t mask) {
  std::vector<int64_t> keep(x.shape, x.shape + x.ndim);
  for (int d = 0; d < x.ndim; ++d)
    if ((mask >> d) & 1u) keep[d] = 1;
  return contiguous(keep);
}

std::string describe(const Geometry& x, uint64_t mask) {
  std::string s = "shape [";
  for (int d = 0; d < x.ndim; ++d) s += std::to_string(x.shape[d]) + (d + 1 < x.ndim ? "," : "");
  s += "] strides [";
  for (int d = 0; d < x.ndim; ++d) s += std::to_string(x.strides[d]) + (d + 1 < x.ndim ? "," : "");
  return s + "] mask " + std::to_string(mask);
}

}  // namespace

TEST(ReducePlan, MatchesBruteForceOnRandomLayouts) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 3000; ++trial) {
    const int nd = static_cast<int>(rng() % 6);
    std::vector<int64_t> shape(nd);
    for (auto& s : shape) s = 1 + rng() % 4;
    if (nd > 0 && rng() % 20 == 0) shape[rng() % nd] = 0;  // empty tensors too
    std::vector<int> order(nd);
    std::iota(order.begin(), order.end(), 0);
    if (rng() % 2) std::shuffle(order.begin(), order.end(), rng);
    Geometry x = permuted(shape, order, rng() % 3 == 0 ? 2 : 1);
    if (nd > 0 && rng() % 5 == 0) x.strides[rng() % nd] = 0;  // a broadcast (expanded) dim
    const uint64_t mask = nd == 0 ? 0 : rng() % (uint64_t{1} << nd);
    Geometry out = keep_shape_contiguous(x, mask);
    if (nd > 1 && rng() % 4 == 0) {  // an output laid out in another order
      std::vector<int64_t> keep(out.shape, out.shape + nd);
      std::shuffle(order.begin(), order.end(), rng);
      out = permuted(keep, order, 1);
    }
    const ReducePlan p = make_reduce_plan(x, out, mask);
    ASSERT_EQ(from_plan(p), brute_force(x, out, mask)) << describe(x, mask);
  }
}

TEST(ReducePlan, CoalescesAndOrdersDims) {
  // Contiguous [2,3,4] over dims 1 and 2: one output stride, one dense run per output.
  ReducePlan p = make_reduce_plan(contiguous({2, 3, 4}), contiguous({2, 1, 1}), 0b110);
  EXPECT_EQ(p.n_out, 2);
  EXPECT_EQ(p.n_red, 12);
  EXPECT_EQ(p.inner.ndim, 1);
  EXPECT_EQ(p.inner.strides[0], 1);
  EXPECT_EQ(p.outer.strides[0], 12);
  // Sum over dim 0 of [N, C] (bias gradient): the reduced dim is outer, outputs adjacent.
  p = make_reduce_plan(contiguous({100, 7}), contiguous({1, 7}), 0b1);
  EXPECT_EQ(p.inner.strides[0], 7);
  EXPECT_EQ(p.outer.strides[0], 1);
  EXPECT_EQ(p.out.strides[0], 1);
  // [N, C, H, W] over N, H, W (batch norm statistics): two reduced runs.
  p = make_reduce_plan(contiguous({8, 3, 5, 5}), contiguous({1, 3, 1, 1}), 0b1101);
  EXPECT_EQ(p.n_out, 3);
  EXPECT_EQ(p.n_red, 200);
  EXPECT_EQ(p.inner.ndim, 2);
  EXPECT_EQ(p.inner.strides[1], 1);
  EXPECT_EQ(p.inner.shape[1], 25);
  // A transposed view reduced over its last dim walks memory with stride 1 per output.
  Geometry t = permuted({6, 9}, {1, 0}, 1);  // [6, 9] stored as [9, 6]
  p = make_reduce_plan(t, contiguous({6, 1}), 0b10);
  EXPECT_EQ(p.inner.strides[0], 6);
  EXPECT_EQ(p.outer.strides[0], 1);
  // Everything reduced, and the 0-dim case.
  p = make_reduce_plan(contiguous({3, 4}), contiguous({1, 1}), 0b11);
  EXPECT_EQ(p.n_out, 1);
  EXPECT_EQ(p.n_red, 12);
  p = make_reduce_plan(Geometry{}, Geometry{}, 0);
  EXPECT_EQ(p.n_out, 1);
  EXPECT_EQ(p.n_red, 1);
}

TEST(ReducePlan, OneReducedDimIndexesAlongIt) {
  // max/min with indices report r as the position along the dim.
  Geometry x = permuted({4, 5, 6}, {2, 0, 1}, 2);
  for (int d = 0; d < 3; ++d) {
    const ReducePlan p = make_reduce_plan(x, keep_shape_contiguous(x, uint64_t{1} << d), uint64_t{1} << d);
    ASSERT_EQ(p.inner.ndim, 1);
    EXPECT_EQ(p.inner.shape[0], x.shape[d]);
    EXPECT_EQ(p.inner.strides[0], x.strides[d]);
  }
  const ReducePlan p = make_reduce_plan(contiguous({4, 1, 3}), contiguous({4, 1, 3}), 0b10);
  EXPECT_EQ(p.n_red, 1);
  EXPECT_EQ(strided_offset(0, p.inner), 0);
}

namespace {

// Runs the kernels' loops on the CPU (rows: block_x threads stride through one output's
// split; cols: block_y threads do) and returns how often each (o, r) was visited.
std::vector<int> coverage(const ReducePlan& p, const ReduceLaunch& l) {
  std::vector<int> seen(static_cast<size_t>(p.n_out * p.n_red), 0);
  const int lanes = l.mode == ReduceMode::rows ? l.block_x : l.block_y;
  for (int s = 0; s < l.splits; ++s) {
    const int64_t r_begin = s * l.chunk;
    const int64_t r_end = p.n_red - r_begin < l.chunk ? p.n_red : r_begin + l.chunk;
    for (int64_t o = 0; o < p.n_out; ++o)
      for (int t = 0; t < lanes; ++t)
        for (int64_t r = r_begin + t; r < r_end; r += lanes) ++seen[static_cast<size_t>(o * p.n_red + r)];
  }
  return seen;
}

void check_launch(const ReducePlan& p, const ReduceLaunch& l, const std::string& what) {
  EXPECT_GE(l.splits, 1) << what;
  EXPECT_LE(l.splits, kMaxSplits) << what;
  EXPECT_GE(l.grid_x, 1) << what;
  EXPECT_LE(l.grid_x, kMaxGridX) << what;
  if (p.n_red > 0) {
    EXPECT_GE(l.chunk * l.splits, p.n_red) << what;
    EXPECT_LT(l.chunk * (l.splits - 1), p.n_red) << what << ": an empty split";
  }
  if (l.mode == ReduceMode::rows) {
    EXPECT_EQ(l.block_y, 1) << what;
    EXPECT_TRUE(l.block_x == 32 || l.block_x == 128 || l.block_x == 256 || l.block_x == 512) << what;
  } else {
    EXPECT_EQ(l.block_x * l.block_y, 256) << what;
  }
}

}  // namespace

TEST(ReducePlan, LaunchCoversEveryElementOnce) {
  struct Case {
    std::vector<int64_t> shape;
    uint64_t mask;
  };
  const std::vector<Case> cases = {
      {{7}, 1},          {{1031}, 1},        {{20000}, 1},       {{3, 5000}, 0b10}, {{5000, 3}, 0b01},
      {{64, 257}, 0b01}, {{64, 257}, 0b10},  {{2, 3, 17}, 0b101}, {{0, 4}, 0b01},   {{4, 0}, 0b10},
      {{9, 1}, 0b10},    {{300, 70}, 0b01},  {{1, 1}, 0b11},
  };
  for (const Case& c : cases) {
    Geometry x = contiguous(c.shape);
    std::vector<int64_t> keep = c.shape;
    for (size_t d = 0; d < keep.size(); ++d)
      if ((c.mask >> d) & 1u) keep[d] = 1;
    const ReducePlan p = make_reduce_plan(x, contiguous(keep), c.mask);
    for (int sms : {1, 40, 132}) {
      const ReduceLaunch l = plan_reduce_launch(p, sms);
      const std::string what = describe(x, c.mask) + " sms " + std::to_string(sms);
      check_launch(p, l, what);
      for (int v : coverage(p, l)) ASSERT_EQ(v, 1) << what;
    }
  }
}

TEST(ReducePlan, LaunchShapes) {
  // One big sum is split across blocks (two passes) instead of serialising in one.
  ReducePlan p = make_reduce_plan(contiguous({10'000'000}), contiguous({1}), 1);
  ReduceLaunch l = plan_reduce_launch(p, 132);
  EXPECT_EQ(l.mode, ReduceMode::rows);
  EXPECT_EQ(l.block_x, 512);
  EXPECT_GE(l.splits, 132);
  check_launch(p, l, "sum of 1e7");
  // Many short contiguous rows: a warp each, no split.
  p = make_reduce_plan(contiguous({100'000, 100}), contiguous({100'000, 1}), 0b10);
  l = plan_reduce_launch(p, 132);
  EXPECT_EQ(l.mode, ReduceMode::rows);
  EXPECT_EQ(l.block_x, 32);
  EXPECT_EQ(l.splits, 1);
  // Bias gradient: one thread per output, threads over adjacent channels.
  p = make_reduce_plan(contiguous({4096, 512}), contiguous({1, 512}), 0b01);
  l = plan_reduce_launch(p, 132);
  EXPECT_EQ(l.mode, ReduceMode::cols);
  EXPECT_GT(l.splits, 1);
  check_launch(p, l, "bias gradient");
  // A handful of outputs over a strided dim: rows mode keeps every lane busy.
  p = make_reduce_plan(contiguous({1'000'000, 4}), contiguous({1, 4}), 0b01);
  l = plan_reduce_launch(p, 132);
  EXPECT_EQ(l.mode, ReduceMode::rows);
  EXPECT_GT(l.splits, 1);
  check_launch(p, l, "[1e6, 4] over dim 0");
  // More outputs than a grid may hold: capped, the kernels loop.
  p = make_reduce_plan(contiguous({int64_t{3} << 30, 2}), contiguous({int64_t{3} << 30, 1}), 0b10);
  l = plan_reduce_launch(p, 132);
  EXPECT_LE(l.grid_x, kMaxGridX);
  check_launch(p, l, "huge output");
}

namespace {

// Combines the candidates in a random tree, as warps, blocks and splits do, with some
// identities (padding lanes, empty splits) mixed in; returns the winning index.
template <bool kMax, class C>
int64_t tree_arg(const std::vector<C>& v, C identity, std::mt19937& rng) {
  struct Cand {
    C v;
    int64_t i;
  };
  std::vector<Cand> pool;
  for (size_t i = 0; i < v.size(); ++i) pool.push_back({v[i], static_cast<int64_t>(i)});
  for (int k = 0; k < 3; ++k) pool.push_back({identity, std::numeric_limits<int64_t>::max()});
  std::shuffle(pool.begin(), pool.end(), rng);
  while (pool.size() > 1) {
    const size_t a = rng() % pool.size();
    size_t b = rng() % (pool.size() - 1);
    if (b >= a) ++b;
    const Cand win = ember::kernels::arg_first_wins<kMax>(pool[a].v, pool[a].i, pool[b].v, pool[b].i) ? pool[a] : pool[b];
    pool[a] = win;
    pool.erase(pool.begin() + static_cast<std::ptrdiff_t>(b));
  }
  return pool[0].i;
}

}  // namespace

TEST(ReducePlan, ArgCombineMatchesTheCpuScanInAnyOrder) {
  std::mt19937 rng(11);
  for (int trial = 0; trial < 400; ++trial) {
    const int n = 1 + static_cast<int>(rng() % 40);
    std::vector<float> f(n);
    std::vector<int32_t> k(n);
    for (int i = 0; i < n; ++i) {
      k[i] = static_cast<int32_t>(rng() % 4) - 2;  // many ties
      f[i] = static_cast<float>(k[i]);
      if (rng() % 25 == 0) f[i] = NAN;
      if (rng() % 30 == 0) f[i] = -INFINITY;
    }
    const ember::Tensor ft = ember::from_vector(f, {n});
    const ember::Tensor kt = ember::from_vector(k, {n});
    const float inf = INFINITY;
    EXPECT_EQ(tree_arg<true>(f, -inf, rng), ember::argmax(ft, 0).item<int64_t>()) << "trial " << trial;
    EXPECT_EQ(tree_arg<false>(f, inf, rng), ember::argmin(ft, 0).item<int64_t>()) << "trial " << trial;
    EXPECT_EQ(tree_arg<true>(k, std::numeric_limits<int32_t>::lowest(), rng), ember::argmax(kt, 0).item<int64_t>());
    EXPECT_EQ(tree_arg<false>(k, std::numeric_limits<int32_t>::max(), rng), ember::argmin(kt, 0).item<int64_t>());
  }
}
