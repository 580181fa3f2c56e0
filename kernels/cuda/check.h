#pragma once
// Status checks for CUDA, cuBLAS and cuDNN calls; a failure throws CudaError /
// CublasError / CudnnError naming the call, the status, the file and the line.
#include <cuda_runtime_api.h>

#include "ember/core/error.h"

#define EMBER_CUDA_CHECK(call)                                                                  \
  do {                                                                                          \
    cudaError_t ember_err_ = (call);                                                            \
    if (ember_err_ != cudaSuccess) [[unlikely]] {                                               \
      (void)cudaGetLastError();                                                                 \
      EMBER_THROW(CudaError, "{} failed: {} ({}) at {}:{}", #call, cudaGetErrorString(ember_err_), \
                  static_cast<int>(ember_err_), __FILE__, __LINE__);                            \
    }                                                                                           \
  } while (0)

// After a launcher returns: its cudaError_t carries launch-configuration errors.
#define EMBER_CUDA_CHECK_LAUNCH(op, status)                                                     \
  do {                                                                                          \
    cudaError_t ember_err_ = (status);                                                          \
    if (ember_err_ != cudaSuccess) [[unlikely]] {                                               \
      (void)cudaGetLastError();                                                                 \
      EMBER_THROW(CudaError, "{}: CUDA kernel launch failed: {} ({}) at {}:{}", op,             \
                  cudaGetErrorString(ember_err_), static_cast<int>(ember_err_), __FILE__, __LINE__); \
    }                                                                                           \
  } while (0)
