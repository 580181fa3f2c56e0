#pragma once
// The float and double math of the kernels that both backends share (elementwise_ops.h,
// optim_math.h, the softmax and cross-entropy rows): one name per function, which picks
// CUDA's device function under nvcc's device pass and the C library's elsewhere (glibc's
// expf on the CPU, CUDA's expf on the GPU). Plain types only: .cu files include this.
#include <cmath>

#include "index_math.h"  // EMBER_HD; same directory: also found from the tests, which lack the source root

namespace ember::kernels {

namespace math {
#if defined(__CUDA_ARCH__)
#define EMBER_MATH1(name)                                               \
  EMBER_HD float name(float x) { return ::name##f(x); }                 \
  EMBER_HD double name(double x) { return ::name(x); }
#else
#define EMBER_MATH1(name)                                               \
  EMBER_HD float name(float x) { return std::name(x); }                 \
  EMBER_HD double name(double x) { return std::name(x); }
#endif
EMBER_MATH1(exp)
EMBER_MATH1(log)
EMBER_MATH1(log1p)
EMBER_MATH1(sqrt)  // correctly rounded on both (nvcc's default -prec-sqrt=true)
EMBER_MATH1(tanh)
EMBER_MATH1(erf)
#undef EMBER_MATH1
#if defined(__CUDA_ARCH__)
EMBER_HD float pow(float x, float y) { return ::powf(x, y); }
EMBER_HD double pow(double x, double y) { return ::pow(x, y); }
EMBER_HD float max(float x, float y) { return ::fmaxf(x, y); }
EMBER_HD double max(double x, double y) { return ::fmax(x, y); }
template <class A> EMBER_HD bool isnan(A x) { return ::isnan(x); }
// Each step rounded on its own: the CPU build does not fuse a*x + b into one FMA.
EMBER_HD float mul_rn(float x, float y) { return __fmul_rn(x, y); }
EMBER_HD double mul_rn(double x, double y) { return __dmul_rn(x, y); }
EMBER_HD float add_rn(float x, float y) { return __fadd_rn(x, y); }
EMBER_HD double add_rn(double x, double y) { return __dadd_rn(x, y); }
#else
EMBER_HD float pow(float x, float y) { return std::pow(x, y); }
EMBER_HD double pow(double x, double y) { return std::pow(x, y); }
// fmax skips NaN like std::max(m, v) with m the running max: a NaN element does not become
// the max (it turns a sum over the row into NaN instead).
EMBER_HD float max(float x, float y) { return std::fmax(x, y); }
EMBER_HD double max(double x, double y) { return std::fmax(x, y); }
template <class A> EMBER_HD bool isnan(A x) { return std::isnan(x); }
EMBER_HD float mul_rn(float x, float y) { return x * y; }
EMBER_HD double mul_rn(double x, double y) { return x * y; }
EMBER_HD float add_rn(float x, float y) { return x + y; }
EMBER_HD double add_rn(double x, double y) { return x + y; }
#endif
}  // namespace math

}  // namespace ember::kernels
