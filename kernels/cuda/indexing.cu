// gather, index_select and scatter_add over arbitrary strides. All three walk one shape
// and address three operands: the indexed one (whose offset along `dim` comes from the
// index), the index, and a plain one. gather and index_select only move bits, so they
// run on unsigned words of the element's size; scatter_add adds with atomics.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "kernels/cuda/dtype.cuh"
#include "kernels/cuda/indexing_launch.h"

namespace ember::cuda {
namespace {

struct IndexPlan {
  int ndim = 0;
  int64_t shape[kMaxDims] = {};
  int64_t a[kMaxDims] = {};    // indexed operand, with its stride along dim zeroed
  int64_t idx[kMaxDims] = {};  // index operand
  int64_t b[kMaxDims] = {};    // plain operand
  int64_t a_dim_stride = 0;
  int64_t bound = 0;  // size of the indexed operand along dim
};

__device__ __forceinline__ void offsets(int64_t i, const IndexPlan& p, int64_t* ao, int64_t* io, int64_t* bo) {
  int64_t oa = 0, oi = 0, ob = 0;
  for (int d = p.ndim - 1; d >= 0; --d) {
    const int64_t s = p.shape[d];
    const int64_t q = i / s;
    const int64_t c = i - q * s;
    oa += c * p.a[d];
    oi += c * p.idx[d];
    ob += c * p.b[d];
    i = q;
  }
  *ao = oa;
  *io = oi;
  *bo = ob;
}

#define EMBER_GRID_LOOP(i, n)                                                            \
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < (n); \
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)

// b[i] = a[i with dim replaced by index[i]]; E is an unsigned word of the element's size.
template <class E>
__global__ void gather_kernel(const E* a, const int64_t* index, E* b, int64_t n, IndexPlan p) {
  EMBER_GRID_LOOP(i, n) {
    int64_t ao, io, bo;
    offsets(i, p, &ao, &io, &bo);
    const int64_t k = index[io];
    b[bo] = (k >= 0 && k < p.bound) ? a[ao + k * p.a_dim_stride] : E(0);
  }
}

// Read-modify-write of the 16-bit half of an aligned 32-bit word, for targets without a
// native 16-bit atomic add. `add` maps the old bits to the new bits.
template <class F>
__device__ void cas_u16(void* addr, F add) {
  const uintptr_t a = reinterpret_cast<uintptr_t>(addr);
  unsigned int* word = reinterpret_cast<unsigned int*>(a & ~uintptr_t(3));
  const unsigned int shift = (a & 2) ? 16u : 0u;
  unsigned int old = *word, assumed;
  do {
    assumed = old;
    const unsigned short bits = static_cast<unsigned short>((assumed >> shift) & 0xffffu);
    const unsigned int next = (assumed & ~(0xffffu << shift)) | (static_cast<unsigned int>(add(bits)) << shift);
    old = atomicCAS(word, assumed, next);
  } while (assumed != old);
}

__device__ __forceinline__ void atomic_add(float* p, float v) { atomicAdd(p, v); }
__device__ __forceinline__ void atomic_add(double* p, double v) { atomicAdd(p, v); }
__device__ __forceinline__ void atomic_add(int32_t* p, int32_t v) { atomicAdd(reinterpret_cast<int*>(p), v); }
__device__ __forceinline__ void atomic_add(int64_t* p, int64_t v) {
  // Two's complement: unsigned addition wraps to the same bits as signed.
  atomicAdd(reinterpret_cast<unsigned long long*>(p), static_cast<unsigned long long>(v));
}
__device__ __forceinline__ void atomic_add(uint8_t* p, uint8_t v) {
  const uintptr_t a = reinterpret_cast<uintptr_t>(p);
  unsigned int* word = reinterpret_cast<unsigned int*>(a & ~uintptr_t(3));
  const unsigned int shift = static_cast<unsigned int>(a & 3) * 8u;
  unsigned int old = *word, assumed;
  do {
    assumed = old;
    const unsigned int byte = ((assumed >> shift) + v) & 0xffu;  // wraps like the CPU's uint8_t
    old = atomicCAS(word, assumed, (assumed & ~(0xffu << shift)) | (byte << shift));
  } while (assumed != old);
}
__device__ __forceinline__ void atomic_add(__half* p, __half v) {
#if __CUDA_ARCH__ >= 700
  atomicAdd(p, v);
#else
  const float fv = __half2float(v);
  cas_u16(p, [fv](unsigned short bits) {
    return __half_as_ushort(__float2half_rn(__half2float(__ushort_as_half(bits)) + fv));
  });
#endif
}
__device__ __forceinline__ void atomic_add(__nv_bfloat16* p, __nv_bfloat16 v) {
#if __CUDA_ARCH__ >= 800
  atomicAdd(p, v);
#else
  const float fv = __bfloat162float(v);
  cas_u16(p, [fv](unsigned short bits) {
    return __bfloat16_as_ushort(__float2bfloat16_rn(__bfloat162float(__ushort_as_bfloat16(bits)) + fv));
  });
#endif
}

// a[i with dim replaced by index[i]] += b[i]. Duplicate indices make the order of the
// floating-point adds, and so the last bits of the result, vary from run to run.
template <class T>
__global__ void scatter_add_kernel(T* a, const int64_t* index, const T* b, int64_t n, IndexPlan p) {
  EMBER_GRID_LOOP(i, n) {
    int64_t ao, io, bo;
    offsets(i, p, &ao, &io, &bo);
    const int64_t k = index[io];
    if (k >= 0 && k < p.bound) atomic_add(a + ao + k * p.a_dim_stride, b[bo]);
  }
}

constexpr int kThreads = 256;

int blocks_for(int64_t n) {
  const int64_t want = (n + kThreads - 1) / kThreads;
  return static_cast<int>(want < (1 << 20) ? want : (1 << 20));  // grid-stride loops cover the rest
}

// Plan over `iter`'s shape: `indexed` is addressed along dim through the index.
bool make_plan(const Geometry& iter, const Geometry& indexed, const Geometry& index, const Geometry& plain, int dim,
               IndexPlan* p) {
  const int nd = iter.ndim;
  if (dim < 0 || dim >= nd || indexed.ndim != nd || plain.ndim != nd || index.ndim != nd) return false;
  p->ndim = nd;
  for (int d = 0; d < nd; ++d) {
    p->shape[d] = iter.shape[d];
    p->a[d] = d == dim ? 0 : indexed.strides[d];
    p->idx[d] = index.strides[d];
    p->b[d] = plain.strides[d];
  }
  p->a_dim_stride = indexed.strides[dim];
  p->bound = indexed.shape[dim];
  return true;
}

template <class E>
cudaError_t run_gather(const TensorRef& a, const TensorRef& index, const TensorRef& b, int64_t n, const IndexPlan& p,
                       cudaStream_t stream) {
  gather_kernel<E><<<blocks_for(n), kThreads, 0, stream>>>(
      static_cast<const E*>(a.data), static_cast<const int64_t*>(index.data), static_cast<E*>(b.data), n, p);
  return cudaGetLastError();
}

cudaError_t gather_by_size(const TensorRef& a, const TensorRef& index, const TensorRef& b, int64_t n,
                           const IndexPlan& p, cudaStream_t stream) {
  if (n == 0) return cudaSuccess;
  return ew::dispatch_by_size(a.dtype, [&](auto tag) {
    return run_gather<typename decltype(tag)::type>(a, index, b, n, p, stream);
  });
}

template <class T>
cudaError_t run_scatter(const TensorRef& out, const TensorRef& index, const TensorRef& src, const IndexPlan& p,
                        cudaStream_t stream) {
  const int64_t n = index.numel;
  scatter_add_kernel<T><<<blocks_for(n), kThreads, 0, stream>>>(
      static_cast<T*>(out.data), static_cast<const int64_t*>(index.data), static_cast<const T*>(src.data), n, p);
  return cudaGetLastError();
}

}  // namespace

