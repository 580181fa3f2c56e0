#pragma once
// cuDNN algorithm choice for a convolution geometry, measured once with
// cudnnFind*AlgorithmEx and cached for the process (conv_algo.cpp).
#include <cudnn.h>

#include "kernels/cuda/cudnn_desc.h"

namespace ember::cuda {

enum class ConvPass : int { forward = 0, backward_data = 1, backward_filter = 2 };

struct ConvAlgo {
  int algo = 0;  // a cudnnConvolution{Fwd,BwdData,BwdFilter}Algo_t
  cudnnMathType_t math = CUDNN_DEFAULT_MATH;
  size_t workspace = 0;
  // The fastest algorithm needing no workspace (-1: none), for when `workspace` cannot be had.
  int fallback_algo = -1;
  cudnnMathType_t fallback_math = CUDNN_DEFAULT_MATH;
};

// Device buffers of the convolution's input x, weight w and output y (in the forward
// sense). The search runs the pass, so it overwrites the pass's result: y for forward, x
// for backward_data, w for backward_filter.
struct ConvBuffers {
  void* x;
  void* w;
  void* y;
};

// The algorithm for `pass` over the geometry described by `d` (built from x_shape,
// w_shape, opt and dtype on `device`, which is current). Sets d.conv's math type as a
// side effect; run the pass with the returned `math` set.
ConvAlgo conv_algorithm(ConvPass pass, cudnnHandle_t handle, ConvDescs& d, const ConvBuffers& buf,
                        const Shape& x_shape, const Shape& w_shape, const Conv2dOptions& opt, DType dtype,
                        Device device);

// cuDNN's own workspace query for `algo` of `pass` with d.conv's current math type; 0 when
// cuDNN does not answer. run_pass takes the larger of this and ConvAlgo::workspace (the
// size Find reported), so a smaller report can never starve the pass.
size_t conv_workspace_size(ConvPass pass, cudnnHandle_t handle, const ConvDescs& d, int algo);

}  // namespace ember::cuda
