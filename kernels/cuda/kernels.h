#pragma once
// CUDA kernel entry points registered in register.cpp.
#include "ember/core/allocator.h"
#include "ember/core/tensor.h"

namespace ember::cuda {
Allocator* device_allocator();
void fill_cuda(const Tensor& dst, double value);
void copy_cuda(const Tensor& src, const Tensor& dst);
}  // namespace ember::cuda
