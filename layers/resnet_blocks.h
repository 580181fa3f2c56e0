#pragma once
// Residual blocks in torchvision's layout (ResNet v1.5: the stride sits on the 3x3 conv),
// so parameter names match torchvision's ("conv1", "bn1", ..., "downsample.0").
#include <memory>

#include "ember/core/generator.h"
#include "ember/layers/batch_norm.h"
#include "ember/layers/conv.h"
#include "ember/layers/activation.h"
#include "ember/layers/module.h"

namespace ember::nn {

// 3x3 conv (stride) -> BN -> ReLU -> 3x3 conv -> BN, plus the shortcut (identity, or
// `downsample` when the shape changes), then ReLU. Output channels: planes.
class BasicBlock : public Module {
 public:
  static constexpr int64_t expansion = 1;
  BasicBlock(int64_t inplanes, int64_t planes, int64_t stride = 1, std::shared_ptr<Module> downsample = nullptr,
             Generator* gen = nullptr);
  Tensor forward(const Tensor& x) override;

  std::shared_ptr<Conv2d> conv1;
  std::shared_ptr<BatchNorm2d> bn1;
  std::shared_ptr<ReLU> relu;
  std::shared_ptr<Conv2d> conv2;
  std::shared_ptr<BatchNorm2d> bn2;
  std::shared_ptr<Module> downsample;  // null: identity shortcut
};

// 1x1 conv -> BN -> ReLU -> 3x3 conv (stride) -> BN -> ReLU -> 1x1 conv -> BN, plus the
// shortcut, then ReLU. Output channels: planes * 4.
class Bottleneck : public Module {
 public:
  static constexpr int64_t expansion = 4;
  Bottleneck(int64_t inplanes, int64_t planes, int64_t stride = 1, std::shared_ptr<Module> downsample = nullptr,
             Generator* gen = nullptr);
  Tensor forward(const Tensor& x) override;

  std::shared_ptr<Conv2d> conv1;
  std::shared_ptr<BatchNorm2d> bn1;
  std::shared_ptr<Conv2d> conv2;
  std::shared_ptr<BatchNorm2d> bn2;
  std::shared_ptr<Conv2d> conv3;
  std::shared_ptr<BatchNorm2d> bn3;
  std::shared_ptr<ReLU> relu;
  std::shared_ptr<Module> downsample;
};

// 3x3 conv, padding 1, no bias; 1x1 conv, no bias (torchvision's conv3x3/conv1x1).
std::shared_ptr<Conv2d> conv3x3(int64_t in, int64_t out, int64_t stride = 1, Generator* gen = nullptr);
std::shared_ptr<Conv2d> conv1x1(int64_t in, int64_t out, int64_t stride = 1, Generator* gen = nullptr);
// Sequential(conv1x1(in, out, stride), BatchNorm2d(out)): the projection shortcut.
std::shared_ptr<Module> projection_shortcut(int64_t in, int64_t out, int64_t stride, Generator* gen = nullptr);

}  // namespace ember::nn
