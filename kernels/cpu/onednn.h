#pragma once
// The process-wide oneDNN CPU engine and a stream for the calling thread.
#include <oneapi/dnnl/dnnl.hpp>

namespace ember::cpu {
dnnl::engine& onednn_engine();
dnnl::stream onednn_stream();
}  // namespace ember::cpu