cudaError_t launch_gather(const TensorRef& x, int dim, const TensorRef& index, const TensorRef& out,
                          cudaStream_t stream) {
  IndexPlan p;
  if (index.dtype != DType::i64 || out.dtype != x.dtype || !make_plan(index.g, x.g, index.g, out.g, dim, &p))
    return cudaErrorInvalidValue;
  return gather_by_size(x, index, out, index.numel, p, stream);
}

cudaError_t launch_index_select(const TensorRef& x, int dim, const TensorRef& index, const TensorRef& out,
                                cudaStream_t stream) {
  if (index.dtype != DType::i64 || out.dtype != x.dtype || index.g.ndim > 1) return cudaErrorInvalidValue;
  // The index walks dim only: stride 0 on every other dim.
  Geometry ig = out.g;
  for (int d = 0; d < ig.ndim; ++d) ig.strides[d] = 0;
  IndexPlan p;
  if (!make_plan(out.g, x.g, ig, out.g, dim, &p)) return cudaErrorInvalidValue;
  if (index.numel != out.g.shape[dim]) return cudaErrorInvalidValue;
  p.idx[dim] = index.g.ndim == 1 ? index.g.strides[0] : 0;
  return gather_by_size(x, index, out, out.numel, p, stream);
}

cudaError_t launch_scatter_add(const TensorRef& out, int dim, const TensorRef& index, const TensorRef& src,
                               cudaStream_t stream) {
  IndexPlan p;
  if (index.dtype != DType::i64 || src.dtype != out.dtype || !make_plan(index.g, out.g, index.g, src.g, dim, &p))
    return cudaErrorInvalidValue;
  if (index.numel == 0) return cudaSuccess;
  // Numeric dtypes only: dispatch_numeric has no bool.
  return ew::dispatch_numeric(out.dtype, [&](auto tag) {
    return run_scatter<typename decltype(tag)::type>(out, index, src, p, stream);
  });
}

}  // namespace ember::cuda
