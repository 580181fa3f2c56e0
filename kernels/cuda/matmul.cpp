// Batched matmul on cuBLAS (cublasGemmStridedBatchedEx). cuBLAS is column-major and a
// row-major [R, C] matrix is, byte for byte, the column-major C x R matrix (its
// transpose), so the row-major C = A·B is issued as the column-major Cᵀ = Bᵀ·Aᵀ: no
// operand is copied as long as each matrix is row- or column-major.
//
// Bias: `out` is first filled with the bias broadcast over its rows, then the GEMM runs
// with beta = 1. A cublasLt bias epilogue would save that pass, but epilogues do not cover
// f64 and need a second code path (matmul descriptors, heuristics, workspace); the fill is
// one cheap write next to the GEMM's O(K) reads per output element.
#include <algorithm>
#include <climits>

#include "ember/core/cuda.h"
#include "ember/core/dispatch.h"
#include "kernels/cuda/bias_launch.h"
#include "kernels/cuda/check.h"
#include "kernels/cuda/kernels.h"
#include "kernels/cuda/libs_check.h"
#include "kernels/cuda/runtime.h"
#include "kernels/cuda/tensor_ref.h"

namespace ember::cuda {
namespace {

// One [B, R, C] operand as cuBLAS sees it: the column-major C x R matrix op(memory).
struct Operand {
  Tensor hold;  // a contiguous copy when the strides did not fit
  const void* data = nullptr;
  cublasOperation_t op = CUBLAS_OP_N;
  int64_t ld = 1;
  int64_t batch_stride = 0;
};

// Memory is already the column-major C x R matrix (op N, ld = row stride) when the column
// stride is 1, and is its transpose (op T, ld = column stride) when the row stride is 1.
// A size-1 dim's stride is never read, so its ld is set to the least cuBLAS accepts.
// False for other strides, for overlapping ones (ld below the matrix height), and for an
// ld beyond cuBLAS's int (a contiguous copy may still fit).
bool describe(const Tensor& t, Operand& o) {
  const int64_t R = t.size(1), C = t.size(2), sr = t.stride(1), sc = t.stride(2);
  if (t.stride(0) < 0 || sr < 0 || sc < 0) return false;
  o.data = t.raw_data();
  o.batch_stride = t.size(0) == 1 ? 0 : t.stride(0);
  if (sc == 1 || C == 1) {
    const int64_t ld = R == 1 ? std::max<int64_t>(C, 1) : sr;
    if (ld >= std::max<int64_t>(C, 1) && ld <= INT_MAX) {
      o.op = CUBLAS_OP_N;
      o.ld = ld;
      return true;
    }
  }
  if (sr == 1 || R == 1) {
    const int64_t ld = C == 1 ? std::max<int64_t>(R, 1) : sc;
    if (ld >= std::max<int64_t>(R, 1) && ld <= INT_MAX) {
      o.op = CUBLAS_OP_T;
      o.ld = ld;
      return true;
    }
  }
  return false;
}

Operand operand(const Tensor& t) {
  Operand o;
  if (describe(t, o)) return o;
  o.hold = t.contiguous();
  const bool ok = describe(o.hold, o);
  // A contiguous operand always has a layout unless its rows are too long for an int ld.
  EMBER_CHECK(ok, ValueError, "matmul: an operand of shape {} has rows beyond cuBLAS's 32-bit limit ({})",
              shape_str(t.shape()), INT_MAX);
  return o;
}

void check_int(int64_t v, const char* what, const Tensor& a, const Tensor& b) {
  EMBER_CHECK(v <= INT_MAX, ValueError,
              "matmul: {} = {} exceeds cuBLAS's 32-bit limit ({}) for the product {} x {}", what, v, INT_MAX,
              shape_str(a.shape()), shape_str(b.shape()));
}

struct GemmTypes {
  cudaDataType_t data;
  cublasComputeType_t compute;
};

GemmTypes gemm_types(DType d) {
  switch (d) {
    case DType::f64: return {CUDA_R_64F, CUBLAS_COMPUTE_64F};
    case DType::f32:
      return {CUDA_R_32F, ember::cuda::allow_tf32() ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F};
    // Half inputs and outputs, f32 accumulation (like the CPU, which computes them in float).
    case DType::f16: return {CUDA_R_16F, CUBLAS_COMPUTE_32F};
    case DType::bf16: return {CUDA_R_16BF, CUBLAS_COMPUTE_32F};
    default:
      EMBER_THROW(DTypeError, "matmul: the CUDA backend supports float32, float64, float16 and bfloat16, got {}", d);
  }
}

void matmul_cuda(const Tensor& a, const Tensor& b, const Tensor& bias, const Tensor& out) {
  const GemmTypes types = gemm_types(out.dtype());  // rejects other dtypes even for empty outputs
  if (out.numel() == 0) return;
  const Device dev = out.device();
  DeviceGuard guard(dev);
  cudaStream_t s = stream(dev.index);
  int64_t B = out.size(0), M = out.size(1);
  const int64_t N = out.size(2), K = a.size(2);

  if (bias.defined()) {
    const Tensor bc = bias.stride(0) == 1 ? bias : bias.contiguous();
    EMBER_CUDA_CHECK_LAUNCH("matmul", launch_bias_rows(out.raw_data(), bc.raw_data(),
                                                       static_cast<int>(dtype_size(out.dtype())), B * M, N, s));
  }
  if (K == 0) {  // empty contraction: out = bias or 0
    if (!bias.defined()) EMBER_CUDA_CHECK(cudaMemsetAsync(out.raw_data(), 0, out.nbytes(), s));
    return;
  }

  Operand oa = operand(a), ob = operand(b);
  // b shared by every batch entry (a weight) and a's rows evenly spaced across the batch:
  // one GEMM with B*M rows runs faster than B small ones (when B*M still fits cuBLAS's int).
  if (B > 1 && ob.batch_stride == 0 && oa.op == CUBLAS_OP_N && B * M <= INT_MAX) {
    const Tensor& at = oa.hold.defined() ? oa.hold : a;
    const int64_t sa = at.stride(0);
    const bool even = M > 1 ? sa == M * oa.ld : sa >= std::max<int64_t>(K, 1) && sa <= INT_MAX;
    if (even) {
      if (M == 1) oa.ld = sa;
      M *= B;
      B = 1;
      oa.batch_stride = 0;
    }
  }
  check_int(B, "batch", a, b);
  check_int(M, "M", a, b);
  check_int(N, "N", a, b);
  check_int(K, "K", a, b);
  check_int(oa.ld, "lda", a, b);
  check_int(ob.ld, "ldb", a, b);

  const double one_d = 1.0, beta_d = bias.defined() ? 1.0 : 0.0;
  const float one_f = 1.0f, beta_f = bias.defined() ? 1.0f : 0.0f;
  const bool f64 = types.compute == CUBLAS_COMPUTE_64F;
  const void* alpha = f64 ? static_cast<const void*>(&one_d) : static_cast<const void*>(&one_f);
  const void* beta = f64 ? static_cast<const void*>(&beta_d) : static_cast<const void*>(&beta_f);

  // Column-major: C (N x M, ld N) = op(b) (N x K) · op(a) (K x M).
  EMBER_CUBLAS_CHECK(cublasGemmStridedBatchedEx(
      cublas_handle(dev.index), ob.op, oa.op, static_cast<int>(N), static_cast<int>(M), static_cast<int>(K), alpha,
      ob.data, types.data, static_cast<int>(ob.ld), ob.batch_stride, oa.data, types.data, static_cast<int>(oa.ld),
      oa.batch_stride, beta, out.raw_data(), types.data, static_cast<int>(N), M * N, static_cast<int>(B),
      types.compute, CUBLAS_GEMM_DEFAULT));
}

}  // namespace

void register_matmul_kernels() { register_kernel<OpId::matmul>(DeviceType::cuda, &matmul_cuda); }

}  // namespace ember::cuda
