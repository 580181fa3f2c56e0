// Convolution kernels. f32 runs on oneDNN: each geometry gets its forward, backward-data
// and backward-weights primitives once (per thread, so no locking), with oneDNN free to
// choose blocked layouts; our plain NCHW tensors are reordered in and out when it does.
// f64 runs on the direct loops in conv_direct.cpp.
#include <map>
#include <memory>
#include <optional>

#include <oneapi/dnnl/dnnl.hpp>

#include "ember/core/dispatch.h"
#include "kernels/cpu/conv_direct.h"
#include "kernels/cpu/onednn.h"
#include "kernels/cpu/register.h"

namespace ember::cpu {
namespace {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

struct Key {
  std::vector<int64_t> v;
  bool operator<(const Key& o) const { return v < o.v; }
};

Key key_of(const Shape& x, const Shape& w, bool bias, const Conv2dOptions& o) {
  Key k;
  k.v.insert(k.v.end(), x.begin(), x.end());
  k.v.insert(k.v.end(), w.begin(), w.end());
  k.v.insert(k.v.end(), {bias ? 1 : 0, o.stride[0], o.stride[1], o.padding[0], o.padding[1], o.dilation[0],
                         o.dilation[1], o.groups});
  return k;
}

// A primitive plus the reorders between our plain layout and the one it chose.
struct Plan {
  memory::dims src, wei, dst, strides, dilates, pad_l, pad_r;
  memory::desc src_md, wei_md, dst_md, bias_md;  // plain layouts
  dnnl::convolution_forward::primitive_desc fwd_pd;
  std::optional<dnnl::convolution_forward> fwd;
  std::optional<dnnl::convolution_backward_data> bwd_data;
  dnnl::convolution_backward_data::primitive_desc bwd_data_pd;
  std::optional<dnnl::convolution_backward_weights> bwd_weights;
  dnnl::convolution_backward_weights::primitive_desc bwd_weights_pd;
};

Plan& plan_for(const Shape& xs, const Shape& ws, const Shape& ys, bool bias, const Conv2dOptions& o) {
  thread_local std::map<Key, std::unique_ptr<Plan>> cache;
  Key k = key_of(xs, ws, bias, o);
  auto it = cache.find(k);
  if (it != cache.end()) return *it->second;
  if (cache.size() > 256) cache.clear();
  auto p = std::make_unique<Plan>();
  const int64_t G = o.groups;
  p->src = {xs[0], xs[1], xs[2], xs[3]};
  p->dst = {ys[0], ys[1], ys[2], ys[3]};
  p->wei = G == 1 ? memory::dims{ws[0], ws[1], ws[2], ws[3]} : memory::dims{G, ws[0] / G, ws[1], ws[2], ws[3]};
  p->strides = {o.stride[0], o.stride[1]};
  p->dilates = {o.dilation[0] - 1, o.dilation[1] - 1};  // oneDNN counts dilation from 0
  p->pad_l = {o.padding[0], o.padding[1]};
  for (int i = 0; i < 2; ++i) {
    int64_t span = o.dilation[i] * (ws[2 + i] - 1) + 1;
    p->pad_r.push_back((ys[2 + i] - 1) * o.stride[i] + span - xs[2 + i] - o.padding[i]);
  }
  p->src_md = memory::desc(p->src, dt::f32, tag::nchw);
  p->dst_md = memory::desc(p->dst, dt::f32, tag::nchw);
  p->wei_md = memory::desc(p->wei, dt::f32, G == 1 ? tag::oihw : tag::goihw);
  if (bias) p->bias_md = memory::desc({ws[0]}, dt::f32, tag::x);
  auto any = [](const memory::dims& d) { return memory::desc(d, dt::f32, tag::any); };
  auto fwd_d = dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training, dnnl::algorithm::convolution_direct,
                                               any(p->src), any(p->wei), p->bias_md, any(p->dst), p->strides,
                                               p->dilates, p->pad_l, p->pad_r);
  p->fwd_pd = dnnl::convolution_forward::primitive_desc(fwd_d, onednn_engine());
  return *cache.emplace(k, std::move(p)).first->second;
}

// Memory in the layout `want`: wraps `ptr` directly if the layouts agree, otherwise a
// scratch buffer from ember's caching allocator (oneDNN's own would mmap and fault in
// every activation-sized buffer on every call), filled from ptr when `fill`.
struct Buffer {
  memory mem;
  Tensor hold;  // owns the scratch bytes until the primitive has run
};

Buffer as_layout(const memory::desc& want, const memory::desc& have, void* ptr, bool fill, dnnl::stream& s) {
  auto& eng = onednn_engine();
  memory user(have, eng, ptr);
  if (want == have) return {user, Tensor()};
  Tensor scratch = make_tensor({static_cast<int64_t>(want.get_size())}, DType::u8, Device::cpu());
  memory m(want, eng, scratch.raw_data());
  if (fill) dnnl::reorder(user, m).execute(s, user, m);
  return {m, scratch};
}

void copy_back(const Buffer& b, const memory::desc& have, void* ptr, dnnl::stream& s) {
  memory user(have, onednn_engine(), ptr);
  if (b.mem.get_desc() == have) return;
  memory m = b.mem;
  dnnl::reorder(m, user).execute(s, m, user);
}

template <class F>
void guarded(const char* op, F&& f) {
  try {
    f();
  } catch (const dnnl::error& e) {
    EMBER_THROW(Error, "{}: oneDNN failed: {}", op, e.what());
  }
}

void conv2d_kernel(const Tensor& x, const Tensor& w, const Tensor& bias, const Tensor& out, const Conv2dOptions& o) {
  if (x.dtype() == DType::f64) return conv2d_direct<double>(x, w, bias, out, o);
  EMBER_CHECK(x.dtype() == DType::f32, DTypeError, "conv2d: the CPU backend supports float32 and float64, got {}",
              x.dtype());
  guarded("conv2d", [&] {
    Plan& p = plan_for(x.shape(), w.shape(), out.shape(), bias.defined(), o);
    if (!p.fwd) p.fwd.emplace(p.fwd_pd);
    dnnl::stream s = onednn_stream();
    Buffer src = as_layout(p.fwd_pd.src_desc(), p.src_md, x.raw_data(), true, s);
    Buffer wei = as_layout(p.fwd_pd.weights_desc(), p.wei_md, w.raw_data(), true, s);
    Buffer dst = as_layout(p.fwd_pd.dst_desc(), p.dst_md, out.raw_data(), false, s);
    std::unordered_map<int, memory> args{{DNNL_ARG_SRC, src.mem}, {DNNL_ARG_WEIGHTS, wei.mem}, {DNNL_ARG_DST, dst.mem}};
    if (bias.defined()) args.emplace(DNNL_ARG_BIAS, memory(p.bias_md, onednn_engine(), bias.raw_data()));
    p.fwd->execute(s, args);
    copy_back(dst, p.dst_md, out.raw_data(), s);
    s.wait();
  });
}

void conv2d_backward_data_kernel(const Tensor& gy, const Tensor& w, const Tensor& gx, const Conv2dOptions& o) {
  if (gy.dtype() == DType::f64) return conv2d_direct_backward_data<double>(gy, w, gx, o);
  guarded("conv2d_backward_data", [&] {
    Plan& p = plan_for(gx.shape(), w.shape(), gy.shape(), false, o);
    if (!p.bwd_data) {
      auto any = [](const memory::dims& d) { return memory::desc(d, dt::f32, tag::any); };
      auto d = dnnl::convolution_backward_data::desc(dnnl::algorithm::convolution_direct, any(p.src), any(p.wei),
                                                     any(p.dst), p.strides, p.dilates, p.pad_l, p.pad_r);
      p.bwd_data_pd = dnnl::convolution_backward_data::primitive_desc(d, onednn_engine(), p.fwd_pd);
      p.bwd_data.emplace(p.bwd_data_pd);
    }
    dnnl::stream s = onednn_stream();
    Buffer ddst = as_layout(p.bwd_data_pd.diff_dst_desc(), p.dst_md, gy.raw_data(), true, s);
    Buffer wei = as_layout(p.bwd_data_pd.weights_desc(), p.wei_md, w.raw_data(), true, s);
    Buffer dsrc = as_layout(p.bwd_data_pd.diff_src_desc(), p.src_md, gx.raw_data(), false, s);
    p.bwd_data->execute(s, {{DNNL_ARG_DIFF_DST, ddst.mem}, {DNNL_ARG_WEIGHTS, wei.mem}, {DNNL_ARG_DIFF_SRC, dsrc.mem}});
    copy_back(dsrc, p.src_md, gx.raw_data(), s);
    s.wait();
  });
}

void conv2d_backward_weight_kernel(const Tensor& x, const Tensor& gy, const Tensor& gw, const Tensor& gb,
                                   const Conv2dOptions& o) {
  if (x.dtype() == DType::f64) return conv2d_direct_backward_weight<double>(x, gy, gw, gb, o);
  guarded("conv2d_backward_weight", [&] {
    Plan& p = plan_for(x.shape(), gw.shape(), gy.shape(), gb.defined(), o);
    if (!p.bwd_weights) {
      auto any = [](const memory::dims& d) { return memory::desc(d, dt::f32, tag::any); };
      auto d = dnnl::convolution_backward_weights::desc(dnnl::algorithm::convolution_direct, any(p.src), any(p.wei),
                                                        p.bias_md, any(p.dst), p.strides, p.dilates, p.pad_l,
                                                        p.pad_r);
      p.bwd_weights_pd = dnnl::convolution_backward_weights::primitive_desc(d, onednn_engine(), p.fwd_pd);
      p.bwd_weights.emplace(p.bwd_weights_pd);
    }
    dnnl::stream s = onednn_stream();
    Buffer src = as_layout(p.bwd_weights_pd.src_desc(), p.src_md, x.raw_data(), true, s);
    Buffer ddst = as_layout(p.bwd_weights_pd.diff_dst_desc(), p.dst_md, gy.raw_data(), true, s);
    Buffer dwei = as_layout(p.bwd_weights_pd.diff_weights_desc(), p.wei_md, gw.raw_data(), false, s);
    std::unordered_map<int, memory> args{{DNNL_ARG_SRC, src.mem}, {DNNL_ARG_DIFF_DST, ddst.mem},
                                         {DNNL_ARG_DIFF_WEIGHTS, dwei.mem}};
    if (gb.defined()) args.emplace(DNNL_ARG_DIFF_BIAS, memory(p.bias_md, onednn_engine(), gb.raw_data()));
    p.bwd_weights->execute(s, args);
    copy_back(dwei, p.wei_md, gw.raw_data(), s);
    s.wait();
  });
}

}  // namespace

void register_conv_kernels() {
  register_kernel<OpId::conv2d>(DeviceType::cpu, &conv2d_kernel);
  register_kernel<OpId::conv2d_backward_data>(DeviceType::cpu, &conv2d_backward_data_kernel);
  register_kernel<OpId::conv2d_backward_weight>(DeviceType::cpu, &conv2d_backward_weight_kernel);
}

}  // namespace ember::cpu
