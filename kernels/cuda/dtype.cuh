#pragma once
// Element types on the device: the compute type of each storage type (float for f16/bf16,
// as on the CPU), conversions that round like the CPU's Half/BFloat16, and dispatch from a
// runtime DType to a compile-time type. Every .cu file uses these; include from .cu only.
#include <cstdint>
#include <type_traits>

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "kernels/cuda/launch.h"

namespace ember::cuda::ew {

// Arithmetic on 16-bit floats happens in float, as on the CPU.
template <class T> struct Acc { using type = T; };
template <> struct Acc<__half> { using type = float; };
template <> struct Acc<__nv_bfloat16> { using type = float; };
template <class T> using acc_t = typename Acc<T>::type;

template <class T>
__host__ __device__ __forceinline__ acc_t<T> load(T v) {
  if constexpr (std::is_same_v<T, __half>) return __half2float(v);
  else if constexpr (std::is_same_v<T, __nv_bfloat16>) return __bfloat162float(v);
  else return v;
}

// Round-to-nearest-even like the CPU's Half/BFloat16; wider types go through float first
// because that is what the CPU does (double -> float -> half).
template <class T, class V>
__host__ __device__ __forceinline__ T to_storage(V v) {
  if constexpr (std::is_same_v<T, __half>) return __float2half_rn(static_cast<float>(v));
  else if constexpr (std::is_same_v<T, __nv_bfloat16>) return __float2bfloat16_rn(static_cast<float>(v));
  else return static_cast<T>(v);
}

template <class T> struct Tag { using type = T; };

// fn(Tag<T>{}) for the C++ storage type of dt; cudaErrorNotSupported outside the set
// (the .cpp side checks dtypes first and throws DTypeError).
template <class F>
cudaError_t dispatch_floating(DType dt, F&& fn) {
  switch (dt) {
    case DType::f32: return fn(Tag<float>{});
    case DType::f64: return fn(Tag<double>{});
    case DType::f16: return fn(Tag<__half>{});
    case DType::bf16: return fn(Tag<__nv_bfloat16>{});
    default: return cudaErrorNotSupported;
  }
}
template <class F>
cudaError_t dispatch_numeric(DType dt, F&& fn) {
  switch (dt) {
    case DType::i32: return fn(Tag<int32_t>{});
    case DType::i64: return fn(Tag<int64_t>{});
    case DType::u8: return fn(Tag<uint8_t>{});
    default: return dispatch_floating(dt, fn);
  }
}
template <class F>
cudaError_t dispatch_all(DType dt, F&& fn) {
  if (dt == DType::boolean) return fn(Tag<bool>{});
  return dispatch_numeric(dt, fn);
}
// Ops that only move bits (where, same-dtype copies) need one instantiation per size.
template <class F>
cudaError_t dispatch_by_size(DType dt, F&& fn) {
  switch (dt) {
    case DType::u8: case DType::boolean: return fn(Tag<uint8_t>{});
    case DType::f16: case DType::bf16: return fn(Tag<uint16_t>{});
    case DType::f32: case DType::i32: return fn(Tag<uint32_t>{});
    case DType::f64: case DType::i64: return fn(Tag<uint64_t>{});
  }
  return cudaErrorNotSupported;
}

}  // namespace ember::cuda::ew
