#pragma once
// The CUDA runtime as seen by users: devices, streams, events, memory statistics and
// math settings. Usable in every build: without the CUDA backend (or without a device)
// device_count() is 0 and the calls that need a device throw DeviceError.
// No CUDA header is included, so programs that link ember need no CUDA toolkit.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "ember/core/device.h"

namespace ember::cuda {

int device_count();  // same as ember::cuda_device_count()
bool is_available();
std::string device_name(int device);  // "NVIDIA H100 80GB HBM3"
// Waits for all work queued on `device` (every stream) to finish.
void synchronize(int device = 0);

// A CUDA stream owned by ember (RAII: destroyed with its last copy), or the legacy
// default stream of a device. Work issued by ember ops goes to the calling thread's
// current stream for the op's device.
class Stream {
 public:
  // The default stream of `device`.
  static Stream default_stream(int device = 0);
  // A new non-blocking stream; higher priority runs first when both have work.
  static Stream create(int device = 0, bool high_priority = false);

  int device() const { return device_; }
  void* native() const;  // the cudaStream_t
  bool is_default() const { return !impl_; }
  void synchronize() const;
  bool query() const;  // true when all queued work has finished
  bool operator==(const Stream& o) const { return device_ == o.device_ && native() == o.native(); }

 private:
  struct Impl;
  Stream(int device, std::shared_ptr<Impl> impl) : device_(device), impl_(std::move(impl)) {}
  int device_ = 0;
  std::shared_ptr<Impl> impl_;
};

Stream current_stream(int device = 0);
void set_current_stream(const Stream& s);

// Makes `s` current on its device for the scope, then restores the previous stream.
class StreamGuard {
 public:
  explicit StreamGuard(const Stream& s) : prev_(current_stream(s.device())) { set_current_stream(s); }
  ~StreamGuard() { set_current_stream(prev_); }
  StreamGuard(const StreamGuard&) = delete;
  StreamGuard& operator=(const StreamGuard&) = delete;

 private:
  Stream prev_;
};

// A CUDA event with timing (RAII).
class Event {
 public:
  explicit Event(int device = 0);
  void record(const Stream& s);
  void wait(const Stream& s) const;  // makes `s` wait for this event
  void synchronize() const;
  bool query() const;
  float elapsed_ms(const Event& end) const;  // this event to `end`, both recorded

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// The caching allocator's counters for one device (bytes unless named otherwise).
struct MemoryStats {
  size_t allocated = 0;         // held by live tensors (rounded block sizes)
  size_t reserved = 0;          // obtained from cudaMalloc and not yet freed
  size_t peak_allocated = 0;
  size_t peak_reserved = 0;
  uint64_t num_device_mallocs = 0;  // cudaMalloc calls
  uint64_t num_device_frees = 0;    // cudaFree calls
  uint64_t num_requests = 0;        // allocations asked of the allocator
  uint64_t num_cache_hits = 0;      // requests served from the cache
  uint64_t num_ooms = 0;            // requests that failed after emptying the cache
};
MemoryStats memory_stats(int device = 0);
void reset_peak_memory_stats(int device = 0);
// Returns every cached (unused) block to the driver; live tensors are untouched.
void empty_cache();
std::string memory_summary(int device = 0);  // one line for logs

// TensorFloat-32 for f32 matmuls and convolutions (off by default: f32 results then match
// the CPU closely). Process-wide, like PyTorch's allow_tf32 flags.
void set_allow_tf32(bool allow);
bool allow_tf32();

}  // namespace ember::cuda
