// Random draws (core/philox.h): element i of the output depends only on (seed, offset, i),
// so the split across threads does not change the values, and the CUDA kernels
// (kernels/cuda/random.cu) produce the same ones.
#include <type_traits>

#include "ember/core/dispatch.h"
#include "ember/core/philox.h"
#include "kernels/cpu/parallel.h"
#include "kernels/cpu/register.h"

namespace ember::cpu {
namespace {

// Floating values are rounded through f32 for the 16-bit dtypes, as every cast from f64.
template <class T>
T from_double(double v) {
  if constexpr (std::is_same_v<T, bool>) return v != 0.0;
  else if constexpr (std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>) return T(static_cast<float>(v));
  else return static_cast<T>(v);
}

// Calls out[i] = f(i) over the contiguous output; each element costs a Philox block.
template <class T, class F>
void generate(const Tensor& out, F f) {
  T* p = out.data<T>();
  parallel_for(out.numel(), 4096, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) p[i] = f(i);
  });
}

void uniform_kernel(const Tensor& out, const Tensor&, const RandomArgs& a) {
  const bool wide = out.dtype() == DType::f64;
  detail::dispatch_floating(out.dtype(), "random_uniform", [&]<class T>() {
    generate<T>(out, [&](int64_t i) { return from_double<T>(philox::uniform(a.seed, a.offset, i, wide)); });
  });
}

void normal_kernel(const Tensor& out, const Tensor&, const RandomArgs& a) {
  detail::dispatch_floating(out.dtype(), "random_normal", [&]<class T>() {
    generate<T>(out, [&](int64_t i) { return from_double<T>(philox::normal(a.seed, a.offset, i)); });
  });
}

void bernoulli_kernel(const Tensor& out, const Tensor& probs, const RandomArgs& a) {
  Tensor pr;
  const double* pp = nullptr;
  if (probs.defined()) {
    pr = probs.to(DType::f64).contiguous();
    pp = pr.data<double>();
  }
  detail::dispatch_all(out.dtype(), "random_bernoulli", [&]<class T>() {
    generate<T>(out, [&](int64_t i) {
      return from_double<T>(philox::bernoulli(a.seed, a.offset, i, pp ? pp[i] : a.p) ? 1.0 : 0.0);
    });
  });
}

void int_kernel(const Tensor& out, const Tensor&, const RandomArgs& a) {
  const uint64_t range = static_cast<uint64_t>(a.high) - static_cast<uint64_t>(a.low);
  detail::dispatch_all(out.dtype(), "random_int", [&]<class T>() {
    generate<T>(out, [&](int64_t i) {
      const int64_t v = philox::integer(a.seed, a.offset, i, a.low, range);
      if constexpr (std::is_same_v<T, bool>) return v != 0;
      else if constexpr (std::is_integral_v<T>) return static_cast<T>(v);  // exact, not through f64
      else return from_double<T>(static_cast<double>(v));
    });
  });
}

}  // namespace

void register_random_kernels() {
  register_kernel<OpId::random_uniform>(DeviceType::cpu, &uniform_kernel);
  register_kernel<OpId::random_normal>(DeviceType::cpu, &normal_kernel);
  register_kernel<OpId::random_bernoulli>(DeviceType::cpu, &bernoulli_kernel);
  register_kernel<OpId::random_int>(DeviceType::cpu, &int_kernel);
}

}  // namespace ember::cpu
