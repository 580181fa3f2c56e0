#pragma once
// The CUDA backend's internal runtime: device selection, the calling thread's current
// stream, and the cuBLAS/cuDNN handles bound to it. Public counterparts: core/cuda.h.
#include <cublas_v2.h>
#include <cudnn.h>
#include <cuda_runtime_api.h>

#include "ember/core/device.h"

namespace ember::cuda {

// Makes `device` current for the calling thread (throws DeviceError if it does not exist).
void set_device(int device);

// Sets the device for a scope and restores the previous one (never throws on exit).
class DeviceGuard {
 public:
  explicit DeviceGuard(int device);
  explicit DeviceGuard(Device d) : DeviceGuard(d.index) {}
  ~DeviceGuard();
  DeviceGuard(const DeviceGuard&) = delete;
  DeviceGuard& operator=(const DeviceGuard&) = delete;

 private:
  int prev_ = -1;
};

// The calling thread's current stream on `device` (the legacy default stream unless a
// StreamGuard / set_current_stream chose another).
cudaStream_t stream(int device);

// Handles for the calling thread and `device`, created on first use, bound to the
// current stream on every call. The caller must have made `device` current.
cublasHandle_t cublas_handle(int device);
cudnnHandle_t cudnn_handle(int device);

// Properties cached per device.
int sm_count(int device);
}  // namespace ember::cuda
