#include "ember/core/dispatch.h"

#include <mutex>

#include "ember/core/config.h"

namespace ember {
namespace {

const char* const kOpNames[] = {
#define EMBER_OP(name, family) #name,
#include "ember/core/ops.def"
#undef EMBER_OP
};
const char* const kOpFamilies[] = {
#define EMBER_OP(name, family) #family,
#include "ember/core/ops.def"
#undef EMBER_OP
};

detail::AnyFn table[kNumOps][kNumDeviceTypes] = {};

}  // namespace

void ensure_backends_registered() {
  static std::once_flag once;
  std::call_once(once, [] {
    register_cpu_kernels();
#if EMBER_WITH_CUDA
    register_cuda_kernels();
#endif
  });
}

const char* op_name(OpId op) { return kOpNames[static_cast<int>(op)]; }
const char* op_family(OpId op) { return kOpFamilies[static_cast<int>(op)]; }

bool cuda_compiled() { return EMBER_WITH_CUDA != 0; }

bool has_kernel(OpId op, DeviceType dev) {
  ensure_backends_registered();
  return table[static_cast<int>(op)][static_cast<int>(dev)] != nullptr;
}

namespace detail {

void store_kernel(OpId op, DeviceType dev, AnyFn fn) { table[static_cast<int>(op)][static_cast<int>(dev)] = fn; }

AnyFn lookup_kernel(OpId op, DeviceType dev) {
  ensure_backends_registered();
  AnyFn fn = table[static_cast<int>(op)][static_cast<int>(dev)];
  if (fn == nullptr) [[unlikely]] {
    if (dev == DeviceType::cuda && !cuda_compiled())
      EMBER_THROW(NotImplementedError, "{}: no kernel for cuda: this build of ember has no CUDA backend (EMBER_CUDA=OFF)",
                  op_name(op));
    EMBER_THROW(NotImplementedError, "{}: no kernel registered for device type {}", op_name(op),
                device_type_name(dev));
  }
  return fn;
}

void throw_wrong_family(OpId op, OpId member_of_expected) {
  EMBER_THROW(Error, "dispatch: op {} belongs to family {}, not {}", op_name(op), op_family(op),
              op_family(member_of_expected));
}

}  // namespace detail
}  // namespace ember
