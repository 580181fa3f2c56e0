// Built instead of the CUDA backend when EMBER_CUDA is off: no devices; calls that need
// one throw DeviceError, queries answer "nothing".
#include "ember/core/allocator.h"
#include "ember/core/cuda.h"
#include "ember/core/error.h"
#include "ember/core/runtime.h"

namespace ember {
int cuda_device_count() { return 0; }

Allocator* pinned_host_allocator() {
  EMBER_THROW(DeviceError, "pin_memory: ember was built without the CUDA backend (EMBER_CUDA=OFF)");
}

namespace cuda {
namespace {
[[noreturn]] void no_cuda(const char* what) {
  EMBER_THROW(DeviceError, "{}: ember was built without the CUDA backend (EMBER_CUDA=OFF)", what);
}
}  // namespace

struct Stream::Impl {};
struct Event::Impl {};

int device_count() { return 0; }
bool is_available() { return false; }
std::string device_name(int) { no_cuda("cuda::device_name"); }
void synchronize(int) { no_cuda("cuda::synchronize"); }
Stream Stream::default_stream(int) { no_cuda("cuda::Stream::default_stream"); }
Stream Stream::create(int, bool) { no_cuda("cuda::Stream::create"); }
void* Stream::native() const { return nullptr; }
void Stream::synchronize() const { no_cuda("cuda::Stream::synchronize"); }
bool Stream::query() const { no_cuda("cuda::Stream::query"); }
Stream current_stream(int) { no_cuda("cuda::current_stream"); }
void set_current_stream(const Stream&) { no_cuda("cuda::set_current_stream"); }
Event::Event(int) { no_cuda("cuda::Event"); }
void Event::record(const Stream&) { no_cuda("cuda::Event::record"); }
void Event::wait(const Stream&) const { no_cuda("cuda::Event::wait"); }
void Event::synchronize() const { no_cuda("cuda::Event::synchronize"); }
bool Event::query() const { no_cuda("cuda::Event::query"); }
float Event::elapsed_ms(const Event&) const { no_cuda("cuda::Event::elapsed_ms"); }
MemoryStats memory_stats(int) { return {}; }
void reset_peak_memory_stats(int) {}
void empty_cache() {}
std::string memory_summary(int) { return "cuda: not built"; }
void set_allow_tf32(bool) {}
bool allow_tf32() { return false; }
}  // namespace cuda
}  // namespace ember
