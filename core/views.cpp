// View ops: new geometry over the same storage. Each records a backward that maps the
// gradient back to the input's geometry.
#include <algorithm>

#include "ember/core/autograd/function.h"
#include "ember/core/ops/factory.h"
#include "ember/core/ops/reduce.h"
#include "ember/core/tensor.h"

namespace ember {

using autograd::attach_view;
using G = std::vector<Tensor>;

namespace {

// Infers one -1 entry and checks the element count.
Shape infer_shape(Shape shape, int64_t numel, const char* op, const Shape& from) {
  int64_t known = 1, infer = -1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      EMBER_CHECK(infer < 0, ShapeError, "{}: only one dimension can be -1 in {}", op, shape_str(shape));
      infer = static_cast<int64_t>(i);
    } else {
      EMBER_CHECK(shape[i] >= 0, ShapeError, "{}: invalid size {} in {}", op, shape[i], shape_str(shape));
      known *= shape[i];
    }
  }
  if (infer >= 0) {
    EMBER_CHECK(known != 0 && numel % known == 0, ShapeError, "{}: cannot reshape {} ({} elements) into {}", op,
                shape_str(from), numel, shape_str(shape));
    shape[infer] = numel / known;
  }
  EMBER_CHECK(numel_of(shape) == numel, ShapeError, "{}: cannot reshape {} ({} elements) into {} ({} elements)", op,
              shape_str(from), numel, shape_str(shape), numel_of(shape));
  return shape;
}

// Strides for viewing (shape, strides) as new_shape without copying, if possible
// (the algorithm splits/merges runs of dims that are contiguous with each other).
std::optional<Strides> view_strides(const Shape& shape, const Strides& strides, const Shape& new_shape) {
  if (numel_of(shape) == 0 || shape.empty()) return contiguous_strides(new_shape);
  Strides out(new_shape.size());
  int64_t view_d = static_cast<int64_t>(new_shape.size()) - 1;
  int64_t chunk_stride = strides.back();  // stride of the innermost dim of the current chunk
  int64_t tensor_numel = 1;
  int64_t view_numel = 1;
  for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
    tensor_numel *= shape[d];
    if (d == 0 || (shape[d - 1] != 1 && strides[d - 1] != tensor_numel * chunk_stride)) {
      while (view_d >= 0 && (view_numel < tensor_numel || new_shape[view_d] == 1)) {
        out[view_d] = view_numel * chunk_stride;
        view_numel *= new_shape[view_d];
        --view_d;
      }
      if (view_numel != tensor_numel) return std::nullopt;
      if (d > 0) {
        chunk_stride = strides[d - 1];
        tensor_numel = 1;
        view_numel = 1;
      }
    }
  }
  if (view_d != -1) return std::nullopt;
  return out;
}

}  // namespace

Tensor Tensor::view(Shape new_shape) const {
  Shape s = infer_shape(std::move(new_shape), numel(), "view", shape());
  auto st = view_strides(shape(), strides(), s);
  EMBER_CHECK(st.has_value(), ShapeError,
              "view: cannot view a tensor of shape {} and strides {} as {} without copying; use reshape()",
              shape_str(shape()), shape_str(strides()), shape_str(s));
  Tensor out = make_view(*this, s, *st, offset());
  if (autograd::needs_grad({this}))
    attach_view("view", {*this}, {out}, [from = shape()](const G& g, const G&, const auto&) {
      return G{g[0].reshape(from)};
    });
  return out;
}

Tensor Tensor::reshape(Shape new_shape) const {
  Shape s = infer_shape(std::move(new_shape), numel(), "reshape", shape());
  if (view_strides(shape(), strides(), s)) return view(s);
  return contiguous().view(s);
}

Tensor Tensor::flatten(int64_t start, int64_t end) const {
  if (dim() == 0) return reshape({1});
  start = wrap_dim(start, dim(), "flatten");
  end = wrap_dim(end, dim(), "flatten");
  EMBER_CHECK(start <= end, IndexError, "flatten: start_dim {} > end_dim {}", start, end);
  Shape s(shape().begin(), shape().begin() + start);
  int64_t m = 1;
  for (int64_t d = start; d <= end; ++d) m *= shape()[d];
  s.push_back(m);
  s.insert(s.end(), shape().begin() + end + 1, shape().end());
  return reshape(s);
}

Tensor Tensor::permute(std::vector<int64_t> dims) const {
  EMBER_CHECK(static_cast<int64_t>(dims.size()) == dim(), ShapeError,
              "permute: {} dims given for a tensor with {} dims", dims.size(), dim());
  std::vector<bool> seen(dims.size(), false);
  Shape s(dims.size());
  Strides st(dims.size());
  for (size_t i = 0; i < dims.size(); ++i) {
    int64_t d = wrap_dim(dims[i], dim(), "permute");
    EMBER_CHECK(!seen[d], ShapeError, "permute: dim {} repeated in {}", d, shape_str(dims));
    seen[d] = true;
    dims[i] = d;
    s[i] = shape()[d];
    st[i] = strides()[d];
  }
  Tensor out = make_view(*this, s, st, offset());
  if (autograd::needs_grad({this})) {
    std::vector<int64_t> inv(dims.size());
    for (size_t i = 0; i < dims.size(); ++i) inv[dims[i]] = static_cast<int64_t>(i);
    attach_view("permute", {*this}, {out}, [inv](const G& g, const G&, const auto&) { return G{g[0].permute(inv)}; });
  }
  return out;
}

