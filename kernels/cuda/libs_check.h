#pragma once
// Status checks for cuBLAS and cuDNN (kept apart from check.h so that files using neither
// do not pull in their headers).
#include <cublas_v2.h>
#include <cudnn.h>

#include "ember/core/error.h"

#define EMBER_CUBLAS_CHECK(call)                                                                  \
  do {                                                                                            \
    cublasStatus_t ember_st_ = (call);                                                            \
    if (ember_st_ != CUBLAS_STATUS_SUCCESS) [[unlikely]] {                                        \
      EMBER_THROW(CublasError, "{} failed: {} ({}) at {}:{}", #call, cublasGetStatusString(ember_st_), \
                  static_cast<int>(ember_st_), __FILE__, __LINE__);                               \
    }                                                                                             \
  } while (0)

#define EMBER_CUDNN_CHECK(call)                                                                   \
  do {                                                                                            \
    cudnnStatus_t ember_st_ = (call);                                                             \
    if (ember_st_ != CUDNN_STATUS_SUCCESS) [[unlikely]] {                                         \
      EMBER_THROW(CudnnError, "{} failed: {} ({}) at {}:{}", #call, cudnnGetErrorString(ember_st_), \
                  static_cast<int>(ember_st_), __FILE__, __LINE__);                               \
    }                                                                                             \
  } while (0)
