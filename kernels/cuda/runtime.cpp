// Device discovery, current streams, events and library handles.
#include "kernels/cuda/runtime.h"

#include <atomic>
#include <mutex>
#include <vector>

#include "ember/core/cuda.h"
#include "ember/core/runtime.h"
#include "kernels/cuda/check.h"
#include "kernels/cuda/libs_check.h"

namespace ember {

int cuda_device_count() {
  static int count = [] {
    int n = 0;
    // Without a driver this returns cudaErrorInsufficientDriver (35) or cudaErrorNoDevice;
    // both mean "no usable device", not an error.
    cudaError_t err = cudaGetDeviceCount(&n);
    if (err != cudaSuccess) {
      (void)cudaGetLastError();  // clear the sticky error state
      return 0;
    }
    return n;
  }();
  return count;
}

namespace cuda {
namespace {

void check_device(int device) {
  int n = cuda_device_count();
  EMBER_CHECK(device >= 0 && device < n, DeviceError, "cuda:{} does not exist ({} CUDA devices available)", device,
              n);
}

struct DeviceProps {
  int sm_count = 0;
  std::string name;
};

const DeviceProps& props(int device) {
  check_device(device);
  static std::vector<DeviceProps> all(static_cast<size_t>(cuda_device_count()));
  static std::vector<std::once_flag> once(static_cast<size_t>(cuda_device_count()));
  std::call_once(once[static_cast<size_t>(device)], [&] {
    cudaDeviceProp p{};
    EMBER_CUDA_CHECK(cudaGetDeviceProperties(&p, device));
    all[static_cast<size_t>(device)] = {p.multiProcessorCount, p.name};
  });
  return all[static_cast<size_t>(device)];
}

// The calling thread's current stream per device; an empty Stream means the default.
std::vector<Stream>& thread_streams() {
  thread_local std::vector<Stream> streams;
  if (streams.empty()) {
    for (int d = 0; d < cuda_device_count(); ++d) streams.push_back(Stream::default_stream(d));
  }
  return streams;
}

// Library handles of one thread; destroyed when the thread exits (thread_local
// destructors run before the CUDA runtime's own teardown at process exit). Each handle is
// destroyed with its device current and first unbound from the stream it was last bound
// to, which may already be destroyed (the thread's current streams are another
// thread_local, destroyed in either order). Failures are ignored and cleared: destructors
// never throw, and a stale error must not be reported by the next launch on this thread.
struct ThreadHandles {
  std::vector<cublasHandle_t> blas;
  std::vector<cudnnHandle_t> dnn;
  ~ThreadHandles() {
    int prev = -1;
    if (cudaGetDevice(&prev) != cudaSuccess) prev = -1;
    for (size_t d = 0; d < blas.size(); ++d) {
      if (!blas[d] && !dnn[d]) continue;
      cudaSetDevice(static_cast<int>(d));
      if (blas[d]) {
        cublasSetStream(blas[d], nullptr);
        cublasDestroy(blas[d]);
      }
      if (dnn[d]) {
        cudnnSetStream(dnn[d], nullptr);
        cudnnDestroy(dnn[d]);
      }
    }
    if (prev >= 0) cudaSetDevice(prev);
    (void)cudaGetLastError();
  }
};

ThreadHandles& thread_handles() {
  thread_local ThreadHandles h;
  const auto n = static_cast<size_t>(cuda_device_count());
  if (h.blas.size() < n) {
    h.blas.resize(n, nullptr);
    h.dnn.resize(n, nullptr);
  }
  return h;
}

std::atomic<bool> g_allow_tf32{false};

}  // namespace

void set_device(int device) {
  check_device(device);
  EMBER_CUDA_CHECK(cudaSetDevice(device));
}

DeviceGuard::DeviceGuard(int device) {
  check_device(device);
  EMBER_CUDA_CHECK(cudaGetDevice(&prev_));
  if (prev_ != device) EMBER_CUDA_CHECK(cudaSetDevice(device));
}

DeviceGuard::~DeviceGuard() {
  int now = -1;
  if (prev_ >= 0 && cudaGetDevice(&now) == cudaSuccess && now != prev_ && cudaSetDevice(prev_) != cudaSuccess) {
    (void)cudaGetLastError();  // never throws; a stale error would be blamed on the next launch
  }
}

cudaStream_t stream(int device) {
  check_device(device);
  return static_cast<cudaStream_t>(thread_streams()[static_cast<size_t>(device)].native());
}

cublasHandle_t cublas_handle(int device) {
  check_device(device);
  auto& h = thread_handles().blas[static_cast<size_t>(device)];
  if (!h) {
    EMBER_CUBLAS_CHECK(cublasCreate(&h));
    // Results must not depend on the run: no atomics-based reductions inside cuBLAS.
    EMBER_CUBLAS_CHECK(cublasSetAtomicsMode(h, CUBLAS_ATOMICS_NOT_ALLOWED));
  }
  EMBER_CUBLAS_CHECK(cublasSetStream(h, stream(device)));
  return h;
}

cudnnHandle_t cudnn_handle(int device) {
  check_device(device);
  auto& h = thread_handles().dnn[static_cast<size_t>(device)];
  if (!h) EMBER_CUDNN_CHECK(cudnnCreate(&h));
  EMBER_CUDNN_CHECK(cudnnSetStream(h, stream(device)));
  return h;
}

int sm_count(int device) { return props(device).sm_count; }

// ---- public API (core/cuda.h) ----

int device_count() { return cuda_device_count(); }
bool is_available() { return cuda_device_count() > 0; }
std::string device_name(int device) { return props(device).name; }

void synchronize(int device) {
  DeviceGuard g(device);
  EMBER_CUDA_CHECK(cudaDeviceSynchronize());
}

struct Stream::Impl {
  int device = 0;
  cudaStream_t s = nullptr;
  // Waits for the stream's work before destroying it: the caching allocator keeps the
  // blocks freed on this stream under its handle value, and a stream created later may get
  // the same value and reuse them, with no ordering after work still queued here.
  ~Impl() {
    if (s == nullptr) return;  // creation failed
    int prev = -1;
    if (cudaGetDevice(&prev) != cudaSuccess) prev = -1;
    if (prev != device) cudaSetDevice(device);
    cudaStreamSynchronize(s);
    cudaStreamDestroy(s);
    if (prev >= 0 && prev != device) cudaSetDevice(prev);
    (void)cudaGetLastError();  // destructors never throw; clear what failed (e.g. at exit)
  }
};

Stream Stream::default_stream(int device) {
  check_device(device);
  return Stream(device, nullptr);
}

Stream Stream::create(int device, bool high_priority) {
  DeviceGuard g(device);
  int least = 0, greatest = 0;
  EMBER_CUDA_CHECK(cudaDeviceGetStreamPriorityRange(&least, &greatest));
  auto impl = std::make_shared<Impl>();
  impl->device = device;
  EMBER_CUDA_CHECK(cudaStreamCreateWithPriority(&impl->s, cudaStreamNonBlocking, high_priority ? greatest : least));
  return Stream(device, std::move(impl));
}

void* Stream::native() const { return impl_ ? static_cast<void*>(impl_->s) : nullptr; }

void Stream::synchronize() const {
  DeviceGuard g(device_);
  EMBER_CUDA_CHECK(cudaStreamSynchronize(static_cast<cudaStream_t>(native())));
}

bool Stream::query() const {
  DeviceGuard g(device_);
  cudaError_t e = cudaStreamQuery(static_cast<cudaStream_t>(native()));
  if (e == cudaErrorNotReady) {
    (void)cudaGetLastError();
    return false;
  }
  EMBER_CUDA_CHECK(e);
  return true;
}

Stream current_stream(int device) {
  check_device(device);
  return thread_streams()[static_cast<size_t>(device)];
}

void set_current_stream(const Stream& s) {
  check_device(s.device());
  thread_streams()[static_cast<size_t>(s.device())] = s;
}

struct Event::Impl {
  int device = 0;
  cudaEvent_t e = nullptr;
  ~Impl() {
    if (e && cudaEventDestroy(e) != cudaSuccess) (void)cudaGetLastError();
  }
};

Event::Event(int device) : impl_(std::make_shared<Impl>()) {
  DeviceGuard g(device);
  impl_->device = device;
  EMBER_CUDA_CHECK(cudaEventCreate(&impl_->e));
}

void Event::record(const Stream& s) {
  EMBER_CHECK(s.device() == impl_->device, DeviceError, "Event::record: event of cuda:{} on a stream of cuda:{}",
              impl_->device, s.device());
  DeviceGuard g(s.device());
  EMBER_CUDA_CHECK(cudaEventRecord(impl_->e, static_cast<cudaStream_t>(s.native())));
}

void Event::wait(const Stream& s) const {
  DeviceGuard g(s.device());
  EMBER_CUDA_CHECK(cudaStreamWaitEvent(static_cast<cudaStream_t>(s.native()), impl_->e, 0));
}

void Event::synchronize() const { EMBER_CUDA_CHECK(cudaEventSynchronize(impl_->e)); }

bool Event::query() const {
  cudaError_t e = cudaEventQuery(impl_->e);
  if (e == cudaErrorNotReady) {
    (void)cudaGetLastError();
    return false;
  }
  EMBER_CUDA_CHECK(e);
  return true;
}

float Event::elapsed_ms(const Event& end) const {
  float ms = 0.0f;
  EMBER_CUDA_CHECK(cudaEventElapsedTime(&ms, impl_->e, end.impl_->e));
  return ms;
}

void set_allow_tf32(bool allow) { g_allow_tf32.store(allow); }
bool allow_tf32() { return g_allow_tf32.load(); }

}  // namespace cuda
}  // namespace ember
