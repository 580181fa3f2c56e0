// Strided copy with dtype conversion, and fill.
#include <cstring>

#include "ember/core/dispatch.h"
#include "kernels/cpu/loops.h"
#include "kernels/cpu/register.h"

namespace ember::cpu {
namespace {

template <class To, class From>
To convert(From v) {
  if constexpr (std::is_same_v<To, bool>) {
    return static_cast<acc_t<From>>(v) != acc_t<From>(0);
  } else if constexpr (std::is_same_v<To, Half> || std::is_same_v<To, BFloat16>) {
    return To(static_cast<float>(static_cast<acc_t<From>>(v)));
  } else {
    return static_cast<To>(static_cast<acc_t<From>>(v));
  }
}

void copy_cpu(const Tensor& src, const Tensor& dst, bool /*non_blocking: always complete*/) {
  EMBER_CHECK(src.device().is_cpu() && dst.device().is_cpu(), DeviceError,
              "copy: cpu kernel got {} -> {}", src.device(), dst.device());
  EMBER_CHECK(src.shape() == dst.shape(), ShapeError, "copy: source shape {} != destination shape {}",
              shape_str(src.shape()), shape_str(dst.shape()));
  if (src.dtype() == dst.dtype() && src.is_contiguous() && dst.is_contiguous()) {
    const char* s = static_cast<const char*>(src.raw_data());
    char* d = static_cast<char*>(dst.raw_data());
    if (s == d) return;
    const int64_t esize = static_cast<int64_t>(dtype_size(src.dtype()));
    parallel_for(src.numel() * esize, int64_t{1} << 20, [&](int64_t b, int64_t e) {
      std::memcpy(d + b, s + b, static_cast<size_t>(e - b));
    });
    return;
  }
  detail::dispatch_all(dst.dtype(), "copy", [&]<class To>() {
    detail::dispatch_all(src.dtype(), "copy", [&]<class From>() {
      unary_loop<To, From>(src, dst, [](From v) { return convert<To, From>(v); });
    });
  });
}

void fill_cpu(const Tensor& dst, double value) {
  detail::dispatch_all(dst.dtype(), "fill", [&]<class T>() {
    const T v = convert<T, double>(value);
    auto g = make_geometry<1>({&dst});
    for_each<1>(g, [&](std::array<char*, 1> p, std::array<int64_t, 1> s, int64_t n) {
      if (s[0] == sizeof(T)) {
        T* o = reinterpret_cast<T*>(p[0]);
        for (int64_t i = 0; i < n; ++i) o[i] = v;
      } else {
        for (int64_t i = 0; i < n; ++i) *reinterpret_cast<T*>(p[0] + i * s[0]) = v;
      }
    });
  });
}

}  // namespace

void register_copy_kernels() {
  register_kernel<OpId::copy>(DeviceType::cpu, &copy_cpu);
  register_kernel<OpId::fill>(DeviceType::cpu, &fill_cpu);
}

}  // namespace ember::cpu
