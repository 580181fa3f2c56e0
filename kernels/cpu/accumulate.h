#pragma once
// Vectorizable sums. The loop vectorizer may not reassociate floating-point adds, so a
// plain `s += x[i]` runs one add per cycle-latency; here 16 independent lanes add 16
// terms each in the input's precision, then flush into double lanes. For float inputs
// that keeps the SIMD width of the data, and the error stays at a few ulps of a
// 16-term sum before the double accumulation.
#include <cstdint>

namespace ember::cpu {

// Sum of f(i) for i in [0, n); f returns Lane (float for float data, double otherwise).
template <class Lane, class F>
inline double lane_sum(int64_t n, F&& f) {
  constexpr int kLanes = 16, kRounds = 16;
  double acc[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes * kRounds <= n; i += kLanes * kRounds) {
    Lane part[kLanes] = {};
    for (int r = 0; r < kRounds; ++r)
      for (int l = 0; l < kLanes; ++l) part[l] += f(i + r * kLanes + l);
    for (int l = 0; l < kLanes; ++l) acc[l] += static_cast<double>(part[l]);
  }
  double s = 0;
  for (int l = 0; l < kLanes; ++l) s += acc[l];
  for (; i < n; ++i) s += static_cast<double>(f(i));
  return s;
}

// Two sums in one pass over the data: f(i, a, b) adds its terms into a and b.
template <class Lane, class F>
inline void lane_sum2(int64_t n, double& out_a, double& out_b, F&& f) {
  constexpr int kLanes = 16, kRounds = 16;
  double acc_a[kLanes] = {}, acc_b[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes * kRounds <= n; i += kLanes * kRounds) {
    Lane pa[kLanes] = {}, pb[kLanes] = {};
    for (int r = 0; r < kRounds; ++r)
      for (int l = 0; l < kLanes; ++l) f(i + r * kLanes + l, pa[l], pb[l]);
    for (int l = 0; l < kLanes; ++l) {
      acc_a[l] += static_cast<double>(pa[l]);
      acc_b[l] += static_cast<double>(pb[l]);
    }
  }
  double a = 0, b = 0;
  for (int l = 0; l < kLanes; ++l) {
    a += acc_a[l];
    b += acc_b[l];
  }
  for (; i < n; ++i) {
    Lane ta = 0, tb = 0;
    f(i, ta, tb);
    a += static_cast<double>(ta);
    b += static_cast<double>(tb);
  }
  out_a += a;
  out_b += b;
}

}  // namespace ember::cpu
