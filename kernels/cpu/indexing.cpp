// gather, scatter_add and index_select over arbitrary strides. Indices were range-checked
// by the front-end, so the loops never throw (throwing out of an OpenMP region aborts).
#include "ember/core/dispatch.h"
#include "kernels/cpu/parallel.h"
#include "kernels/cpu/register.h"

namespace ember::cpu {
namespace {

// Visits every position of `shape` in row-major order, giving the offsets of each
// operand (element strides) at that position.
template <int N, class F>
void walk(const Shape& shape, const std::array<const Strides*, N>& strides, F&& f) {
  const int64_t n = numel_of(shape);
  const int64_t nd = static_cast<int64_t>(shape.size());
  std::vector<int64_t> idx(nd, 0);
  std::array<int64_t, N> off{};
  for (int64_t i = 0; i < n; ++i) {
    f(idx, off);
    for (int64_t d = nd - 1; d >= 0; --d) {
      ++idx[d];
      for (int k = 0; k < N; ++k) off[k] += (*strides[k])[d];
      if (idx[d] < shape[d]) break;
      for (int k = 0; k < N; ++k) off[k] -= shape[d] * (*strides[k])[d];
      idx[d] = 0;
    }
  }
}

void gather_kernel(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& out) {
  detail::dispatch_all(x.dtype(), "gather", [&]<class T>() {
    const T* xp = x.data<T>();
    const int64_t* ip = index.data<int64_t>();
    T* op = out.data<T>();
    const int64_t xs_dim = x.strides()[dim];
    walk<3>(index.shape(), {&x.strides(), &index.strides(), &out.strides()},
            [&](const std::vector<int64_t>& idx, const std::array<int64_t, 3>& off) {
              // off[0] includes idx[dim] * x_stride[dim]; replace it with the gathered index.
              int64_t xo = off[0] - idx[dim] * xs_dim + ip[off[1]] * xs_dim;
              op[off[2]] = xp[xo];
            });
  });
}

void scatter_add_kernel(const Tensor& out, int64_t dim, const Tensor& index, const Tensor& src) {
  detail::dispatch_numeric(out.dtype(), "scatter_add", [&]<class T>() {
    T* op = out.data<T>();
    const int64_t* ip = index.data<int64_t>();
    const T* sp = src.data<T>();
    const int64_t os_dim = out.strides()[dim];
    walk<3>(index.shape(), {&out.strides(), &index.strides(), &src.strides()},
            [&](const std::vector<int64_t>& idx, const std::array<int64_t, 3>& off) {
              int64_t oo = off[0] - idx[dim] * os_dim + ip[off[1]] * os_dim;
              op[oo] = T(static_cast<acc_t<T>>(op[oo]) + static_cast<acc_t<T>>(sp[off[2]]));
            });
  });
}

void index_select_kernel(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& out) {
  detail::dispatch_all(x.dtype(), "index_select", [&]<class T>() {
    const T* xp = x.data<T>();
    const int64_t* ip = index.data<int64_t>();
    const int64_t ist = index.dim() == 0 ? 0 : index.strides()[0];
    T* op = out.data<T>();
    const int64_t xs_dim = x.strides()[dim];
    walk<2>(out.shape(), {&x.strides(), &out.strides()},
            [&](const std::vector<int64_t>& idx, const std::array<int64_t, 2>& off) {
              int64_t xo = off[0] - idx[dim] * xs_dim + ip[idx[dim] * ist] * xs_dim;
              op[off[1]] = xp[xo];
            });
  });
}

}  // namespace

void register_indexing_kernels() {
  register_kernel<OpId::gather>(DeviceType::cpu, &gather_kernel);
  register_kernel<OpId::scatter_add>(DeviceType::cpu, &scatter_add_kernel);
  register_kernel<OpId::index_select>(DeviceType::cpu, &index_select_kernel);
}

}  // namespace ember::cpu
