#pragma once
// Direct convolution loops: the f64 path (oneDNN has no f64 convolution), used by
// gradchecks and as the reference that the oneDNN path is tested against.
#include "ember/core/tensor.h"
#include "ember/core/ops/conv.h"

namespace ember::cpu {

template <class T>
void conv2d_direct(const Tensor& x, const Tensor& w, const Tensor& bias, const Tensor& out, const Conv2dOptions& o);
template <class T>
void conv2d_direct_backward_data(const Tensor& gy, const Tensor& w, const Tensor& gx, const Conv2dOptions& o);
template <class T>
void conv2d_direct_backward_weight(const Tensor& x, const Tensor& gy, const Tensor& gw, const Tensor& gb,
                                   const Conv2dOptions& o);

}  // namespace ember::cpu
