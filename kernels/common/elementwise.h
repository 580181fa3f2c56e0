#pragma once
// Offsets of N operands that share one (coalesced) shape, for the elementwise kernels.
// Plain types only, like index_math.h: .cu files and the CPU tests include it.
#include <cstdint>

#include "kernels/common/index_math.h"

#if defined(__CUDACC__)
#define EMBER_UNROLL _Pragma("unroll")
#else
#define EMBER_UNROLL
#endif

namespace ember::kernels {

// Dims are stored innermost first so that the unrolled loop in strided_offsets indexes
// them with constants: kernel parameters indexed at run time would spill to local memory.
template <int N>
struct MultiGeometry {
  int ndim = 1;
  int64_t shape[kMaxDims] = {};        // shape[0] is the innermost dim
  int64_t strides[N][kMaxDims] = {};   // element strides, same order
};

// From N geometries already coalesced together (coalesce_dims: same shape, ndim >= 1).
template <int N>
inline MultiGeometry<N> make_multi_geometry(const Geometry* g) {
  MultiGeometry<N> m;
  m.ndim = g[0].ndim;
  for (int j = 0; j < m.ndim; ++j) {
    const int d = m.ndim - 1 - j;
    m.shape[j] = g[0].shape[d];
    for (int k = 0; k < N; ++k) m.strides[k][j] = g[k].strides[d];
  }
  return m;
}

// off[k] = strided_offset(i, operand k) for every operand with one chain of divisions
// (they share the shape). The outermost dim needs no division: what is left of i is
// already below its size, so a 1-dim geometry costs none. I is the index type: uint32_t
// where numel fits (32-bit division is several times cheaper on a GPU), else int64_t.
template <int N, class I>
EMBER_HD void strided_offsets(I i, const MultiGeometry<N>& m, int64_t (&off)[N]) {
  EMBER_UNROLL
  for (int k = 0; k < N; ++k) off[k] = 0;
  EMBER_UNROLL
  for (int j = 0; j < kMaxDims; ++j) {
    if (j == m.ndim - 1) {
      EMBER_UNROLL
      for (int k = 0; k < N; ++k) off[k] += static_cast<int64_t>(i) * m.strides[k][j];
      break;
    }
    const I s = static_cast<I>(m.shape[j]);
    const I q = i / s;
    const int64_t r = static_cast<int64_t>(i - q * s);
    EMBER_UNROLL
    for (int k = 0; k < N; ++k) off[k] += r * m.strides[k][j];
    i = q;
  }
}

}  // namespace ember::kernels
