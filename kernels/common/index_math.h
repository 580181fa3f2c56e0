#pragma once
// Index arithmetic shared by the CPU tests and the CUDA kernels. Plain types only: .cu
// files include this, and nvcc must not see ember's fmt-based headers.
#include <cstdint>

#if defined(__CUDACC__)
#define EMBER_HD __host__ __device__ __forceinline__
#else
#define EMBER_HD inline
#endif

namespace ember::kernels {

inline constexpr int kMaxDims = 12;

// Shape and element strides of one operand, innermost dim last.
struct Geometry {
  int ndim = 0;
  int64_t shape[kMaxDims] = {};
  int64_t strides[kMaxDims] = {};
};

// Element offset of the linear (row-major) index `i` in a strided operand.
EMBER_HD int64_t strided_offset(int64_t i, const Geometry& g) {
  int64_t off = 0;
  for (int d = g.ndim - 1; d >= 0; --d) {
    const int64_t s = g.shape[d];
    const int64_t q = i / s;
    off += (i - q * s) * g.strides[d];
    i = q;
  }
  return off;
}

// Merges adjacent dims that every operand can walk as one (stride[d] == stride[d+1] *
// shape[d+1] for all of them) and drops size-1 dims. All operands share one shape
// (broadcast operands have stride 0). Fewer dims mean fewer divisions per element.
// Returns the new ndim (at least 1 so that kernels always see a dim).
inline int coalesce_dims(Geometry* ops, int n_ops) {
  const int nd = ops[0].ndim;
  int out = 0;
  for (int d = 0; d < nd; ++d) {
    const int64_t size = ops[0].shape[d];
    if (size == 1) continue;
    bool merge = out > 0;
    for (int k = 0; merge && k < n_ops; ++k) {
      merge = ops[k].strides[out - 1] == ops[k].strides[d] * size;
    }
    if (merge) {
      for (int k = 0; k < n_ops; ++k) {
        ops[k].shape[out - 1] *= size;
        ops[k].strides[out - 1] = ops[k].strides[d];
      }
    } else {
      for (int k = 0; k < n_ops; ++k) {
        ops[k].shape[out] = size;
        ops[k].strides[out] = ops[k].strides[d];
      }
      ++out;
    }
  }
  if (out == 0) {
    for (int k = 0; k < n_ops; ++k) {
      ops[k].shape[0] = 1;
      ops[k].strides[0] = 1;
    }
    out = 1;
  }
  for (int k = 0; k < n_ops; ++k) {
    for (int d = out; d < kMaxDims; ++d) ops[k].shape[d] = ops[k].strides[d] = 0;
    ops[k].ndim = out;
  }
  return out;
}

// True when the operand, after coalescing, is one dense run of elements.
EMBER_HD bool is_dense(const Geometry& g) { return g.ndim == 1 && g.strides[0] == 1; }

}  // namespace ember::kernels
