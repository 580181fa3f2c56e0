#pragma once
// Status checks for CUDA runtime calls; failures throw CudaError with the call, file
// and line.
#include <cuda_runtime_api.h>

#include "ember/core/error.h"

#define EMBER_CUDA_CHECK(call)                                                                  \
  do {                                                                                          \
    cudaError_t ember_err_ = (call);                                                            \
    if (ember_err_ != cudaSuccess) [[unlikely]] {                                               \
      EMBER_THROW(CudaError, "{} failed: {} ({}) at {}:{}", #call, cudaGetErrorString(ember_err_), \
                  static_cast<int>(ember_err_), __FILE__, __LINE__);                            \
    }                                                                                           \
  } while (0)

// After a kernel launch: reports launch-configuration errors.
#define EMBER_CUDA_CHECK_LAUNCH(name) EMBER_CUDA_CHECK(cudaGetLastError())

namespace ember::cuda {
// Makes `device` current for the calling thread (throws DeviceError if it does not exist).
void set_device(int device);
cudaStream_t current_stream(int device);
}  // namespace ember::cuda
