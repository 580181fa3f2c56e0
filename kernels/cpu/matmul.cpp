// Batched matmul. f32 goes to oneDNN's matmul primitive; primitives are cached by
// geometry so that a training loop JIT-compiles each shape once. f64 (gradchecks) uses
// a plain loop: oneDNN has no f64 matmul.
#include <map>
#include <mutex>
#include <optional>
#include <tuple>

#include <oneapi/dnnl/dnnl.h>
#include <oneapi/dnnl/dnnl.hpp>

#include "ember/core/dispatch.h"
#include "kernels/cpu/onednn.h"
#include "kernels/cpu/parallel.h"
#include "kernels/cpu/register.h"

namespace ember::cpu {
namespace {

using dnnl::memory;

// oneDNN takes batch dim 1 to broadcast; an expanded batch (stride 0) maps onto that.
memory::desc md_of(const Tensor& t) {
  memory::dims dims(t.shape().begin(), t.shape().end());
  memory::dims strides(t.strides().begin(), t.strides().end());
  if (dims[0] > 1 && strides[0] == 0) {
    dims[0] = 1;
    strides[0] = dims[1] * dims[2];
  }
  return memory::desc(dims, memory::data_type::f32, strides);
}

struct MatmulKey {
  std::vector<int64_t> geometry;
  bool operator<(const MatmulKey& o) const { return geometry < o.geometry; }
};

struct CachedMatmul {
  dnnl::matmul prim;
  memory::desc a, b, bias, c;
};

const CachedMatmul& get_primitive(const Tensor& a, const Tensor& b, const Tensor& bias, const Tensor& out) {
  static std::mutex mu;
  static std::map<MatmulKey, CachedMatmul> cache;
  MatmulKey key;
  for (const Tensor* t : {&a, &b, &out}) {
    key.geometry.insert(key.geometry.end(), t->shape().begin(), t->shape().end());
    key.geometry.insert(key.geometry.end(), t->strides().begin(), t->strides().end());
  }
  key.geometry.push_back(bias.defined() ? 1 : 0);
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache.find(key);
  if (it != cache.end()) return it->second;
  if (cache.size() > 512) cache.clear();  // bound memory for workloads with many shapes
  CachedMatmul c;
  c.a = md_of(a);
  c.b = md_of(b);
  c.c = md_of(out);
  if (bias.defined()) {
    c.bias = memory::desc({1, 1, out.shape()[2]}, memory::data_type::f32, {out.shape()[2], out.shape()[2], 1});
  }
  auto desc = bias.defined() ? dnnl::matmul::desc(c.a, c.b, c.bias, c.c) : dnnl::matmul::desc(c.a, c.b, c.c);
  auto pd = dnnl::matmul::primitive_desc(desc, onednn_engine());
  c.prim = dnnl::matmul(pd);
  return cache.emplace(key, std::move(c)).first->second;
}

// One f32 GEMM per batch entry through dnnl_sgemm when every matrix is row- or
// column-major (measured a few percent faster than the matmul primitive on large
// squares); the primitive handles any other strides.
bool sgemm_layout(const Tensor& t, char& trans, int64_t& ld) {
  const auto& st = t.strides();
  const auto& sh = t.shape();
  if (st[2] == 1 || sh[2] == 1) {
    trans = 'N';
    ld = std::max<int64_t>(sh[1] == 1 ? sh[2] : st[1], std::max<int64_t>(sh[2], 1));
    return sh[1] == 1 || st[1] >= sh[2];
  }
  if (st[1] == 1 || sh[1] == 1) {
    trans = 'T';
    ld = std::max<int64_t>(sh[2] == 1 ? sh[1] : st[2], std::max<int64_t>(sh[1], 1));
    return sh[2] == 1 || st[2] >= sh[1];
  }
  return false;
}

// Below this many multiply-adds (a 64 x 32 x 64 product) one thread finishes in a few
// microseconds, about what waking a second one costs.
constexpr int64_t kSerialMacs = 1 << 17;

bool matmul_sgemm(const Tensor& a, const Tensor& b, const Tensor& bias, const Tensor& out) {
  char ta, tb;
  int64_t lda, ldb;
  if (!sgemm_layout(a, ta, lda) || !sgemm_layout(b, tb, ldb)) return false;
  const int64_t B = out.shape()[0], M = out.shape()[1], N = out.shape()[2], K = a.shape()[2];
  const float* ap = a.data<float>();
  const float* bp = b.data<float>();
  float* op = out.data<float>();
  float beta = 0.f;
  if (bias.defined()) {
    const float* bi = bias.data<float>();
    for (int64_t r = 0; r < B * M; ++r) std::copy(bi, bi + N, op + r * N);
    beta = 1.f;
  }
  std::optional<SerialRegion> serial;
  if (M * N * K < kSerialMacs) serial.emplace();  // each call below is its own region
  for (int64_t i = 0; i < B; ++i) {
    dnnl_status_t st = dnnl_sgemm(ta, tb, M, N, K, 1.f, ap + i * a.strides()[0], lda, bp + i * b.strides()[0], ldb,
                                  beta, op + i * M * N, N);
    EMBER_CHECK(st == dnnl_success, Error, "matmul: dnnl_sgemm failed with status {} for {} x {}", static_cast<int>(st),
                shape_str(a.shape()), shape_str(b.shape()));
  }
  return true;
}

void matmul_f32(const Tensor& a, const Tensor& b, const Tensor& bias, const Tensor& out) try {
  if (matmul_sgemm(a, b, bias, out)) return;
  const CachedMatmul& c = get_primitive(a, b, bias, out);
  auto& eng = onednn_engine();
  memory ma(c.a, eng, a.raw_data());
  memory mb(c.b, eng, b.raw_data());
  memory mc(c.c, eng, out.raw_data());
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, ma}, {DNNL_ARG_WEIGHTS, mb}, {DNNL_ARG_DST, mc}};
  if (bias.defined()) args.emplace(DNNL_ARG_BIAS, memory(c.bias, eng, bias.raw_data()));
  dnnl::stream s = onednn_stream();
  c.prim.execute(s, args);
  s.wait();
} catch (const dnnl::error& e) {
  EMBER_THROW(Error, "matmul: oneDNN failed ({}) for a {} x {} product", e.what(), shape_str(a.shape()),
              shape_str(b.shape()));
}

