#include "kernels/cpu/onednn.h"

namespace ember::cpu {

dnnl::engine& onednn_engine() {
  static dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  return eng;
}

dnnl::stream onednn_stream() {
  thread_local dnnl::stream s(onednn_engine());
  return s;
}

}  // namespace ember::cpu
