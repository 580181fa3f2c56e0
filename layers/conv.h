#pragma once
// Conv2d over NCHW inputs, as torch.nn.Conv2d (zero padding only).
#include "ember/core/generator.h"
#include "ember/core/ops/conv.h"
#include "ember/layers/module.h"

namespace ember::nn {

class Conv2d : public Module {
 public:
  // PyTorch's initialisation: weight kaiming_uniform_(a = sqrt(5)), bias U(-1/sqrt(fan_in),
  // 1/sqrt(fan_in)) with fan_in = in_channels/groups * kH * kW; drawn from gen.
  // Use designated initialisers for options: Conv2d(3, 16, 3, {.stride = {2, 2}, .padding = {1, 1}}).
  Conv2d(int64_t in_channels, int64_t out_channels, Pair kernel_size, Conv2dOptions options = {}, bool bias = true,
         Generator* gen = nullptr);
  Conv2d(int64_t in_channels, int64_t out_channels, int64_t kernel_size, Conv2dOptions options = {},
         bool bias = true, Generator* gen = nullptr);
  // [N, in_channels, H, W] -> [N, out_channels, H', W'] (see ember/core/ops/conv.h).
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;
  void reset_parameters(Generator* gen = nullptr);

  const int64_t in_channels;
  const int64_t out_channels;
  const Pair kernel_size;
  const Conv2dOptions options;
  Tensor weight;  // [out_channels, in_channels / groups, kH, kW]
  Tensor bias;    // [out_channels], undefined without bias

 protected:
  void check_input(const Tensor& x) const override;
};

}  // namespace ember::nn