Tensor Tensor::transpose(int64_t d0, int64_t d1) const {
  std::vector<int64_t> p(static_cast<size_t>(dim()));
  for (int64_t i = 0; i < dim(); ++i) p[i] = i;
  if (dim() == 0) return *this;
  std::swap(p[wrap_dim(d0, dim(), "transpose")], p[wrap_dim(d1, dim(), "transpose")]);
  return permute(p);
}

Tensor Tensor::slice(int64_t d, int64_t start, int64_t end, int64_t step) const {
  EMBER_CHECK(dim() > 0, IndexError, "slice: cannot slice a 0-d tensor");
  d = wrap_dim(d, dim(), "slice");
  EMBER_CHECK(step > 0, ValueError, "slice: step must be positive, got {}", step);
  const int64_t n = shape()[d];
  if (start < 0) start += n;
  if (end < 0) end += n;
  start = std::clamp<int64_t>(start, 0, n);
  end = std::clamp<int64_t>(end, start, n);
  Shape s = shape();
  Strides st = strides();
  s[d] = (end - start + step - 1) / step;
  st[d] *= step;
  Tensor out = make_view(*this, s, st, offset() + start * strides()[d]);
  if (autograd::needs_grad({this}))
    attach_view("slice", {*this}, {out},
                [from = shape(), d, start, end, step, dt = dtype(), dev = device()](const G& g, const G&, const auto&) {
                  Tensor gx = zeros(from, dt, dev);
                  gx.slice(d, start, end, step).copy_(g[0]);
                  return G{gx};
                });
  return out;
}

Tensor Tensor::narrow(int64_t d, int64_t start, int64_t length) const {
  EMBER_CHECK(dim() > 0, IndexError, "narrow: cannot narrow a 0-d tensor");
  d = wrap_dim(d, dim(), "narrow");
  const int64_t n = shape()[d];
  if (start < 0) start += n;
  EMBER_CHECK(start >= 0 && length >= 0 && start + length <= n, IndexError,
              "narrow: range [{}, {}) is outside dim {} of size {} (shape {})", start, start + length, d, n,
              shape_str(shape()));
  return slice(d, start, start + length);
}

Tensor Tensor::select(int64_t d, int64_t index) const {
  EMBER_CHECK(dim() > 0, IndexError, "select: cannot select from a 0-d tensor");
  d = wrap_dim(d, dim(), "select");
  const int64_t n = shape()[d];
  EMBER_CHECK(index >= -n && index < n, IndexError, "select: index {} is out of range for dim {} of size {}", index,
              d, n);
  if (index < 0) index += n;
  return narrow(d, index, 1).squeeze(d);
}

Tensor Tensor::expand(Shape new_shape) const {
  EMBER_CHECK(static_cast<int64_t>(new_shape.size()) >= dim(), ShapeError,
              "expand: target {} has fewer dims than the tensor's shape {}", shape_str(new_shape), shape_str(shape()));
  const size_t lead = new_shape.size() - shape().size();
  Strides st(new_shape.size(), 0);
  for (size_t i = 0; i < new_shape.size(); ++i) {
    if (i < lead) {
      EMBER_CHECK(new_shape[i] >= 0, ShapeError, "expand: invalid size {} in {}", new_shape[i], shape_str(new_shape));
      continue;
    }
    int64_t have = shape()[i - lead];
    if (new_shape[i] == -1) new_shape[i] = have;
    EMBER_CHECK(have == new_shape[i] || have == 1, ShapeError,
                "expand: cannot expand shape {} to {} (dim {}: {} vs {})", shape_str(shape()), shape_str(new_shape), i,
                have, new_shape[i]);
    st[i] = have == new_shape[i] ? strides()[i - lead] : 0;
  }
  if (new_shape == shape()) return *this;
  Tensor out = make_view(*this, new_shape, st, offset());
  if (autograd::needs_grad({this}))
    attach_view("expand", {*this}, {out}, [from = shape()](const G& g, const G&, const auto&) {
      return G{autograd::sum_to(g[0], from)};
    });
  return out;
}

Tensor Tensor::squeeze() const {
  Shape s;
  for (int64_t v : shape())
    if (v != 1) s.push_back(v);
  return s.size() == shape().size() ? *this : view(s);
}

Tensor Tensor::squeeze(int64_t d) const {
  if (dim() == 0) return *this;
  d = wrap_dim(d, dim(), "squeeze");
  if (shape()[d] != 1) return *this;
  Shape s = shape();
  s.erase(s.begin() + d);
  return view(s);
}

Tensor Tensor::unsqueeze(int64_t d) const {
  d = wrap_dim(d, dim() + 1, "unsqueeze");
  Shape s = shape();
  s.insert(s.begin() + d, 1);
  return view(s);
}

}  // namespace ember
