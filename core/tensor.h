#pragma once
// Tensor: a value type sharing a TensorImpl (storage + shape + strides + offset + dtype
// + autograd metadata). Copies of a Tensor alias the same data; views share storage.
#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "ember/core/allocator.h"
#include "ember/core/device.h"
#include "ember/core/dtype.h"
#include "ember/core/error.h"
#include "ember/core/shape.h"

namespace ember {

class Tensor;
namespace autograd {
class Node;
struct AutogradMeta;
}  // namespace autograd

// Shared by a tensor and its views: bumped by every in-place write so that the engine can
// detect a tensor saved for backward that was modified afterwards.
struct VersionCounter {
  std::atomic<uint32_t> value{0};
};

// Everything a Tensor handle shares with its copies. Fields are private: numel and
// contiguity are computed once, when the geometry is set, not on every call.
class TensorImpl {
 public:
  TensorImpl(std::shared_ptr<Storage> storage, Shape shape, Strides strides, int64_t offset,
             DType dtype, std::shared_ptr<VersionCounter> version);
  ~TensorImpl();
  TensorImpl(const TensorImpl&) = delete;
  TensorImpl& operator=(const TensorImpl&) = delete;

  const std::shared_ptr<Storage>& storage() const { return storage_; }
  const Shape& shape() const { return shape_; }
  const Strides& strides() const { return strides_; }
  int64_t offset() const { return offset_; }  // in elements
  DType dtype() const { return dtype_; }
  int64_t numel() const { return numel_; }
  bool is_contiguous() const { return contiguous_; }
  const std::shared_ptr<VersionCounter>& version_counter() const { return version_; }

  // Autograd metadata: null until the tensor requires grad, has a grad or a grad_fn.
  autograd::AutogradMeta* autograd_meta() const { return autograd_.get(); }
  autograd::AutogradMeta& ensure_autograd_meta();

  // Points this tensor at other data of its shape, in place, so that every handle sees it
  // (nn::Module::to converts parameters so). Bumps no version: the caller does.
  void set_data(std::shared_ptr<Storage> storage, Strides strides, int64_t offset, DType dtype);

 private:
  void cache_geometry();

  std::shared_ptr<Storage> storage_;
  Shape shape_;
  Strides strides_;
  int64_t offset_ = 0;
  DType dtype_;
  int64_t numel_ = 0;
  bool contiguous_ = true;
  std::shared_ptr<VersionCounter> version_;
  std::unique_ptr<autograd::AutogradMeta> autograd_;
};

class Tensor {
 public:
  Tensor() = default;  // undefined: used for "no tensor" (absent bias, missing grad)
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  bool defined() const { return impl_ != nullptr; }
  TensorImpl* impl() const { return impl_.get(); }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }
  bool is_same(const Tensor& o) const { return impl_ == o.impl_; }

