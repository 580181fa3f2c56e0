#pragma once
// The dispatch table: (op, device type) -> kernel. Backends fill it in
// register_cpu_kernels() / register_cuda_kernels(), called once on first use.
#include <cstdint>

#include "ember/core/kernel_types.h"

namespace ember {

enum class OpId : uint16_t {
#define EMBER_OP(name, family) name,
#include "ember/core/ops.def"
#undef EMBER_OP
  kCount
};

const char* op_name(OpId op);
const char* op_family(OpId op);  // "Unary", "Binary", ...

namespace detail {
void register_kernel(OpId op, DeviceType dev, void* fn, const char* family);
void* lookup_kernel(OpId op, DeviceType dev, const char* family);
}  // namespace detail

template <class Fn>
void register_kernel(OpId op, DeviceType dev, Fn fn, const char* family) {
  detail::register_kernel(op, dev, reinterpret_cast<void*>(fn), family);
}

// Family-checked lookup: get_kernel<kernel::Unary>(OpId::exp, dev, "Unary").
// Throws NotImplementedError naming the op and the device when no kernel exists.
template <class Fn>
Fn get_kernel(OpId op, DeviceType dev, const char* family) {
  return reinterpret_cast<Fn>(detail::lookup_kernel(op, dev, family));
}

#define EMBER_KERNEL(op, family, device) \
  ::ember::get_kernel<::ember::kernel::family>(::ember::OpId::op, (device).type, #family)

// Runs the backends' register functions once (idempotent, thread-safe).
void ensure_backends_registered();

// Backends (defined in kernels/cpu and kernels/cuda).
void register_cpu_kernels();
void register_cuda_kernels();
// True if this build has the CUDA backend compiled in.
bool cuda_compiled();

}  // namespace ember
