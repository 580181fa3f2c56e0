#pragma once
// Pooling window math for one output (or one input) position, written once for the host
// and the device so that the CUDA pool kernels follow kernels/cpu/pool.cpp step for step
// (same windows, same divisors, same summation order, same argmax on ties and NaN) and can
// be checked against the CPU kernels on a machine without a GPU. Plain types only.
#include <cmath>
#include <cstdint>

#include "index_math.h"  // same directory: also found from the tests, which lack the source root

namespace ember::kernels {

// Geometry of one pooling call; stride is already resolved (never 0).
struct PoolGeom {
  int64_t H = 0, W = 0, OH = 0, OW = 0;
  int64_t kh = 1, kw = 1, sh = 1, sw = 1, ph = 0, pw = 0;
  bool count_include_pad = true;
};

// Input rows [hs, he) x cols [ws, we) of one output and the divisor of its average.
struct PoolWindow {
  int64_t hs, he, ws, we, divisor;
};

EMBER_HD int64_t pool_min(int64_t a, int64_t b) { return a < b ? a : b; }
EMBER_HD int64_t pool_max(int64_t a, int64_t b) { return a > b ? a : b; }

// The window of max_pool2d: the kernel footprint clipped to the input (padding is -inf).
EMBER_HD PoolWindow max_window(const PoolGeom& g, int64_t oh, int64_t ow) {
  const int64_t h0 = oh * g.sh - g.ph, w0 = ow * g.sw - g.pw;
  return {pool_max(h0, 0), pool_min(h0 + g.kh, g.H), pool_max(w0, 0), pool_min(w0 + g.kw, g.W), 0};
}

// avg_pool2d: with count_include_pad the divisor counts the padded footprint (clipped at the
// right padding, as PyTorch), otherwise only the input elements.
EMBER_HD PoolWindow avg_window(const PoolGeom& g, int64_t oh, int64_t ow) {
  const int64_t h0 = oh * g.sh - g.ph, w0 = ow * g.sw - g.pw;
  const int64_t h1 = pool_min(h0 + g.kh, g.H + g.ph), w1 = pool_min(w0 + g.kw, g.W + g.pw);
  PoolWindow win{pool_max(h0, 0), pool_min(h1, g.H), pool_max(w0, 0), pool_min(w1, g.W), 0};
  win.divisor = g.count_include_pad ? (h1 - h0) * (w1 - w0) : (win.he - win.hs) * (win.we - win.ws);
  return win;
}

// adaptive_avg_pool2d: [floor(i*H/OH), ceil((i+1)*H/OH)).
EMBER_HD PoolWindow adaptive_window(const PoolGeom& g, int64_t oh, int64_t ow) {
  PoolWindow w{oh * g.H / g.OH, ((oh + 1) * g.H + g.OH - 1) / g.OH, ow * g.W / g.OW, ((ow + 1) * g.W + g.OW - 1) / g.OW,
               0};
  w.divisor = (w.he - w.hs) * (w.we - w.ws);
  return w;
}

// Range [lo, hi] of outputs along one axis whose strided window (start o*s - p, length k)
// can contain input position i: o*s - p <= i < o*s - p + k. A superset is harmless, since
// callers test the window itself; this one is exact.
EMBER_HD void covering_outputs(int64_t i, int64_t k, int64_t s, int64_t p, int64_t n_out, int64_t* lo, int64_t* hi) {
  const int64_t t = i + p - k;  // o*s > t
  *lo = t < 0 ? 0 : t / s + 1;
  *hi = pool_min(n_out - 1, (i + p) / s);
}

// Adaptive counterpart: the outputs o with floor(o*n/n_out) <= i < ceil((o+1)*n/n_out).
EMBER_HD void adaptive_covering_outputs(int64_t i, int64_t n, int64_t n_out, int64_t* lo, int64_t* hi) {
  *lo = i * n_out / n;
  *hi = pool_min(n_out - 1, ((i + 1) * n_out + n - 1) / n - 1);
}

// The per-element bodies of the CUDA pool kernels, here so that the CPU tests run the
// same code. `cv` converts between the element type T and the accumulation type A:
// cv.load(T) -> A and cv.store(A) -> T (float for the 16-bit types, as on the CPU).

// Max over one window of plane `xs` (H*W elements), in A precision, scanning row-major:
// the first maximum wins ties, and the first NaN wins outright (as PyTorch). An all -inf
// window reports its first element.
template <class A, class T, class Cv>
EMBER_HD void window_max(const T* xs, const PoolGeom& g, const PoolWindow& win, const Cv& cv, A* best_out,
                         int64_t* index_out) {
  A best = -static_cast<A>(INFINITY);
  int64_t bi = win.hs * g.W + win.ws;
  for (int64_t h = win.hs; h < win.he; ++h) {
    for (int64_t w = win.ws; w < win.we; ++w) {
      const A v = cv.load(xs[h * g.W + w]);
      const bool nan = v != v;
      if (v > best || nan) {
        best = v;
        bi = h * g.W + w;
        if (nan) {
          *best_out = best;
          *index_out = bi;
          return;
        }
      }
    }
  }
  *best_out = best;
  *index_out = bi;
}

// Average of output (oh, ow) of plane xs: the window summed row-major in A (the CPU's
// order), divided by the window's divisor (0 for an empty window).
template <class A, bool kAdaptive, class T, class Cv>
EMBER_HD T avg_pool_at(const T* xs, const PoolGeom& g, int64_t oh, int64_t ow, const Cv& cv) {
  const PoolWindow win = kAdaptive ? adaptive_window(g, oh, ow) : avg_window(g, oh, ow);
  A s = A(0);
  for (int64_t h = win.hs; h < win.he; ++h)
    for (int64_t w = win.ws; w < win.we; ++w) s += cv.load(xs[h * g.W + w]);
  return cv.store(win.divisor > 0 ? s / static_cast<A>(win.divisor) : A(0));
}

// Gradient of input (h, w) of one plane for max pooling: the sum of gy over the outputs
// whose saved argmax (flat h*W+w) is this element. Only outputs whose window covers it
// can point here; they are visited in (oh, ow) order and each add is rounded to T, which
// is exactly the CPU kernel's scatter for this element.
template <class A, class T, class Cv>
EMBER_HD T max_pool_grad_at(const T* gys, const int64_t* idxs, const PoolGeom& g, int64_t h, int64_t w, const Cv& cv) {
  int64_t oh0, oh1, ow0, ow1;
  covering_outputs(h, g.kh, g.sh, g.ph, g.OH, &oh0, &oh1);
  covering_outputs(w, g.kw, g.sw, g.pw, g.OW, &ow0, &ow1);
  const int64_t target = h * g.W + w;
  T acc = cv.store(A(0));
  for (int64_t oh = oh0; oh <= oh1; ++oh)
    for (int64_t ow = ow0; ow <= ow1; ++ow)
      if (idxs[oh * g.OW + ow] == target) acc = cv.store(cv.load(acc) + cv.load(gys[oh * g.OW + ow]));
  return acc;
}

// Gradient of input (h, w) of one plane for (adaptive) average pooling: gy / divisor of
// every output whose window covers the element, in (oh, ow) order, each add rounded to T.
template <class A, bool kAdaptive, class T, class Cv>
EMBER_HD T avg_pool_grad_at(const T* gys, const PoolGeom& g, int64_t h, int64_t w, const Cv& cv) {
  int64_t oh0, oh1, ow0, ow1;
  if (kAdaptive) {
    adaptive_covering_outputs(h, g.H, g.OH, &oh0, &oh1);
    adaptive_covering_outputs(w, g.W, g.OW, &ow0, &ow1);
  } else {
    covering_outputs(h, g.kh, g.sh, g.ph, g.OH, &oh0, &oh1);
    covering_outputs(w, g.kw, g.sw, g.pw, g.OW, &ow0, &ow1);
  }
  T acc = cv.store(A(0));
  for (int64_t oh = oh0; oh <= oh1; ++oh)
    for (int64_t ow = ow0; ow <= ow1; ++ow) {
      const PoolWindow win = kAdaptive ? adaptive_window(g, oh, ow) : avg_window(g, oh, ow);
      if (win.divisor <= 0 || h < win.hs || h >= win.he || w < win.ws || w >= win.we) continue;
      acc = cv.store(cv.load(acc) + cv.load(gys[oh * g.OW + ow]) / static_cast<A>(win.divisor));
    }
  return acc;
}

}  // namespace ember::kernels
