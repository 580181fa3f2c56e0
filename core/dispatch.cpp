#include "ember/core/dispatch.h"

#include <cstring>
#include <mutex>

#include "ember/core/config.h"

namespace ember {
namespace {

constexpr int kNumOps = static_cast<int>(OpId::kCount);

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

struct Table {
  void* fns[kNumOps][kNumDeviceTypes] = {};
};

Table& table() {
  static Table t;
  return t;
}

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

namespace {

void check_family(OpId op, const char* family) {
  int i = static_cast<int>(op);
  EMBER_CHECK(std::strcmp(kOpFamilies[i], family) == 0, Error,
              "dispatch: op {} belongs to family {}, not {}", kOpNames[i], kOpFamilies[i], family);
}

}  // namespace

const char* op_name(OpId op) { return kOpNames[static_cast<int>(op)]; }
const char* op_family(OpId op) { return kOpFamilies[static_cast<int>(op)]; }

bool cuda_compiled() { return EMBER_WITH_CUDA != 0; }

namespace detail {

void register_kernel(OpId op, DeviceType dev, void* fn, const char* family) {
  check_family(op, family);
  table().fns[static_cast<int>(op)][static_cast<int>(dev)] = fn;
}

void* lookup_kernel(OpId op, DeviceType dev, const char* family) {
  ensure_backends_registered();
  check_family(op, family);
  void* fn = table().fns[static_cast<int>(op)][static_cast<int>(dev)];
  if (fn == nullptr) {
    if (dev == DeviceType::CUDA && !cuda_compiled())
      EMBER_THROW(NotImplementedError, "{}: no kernel for cuda: this build of ember has no CUDA backend (EMBER_CUDA=OFF)",
                  op_name(op));
    EMBER_THROW(NotImplementedError, "{}: no kernel registered for device type {}", op_name(op),
                device_type_name(dev));
  }
  return fn;
}

}  // namespace detail
}  // namespace ember
