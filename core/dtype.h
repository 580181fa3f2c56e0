#pragma once
// Element types. Dispatch helpers turn a runtime DType into a compile-time C++ type.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <fmt/format.h>

#include "ember/core/error.h"
#include "ember/core/half.h"
#include "ember/core/kernel_abi.h"

namespace ember {


constexpr size_t dtype_size(DType t) {
  switch (t) {
    case DType::f32: return 4;
    case DType::f64: return 8;
    case DType::f16: return 2;
    case DType::bf16: return 2;
    case DType::i32: return 4;
    case DType::i64: return 8;
    case DType::u8: return 1;
    case DType::boolean: return 1;
  }
  return 0;
}
constexpr std::string_view dtype_name(DType t) {
  switch (t) {
    case DType::f32: return "float32";
    case DType::f64: return "float64";
    case DType::f16: return "float16";
    case DType::bf16: return "bfloat16";
    case DType::i32: return "int32";
    case DType::i64: return "int64";
    case DType::u8: return "uint8";
    case DType::boolean: return "bool";
  }
  return "?";
}
constexpr bool is_floating(DType t) {
  return t == DType::f32 || t == DType::f64 || t == DType::f16 || t == DType::bf16;
}
// The 16-bit floating types, which kernels widen to f32 for their arithmetic.
constexpr bool is_half(DType t) { return t == DType::f16 || t == DType::bf16; }
constexpr bool is_integral(DType t, bool include_bool = false) {
  return t == DType::i32 || t == DType::i64 || t == DType::u8 || (include_bool && t == DType::boolean);
}

template <class T>
struct dtype_of;
template <> struct dtype_of<float> { static constexpr DType value = DType::f32; };
template <> struct dtype_of<double> { static constexpr DType value = DType::f64; };
template <> struct dtype_of<Half> { static constexpr DType value = DType::f16; };
template <> struct dtype_of<BFloat16> { static constexpr DType value = DType::bf16; };
template <> struct dtype_of<int32_t> { static constexpr DType value = DType::i32; };
template <> struct dtype_of<int64_t> { static constexpr DType value = DType::i64; };
template <> struct dtype_of<uint8_t> { static constexpr DType value = DType::u8; };
template <> struct dtype_of<bool> { static constexpr DType value = DType::boolean; };
template <class T>
inline constexpr DType dtype_v = dtype_of<T>::value;

// Type in which arithmetic on T is carried out (16-bit floats compute in float).
template <class T> struct acc_type { using type = T; };
template <> struct acc_type<Half> { using type = float; };
template <> struct acc_type<BFloat16> { using type = float; };
template <class T>
using acc_t = typename acc_type<T>::type;

}  // namespace ember

template <>
struct fmt::formatter<ember::DType> : fmt::formatter<std::string_view> {
  auto format(ember::DType t, format_context& ctx) const {
    return fmt::formatter<std::string_view>::format(ember::dtype_name(t), ctx);
  }
};

// EMBER_DISPATCH_*(dtype, "op", [&]<class T>() { ... }) runs the lambda with T bound to the
// C++ element type; any other dtype throws a DTypeError naming the op.
#define EMBER_DTYPE_CASE(DT, CT) \
  case ::ember::DType::DT: return fn.template operator()<CT>();

namespace ember::detail {
template <class F>
decltype(auto) dispatch_all(DType t, std::string_view op, F&& fn) {
  switch (t) {
    EMBER_DTYPE_CASE(f32, float)
    EMBER_DTYPE_CASE(f64, double)
    EMBER_DTYPE_CASE(f16, Half)
    EMBER_DTYPE_CASE(bf16, BFloat16)
    EMBER_DTYPE_CASE(i32, int32_t)
    EMBER_DTYPE_CASE(i64, int64_t)
    EMBER_DTYPE_CASE(u8, uint8_t)
    EMBER_DTYPE_CASE(boolean, bool)
  }
  EMBER_THROW(DTypeError, "{}: unknown dtype", op);
}
template <class F>
decltype(auto) dispatch_floating(DType t, std::string_view op, F&& fn) {
  switch (t) {
    EMBER_DTYPE_CASE(f32, float)
    EMBER_DTYPE_CASE(f64, double)
    EMBER_DTYPE_CASE(f16, Half)
    EMBER_DTYPE_CASE(bf16, BFloat16)
    default: break;
  }
  EMBER_THROW(DTypeError, "{}: expected a floating-point tensor, got {}", op, t);
}
// Numeric types that support + - * / min max (not bool).
template <class F>
decltype(auto) dispatch_numeric(DType t, std::string_view op, F&& fn) {
  switch (t) {
    EMBER_DTYPE_CASE(f32, float)
    EMBER_DTYPE_CASE(f64, double)
    EMBER_DTYPE_CASE(f16, Half)
    EMBER_DTYPE_CASE(bf16, BFloat16)
    EMBER_DTYPE_CASE(i32, int32_t)
    EMBER_DTYPE_CASE(i64, int64_t)
    EMBER_DTYPE_CASE(u8, uint8_t)
    default: break;
  }
  EMBER_THROW(DTypeError, "{}: expected a numeric tensor, got {}", op, t);
}
}  // namespace ember::detail
