#pragma once
// The structure of a reduction, written once for the CUDA kernels and tested on the CPU:
// which elements of x feed which output, and how the work is cut into blocks. Plain
// types only (see index_math.h).
#include <cstdint>

#include "kernels/common/index_math.h"

namespace ember::kernels {

// Element r of output o's reduction is x[strided_offset(o, outer) + strided_offset(r, inner)];
// the result goes to out[strided_offset(o, out)]. When one dim is reduced, r is the index
// along that dim (argmax relies on it).
struct ReducePlan {
  Geometry outer;  // kept dims, x's strides
  Geometry out;    // the same dims, out's strides
  Geometry inner;  // reduced dims, x's strides, smallest stride innermost
  int64_t n_out = 1;
  int64_t n_red = 1;
};

namespace detail {
// Stable insertion sort of dims by x stride, largest first, so that coalescing finds the
// memory order even in permuted views and the innermost dim is the one to vectorize over.
inline void sort_dims_by_stride(int n, int64_t* shape, int64_t* xs, int64_t* os) {
  for (int i = 1; i < n; ++i) {
    for (int j = i; j > 0 && xs[j - 1] < xs[j]; --j) {
      int64_t t = shape[j]; shape[j] = shape[j - 1]; shape[j - 1] = t;
      t = xs[j]; xs[j] = xs[j - 1]; xs[j - 1] = t;
      if (os) { t = os[j]; os[j] = os[j - 1]; os[j - 1] = t; }
    }
  }
}
inline int64_t numel_of(const Geometry& g) {
  int64_t n = 1;
  for (int d = 0; d < g.ndim; ++d) n *= g.shape[d];
  return n;
}
}  // namespace detail

// x and out have the same rank; out has size 1 on every dim whose bit is set in mask.
inline ReducePlan make_reduce_plan(const Geometry& x, const Geometry& out, uint64_t mask) {
  ReducePlan p;
  int nk = 0, nr = 0;
  for (int d = 0; d < x.ndim; ++d) {
    if (x.shape[d] == 1) continue;  // contributes nothing to either side
    if (d < 64 && (mask >> d) & 1u) {
      p.inner.shape[nr] = x.shape[d];
      p.inner.strides[nr++] = x.strides[d];
    } else {
      p.outer.shape[nk] = p.out.shape[nk] = x.shape[d];
      p.outer.strides[nk] = x.strides[d];
      p.out.strides[nk++] = out.strides[d];
    }
  }
  detail::sort_dims_by_stride(nk, p.outer.shape, p.outer.strides, p.out.strides);
  for (int d = 0; d < nk; ++d) p.out.shape[d] = p.outer.shape[d];
  detail::sort_dims_by_stride(nr, p.inner.shape, p.inner.strides, nullptr);
  p.outer.ndim = p.out.ndim = nk;
  p.inner.ndim = nr;
  Geometry kept[2] = {p.outer, p.out};
  coalesce_dims(kept, 2);
  p.outer = kept[0];
  p.out = kept[1];
  coalesce_dims(&p.inner, 1);
  p.n_out = detail::numel_of(p.outer);
  p.n_red = detail::numel_of(p.inner);
  return p;
}

enum class ReduceMode : uint8_t {
  rows,  // block_x threads share one output: the reduced elements are contiguous
  cols,  // one thread per output (block_x of them side by side), block_y threads
         // share its reduction: neighbouring threads read neighbouring outputs' data
};

struct ReduceLaunch {
  ReduceMode mode = ReduceMode::cols;
  int block_x = 32;
  int block_y = 1;
  int64_t grid_x = 1;  // blocks across outputs; each loops when there are more outputs
  int splits = 1;      // blocks across one output's reduction; > 1 writes partials that
                       // a second pass combines in split order (deterministic, no atomics)
  int64_t chunk = 0;   // reduced elements per split: split s covers [s*chunk, (s+1)*chunk)
};

inline constexpr int64_t kMaxGridX = int64_t{1} << 30;
inline constexpr int kMaxSplits = 1024;

inline ReduceLaunch plan_reduce_launch(const ReducePlan& p, int sm_count) {
  ReduceLaunch l;
  const int64_t n_red = p.n_red, n_out = p.n_out;
  const bool inner_contig = p.inner.strides[p.inner.ndim - 1] == 1;
  int64_t out_blocks = 0, min_per_split = 0;
  // A handful of outputs would leave most lanes of a cols block idle: rows mode then,
  // even though its reads are strided.
  if (n_red >= 64 && (inner_contig || n_out < 32)) {
    l.mode = ReduceMode::rows;
    l.block_x = n_red >= 4096 ? 512 : n_red >= 1024 ? 256 : n_red >= 256 ? 128 : 32;
    out_blocks = n_out;
    min_per_split = int64_t{l.block_x} * 16;
  } else {
    l.mode = ReduceMode::cols;
    l.block_y = n_red >= 64 ? 8 : 1;
    l.block_x = 256 / l.block_y;
    out_blocks = (n_out + l.block_x - 1) / l.block_x;
    min_per_split = int64_t{l.block_y} * 64;
  }
  // Enough blocks to fill the device: a few outputs with long reductions split them.
  const int64_t target = 4 * int64_t{sm_count > 0 ? sm_count : 1};
  int64_t splits = 1;
  if (out_blocks < target && n_red > 0) {
    const int64_t want = (target + out_blocks - 1) / (out_blocks > 0 ? out_blocks : 1);
    const int64_t room = n_red / min_per_split;
    splits = want < room ? want : room;
    if (splits > kMaxSplits) splits = kMaxSplits;
    if (splits < 1) splits = 1;
  }
  l.chunk = n_red > 0 ? (n_red + splits - 1) / splits : 0;
  l.splits = n_red > 0 ? static_cast<int>((n_red + l.chunk - 1) / l.chunk) : 1;  // no empty split
  l.grid_x = out_blocks < 1 ? 1 : (out_blocks > kMaxGridX ? kMaxGridX : out_blocks);
  return l;
}

// The argmax (kMax) / argmin choice between two candidates (value, index): true when a
// wins. NaN beats numbers, then the larger (smaller) value, then the smaller index. The
// rule is associative and commutative, so any tree of partial results gives what the CPU's
// left-to-right scan gives: the first NaN, else the first extremum.
template <bool kMax, class C>
EMBER_HD bool arg_first_wins(C av, int64_t ai, C bv, int64_t bi) {
  const bool na = av != av, nb = bv != bv;
  if (na || nb) return na && nb ? ai <= bi : na;
  if (kMax ? av > bv : av < bv) return true;
  if (kMax ? bv > av : bv < av) return false;
  return ai <= bi;
}

}  // namespace ember::kernels
