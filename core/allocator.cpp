#include "ember/core/allocator.h"

#include <cstdlib>
#include <new>

#include "ember/core/dispatch.h"
#include "ember/core/error.h"

namespace ember {
namespace {

class CpuAllocator final : public Allocator {
 public:
  void* allocate(size_t nbytes, Device) override {
    size_t rounded = (nbytes + 63) / 64 * 64;
    void* p = std::aligned_alloc(64, rounded);
    EMBER_CHECK(p != nullptr, Error, "cpu allocator: out of memory allocating {} bytes", nbytes);
    return p;
  }
  void deallocate(void* ptr, Device) noexcept override { std::free(ptr); }
};

Allocator*& slot(DeviceType t) {
  static CpuAllocator cpu;
  static Allocator* table[kNumDeviceTypes] = {&cpu, nullptr};
  return table[static_cast<int>(t)];
}

}  // namespace

Allocator* get_allocator(DeviceType type) {
  if (type != DeviceType::CPU) ensure_backends_registered();
  Allocator* a = slot(type);
  EMBER_CHECK(a != nullptr, NotImplementedError,
              "no allocator for device type {}: this build of ember has no {} backend",
              device_type_name(type), device_type_name(type));
  return a;
}

void set_allocator(DeviceType type, Allocator* alloc) { slot(type) = alloc; }

Storage::Storage(size_t nbytes, Device device) : nbytes_(nbytes), device_(device) {
  if (nbytes > 0) data_ = get_allocator(device.type)->allocate(nbytes, device);
}

Storage::~Storage() {
  if (data_) get_allocator(device_.type)->deallocate(data_, device_);
}

}  // namespace ember
