// Algorithm choice for cuDNN convolutions. cuDNN's heuristics (the *_v7 queries) are
// cheap but often pick a slow kernel; cudnnFind*AlgorithmEx times every algorithm on the
// real buffers instead. That costs a few milliseconds, so it runs once per geometry and
// the result is cached for the process, keyed by everything that changes the answer.
#include "kernels/cuda/conv_algo.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <vector>

#include "ember/core/cuda.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"  // see cudnn_desc.h

namespace ember::cuda {
namespace {

// Algorithms needing more scratch than this are not tried: a workspace that large would
// crowd out activations, and the fast algorithms rarely need it.
constexpr size_t kWorkspaceCap = size_t(1) << 30;

// Backward passes take the fastest deterministic algorithm when it is at most this much
// slower than the fastest one: run-to-run reproducible gradients are worth 10%.
constexpr float kDeterministicSlack = 1.10f;

// Bounds the cache for workloads with ever-changing shapes.
constexpr size_t kMaxCached = 1024;

struct Candidate {
  int algo;
  float time;
  size_t memory;
  bool deterministic;
  cudnnMathType_t math;
};

// The math type to search with. Plain f32 must ask for FMA math explicitly: cuDNN's
// default math lets Ampere and newer run f32 convolutions as TF32.
cudnnMathType_t search_math(DType d, bool tf32) {
  switch (d) {
    case DType::f32: return tf32 ? CUDNN_TENSOR_OP_MATH : CUDNN_FMA_MATH;
    case DType::f16:
    case DType::bf16: return CUDNN_TENSOR_OP_MATH;
    default: return CUDNN_DEFAULT_MATH;
  }
}

// Successful results whose workspace fits; never ALLOW_CONVERSION, which would round f32
// data to f16.
template <class Perf>
std::vector<Candidate> usable(const std::vector<Perf>& perf, int returned, size_t ws_limit) {
  std::vector<Candidate> out;
  for (int i = 0; i < returned; ++i) {
    const Perf& p = perf[static_cast<size_t>(i)];
    if (p.status != CUDNN_STATUS_SUCCESS || p.memory > ws_limit) continue;
    if (p.mathType == CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION) continue;
    out.push_back({static_cast<int>(p.algo), p.time, p.memory, p.determinism == CUDNN_DETERMINISTIC, p.mathType});
  }
  return out;
}

// cuDNN's workspace query for one algorithm; false when cuDNN does not support it here.
bool query_workspace(ConvPass pass, cudnnHandle_t h, const ConvDescs& d, int algo, size_t& bytes) {
  bytes = 0;
  cudnnStatus_t st = CUDNN_STATUS_NOT_SUPPORTED;
  switch (pass) {
    case ConvPass::forward:
      st = cudnnGetConvolutionForwardWorkspaceSize(h, d.x.get(), d.w.get(), d.conv.get(), d.y.get(),
                                                   static_cast<cudnnConvolutionFwdAlgo_t>(algo), &bytes);
      break;
    case ConvPass::backward_data:
      st = cudnnGetConvolutionBackwardDataWorkspaceSize(h, d.w.get(), d.y.get(), d.conv.get(), d.x.get(),
                                                        static_cast<cudnnConvolutionBwdDataAlgo_t>(algo), &bytes);
      break;
    case ConvPass::backward_filter:
      st = cudnnGetConvolutionBackwardFilterWorkspaceSize(h, d.x.get(), d.y.get(), d.conv.get(), d.w.get(),
                                                          static_cast<cudnnConvolutionBwdFilterAlgo_t>(algo), &bytes);
      break;
  }
  return st == CUDNN_STATUS_SUCCESS;
}

int algo_count(ConvPass pass) {
  switch (pass) {
    case ConvPass::forward: return CUDNN_CONVOLUTION_FWD_ALGO_COUNT;
    case ConvPass::backward_data: return CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT;
    case ConvPass::backward_filter: return CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT;
  }
  return 0;
}

// The largest workspace (up to the cap) that any algorithm of the pass asks for.
size_t max_workspace(ConvPass pass, cudnnHandle_t h, const ConvDescs& d) {
  size_t best = 0;
  for (int a = 0; a < algo_count(pass); ++a) {
    size_t bytes = 0;
    if (query_workspace(pass, h, d, a, bytes) && bytes <= kWorkspaceCap) best = std::max(best, bytes);
  }
  return best;
}

// A workspace of up to `want` bytes: halves the request while the allocator is out of
// memory, so that the search still runs (over fewer algorithms) on a full device.
Workspace search_workspace(size_t want, Device device) {
  for (;;) {
    try {
      return Workspace(want, device);
    } catch (const CudaError&) {
      if (want == 0) throw;
      want /= 2;
    }
  }
}

std::vector<Candidate> find_algorithms(ConvPass pass, cudnnHandle_t h, const ConvDescs& d, const ConvBuffers& b,
                            const Workspace& ws) {
  int max_count = 0;
  int returned = 0;
  switch (pass) {
    case ConvPass::forward: {
      EMBER_CUDNN_CHECK(cudnnGetConvolutionForwardAlgorithmMaxCount(h, &max_count));
      std::vector<cudnnConvolutionFwdAlgoPerf_t> perf(static_cast<size_t>(std::max(max_count, 1)));
      EMBER_CUDNN_CHECK(cudnnFindConvolutionForwardAlgorithmEx(h, d.x.get(), b.x, d.w.get(), b.w, d.conv.get(),
                                                               d.y.get(), b.y, static_cast<int>(perf.size()),
                                                               &returned, perf.data(), ws.data(), ws.size()));
      return usable(perf, returned, ws.size());
    }
    case ConvPass::backward_data: {
      EMBER_CUDNN_CHECK(cudnnGetConvolutionBackwardDataAlgorithmMaxCount(h, &max_count));
      std::vector<cudnnConvolutionBwdDataAlgoPerf_t> perf(static_cast<size_t>(std::max(max_count, 1)));
      EMBER_CUDNN_CHECK(cudnnFindConvolutionBackwardDataAlgorithmEx(h, d.w.get(), b.w, d.y.get(), b.y, d.conv.get(),
                                                                    d.x.get(), b.x, static_cast<int>(perf.size()),
                                                                    &returned, perf.data(), ws.data(), ws.size()));
      return usable(perf, returned, ws.size());
    }
    case ConvPass::backward_filter: {
      EMBER_CUDNN_CHECK(cudnnGetConvolutionBackwardFilterAlgorithmMaxCount(h, &max_count));
      std::vector<cudnnConvolutionBwdFilterAlgoPerf_t> perf(static_cast<size_t>(std::max(max_count, 1)));
      EMBER_CUDNN_CHECK(cudnnFindConvolutionBackwardFilterAlgorithmEx(
          h, d.x.get(), b.x, d.y.get(), b.y, d.conv.get(), d.w.get(), b.w, static_cast<int>(perf.size()), &returned,
          perf.data(), ws.data(), ws.size()));
      return usable(perf, returned, ws.size());
    }
  }
  return {};
}

ConvAlgo choose(std::vector<Candidate> c, bool prefer_deterministic, cudnnMathType_t forced_math) {
  std::stable_sort(c.begin(), c.end(), [](const Candidate& a, const Candidate& b) { return a.time < b.time; });
  const Candidate* pick = &c.front();
  if (prefer_deterministic && !pick->deterministic) {
    for (const Candidate& k : c) {
      if (!k.deterministic) continue;
      if (k.time <= pick->time * kDeterministicSlack) pick = &k;
      break;  // the fastest deterministic one decides
    }
  }
  ConvAlgo r;
  r.algo = pick->algo;
  r.math = forced_math == CUDNN_FMA_MATH ? forced_math : pick->math;
  r.workspace = pick->memory;
  for (const Candidate& k : c) {
    if (k.memory == 0) {
      r.fallback_algo = k.algo;
      r.fallback_math = forced_math == CUDNN_FMA_MATH ? forced_math : k.math;
      break;
    }
  }
  return r;
}

const char* pass_name(ConvPass p) {
  switch (p) {
    case ConvPass::forward: return "conv2d";
    case ConvPass::backward_data: return "conv2d_backward_data";
    case ConvPass::backward_filter: return "conv2d_backward_weight";
  }
  return "conv2d";
}

}  // namespace

size_t conv_workspace_size(ConvPass pass, cudnnHandle_t handle, const ConvDescs& d, int algo) {
  size_t bytes = 0;
  return query_workspace(pass, handle, d, algo, bytes) ? bytes : 0;
}

ConvAlgo conv_algorithm(ConvPass pass, cudnnHandle_t handle, ConvDescs& d, const ConvBuffers& buf,
                        const Shape& x_shape, const Shape& w_shape, const Conv2dOptions& opt, DType dtype,
                        Device device) {
  const bool tf32 = dtype == DType::f32 && allow_tf32();
  const cudnnMathType_t math = search_math(dtype, tf32);
  d.conv.set_math(math);

  std::vector<int64_t> key{static_cast<int64_t>(pass), static_cast<int64_t>(dtype), device.index, tf32 ? 1 : 0};
  key.insert(key.end(), x_shape.begin(), x_shape.end());
  key.insert(key.end(), w_shape.begin(), w_shape.end());
  key.insert(key.end(), {opt.stride[0], opt.stride[1], opt.padding[0], opt.padding[1], opt.dilation[0],
                         opt.dilation[1], opt.groups});

  static std::mutex mu;
  static std::map<std::vector<int64_t>, ConvAlgo> cache;
  {
    std::lock_guard<std::mutex> lock(mu);
    auto it = cache.find(key);
    if (it != cache.end()) return it->second;
  }

  // Searched outside the lock: a search takes milliseconds, and two threads searching the
  // same key at once only duplicate work.
  std::vector<Candidate> found;
  {
    Workspace ws = search_workspace(max_workspace(pass, handle, d), device);
    found = find_algorithms(pass, handle, d, buf, ws);
  }
  EMBER_CHECK(!found.empty(), CudnnError,
              "{}: cuDNN has no usable algorithm for input {}, weight {}, dtype {} (stride {}, padding {}, "
              "dilation {}, groups {})",
              pass_name(pass), shape_str(x_shape), shape_str(w_shape), dtype, shape_str(opt.stride),
              shape_str(opt.padding), shape_str(opt.dilation), opt.groups);
  const ConvAlgo chosen = choose(std::move(found), pass != ConvPass::forward, math);

  std::lock_guard<std::mutex> lock(mu);
  if (cache.size() >= kMaxCached) cache.clear();
  return cache.emplace(std::move(key), chosen).first->second;
}

}  // namespace ember::cuda

#pragma GCC diagnostic pop
