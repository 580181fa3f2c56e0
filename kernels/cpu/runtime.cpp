// What the CPU backend runs on and with: the CPU, oneDNN's ISA, the thread count.
#include <omp.h>

#include <fstream>
#include <string>

#include <oneapi/dnnl/dnnl.h>
#include <oneapi/dnnl/dnnl_debug.h>

#include "ember/core/error.h"
#include "ember/core/runtime.h"

namespace ember {

CpuInfo cpu_info() {
  CpuInfo info{"unknown CPU", "unknown"};
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("model name", 0) != 0) continue;
    const auto colon = line.find(':');
    if (colon != std::string::npos && colon + 2 <= line.size()) info.model = line.substr(colon + 2);
    break;
  }
  // The name of the ISA oneDNN's JIT kernels are generated for on this machine, which
  // (not the CPU's name) says how fast its convolutions and matmuls can be.
  if (const char* s = dnnl_cpu_isa2str(dnnl_get_effective_cpu_isa())) {
    info.isa = s;
    if (info.isa.rfind("cpu_isa_", 0) == 0) info.isa.erase(0, 8);
  }
  return info;
}

void set_num_threads(int n) {
  EMBER_CHECK(n >= 1, ValueError, "set_num_threads: need at least 1 thread, got {}", n);
  omp_set_num_threads(n);
}

int get_num_threads() { return omp_get_max_threads(); }

}  // namespace ember
