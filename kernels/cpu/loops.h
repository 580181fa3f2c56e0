#pragma once
// Elementwise iteration over N operands of the same shape with arbitrary strides.
// Dims are coalesced where every operand allows it, so contiguous tensors become one
// flat loop; the innermost loop gets byte strides and a count, and callers provide a
// contiguous fast path inside it so that the compiler can vectorize.
#include <array>
#include <cstdint>
#include <vector>

#include "ember/core/tensor.h"
#include "kernels/cpu/parallel.h"

namespace ember::cpu {

template <int N>
struct Geometry {
  std::vector<int64_t> shape;                          // outer -> inner, coalesced
  std::array<std::vector<int64_t>, N> strides;         // bytes
  std::array<char*, N> base{};
  int64_t numel = 1;
};

// operands[0] is usually the output. All must have the same shape.
template <int N>
Geometry<N> make_geometry(const std::array<const Tensor*, N>& operands) {
  Geometry<N> g;
  const Shape& shape = operands[0]->shape();
  for (int k = 0; k < N; ++k) g.base[k] = static_cast<char*>(operands[k]->raw_data());
  std::vector<int64_t> dims;
  for (size_t d = 0; d < shape.size(); ++d)
    if (shape[d] != 1) dims.push_back(static_cast<int64_t>(d));
  for (int64_t d : dims) {
    int64_t size = shape[d];
    g.numel *= size;
    if (!g.shape.empty()) {
      bool merge = true;
      for (int k = 0; k < N; ++k) {
        int64_t st = operands[k]->strides()[d] * static_cast<int64_t>(dtype_size(operands[k]->dtype()));
        if (g.strides[k].back() != st * size) merge = false;
      }
      if (merge) {
        g.shape.back() *= size;
        for (int k = 0; k < N; ++k)
          g.strides[k].back() = operands[k]->strides()[d] * static_cast<int64_t>(dtype_size(operands[k]->dtype()));
        continue;
      }
    }
    g.shape.push_back(size);
    for (int k = 0; k < N; ++k)
      g.strides[k].push_back(operands[k]->strides()[d] * static_cast<int64_t>(dtype_size(operands[k]->dtype())));
  }
  if (numel_of(shape) == 0) g.numel = 0;
  if (g.shape.empty()) {  // a single element
    g.shape.push_back(1);
    for (int k = 0; k < N; ++k) g.strides[k].push_back(0);
  }
  return g;
}

// inner(ptrs, byte_strides, count) processes `count` elements along the innermost dim.
template <int N, class Inner>
void for_each(const Geometry<N>& g, Inner&& inner, int64_t grain = kGrain) {
  const int nd = static_cast<int>(g.shape.size());
  const int64_t inner_size = g.shape[nd - 1];
  std::array<int64_t, N> inner_strides;
  for (int k = 0; k < N; ++k) inner_strides[k] = g.strides[k][nd - 1];
  parallel_for(g.numel, grain, [&](int64_t begin, int64_t end) {
    // Decompose begin into a multi-index.
    std::vector<int64_t> idx(nd);
    int64_t rem = begin;
    for (int d = nd - 1; d >= 0; --d) {
      idx[d] = rem % g.shape[d];
      rem /= g.shape[d];
    }
    std::array<char*, N> ptr;
    for (int k = 0; k < N; ++k) {
      ptr[k] = g.base[k];
      for (int d = 0; d < nd; ++d) ptr[k] += idx[d] * g.strides[k][d];
    }
    int64_t pos = begin;
    while (pos < end) {
      int64_t count = std::min(inner_size - idx[nd - 1], end - pos);
      inner(ptr, inner_strides, count);
      pos += count;
      if (pos >= end) break;
      // Advance: the innermost dim wrapped; carry into outer dims.
      for (int k = 0; k < N; ++k) ptr[k] += count * inner_strides[k];
      idx[nd - 1] += count;
      for (int d = nd - 1; d > 0 && idx[d] == g.shape[d]; --d) {
        for (int k = 0; k < N; ++k) ptr[k] += g.strides[k][d - 1] - g.shape[d] * g.strides[k][d];
        idx[d] = 0;
        ++idx[d - 1];
      }
    }
  });
}

// out = f(a) elementwise; Out/A are element types; f takes and returns values.
template <class Out, class A, class F>
void unary_loop(const Tensor& a, const Tensor& out, F f) {
  auto g = make_geometry<2>({&out, &a});
  for_each<2>(g, [&](std::array<char*, 2> p, std::array<int64_t, 2> s, int64_t n) {
    Out* o = reinterpret_cast<Out*>(p[0]);
    const A* x = reinterpret_cast<const A*>(p[1]);
    if (s[0] == sizeof(Out) && s[1] == sizeof(A)) {
      for (int64_t i = 0; i < n; ++i) o[i] = f(x[i]);
    } else {
      for (int64_t i = 0; i < n; ++i)
        *reinterpret_cast<Out*>(p[0] + i * s[0]) = f(*reinterpret_cast<const A*>(p[1] + i * s[1]));
    }
  });
}

// out = f(a, b) elementwise with fast paths for contiguous and scalar-broadcast b.
template <class Out, class A, class B, class F>
void binary_loop(const Tensor& a, const Tensor& b, const Tensor& out, F f) {
  auto g = make_geometry<3>({&out, &a, &b});
  for_each<3>(g, [&](std::array<char*, 3> p, std::array<int64_t, 3> s, int64_t n) {
    Out* o = reinterpret_cast<Out*>(p[0]);
    const A* x = reinterpret_cast<const A*>(p[1]);
    const B* y = reinterpret_cast<const B*>(p[2]);
    if (s[0] == sizeof(Out) && s[1] == sizeof(A) && s[2] == sizeof(B)) {
      for (int64_t i = 0; i < n; ++i) o[i] = f(x[i], y[i]);
    } else if (s[0] == sizeof(Out) && s[1] == sizeof(A) && s[2] == 0) {
      const B yv = *y;
      for (int64_t i = 0; i < n; ++i) o[i] = f(x[i], yv);
    } else if (s[0] == sizeof(Out) && s[1] == 0 && s[2] == sizeof(B)) {
      const A xv = *x;
      for (int64_t i = 0; i < n; ++i) o[i] = f(xv, y[i]);
    } else {
      for (int64_t i = 0; i < n; ++i)
        *reinterpret_cast<Out*>(p[0] + i * s[0]) = f(*reinterpret_cast<const A*>(p[1] + i * s[1]),
                                                     *reinterpret_cast<const B*>(p[2] + i * s[2]));
    }
  });
}

}  // namespace ember::cpu
