#pragma once
// Raw memory per device type. The CPU allocator aligns to 64 bytes; the CUDA backend
// installs its own allocator in register_cuda_kernels().
#include <cstddef>
#include <memory>

#include "ember/core/device.h"

namespace ember {

class Allocator {
 public:
  virtual ~Allocator() = default;
  // Never returns null for nbytes > 0: throws on failure.
  virtual void* allocate(size_t nbytes, Device device) = 0;
  virtual void deallocate(void* ptr, Device device) noexcept = 0;
  // True for page-locked host memory (Tensor::is_pinned).
  virtual bool pinned_host() const noexcept { return false; }
};

Allocator* get_allocator(DeviceType type);  // throws NotImplementedError if none installed
void set_allocator(DeviceType type, Allocator* alloc);

// The CPU allocator keeps freed blocks of 64 KiB and more for reuse (up to 2 GiB).
// cpu_empty_cache() returns them to the system.
void cpu_empty_cache();
size_t cpu_cached_bytes();

// Page-locked (pinned) host memory: CPU tensors whose host<->device copies can run
// asynchronously. Provided by the CUDA backend; throws DeviceError in a build without it
// or on a machine without a CUDA device.
Allocator* pinned_host_allocator();

// Bytes of memory, owned, on one device. Shared by a tensor and all of its views.
class Storage {
 public:
  Storage(size_t nbytes, Device device);
  // Memory from `owner` rather than from the device type's allocator (pinned host memory);
  // `owner` must outlive the storage.
  Storage(size_t nbytes, Device device, Allocator* owner);
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  ~Storage();

  void* data() const { return data_; }
  size_t nbytes() const { return nbytes_; }
  Device device() const { return device_; }
  // The allocator given at construction, or null for the device type's own.
  Allocator* owner() const { return owner_; }

 private:
  void* data_ = nullptr;
  size_t nbytes_ = 0;
  Device device_;
  Allocator* owner_ = nullptr;
};

}  // namespace ember
