#include "ember/core/ops/shape_ops.h"

#include "ember/core/autograd/function.h"
#include "ember/core/ops/factory.h"

namespace ember {

using autograd::attach;
using G = std::vector<Tensor>;

Tensor cat(const std::vector<Tensor>& ts, int64_t dim) {
  EMBER_CHECK(!ts.empty(), ValueError, "cat: expected at least one tensor");
  const Tensor& first = ts[0];
  EMBER_CHECK(first.defined() && first.dim() > 0, ShapeError, "cat: tensors must have at least 1 dim");
  int64_t d = wrap_dim(dim, first.dim(), "cat");
  Shape os = first.shape();
  os[d] = 0;
  std::vector<int64_t> sizes;
  for (size_t i = 0; i < ts.size(); ++i) {
    const Tensor& t = ts[i];
    EMBER_CHECK(t.defined(), ValueError, "cat: tensor {} is undefined", i);
    EMBER_CHECK(t.device() == first.device(), DeviceError, "cat: tensor {} is {} on {} but tensor 0 is {} on {}",
                i, t.dtype(), t.device(), first.dtype(), first.device());
    EMBER_CHECK(t.dtype() == first.dtype(), DTypeError, "cat: tensor {} is {} on {} but tensor 0 is {} on {}", i,
                t.dtype(), t.device(), first.dtype(), first.device());
    EMBER_CHECK(t.dim() == first.dim(), ShapeError, "cat: tensor {} has shape {} but tensor 0 has {}", i,
                shape_str(t.shape()), shape_str(first.shape()));
    for (int64_t k = 0; k < t.dim(); ++k)
      EMBER_CHECK(k == d || t.shape()[k] == first.shape()[k], ShapeError,
                  "cat: tensor {} has shape {} but tensor 0 has {} (they may differ only in dim {})", i,
                  shape_str(t.shape()), shape_str(first.shape()), d);
    sizes.push_back(t.shape()[d]);
    os[d] += t.shape()[d];
  }
  Tensor out = make_tensor(os, first.dtype(), first.device());
  {
    NoGradGuard ng;
    int64_t at = 0;
    for (size_t i = 0; i < ts.size(); ++i) {
      out.narrow(d, at, sizes[i]).copy_(ts[i].detach());
      at += sizes[i];
    }
  }
  attach("cat", ts, {out}, {}, [sizes, d](const G& g, const G&, const auto& n) {
    G r(sizes.size());
    int64_t at = 0;
    for (size_t i = 0; i < sizes.size(); ++i) {
      if (n.needs_input_grad(i)) r[i] = g[0].narrow(d, at, sizes[i]);
      at += sizes[i];
    }
    return r;
  });
  return out;
}

Tensor stack(const std::vector<Tensor>& ts, int64_t dim) {
  EMBER_CHECK(!ts.empty(), ValueError, "stack: expected at least one tensor");
  for (size_t i = 0; i < ts.size(); ++i)
    EMBER_CHECK(ts[i].defined(), ValueError, "stack: tensor {} is undefined", i);
  int64_t d = wrap_dim(dim, ts[0].dim() + 1, "stack");
  std::vector<Tensor> u;
  for (size_t i = 0; i < ts.size(); ++i) {
    EMBER_CHECK(ts[i].defined() && ts[i].shape() == ts[0].shape(), ShapeError,
                "stack: tensor {} has shape {} but tensor 0 has {}", i,
                ts[i].defined() ? shape_str(ts[i].shape()) : "undefined", shape_str(ts[0].shape()));
    u.push_back(ts[i].unsqueeze(d));
  }
  return cat(u, d);
}

std::vector<Tensor> split(const Tensor& x, int64_t split_size, int64_t dim) {
  EMBER_CHECK(x.defined(), ValueError, "split: input is undefined");
  EMBER_CHECK(x.dim() > 0, ShapeError, "split: cannot split a 0-d tensor");
  EMBER_CHECK(split_size > 0, ValueError, "split: split_size must be positive, got {}", split_size);
  int64_t d = wrap_dim(dim, x.dim(), "split");
  std::vector<int64_t> sizes;
  for (int64_t at = 0; at < x.shape()[d]; at += split_size) sizes.push_back(std::min(split_size, x.shape()[d] - at));
  if (sizes.empty()) sizes.push_back(0);
  return split(x, sizes, d);
}

std::vector<Tensor> split(const Tensor& x, const std::vector<int64_t>& sizes, int64_t dim) {
  EMBER_CHECK(x.defined(), ValueError, "split: input is undefined");
  EMBER_CHECK(x.dim() > 0, ShapeError, "split: cannot split a 0-d tensor");
  int64_t d = wrap_dim(dim, x.dim(), "split");
  int64_t total = 0;
  for (int64_t s : sizes) {
    EMBER_CHECK(s >= 0, ValueError, "split: negative size {}", s);
    total += s;
  }
  EMBER_CHECK(total == x.shape()[d], ShapeError, "split: sizes add up to {} but dim {} has size {} (shape {})", total,
              d, x.shape()[d], shape_str(x.shape()));
  std::vector<Tensor> out;
  int64_t at = 0;
  for (int64_t s : sizes) {
    out.push_back(x.narrow(d, at, s));
    at += s;
  }
  return out;
}

Tensor pad(const Tensor& x, const std::vector<int64_t>& pads, double value) {
  EMBER_CHECK(x.defined(), ValueError, "pad: input is undefined");
  EMBER_CHECK(pads.size() % 2 == 0 && static_cast<int64_t>(pads.size()) <= 2 * x.dim(), ShapeError,
              "pad: expected an even number of pads, at most 2 per dim ({} dims), got {}", x.dim(), pads.size());
  Shape os = x.shape();
  const int64_t np = static_cast<int64_t>(pads.size()) / 2;
  for (int64_t i = 0; i < np; ++i) {
    int64_t d = x.dim() - 1 - i;
    os[d] += pads[2 * i] + pads[2 * i + 1];
    EMBER_CHECK(os[d] >= 0, ShapeError, "pad: pads {} on dim {} of size {} give a negative size", pads[2 * i], d,
                x.shape()[d]);
  }
  Tensor out = full(os, value, x.dtype(), x.device());
  // The region of x that survives (negative pads crop) and where it lands in out.
  Tensor src = x.detach(), dst = out;
  for (int64_t i = 0; i < np; ++i) {
    int64_t d = x.dim() - 1 - i;
    int64_t before = pads[2 * i], after = pads[2 * i + 1];
    int64_t s0 = std::max<int64_t>(0, -before), s1 = x.shape()[d] - std::max<int64_t>(0, -after);
    if (s1 < s0) s1 = s0;
    src = src.slice(d, s0, s1);
    dst = dst.slice(d, std::max<int64_t>(0, before), std::max<int64_t>(0, before) + (s1 - s0));
  }
  {
    NoGradGuard ng;
    dst.copy_(src);
  }
  Shape xs = x.shape();
  attach("pad", {x}, {out}, {}, [pads, xs](const G& g, const G&, const auto&) {
    std::vector<int64_t> neg(pads.size());
    for (size_t i = 0; i < pads.size(); ++i) neg[i] = -pads[i];
    return G{pad(g[0], neg, 0.0)};
  });
  return out;
}

}  // namespace ember
