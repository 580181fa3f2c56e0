#include "ember/core/ops/copy.h"

#include "ember/core/autograd/function.h"
#include "ember/core/dispatch.h"

namespace ember {

using autograd::attach;

namespace {
// Raw copy of src into a new contiguous tensor on `device` with `dtype`; no autograd.
Tensor copy_into_new(const Tensor& src, DType dtype, Device device, bool non_blocking = false) {
  Tensor out = make_tensor(src.shape(), dtype, device);
  Device kd = device.is_cuda() ? device : src.device();
  get_kernel<OpId::copy>(kd)(src, out, non_blocking);
  return out;
}
}  // namespace

Tensor to_device(const Tensor& x, Device device, bool non_blocking) {
  EMBER_CHECK(x.defined(), ValueError, "to_device: input is undefined");
  if (x.device() == device) return x;
  Tensor out = copy_into_new(x, x.dtype(), device, non_blocking);
  Device from = x.device();
  attach("to_device", {x}, {out}, {}, [from](const auto& g, const auto&, const auto&) {
    return std::vector<Tensor>{to_device(g[0], from)};
  });
  return out;
}

Tensor to_dtype(const Tensor& x, DType dtype) {
  EMBER_CHECK(x.defined(), ValueError, "to_dtype: input is undefined");
  if (x.dtype() == dtype) return x;
  Tensor out = copy_into_new(x, dtype, x.device());
  DType from = x.dtype();
  if (is_floating(from) && is_floating(dtype))
    attach("to_dtype", {x}, {out}, {}, [from](const auto& g, const auto&, const auto&) {
      return std::vector<Tensor>{to_dtype(g[0], from)};
    });
  return out;
}

Tensor contiguous(const Tensor& x) {
  EMBER_CHECK(x.defined(), ValueError, "contiguous: input is undefined");
  if (x.is_contiguous()) return x;
  return clone(x);
}

Tensor clone(const Tensor& x) {
  EMBER_CHECK(x.defined(), ValueError, "clone: input is undefined");
  Tensor out = copy_into_new(x, x.dtype(), x.device());
  attach("clone", {x}, {out}, {}, [](const auto& g, const auto&, const auto&) { return std::vector<Tensor>{g[0]}; });
  return out;
}

Tensor Tensor::to(Device d, bool non_blocking) const { return to_device(*this, d, non_blocking); }
Tensor Tensor::to(DType t) const { return to_dtype(*this, t); }
Tensor Tensor::contiguous() const { return ember::contiguous(*this); }
Tensor Tensor::clone() const { return ember::clone(*this); }

}  // namespace ember