  // Metadata
  const Shape& shape() const { return checked().shape(); }
  const Strides& strides() const { return checked().strides(); }
  int64_t size(int64_t dim) const;
  int64_t stride(int64_t dim) const;
  int64_t dim() const { return static_cast<int64_t>(shape().size()); }
  int64_t numel() const { return checked().numel(); }
  int64_t offset() const { return checked().offset(); }
  DType dtype() const { return checked().dtype(); }
  Device device() const { return checked().storage()->device(); }
  bool is_contiguous() const { return checked().is_contiguous(); }
  size_t nbytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype()); }
  uint32_t version() const { return checked().version_counter()->value.load(); }
  void bump_version() const { checked().version_counter()->value.fetch_add(1); }

  // Pointer to the first element (storage + offset). data<T>() checks T against dtype.
  void* raw_data() const;
  template <class T>
  T* data() const {
    EMBER_CHECK(dtype_v<T> == dtype(), DTypeError, "data<{}>(): tensor has dtype {}", dtype_v<T>,
                dtype());
    return static_cast<T*>(raw_data());
  }

  // Element access for tests and small host code (copies from the device when needed).
  template <class T>
  T item() const;
  template <class T>
  T at(std::initializer_list<int64_t> index) const;
  // All elements, in logical row-major order, converted to T.
  template <class T>
  std::vector<T> to_vector() const;

  // Conversion and copies
  Tensor to(Device device, bool non_blocking = false) const;  // see to_device (ops/copy.h)
  Tensor to(DType dtype) const;
  Tensor cpu() const { return to(Device::cpu()); }
  Tensor contiguous() const;
  // A contiguous copy in page-locked host memory (or this tensor if it is pinned already),
  // so that copies to a CUDA device can run asynchronously. CPU tensors only; no autograd
  // history. Throws DeviceError without the CUDA backend or without a device.
  Tensor pin_memory() const;
  bool is_pinned() const;
  Tensor clone() const;
  Tensor detach() const;  // shares data and version counter; no autograd history

  // Views (share storage; differentiable)
  Tensor view(Shape shape) const;
  Tensor reshape(Shape shape) const;
  Tensor flatten(int64_t start_dim = 0, int64_t end_dim = -1) const;
  Tensor permute(std::vector<int64_t> dims) const;
  Tensor transpose(int64_t d0, int64_t d1) const;
  Tensor t() const { return transpose(0, 1); }
  Tensor narrow(int64_t dim, int64_t start, int64_t length) const;
  Tensor slice(int64_t dim, int64_t start, int64_t end, int64_t step = 1) const;
  Tensor select(int64_t dim, int64_t index) const;
  Tensor expand(Shape shape) const;
  Tensor expand_as(const Tensor& other) const { return expand(other.shape()); }
  Tensor squeeze() const;
  Tensor squeeze(int64_t dim) const;
  Tensor unsqueeze(int64_t dim) const;

  // In-place (bump the version counter; refused on tensors that need grad while grad mode is on)
  Tensor& copy_(const Tensor& src);
  Tensor& fill_(double value);
  Tensor& zero_() { return fill_(0.0); }
  Tensor& add_(const Tensor& other, double alpha = 1.0);
  Tensor& add_(double value);
  Tensor& sub_(const Tensor& other) { return add_(other, -1.0); }
  Tensor& mul_(const Tensor& other);
  Tensor& mul_(double value);
  Tensor& div_(double value) { return mul_(1.0 / value); }

  // Autograd
  bool requires_grad() const;
  Tensor& requires_grad_(bool r = true);
  bool is_leaf() const;
  Tensor grad() const;  // undefined until a backward reaches this tensor
  void set_grad(const Tensor& g);
  void zero_grad();  // drops the gradient
  std::shared_ptr<autograd::Node> grad_fn() const;
  // Scalar outputs need no gradient argument; others need one of the same shape.
  void backward(const Tensor& gradient = Tensor(), bool retain_graph = false) const;

  // Method forms of common ops (see ember/core/ops/*.h for contracts)
  Tensor neg() const;
  Tensor abs() const;
  Tensor exp() const;
  Tensor log() const;
  Tensor sqrt() const;
  Tensor pow(double e) const;
  Tensor relu() const;
  Tensor sigmoid() const;
  Tensor tanh() const;
  Tensor sum() const;
  Tensor sum(std::vector<int64_t> dims, bool keepdim = false) const;
  Tensor mean() const;
  Tensor mean(std::vector<int64_t> dims, bool keepdim = false) const;
  Tensor max() const;
  Tensor min() const;
  Tensor argmax(int64_t dim, bool keepdim = false) const;
  Tensor matmul(const Tensor& o) const;
  Tensor softmax(int64_t dim) const;
  Tensor log_softmax(int64_t dim) const;

 private:
  TensorImpl& checked() const {
    EMBER_CHECK(impl_ != nullptr, ValueError, "operation on an undefined tensor");
    return *impl_;
  }
  std::shared_ptr<TensorImpl> impl_;
};

// Low-level construction: a fresh contiguous tensor (uninitialised memory).
Tensor make_tensor(Shape shape, DType dtype, Device device);
// A view of `base`'s storage with new geometry (no autograd recorded).
Tensor make_view(const Tensor& base, Shape shape, Strides strides, int64_t offset);

Tensor operator-(const Tensor& a);
Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator+(const Tensor& a, double b);
Tensor operator-(const Tensor& a, double b);
Tensor operator*(const Tensor& a, double b);
Tensor operator/(const Tensor& a, double b);
Tensor operator+(double a, const Tensor& b);
Tensor operator-(double a, const Tensor& b);
Tensor operator*(double a, const Tensor& b);
Tensor operator/(double a, const Tensor& b);

}  // namespace ember
