#pragma once
// CIFAR-style ResNet-20/32/56 (He et al. 2016, section 4.2): a 3x3 conv stem with 16
// channels, three stages of n BasicBlocks with 16/32/64 channels (depth = 6n + 2), global
// average pooling and fc. Names follow the torchvision layout: conv1, bn1, layer1..layer3,
// avgpool, fc.
//
// Shortcuts: where the shape changes (first block of layer2 and layer3) this uses a 1x1
// conv + BN projection ("option B", downsample.0/downsample.1), not the paper's parameter-free
// zero-padding ("option A"); that adds 2,752 parameters (ResNet-20: 272,474 for 10 classes
// instead of 269,722). Initialisation: convs kaiming_normal_(fan_out, relu), BN 1/0, fc as Linear.
#include <memory>

#include "ember/core/generator.h"
#include "ember/layers/resnet.h"

namespace ember::nn {

struct CifarResNetOptions {
  int64_t num_classes = 10;
  int64_t in_channels = 3;
  bool zero_init_residual = false;
  Generator* generator = nullptr;
};

class CifarResNet : public Module {
 public:
  // depth = 6n + 2: 20, 32, 44, 56, 110, ...
  explicit CifarResNet(int64_t depth, CifarResNetOptions options = {});
  // [N, in_channels, H, W] (32x32 for CIFAR) -> logits [N, num_classes].
  Tensor forward(const Tensor& x) override;

  const int64_t depth;
  const CifarResNetOptions options;
  std::shared_ptr<Conv2d> conv1;
  std::shared_ptr<BatchNorm2d> bn1;
  std::shared_ptr<ReLU> relu;
  std::shared_ptr<Sequential> layer1, layer2, layer3;
  std::shared_ptr<AdaptiveAvgPool2d> avgpool;
  std::shared_ptr<Linear> fc;

 protected:
  void check_input(const Tensor& x) const override;
};

std::shared_ptr<CifarResNet> resnet20(CifarResNetOptions options = {});
std::shared_ptr<CifarResNet> resnet32(CifarResNetOptions options = {});
std::shared_ptr<CifarResNet> resnet56(CifarResNetOptions options = {});

}  // namespace ember::nn
