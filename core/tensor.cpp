#include "ember/core/tensor.h"

#include "ember/core/autograd/engine.h"
#include "ember/core/autograd/grad_mode.h"
#include "ember/core/autograd/node.h"
#include "ember/core/dispatch.h"
#include "ember/core/ops/copy.h"

namespace ember {

TensorImpl::TensorImpl(std::shared_ptr<Storage> storage, Shape shape, Strides strides, int64_t offset, DType dtype,
                       std::shared_ptr<VersionCounter> version)
    : storage_(std::move(storage)),
      shape_(std::move(shape)),
      strides_(std::move(strides)),
      offset_(offset),
      dtype_(dtype),
      version_(version ? std::move(version) : std::make_shared<VersionCounter>()) {
  cache_geometry();
}

void TensorImpl::cache_geometry() {
  numel_ = numel_of(shape_);
  contiguous_ = true;
  if (numel_ == 0) return;  // no element to lay out
  int64_t expected = 1;
  for (size_t i = shape_.size(); i-- > 0;) {
    if (shape_[i] == 1) continue;
    if (strides_[i] != expected) {
      contiguous_ = false;
      return;
    }
    expected *= shape_[i];
  }
}

autograd::AutogradMeta& TensorImpl::ensure_autograd_meta() {
  if (!autograd_) autograd_ = std::make_unique<autograd::AutogradMeta>();
  return *autograd_;
}

void TensorImpl::set_data(std::shared_ptr<Storage> storage, Strides strides, int64_t offset, DType dtype) {
  storage_ = std::move(storage);
  strides_ = std::move(strides);
  offset_ = offset;
  dtype_ = dtype;
  cache_geometry();
}

TensorImpl::~TensorImpl() = default;

Tensor make_tensor(Shape shape, DType dtype, Device device) {
  for (int64_t s : shape)
    EMBER_CHECK(s >= 0, ShapeError, "empty: negative dimension in shape {}", shape_str(shape));
  int64_t n = numel_of(shape);
  auto storage = std::make_shared<Storage>(static_cast<size_t>(n) * dtype_size(dtype), device);
  Strides st = contiguous_strides(shape);
  return Tensor(std::make_shared<TensorImpl>(std::move(storage), std::move(shape), std::move(st), 0,
                                             dtype, nullptr));
}

Tensor make_view(const Tensor& base, Shape shape, Strides strides, int64_t offset) {
  return Tensor(std::make_shared<TensorImpl>(base.impl()->storage(), std::move(shape), std::move(strides), offset,
                                             base.dtype(), base.impl()->version_counter()));
}

// wrap_dim accepts dim 0 and -1 for a 0-d tensor (as reductions do), which has no size to return.
int64_t Tensor::size(int64_t d) const {
  EMBER_CHECK(dim() > 0, IndexError, "size: a 0-d tensor has no dim {}", d);
  return shape()[wrap_dim(d, dim(), "size")];
}
int64_t Tensor::stride(int64_t d) const {
  EMBER_CHECK(dim() > 0, IndexError, "stride: a 0-d tensor has no dim {}", d);
  return strides()[wrap_dim(d, dim(), "stride")];
}


void* Tensor::raw_data() const {
  const auto& im = checked();
  return static_cast<char*>(im.storage()->data()) + im.offset() * static_cast<int64_t>(dtype_size(im.dtype()));
}

template <class T>
std::vector<T> Tensor::to_vector() const {
  Tensor c = detach().to(Device::cpu()).to(dtype_v<T>).contiguous();
  const T* p = c.data<T>();
  return std::vector<T>(p, p + c.numel());
}

template <class T>
T Tensor::item() const {
  EMBER_CHECK(numel() == 1, ValueError, "item: tensor with {} elements (shape {}) is not a scalar",
              numel(), shape_str(shape()));
  return to_vector<T>()[0];
}

template <class T>
T Tensor::at(std::initializer_list<int64_t> index) const {
  EMBER_CHECK(static_cast<int64_t>(index.size()) == dim(), IndexError,
              "at: {} indices given for a tensor with {} dims", index.size(), dim());
  int64_t off = offset();
  int64_t d = 0;
  for (int64_t i : index) {
    int64_t s = shape()[d];
    EMBER_CHECK(i >= -s && i < s, IndexError, "at: index {} out of range for dim {} of size {}", i,
                d, s);
    off += (i < 0 ? i + s : i) * strides()[d];
    ++d;
  }
  Tensor one = make_view(*this, {}, {}, off);
  return one.item<T>();
}


#define EMBER_INSTANTIATE_ACCESS(T)                                   \
  template T Tensor::item<T>() const;                                 \
  template T Tensor::at<T>(std::initializer_list<int64_t>) const;     \
  template std::vector<T> Tensor::to_vector<T>() const;
EMBER_INSTANTIATE_ACCESS(float)
EMBER_INSTANTIATE_ACCESS(double)
EMBER_INSTANTIATE_ACCESS(int32_t)
EMBER_INSTANTIATE_ACCESS(int64_t)
EMBER_INSTANTIATE_ACCESS(uint8_t)
EMBER_INSTANTIATE_ACCESS(bool)
EMBER_INSTANTIATE_ACCESS(Half)
EMBER_INSTANTIATE_ACCESS(BFloat16)
#undef EMBER_INSTANTIATE_ACCESS

Tensor Tensor::detach() const {
  const auto& im = checked();
  return Tensor(std::make_shared<TensorImpl>(im.storage(), im.shape(), im.strides(), im.offset(), im.dtype(),
                                             im.version_counter()));
}

bool Tensor::is_pinned() const {
  const Storage& st = *checked().storage();
  return st.device().is_cpu() && st.owner() != nullptr && st.owner()->pinned_host();
}

Tensor Tensor::pin_memory() const {
  EMBER_CHECK(device().is_cpu(), DeviceError, "pin_memory: only CPU tensors can be pinned; this one is on {}",
              device());
  if (is_pinned()) return *this;
  const auto& im = checked();
  auto storage = std::make_shared<Storage>(nbytes(), Device::cpu(), pinned_host_allocator());
  Tensor out(std::make_shared<TensorImpl>(std::move(storage), im.shape(), contiguous_strides(im.shape()), 0, im.dtype(),
                                          nullptr));
  if (numel() > 0) out.copy_(detach());
  return out;
}

// ---- autograd accessors ----

bool Tensor::requires_grad() const {
  const auto& im = checked();
  return im.autograd_meta() && im.autograd_meta()->requires_grad;
}

Tensor& Tensor::requires_grad_(bool r) {
  auto& im = checked();
  if (r) {
    EMBER_CHECK(is_floating(im.dtype()), DTypeError,
                "requires_grad: only floating-point tensors can require grad (dtype {})", im.dtype());
    EMBER_CHECK(!im.autograd_meta() || !im.autograd_meta()->grad_fn, AutogradError,
                "requires_grad: can only be set on a leaf tensor (this one is the output of {}); "
                "use detach() first",
                im.autograd_meta() ? im.autograd_meta()->grad_fn->name() : "");
  }
  if (!im.autograd_meta()) {
    if (!r) return *this;
    im.ensure_autograd_meta();
  }
  EMBER_CHECK(r || !im.autograd_meta()->grad_fn, AutogradError,
              "requires_grad(false): the output of {} is not a leaf; use detach()",
              im.autograd_meta()->grad_fn ? im.autograd_meta()->grad_fn->name() : "");
  im.autograd_meta()->requires_grad = r;
  return *this;
}

bool Tensor::is_leaf() const {
  const auto& im = checked();
  return !im.autograd_meta() || !im.autograd_meta()->grad_fn;
}

Tensor Tensor::grad() const {
  const auto& im = checked();
  return im.autograd_meta() ? im.autograd_meta()->grad : Tensor();
}

void Tensor::set_grad(const Tensor& g) {
  auto& im = checked();
  if (g.defined()) {
    EMBER_CHECK(g.shape() == im.shape(), ShapeError, "set_grad: gradient shape {} != tensor shape {}",
                shape_str(g.shape()), shape_str(im.shape()));
  }
  im.ensure_autograd_meta();
  im.autograd_meta()->grad = g;
}

void Tensor::zero_grad() {
  auto& im = checked();
  if (im.autograd_meta()) im.autograd_meta()->grad = Tensor();
}

std::shared_ptr<autograd::Node> Tensor::grad_fn() const {
  const auto& im = checked();
  return im.autograd_meta() ? im.autograd_meta()->grad_fn : nullptr;
}

void Tensor::backward(const Tensor& gradient, bool retain_graph) const {
  autograd::backward({*this}, {gradient}, retain_graph);
}

// ---- in-place ----

namespace {
void check_inplace(const Tensor& t, const char* op) {
  EMBER_CHECK(!(grad_enabled() && t.requires_grad()), AutogradError,
              "{}: in-place update of a tensor that requires grad (shape {}) while grad mode is on; "
              "wrap it in NoGradGuard or use the out-of-place op",
              op, shape_str(t.shape()));
}
}  // namespace

Tensor& Tensor::copy_(const Tensor& src) {
  check_inplace(*this, "copy_");
  EMBER_CHECK(src.defined(), ValueError, "copy_: source tensor is undefined");
  Tensor s = src;
  if (s.shape() != shape()) {
    EMBER_CHECK(broadcast_shapes(shape(), s.shape(), "copy_") == shape(), ShapeError,
                "copy_: a source of shape {} cannot be broadcast into a tensor of shape {}",
                shape_str(s.shape()), shape_str(shape()));
    s = src.detach().expand(shape());
  }
  get_kernel<OpId::copy>(device().is_cuda() ? device() : s.device())(s, *this, false);
  bump_version();
  return *this;
}

Tensor& Tensor::fill_(double value) {
  check_inplace(*this, "fill_");
  get_kernel<OpId::fill>(device())(*this, value);
  bump_version();
  return *this;
}

}  // namespace ember
