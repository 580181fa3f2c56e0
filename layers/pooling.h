#pragma once
// 2-D pooling layers over NCHW inputs, as torch.nn (no dilation, no return_indices).
#include "ember/core/ops/pool.h"
#include "ember/layers/module.h"

namespace ember::nn {

// A window of `kernel` every `stride` (default: kernel) over the input padded by `padding`
// (at most half the kernel, as PyTorch requires).
class MaxPool2d : public Module {
 public:
  explicit MaxPool2d(Pool2dOptions options);
  explicit MaxPool2d(int64_t kernel_size, int64_t stride = 0, int64_t padding = 0, bool ceil_mode = false);
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;
  const Pool2dOptions options;  // stride filled in (never {0, 0})

 protected:
  void check_input(const Tensor& x) const override;
};

class AvgPool2d : public Module {
 public:
  explicit AvgPool2d(Pool2dOptions options);
  explicit AvgPool2d(int64_t kernel_size, int64_t stride = 0, int64_t padding = 0, bool ceil_mode = false,
                     bool count_include_pad = true);
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;
  const Pool2dOptions options;

 protected:
  void check_input(const Tensor& x) const override;
};

// Any input size to a fixed output size with PyTorch's adaptive windows.
class AdaptiveAvgPool2d : public Module {
 public:
  explicit AdaptiveAvgPool2d(Pair output_size);
  explicit AdaptiveAvgPool2d(int64_t output_size) : AdaptiveAvgPool2d(Pair{output_size, output_size}) {}
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;
  const Pair output_size;

 protected:
  void check_input(const Tensor& x) const override;
};

}  // namespace ember::nn
