#pragma once
// What this process can run on.
#include <string>

namespace ember {

// The CPU's model name (from /proc/cpuinfo; "unknown CPU" elsewhere) and the instruction
// set oneDNN generates its kernels for on it ("avx512_core_amx", "avx512_core", "avx2", ...):
// CPU throughput differs 2-3x between these, so benchmarks and logs should name them.
struct CpuInfo {
  std::string model;
  std::string isa;
};
CpuInfo cpu_info();

// The number of threads CPU kernels use (OpenMP's; oneDNN follows it): all cores unless
// set. set_num_threads(n) applies to the ops the calling thread runs afterwards (OpenMP
// keeps it per thread: a std::thread started later begins with the default, all cores or
// OMP_NUM_THREADS, and calls set_num_threads itself to differ); n must be >= 1.
void set_num_threads(int n);
int get_num_threads();

// Number of usable CUDA devices: 0 when the build has no CUDA backend, or when there is
// no driver or no device (never throws for those cases).
int cuda_device_count();
inline bool cuda_available() { return cuda_device_count() > 0; }

}  // namespace ember
