#include "kernels/cuda/cudnn_desc.h"

#include <climits>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"  // see cudnn_desc.h

namespace ember::cuda {

cudnnDataType_t cudnn_dtype(DType d, const char* op) {
  switch (d) {
    case DType::f32: return CUDNN_DATA_FLOAT;
    case DType::f64: return CUDNN_DATA_DOUBLE;
    case DType::f16: return CUDNN_DATA_HALF;
    case DType::bf16: return CUDNN_DATA_BFLOAT16;
    default:
      EMBER_THROW(DTypeError, "{}: the CUDA backend supports float32, float64, float16 and bfloat16, got {}", op, d);
  }
}

namespace {

void check_fits(const Shape& s, const char* what, const char* op) {
  for (int64_t v : s) {
    EMBER_CHECK(v <= INT_MAX, ValueError, "{}: {} shape {} has a size beyond cuDNN's 32-bit limit", op, what,
                shape_str(s));
  }
  // cuDNN's legacy kernels index with 32-bit offsets.
  EMBER_CHECK(numel_of(s) <= INT_MAX, ValueError,
              "{}: {} shape {} has {} elements, more than cuDNN's limit of {}; split the batch", op, what, shape_str(s),
              numel_of(s), INT_MAX);
}

}  // namespace

ConvDescs::ConvDescs(const Shape& x_shape, const Shape& w_shape, const Shape& y_shape, const Conv2dOptions& opt,
                     DType dtype, const char* op) {
  check_fits(x_shape, "input", op);
  check_fits(w_shape, "weight", op);
  check_fits(y_shape, "output", op);
  for (int i = 0; i < 2; ++i) {
    EMBER_CHECK(opt.stride[i] <= INT_MAX && opt.padding[i] <= INT_MAX && opt.dilation[i] <= INT_MAX &&
                    opt.groups <= INT_MAX,
                ValueError, "{}: stride {}, padding {}, dilation {} or groups {} beyond cuDNN's 32-bit limit", op,
                shape_str(opt.stride), shape_str(opt.padding), shape_str(opt.dilation), opt.groups);
  }
  const cudnnDataType_t type = cudnn_dtype(dtype, op);
  x.set(type, x_shape);
  y.set(type, y_shape);
  w.set(type, w_shape);
  // f16/bf16 accumulate in f32 (cuDNN's "pseudo half" configuration), like the CPU.
  conv.set(opt, dtype == DType::f64 ? CUDNN_DATA_DOUBLE : CUDNN_DATA_FLOAT);
}

Workspace::Workspace(size_t bytes, Device device) : device_(device) {
  if (bytes == 0) return;
  ptr_ = get_allocator(DeviceType::cuda)->allocate(bytes, device);
  bytes_ = bytes;
}

Workspace& Workspace::operator=(Workspace&& o) noexcept {
  if (this != &o) {
    release();
    ptr_ = o.ptr_;
    bytes_ = o.bytes_;
    device_ = o.device_;
    o.ptr_ = nullptr;
    o.bytes_ = 0;
  }
  return *this;
}

void Workspace::release() noexcept {
  if (ptr_) get_allocator(DeviceType::cuda)->deallocate(ptr_, device_);
  ptr_ = nullptr;
  bytes_ = 0;
}

}  // namespace ember::cuda

#pragma GCC diagnostic pop
