// Max, average and adaptive-average pooling over NCHW planes; each (n, c) plane is
// independent, so planes are the unit of parallel work.
#include <cmath>
#include <cstring>
#include <limits>

#include "ember/core/dispatch.h"
#include "kernels/cpu/parallel.h"
#include "kernels/cpu/register.h"

namespace ember::cpu {
namespace {

struct Planes {
  int64_t count, H, W, OH, OW;
};
Planes planes(const Tensor& in, const Tensor& out) {
  return {in.size(0) * in.size(1), in.size(2), in.size(3), out.size(2), out.size(3)};
}

template <class F>
void for_planes(int64_t count, int64_t work_per_plane, F&& f) {
  parallel_for(count, std::max<int64_t>(1, kGrain / std::max<int64_t>(work_per_plane, 1)), [&](int64_t b, int64_t e) {
    for (int64_t p = b; p < e; ++p) f(p);
  });
}

void max_pool_kernel(const Tensor& x, const Tensor& out, const Tensor& indices, const Pool2dOptions& o) {
  detail::dispatch_floating(x.dtype(), "max_pool2d", [&]<class T>() {
    using A = acc_t<T>;
    Planes d = planes(x, out);
    const T* xp = x.data<T>();
    T* yp = out.data<T>();
    int64_t* ip = indices.data<int64_t>();
    for_planes(d.count, d.H * d.W, [&](int64_t p) {
      const T* xs = xp + p * d.H * d.W;
      for (int64_t oh = 0; oh < d.OH; ++oh) {
        int64_t h0 = oh * o.stride[0] - o.padding[0];
        int64_t hs = std::max<int64_t>(h0, 0), he = std::min<int64_t>(h0 + o.kernel[0], d.H);
        for (int64_t ow = 0; ow < d.OW; ++ow) {
          int64_t w0 = ow * o.stride[1] - o.padding[1];
          int64_t ws = std::max<int64_t>(w0, 0), we = std::min<int64_t>(w0 + o.kernel[1], d.W);
          A best = -std::numeric_limits<A>::infinity();
          int64_t bi = hs * d.W + ws;
          for (int64_t h = hs; h < he; ++h)
            for (int64_t w = ws; w < we; ++w) {
              A v = static_cast<A>(xs[h * d.W + w]);
              if (v > best || std::isnan(v)) {
                best = v;
                bi = h * d.W + w;
                if (std::isnan(v)) h = he, w = we;  // NaN wins, as in PyTorch
              }
            }
          yp[(p * d.OH + oh) * d.OW + ow] = T(best);
          ip[(p * d.OH + oh) * d.OW + ow] = bi;
        }
      }
    });
  });
}

void max_pool_backward_kernel(const Tensor& gy, const Tensor& indices, const Tensor& gx, const Pool2dOptions&) {
  detail::dispatch_floating(gy.dtype(), "max_pool2d_backward", [&]<class T>() {
    Planes d = planes(gx, gy);
    const T* gyp = gy.data<T>();
    const int64_t* ip = indices.data<int64_t>();
    T* gxp = gx.data<T>();
    for_planes(d.count, d.H * d.W, [&](int64_t p) {
      T* gs = gxp + p * d.H * d.W;
      std::fill(gs, gs + d.H * d.W, T(0.f));
      for (int64_t i = 0; i < d.OH * d.OW; ++i) {
        int64_t k = ip[p * d.OH * d.OW + i];
        gs[k] = T(static_cast<acc_t<T>>(gs[k]) + static_cast<acc_t<T>>(gyp[p * d.OH * d.OW + i]));
      }
    });
  });
}

// Window of output (oh, ow) and the divisor PyTorch uses for it.
struct Window {
  int64_t hs, he, ws, we, divisor;
};
inline Window avg_window(const Planes& d, const Pool2dOptions& o, int64_t oh, int64_t ow) {
  int64_t h0 = oh * o.stride[0] - o.padding[0], w0 = ow * o.stride[1] - o.padding[1];
  int64_t h1 = std::min(h0 + o.kernel[0], d.H + o.padding[0]), w1 = std::min(w0 + o.kernel[1], d.W + o.padding[1]);
  int64_t padded = (h1 - h0) * (w1 - w0);
  Window win{std::max<int64_t>(h0, 0), std::min(h1, d.H), std::max<int64_t>(w0, 0), std::min(w1, d.W), 0};
  win.divisor = o.count_include_pad ? padded : (win.he - win.hs) * (win.we - win.ws);
  return win;
}
inline Window adaptive_window(const Planes& d, int64_t oh, int64_t ow) {
  Window w{oh * d.H / d.OH, ((oh + 1) * d.H + d.OH - 1) / d.OH, ow * d.W / d.OW, ((ow + 1) * d.W + d.OW - 1) / d.OW, 0};
  w.divisor = (w.he - w.hs) * (w.we - w.ws);
  return w;
}

template <bool kAdaptive>
void avg_pool_kernel(const Tensor& x, const Tensor& out, const Tensor&, const Pool2dOptions& o) {
  detail::dispatch_floating(x.dtype(), "avg_pool2d", [&]<class T>() {
    using A = acc_t<T>;
    Planes d = planes(x, out);
    const T* xp = x.data<T>();
    T* yp = out.data<T>();
    for_planes(d.count, d.H * d.W, [&](int64_t p) {
      const T* xs = xp + p * d.H * d.W;
      for (int64_t oh = 0; oh < d.OH; ++oh)
        for (int64_t ow = 0; ow < d.OW; ++ow) {
          Window win = kAdaptive ? adaptive_window(d, oh, ow) : avg_window(d, o, oh, ow);
          A s = 0;
          for (int64_t h = win.hs; h < win.he; ++h)
            for (int64_t w = win.ws; w < win.we; ++w) s += static_cast<A>(xs[h * d.W + w]);
          yp[(p * d.OH + oh) * d.OW + ow] = T(win.divisor > 0 ? s / static_cast<A>(win.divisor) : A(0));
        }
    });
  });
}

template <bool kAdaptive>
void avg_pool_backward_kernel(const Tensor& gy, const Tensor&, const Tensor& gx, const Pool2dOptions& o) {
  detail::dispatch_floating(gy.dtype(), "avg_pool2d_backward", [&]<class T>() {
    using A = acc_t<T>;
    Planes d = planes(gx, gy);
    const T* gyp = gy.data<T>();
    T* gxp = gx.data<T>();
    for_planes(d.count, d.H * d.W, [&](int64_t p) {
      T* gs = gxp + p * d.H * d.W;
      std::fill(gs, gs + d.H * d.W, T(0.f));
      for (int64_t oh = 0; oh < d.OH; ++oh)
        for (int64_t ow = 0; ow < d.OW; ++ow) {
          Window win = kAdaptive ? adaptive_window(d, oh, ow) : avg_window(d, o, oh, ow);
          if (win.divisor <= 0) continue;
          A g = static_cast<A>(gyp[(p * d.OH + oh) * d.OW + ow]) / static_cast<A>(win.divisor);
          for (int64_t h = win.hs; h < win.he; ++h)
            for (int64_t w = win.ws; w < win.we; ++w) gs[h * d.W + w] = T(static_cast<A>(gs[h * d.W + w]) + g);
        }
    });
  });
}

}  // namespace

void register_pool_kernels() {
  register_kernel<OpId::max_pool2d>(DeviceType::cpu, &max_pool_kernel);
  register_kernel<OpId::max_pool2d_backward>(DeviceType::cpu, &max_pool_backward_kernel);
  register_kernel<OpId::avg_pool2d>(DeviceType::cpu, &avg_pool_kernel<false>);
  register_kernel<OpId::avg_pool2d_backward>(DeviceType::cpu, &avg_pool_backward_kernel<false>);
  register_kernel<OpId::adaptive_avg_pool2d>(DeviceType::cpu, &avg_pool_kernel<true>);
  register_kernel<OpId::adaptive_avg_pool2d_backward>(DeviceType::cpu, &avg_pool_backward_kernel<true>);
}

}  // namespace ember::cpu
