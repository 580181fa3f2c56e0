#pragma once
// RAII owners for the cuDNN legacy descriptors that a convolution needs, and for scratch
// workspaces taken from the CUDA caching allocator. Destructors never throw: a failed
// destroy leaks one descriptor, which is the lesser evil.
#include <cstddef>
#include <cstdint>

#include <cudnn.h>

#include "ember/core/allocator.h"
#include "ember/core/dtype.h"
#include "ember/core/ops/conv.h"
#include "ember/core/shape.h"
#include "kernels/cuda/libs_check.h"

// The legacy convolution API is CUDNN_DEPRECATED in cuDNN 9 (conv.cpp says why we use it).
// The attribute only warns when CUDNN_WARN_DEPRECATED is defined; should anyone define it,
// the warning is silenced here and in the conv files, not for the whole build.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

namespace ember::cuda {

// cuDNN's element type for a floating dtype (throws DTypeError naming `op` otherwise).
cudnnDataType_t cudnn_dtype(DType d, const char* op);

class TensorDesc {
 public:
  TensorDesc() { EMBER_CUDNN_CHECK(cudnnCreateTensorDescriptor(&d_)); }
  ~TensorDesc() {
    if (d_) cudnnDestroyTensorDescriptor(d_);
  }
  TensorDesc(const TensorDesc&) = delete;
  TensorDesc& operator=(const TensorDesc&) = delete;
  // A contiguous NCHW tensor; the shape must have 4 dims that fit in int.
  void set(cudnnDataType_t type, const Shape& s) {
    EMBER_CUDNN_CHECK(cudnnSetTensor4dDescriptor(d_, CUDNN_TENSOR_NCHW, type, static_cast<int>(s[0]),
                                                 static_cast<int>(s[1]), static_cast<int>(s[2]),
                                                 static_cast<int>(s[3])));
  }
  cudnnTensorDescriptor_t get() const { return d_; }

 private:
  cudnnTensorDescriptor_t d_ = nullptr;
};

class FilterDesc {
 public:
  FilterDesc() { EMBER_CUDNN_CHECK(cudnnCreateFilterDescriptor(&d_)); }
  ~FilterDesc() {
    if (d_) cudnnDestroyFilterDescriptor(d_);
  }
  FilterDesc(const FilterDesc&) = delete;
  FilterDesc& operator=(const FilterDesc&) = delete;
  // [O, C/groups, kH, kW], contiguous.
  void set(cudnnDataType_t type, const Shape& s) {
    EMBER_CUDNN_CHECK(cudnnSetFilter4dDescriptor(d_, type, CUDNN_TENSOR_NCHW, static_cast<int>(s[0]),
                                                 static_cast<int>(s[1]), static_cast<int>(s[2]),
                                                 static_cast<int>(s[3])));
  }
  cudnnFilterDescriptor_t get() const { return d_; }

 private:
  cudnnFilterDescriptor_t d_ = nullptr;
};

class ConvDesc {
 public:
  ConvDesc() { EMBER_CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&d_)); }
  ~ConvDesc() {
    if (d_) cudnnDestroyConvolutionDescriptor(d_);
  }
  ConvDesc(const ConvDesc&) = delete;
  ConvDesc& operator=(const ConvDesc&) = delete;
  // Cross-correlation (what deep learning calls convolution) with the given accumulation type.
  void set(const Conv2dOptions& o, cudnnDataType_t compute) {
    EMBER_CUDNN_CHECK(cudnnSetConvolution2dDescriptor(
        d_, static_cast<int>(o.padding[0]), static_cast<int>(o.padding[1]), static_cast<int>(o.stride[0]),
        static_cast<int>(o.stride[1]), static_cast<int>(o.dilation[0]), static_cast<int>(o.dilation[1]),
        CUDNN_CROSS_CORRELATION, compute));
    EMBER_CUDNN_CHECK(cudnnSetConvolutionGroupCount(d_, static_cast<int>(o.groups)));
  }
  void set_math(cudnnMathType_t m) { EMBER_CUDNN_CHECK(cudnnSetConvolutionMathType(d_, m)); }
  cudnnConvolutionDescriptor_t get() const { return d_; }

 private:
  cudnnConvolutionDescriptor_t d_ = nullptr;
};

// The descriptors of one convolution: input x [N,C,H,W], weight w, output y [N,O,OH,OW].
// Checks that every size fits cuDNN's int arguments (ValueError naming `op`).
struct ConvDescs {
  ConvDescs(const Shape& x_shape, const Shape& w_shape, const Shape& y_shape, const Conv2dOptions& opt, DType dtype,
            const char* op);
  TensorDesc x, y;
  FilterDesc w;
  ConvDesc conv;
};

// Device scratch memory from the caching allocator, returned when the owner goes out of
// scope. Freeing right after queuing the kernel that uses it is safe: the allocator hands
// the block out again only to work ordered after it on the same stream.
class Workspace {
 public:
  Workspace() = default;
  Workspace(size_t bytes, Device device);
  ~Workspace() { release(); }
  Workspace(Workspace&& o) noexcept : ptr_(o.ptr_), bytes_(o.bytes_), device_(o.device_) {
    o.ptr_ = nullptr;
    o.bytes_ = 0;
  }
  Workspace& operator=(Workspace&& o) noexcept;
  Workspace(const Workspace&) = delete;
  Workspace& operator=(const Workspace&) = delete;

  void* data() const { return ptr_; }
  size_t size() const { return bytes_; }

 private:
  void release() noexcept;
  void* ptr_ = nullptr;
  size_t bytes_ = 0;
  Device device_ = Device::cpu();
};

}  // namespace ember::cuda

#pragma GCC diagnostic pop
