#pragma once
// The dispatch table: (op, device type) -> kernel. Backends fill it in
// register_cpu_kernels() / register_cuda_kernels(), called once on first use.
//
// Each op's kernel type comes from its family in ops.def (OpTraits<op>::Fn), so that
// registering or calling a kernel of the wrong signature does not compile, and a lookup is
// an array index:
//   get_kernel<OpId::exp>(x.device())(x, out, args);
//   register_kernel<OpId::exp>(DeviceType::cpu, &exp_kernel);
// Where the op is only known at run time, name its family instead; the family is then
// checked (one load from a constant table):
//   get_kernel<kernel::Unary>(op, x.device())(x, out, args);
#include <array>
#include <cstdint>
#include <type_traits>
#include <utility>

#include "ember/core/kernel_types.h"

namespace ember {

const char* op_name(OpId op);
const char* op_family(OpId op);  // "Unary", "Binary", ...

template <OpId op>
struct OpTraits;
#define EMBER_OP(name, family)             \
  template <>                              \
  struct OpTraits<OpId::name> {            \
    using Family = kernel::family;         \
    using Fn = typename kernel::family::Fn; \
  };
#include "ember/core/ops.def"
#undef EMBER_OP

namespace detail {
using AnyFn = void (*)();
// Throws NotImplementedError naming the op and the device when no kernel exists.
AnyFn lookup_kernel(OpId op, DeviceType dev);
void store_kernel(OpId op, DeviceType dev, AnyFn fn);
[[noreturn]] void throw_wrong_family(OpId op, OpId member_of_expected);

template <class Family, size_t... I>
constexpr std::array<bool, sizeof...(I)> family_members(std::index_sequence<I...>) {
  return {std::is_same_v<typename OpTraits<static_cast<OpId>(I)>::Family, Family>...};
}
// in_family<F>[op]: op's family is F.
template <class Family>
inline constexpr std::array<bool, kNumOps> in_family = family_members<Family>(std::make_index_sequence<kNumOps>{});
template <class Family>
constexpr OpId first_member() {
  for (int i = 0; i < kNumOps; ++i)
    if (in_family<Family>[i]) return static_cast<OpId>(i);
  return OpId::kCount;
}
template <class Family>
void check_family(OpId op) {
  static_assert(first_member<Family>() != OpId::kCount, "no op of ops.def has this family");
  if (!in_family<Family>[static_cast<int>(op)]) [[unlikely]]
    throw_wrong_family(op, first_member<Family>());
}
}  // namespace detail

template <OpId op>
void register_kernel(DeviceType dev, typename OpTraits<op>::Fn fn) {
  detail::store_kernel(op, dev, reinterpret_cast<detail::AnyFn>(fn));
}
template <class Family>
void register_kernel(OpId op, DeviceType dev, typename Family::Fn fn) {
  detail::check_family<Family>(op);
  detail::store_kernel(op, dev, reinterpret_cast<detail::AnyFn>(fn));
}

template <OpId op>
typename OpTraits<op>::Fn get_kernel(DeviceType dev) {
  return reinterpret_cast<typename OpTraits<op>::Fn>(detail::lookup_kernel(op, dev));
}
template <OpId op>
typename OpTraits<op>::Fn get_kernel(Device dev) {
  return get_kernel<op>(dev.type);
}
template <class Family>
typename Family::Fn get_kernel(OpId op, DeviceType dev) {
  detail::check_family<Family>(op);
  return reinterpret_cast<typename Family::Fn>(detail::lookup_kernel(op, dev));
}
template <class Family>
typename Family::Fn get_kernel(OpId op, Device dev) {
  return get_kernel<Family>(op, dev.type);
}

// True when a kernel for (op, dev) is registered (never throws).
bool has_kernel(OpId op, DeviceType dev);

// Runs the backends' register functions once (idempotent, thread-safe).
void ensure_backends_registered();

// Backends (defined in kernels/cpu and kernels/cuda).
void register_cpu_kernels();
void register_cuda_kernels();
// True if this build has the CUDA backend compiled in.
bool cuda_compiled();

}  // namespace ember
