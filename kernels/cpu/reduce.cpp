// Reductions over a set of dims (sum, amax, amin) and along one dim with indices.
// Float sums accumulate in double through several independent partial sums, so the
// inner loop vectorizes without reassociating and the result does not depend on the
// thread count (chunks are fixed by size, see parallel.h).
#include <cmath>
#include <limits>

#include "ember/core/dispatch.h"
#include "kernels/cpu/accumulate.h"
#include "kernels/cpu/loops.h"
#include "kernels/cpu/register.h"

namespace ember::cpu {
namespace {

template <class T>
using sum_acc_t = std::conditional_t<std::is_floating_point_v<acc_t<T>>, double, int64_t>;

struct SumOp {
  template <class T> using Acc = sum_acc_t<T>;
  template <class A> static A init() { return A(0); }
  template <class A> static A combine(A a, A b) { return a + b; }
};
struct MaxOp {
  template <class T> using Acc = acc_t<T>;
  template <class A> static A init() {
    if constexpr (std::numeric_limits<A>::has_infinity) return -std::numeric_limits<A>::infinity();
    else return std::numeric_limits<A>::lowest();
  }
  template <class A> static A combine(A a, A b) {
    if constexpr (std::is_floating_point_v<A>) {
      if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<A>::quiet_NaN();
    }
    return a > b ? a : b;
  }
};
struct MinOp {
  template <class T> using Acc = acc_t<T>;
  template <class A> static A init() {
    if constexpr (std::numeric_limits<A>::has_infinity) return std::numeric_limits<A>::infinity();
    else return std::numeric_limits<A>::max();
  }
  template <class A> static A combine(A a, A b) {
    if constexpr (std::is_floating_point_v<A>) {
      if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<A>::quiet_NaN();
    }
    return a < b ? a : b;
  }
};

inline double sum_floats(const float* x, int64_t n) {
  return lane_sum<float>(n, [x](int64_t i) { return x[i]; });
}

// Reduces n contiguous elements with 8 independent accumulators.
template <class Op, class T, class A>
A reduce_contiguous(const T* x, int64_t n) {
  if constexpr (std::is_same_v<Op, SumOp> && std::is_same_v<T, float>) return sum_floats(x, n);
  constexpr int kLanes = 8;
  A acc[kLanes];
  for (int l = 0; l < kLanes; ++l) acc[l] = Op::template init<A>();
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int l = 0; l < kLanes; ++l) acc[l] = Op::combine(acc[l], static_cast<A>(static_cast<acc_t<T>>(x[i + l])));
  A r = Op::template init<A>();
  for (int l = 0; l < kLanes; ++l) r = Op::combine(r, acc[l]);
  for (; i < n; ++i) r = Op::combine(r, static_cast<A>(static_cast<acc_t<T>>(x[i])));
  return r;
}

struct Split {
  // Non-reduced dims (output index space) and reduced dims (reduction space), each with
  // x's element strides; reduced dims sorted so that the smallest stride is innermost.
  std::vector<int64_t> out_shape, out_strides, red_shape, red_strides;
};

Split split_dims(const Tensor& x, uint64_t mask) {
  Split s;
  std::vector<std::pair<int64_t, int64_t>> red;
  for (int64_t d = 0; d < x.dim(); ++d) {
    if (x.shape()[d] == 1) continue;
    if (mask & (uint64_t{1} << d)) {
      red.push_back({x.strides()[d], x.shape()[d]});
    } else {
      s.out_shape.push_back(x.shape()[d]);
      s.out_strides.push_back(x.strides()[d]);
    }
  }
  std::sort(red.begin(), red.end(), [](auto a, auto b) { return a.first > b.first; });
  for (auto [st, sz] : red) {
    // coalesce with the previous (outer) reduced dim when memory allows
    if (!s.red_shape.empty() && s.red_strides.back() == st * sz) {
      s.red_shape.back() *= sz;
      s.red_strides.back() = st;
    } else {
      s.red_shape.push_back(sz);
      s.red_strides.push_back(st);
    }
  }
  return s;
}

// Offset of linear index `i` within a shape/strides pair.
inline int64_t offset_of(int64_t i, const std::vector<int64_t>& shape, const std::vector<int64_t>& strides) {
  int64_t off = 0;
  for (size_t d = shape.size(); d-- > 0;) {
    off += (i % shape[d]) * strides[d];
    i /= shape[d];
  }
  return off;
}

template <class Op, class T>
void reduce_typed(const Tensor& x, const Tensor& out, uint64_t mask) {
  using A = typename Op::template Acc<T>;
  const T* xp = x.data<T>();
  T* op = out.data<T>();
  Split s = split_dims(x, mask);
  const int64_t n_out = numel_of(s.out_shape);
  const int64_t n_red = numel_of(s.red_shape);
  if (x.numel() == 0) {
    for (int64_t i = 0; i < out.numel(); ++i) op[i] = T(static_cast<acc_t<T>>(Op::template init<A>()));
    return;
  }
  const bool inner_contig = s.red_shape.size() == 1 && s.red_strides[0] == 1;
  if (n_out == 1 && inner_contig) {
    // One long contiguous reduction: fixed-size blocks, partials combined in order.
    const int64_t block = kGrain;
    const int64_t nb = (n_red + block - 1) / block;
    std::vector<A> partial(static_cast<size_t>(nb));
    parallel_for(nb, 1, [&](int64_t b0, int64_t b1) {
      for (int64_t b = b0; b < b1; ++b) {
        int64_t start = b * block;
        partial[b] = reduce_contiguous<Op, T, A>(xp + start, std::min(block, n_red - start));
      }
    });
    A r = Op::template init<A>();
    for (A p : partial) r = Op::combine(r, p);
    op[0] = T(static_cast<acc_t<T>>(r));
    return;
  }
  // Outputs in parallel; each reduces its own elements.
  const int64_t grain = std::max<int64_t>(1, kGrain / std::max<int64_t>(n_red, 1));
  const int64_t inner_n = s.red_shape.empty() ? 1 : s.red_shape.back();
  const int64_t inner_st = s.red_strides.empty() ? 0 : s.red_strides.back();
  const int64_t outer_n = inner_n == 0 ? 0 : n_red / inner_n;
  std::vector<int64_t> outer_shape(s.red_shape.begin(), s.red_shape.empty() ? s.red_shape.begin() : s.red_shape.end() - 1);
  std::vector<int64_t> outer_strides(s.red_strides.begin(), s.red_strides.empty() ? s.red_strides.begin() : s.red_strides.end() - 1);
  parallel_for(n_out, grain, [&](int64_t o0, int64_t o1) {
    for (int64_t o = o0; o < o1; ++o) {
      const T* base = xp + offset_of(o, s.out_shape, s.out_strides);
      A r = Op::template init<A>();
      for (int64_t k = 0; k < outer_n; ++k) {
        const T* p = base + offset_of(k, outer_shape, outer_strides);
        if (inner_st == 1) {
          r = Op::combine(r, reduce_contiguous<Op, T, A>(p, inner_n));
        } else {
          for (int64_t i = 0; i < inner_n; ++i) r = Op::combine(r, static_cast<A>(static_cast<acc_t<T>>(p[i * inner_st])));
        }
      }
      op[o] = T(static_cast<acc_t<T>>(r));
    }
  });
}

template <class Op>
void reduce_kernel(const Tensor& x, const Tensor& out, uint64_t mask) {
  detail::dispatch_numeric(x.dtype(), "reduce", [&]<class T>() { reduce_typed<Op, T>(x, out, mask); });
}

template <bool kMax>
void arg_reduce_kernel(const Tensor& x, const Tensor& values, const Tensor& indices, int64_t dim) {
  detail::dispatch_numeric(x.dtype(), kMax ? "max" : "min", [&]<class T>() {
    using A = acc_t<T>;
    const T* xp = x.data<T>();
    T* vp = values.data<T>();
    int64_t* ip = indices.data<int64_t>();
    const int64_t n = x.shape()[dim];
    const int64_t st = x.strides()[dim];
    std::vector<int64_t> oshape, ostrides;
    for (int64_t d = 0; d < x.dim(); ++d)
      if (d != dim) {
        oshape.push_back(x.shape()[d]);
        ostrides.push_back(x.strides()[d]);
      }
    const int64_t n_out = numel_of(oshape);
    parallel_for(n_out, std::max<int64_t>(1, kGrain / std::max<int64_t>(n, 1)), [&](int64_t o0, int64_t o1) {
      for (int64_t o = o0; o < o1; ++o) {
        const T* p = xp + offset_of(o, oshape, ostrides);
        A best = static_cast<A>(p[0]);
        int64_t bi = 0;
        for (int64_t i = 1; i < n; ++i) {
          A v = static_cast<A>(p[i * st]);
          bool nan_v = false, nan_b = false;
          if constexpr (std::is_floating_point_v<A>) {
            nan_v = std::isnan(v);
            nan_b = std::isnan(best);
          }
          if (nan_b) break;
          if (nan_v || (kMax ? v > best : v < best)) {
            best = v;
            bi = i;
          }
        }
        vp[o] = T(best);
        ip[o] = bi;
      }
    });
  });
}

}  // namespace

void register_reduce_kernels() {
  register_kernel<OpId::sum>(DeviceType::cpu, &reduce_kernel<SumOp>);
  register_kernel<OpId::amax>(DeviceType::cpu, &reduce_kernel<MaxOp>);
  register_kernel<OpId::amin>(DeviceType::cpu, &reduce_kernel<MinOp>);
  register_kernel<OpId::max_dim>(DeviceType::cpu, &arg_reduce_kernel<true>);
  register_kernel<OpId::min_dim>(DeviceType::cpu, &arg_reduce_kernel<false>);
}

}  // namespace ember::cpu
