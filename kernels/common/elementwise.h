#pragma once
// Offsets of N operands that share one (coalesced) shape, for the elementwise kernels, and
// the integer conversions they share with the CPU tests. Plain types only, like index_math.h: .cu files and the CPU tests include it.
#include <cmath>
#include <cstdint>
#include <type_traits>

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

// A floating value -> integer T the way the CPU kernels' static_cast behaves on x86-64
// (and PyTorch on both devices): u8 goes through int64 so that a negative value wraps
// (-1.0 -> 255) where nvcc's direct conversion would saturate to 0. Values an integer
// type cannot hold are undefined in C++; this only makes the GPU agree with the CPU.
template <class T, class V>
EMBER_HD T int_cast(V v) {
  if constexpr (std::is_same_v<T, uint8_t> && std::is_floating_point_v<V>) {
    return static_cast<T>(static_cast<int64_t>(v));
  } else {
    return static_cast<T>(v);
  }
}

// a^b for integers as the CPU's std::pow(a, b) gives it (the arguments promoted to
// double), before the cast back to T. For b >= 0 the power is computed exactly in 64
// bits and rounded to double once: the exact value whenever it fits a double's 53 bits,
// as glibc's pow returns it, where CUDA's pow may be an ulp below an exact integer and
// the truncating cast would then give a^b - 1. (Past 2^53 glibc's pow is not always
// correctly rounded, where this is exact: both devices now compute it this way.)
// For b < 0: 1/a^|b| is 1 or -1 for |a| == 1, inf for a == 0, and a fraction of
// magnitude below 1 (truncated to 0 by the cast) otherwise.
template <class T>
EMBER_HD double int_pow(T a, T b) {
  static_assert(std::is_integral_v<T>, "int_pow takes integer operands");
  if constexpr (std::is_signed_v<T>) {
    if (b < 0) {
      if (a == 0) return HUGE_VAL;
      if (a == 1) return 1.0;
      if (a == -1) return b % 2 == 0 ? 1.0 : -1.0;
      return 0.0;
    }
  }
  bool negative = false;
  uint64_t base = static_cast<uint64_t>(a);
  if constexpr (std::is_signed_v<T>) {
    if (a < 0) {
      negative = (b & 1) != 0;
      base = uint64_t{0} - static_cast<uint64_t>(a);  // |a|, also for the most negative value
    }
  }
  // The exact power while it fits 64 bits; the same chain in double once it does not
  // (such results overflow every integer dtype anyway).
  uint64_t r = 1;
  double rd = 1.0, bd = static_cast<double>(base);
  bool exact = true;
  for (uint64_t e = static_cast<uint64_t>(b); e != 0; e >>= 1) {
    if (e & 1) {
      if (base != 0 && r > UINT64_MAX / base) exact = false;
      r *= base;
      rd *= bd;
    }
    if (e > 1) {
      if (base > UINT32_MAX) exact = false;
      base *= base;
      bd *= bd;
    }
  }
  const double m = exact ? static_cast<double>(r) : rd;
  return negative ? -m : m;
}

}  // namespace ember::kernels
