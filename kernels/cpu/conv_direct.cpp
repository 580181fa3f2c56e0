#include "kernels/cpu/conv_direct.h"

#include <cstring>

#include "kernels/cpu/parallel.h"

namespace ember::cpu {
namespace {

struct Dims {
  int64_t N, C, H, W, O, OH, OW, KH, KW, G, Cg, Og;
};
Dims dims_of(const Tensor& x, const Tensor& w, const Tensor& y, const Conv2dOptions& o) {
  Dims d{};
  d.N = x.size(0), d.C = x.size(1), d.H = x.size(2), d.W = x.size(3);
  d.O = w.size(0), d.KH = w.size(2), d.KW = w.size(3);
  d.OH = y.size(2), d.OW = y.size(3);
  d.G = o.groups, d.Cg = d.C / d.G, d.Og = d.O / d.G;
  return d;
}

// Calls f(ih, iw, kh, kw) for every kernel tap of output (oh, ow) that lands inside the input.
template <class F>
inline void taps(const Dims& d, const Conv2dOptions& o, int64_t oh, int64_t ow, F&& f) {
  for (int64_t kh = 0; kh < d.KH; ++kh) {
    int64_t ih = oh * o.stride[0] - o.padding[0] + kh * o.dilation[0];
    if (ih < 0 || ih >= d.H) continue;
    for (int64_t kw = 0; kw < d.KW; ++kw) {
      int64_t iw = ow * o.stride[1] - o.padding[1] + kw * o.dilation[1];
      if (iw < 0 || iw >= d.W) continue;
      f(ih, iw, kh, kw);
    }
  }
}

}  // namespace

template <class T>
void conv2d_direct(const Tensor& x, const Tensor& w, const Tensor& bias, const Tensor& out, const Conv2dOptions& o) {
  Dims d = dims_of(x, w, out, o);
  const T* xp = x.data<T>();
  const T* wp = w.data<T>();
  const T* bp = bias.defined() ? bias.data<T>() : nullptr;
  T* yp = out.data<T>();
  const int64_t work = d.OH * d.OW * d.Cg * d.KH * d.KW;
  parallel_for(d.N * d.O, std::max<int64_t>(1, kGrain / std::max<int64_t>(work, 1)), [&](int64_t b0, int64_t b1) {
    for (int64_t no = b0; no < b1; ++no) {
      int64_t n = no / d.O, oc = no % d.O, g = oc / d.Og;
      for (int64_t oh = 0; oh < d.OH; ++oh)
        for (int64_t ow = 0; ow < d.OW; ++ow) {
          T acc = bp ? bp[oc] : T(0);
          for (int64_t c = 0; c < d.Cg; ++c) {
            const T* xc = xp + ((n * d.C + g * d.Cg + c) * d.H) * d.W;
            const T* wc = wp + ((oc * d.Cg + c) * d.KH) * d.KW;
            taps(d, o, oh, ow, [&](int64_t ih, int64_t iw, int64_t kh, int64_t kw) {
              acc += xc[ih * d.W + iw] * wc[kh * d.KW + kw];
            });
          }
          yp[((n * d.O + oc) * d.OH + oh) * d.OW + ow] = acc;
        }
    }
  });
}

template <class T>
void conv2d_direct_backward_data(const Tensor& gy, const Tensor& w, const Tensor& gx, const Conv2dOptions& o) {
  Dims d = dims_of(gx, w, gy, o);
  const T* gyp = gy.data<T>();
  const T* wp = w.data<T>();
  T* gxp = gx.data<T>();
  std::memset(gxp, 0, static_cast<size_t>(gx.numel()) * sizeof(T));
  // Each (n, group) writes its own slice of gx: no races.
  const int64_t work = d.Og * d.OH * d.OW * d.Cg * d.KH * d.KW;
  parallel_for(d.N * d.G, std::max<int64_t>(1, kGrain / std::max<int64_t>(work, 1)), [&](int64_t b0, int64_t b1) {
    for (int64_t ng = b0; ng < b1; ++ng) {
      int64_t n = ng / d.G, g = ng % d.G;
      for (int64_t og = 0; og < d.Og; ++og) {
        int64_t oc = g * d.Og + og;
        for (int64_t oh = 0; oh < d.OH; ++oh)
          for (int64_t ow = 0; ow < d.OW; ++ow) {
            T gv = gyp[((n * d.O + oc) * d.OH + oh) * d.OW + ow];
            for (int64_t c = 0; c < d.Cg; ++c) {
              T* gxc = gxp + ((n * d.C + g * d.Cg + c) * d.H) * d.W;
              const T* wc = wp + ((oc * d.Cg + c) * d.KH) * d.KW;
              taps(d, o, oh, ow, [&](int64_t ih, int64_t iw, int64_t kh, int64_t kw) {
                gxc[ih * d.W + iw] += gv * wc[kh * d.KW + kw];
              });
            }
          }
      }
    }
  });
}

template <class T>
void conv2d_direct_backward_weight(const Tensor& x, const Tensor& gy, const Tensor& gw, const Tensor& gb,
                                   const Conv2dOptions& o) {
  Dims d = dims_of(x, gw, gy, o);
  const T* xp = x.data<T>();
  const T* gyp = gy.data<T>();
  T* gwp = gw.data<T>();
  T* gbp = gb.defined() ? gb.data<T>() : nullptr;
  std::memset(gwp, 0, static_cast<size_t>(gw.numel()) * sizeof(T));
  const int64_t work = d.N * d.OH * d.OW * d.Cg * d.KH * d.KW;
  parallel_for(d.O, std::max<int64_t>(1, kGrain / std::max<int64_t>(work, 1)), [&](int64_t o0, int64_t o1) {
    for (int64_t oc = o0; oc < o1; ++oc) {
      int64_t g = oc / d.Og;
      T bsum = T(0);
      for (int64_t n = 0; n < d.N; ++n)
        for (int64_t oh = 0; oh < d.OH; ++oh)
          for (int64_t ow = 0; ow < d.OW; ++ow) {
            T gv = gyp[((n * d.O + oc) * d.OH + oh) * d.OW + ow];
            bsum += gv;
            for (int64_t c = 0; c < d.Cg; ++c) {
              const T* xc = xp + ((n * d.C + g * d.Cg + c) * d.H) * d.W;
              T* gwc = gwp + ((oc * d.Cg + c) * d.KH) * d.KW;
              taps(d, o, oh, ow, [&](int64_t ih, int64_t iw, int64_t kh, int64_t kw) {
                gwc[kh * d.KW + kw] += gv * xc[ih * d.W + iw];
              });
            }
          }
      if (gbp) gbp[oc] = bsum;
    }
  });
}

template void conv2d_direct<float>(const Tensor&, const Tensor&, const Tensor&, const Tensor&, const Conv2dOptions&);
template void conv2d_direct<double>(const Tensor&, const Tensor&, const Tensor&, const Tensor&, const Conv2dOptions&);
template void conv2d_direct_backward_data<float>(const Tensor&, const Tensor&, const Tensor&, const Conv2dOptions&);
template void conv2d_direct_backward_data<double>(const Tensor&, const Tensor&, const Tensor&, const Conv2dOptions&);
template void conv2d_direct_backward_weight<float>(const Tensor&, const Tensor&, const Tensor&, const Tensor&,
                                                   const Conv2dOptions&);
template void conv2d_direct_backward_weight<double>(const Tensor&, const Tensor&, const Tensor&, const Tensor&,
                                                    const Conv2dOptions&);

}  // namespace ember::cpu