template <class T>
void matmul_loop(const Tensor& a, const Tensor& b, const Tensor& bias, const Tensor& out) {
  const int64_t B = out.shape()[0], M = out.shape()[1], N = out.shape()[2], K = a.shape()[2];
  const T* ap = a.data<T>();
  const T* bp = b.data<T>();
  T* op = out.data<T>();
  const T* biasp = bias.defined() ? bias.data<T>() : nullptr;
  const auto& as = a.strides();
  const auto& bs = b.strides();
  parallel_for(B * M, std::max<int64_t>(1, kGrain / std::max<int64_t>(N * K, 1)), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      int64_t bi = r / M, i = r % M;
      T* orow = op + r * N;
      for (int64_t j = 0; j < N; ++j) orow[j] = biasp ? biasp[j] : T(0);
      for (int64_t k = 0; k < K; ++k) {
        T av = ap[bi * as[0] + i * as[1] + k * as[2]];
        const T* brow = bp + bi * bs[0] + k * bs[1];
        if (bs[2] == 1) {
          for (int64_t j = 0; j < N; ++j) orow[j] += av * brow[j];
        } else {
          for (int64_t j = 0; j < N; ++j) orow[j] += av * brow[j * bs[2]];
        }
      }
    }
  });
}

void matmul_kernel(const Tensor& a, const Tensor& b, const Tensor& bias, const Tensor& out) {
  if (out.numel() == 0) return;
  if (a.shape()[2] == 0) {  // empty contraction: out = bias or 0
    detail::dispatch_floating(out.dtype(), "matmul", [&]<class T>() {
      T* op = out.data<T>();
      const int64_t N = out.shape()[2];
      for (int64_t i = 0; i < out.numel(); ++i) op[i] = bias.defined() ? bias.data<T>()[i % N] : T(0.f);
    });
    return;
  }
  switch (out.dtype()) {
    case DType::f32: return matmul_f32(a, b, bias, out);
    case DType::f64: return matmul_loop<double>(a, b, bias, out);
    default:
      EMBER_THROW(DTypeError, "matmul: the CPU backend supports float32 and float64, got {}", out.dtype());
  }
}

}  // namespace

void register_matmul_kernels() { register_kernel<OpId::matmul>(DeviceType::cpu, &matmul_kernel); }

}  // namespace ember::cpu
