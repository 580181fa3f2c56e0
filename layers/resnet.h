#pragma once
// ResNet-18/34/50 in torchvision's layout: conv1, bn1, relu, maxpool, layer1..layer4,
// avgpool, fc, with downsample = Sequential(conv1x1, BatchNorm2d) ("layer2.0.downsample.0"),
// so named_parameters() and state_dict() keys equal torchvision's. Initialisation as
// torchvision: convs kaiming_normal_(fan_out, relu), BN weight 1 bias 0, fc as Linear.
#include <array>
#include <memory>

#include "ember/core/generator.h"
#include "ember/layers/batch_norm.h"
#include "ember/layers/conv.h"
#include "ember/layers/linear.h"
#include "ember/layers/pooling.h"
#include "ember/layers/resnet_blocks.h"
#include "ember/layers/sequential.h"

namespace ember::nn {

enum class BlockType { basic, bottleneck };

struct ResNetOptions {
  int64_t num_classes = 1000;
  int64_t in_channels = 3;
  // Small images (CIFAR, MNIST): conv1 becomes 3x3 stride 1 padding 1 and maxpool an
  // Identity, the usual adaptation (parameter names unchanged; conv1 is [64, C, 3, 3]).
  bool small_input = false;
  // Zero the last BN weight of each block so every block starts as the identity.
  bool zero_init_residual = false;
  Generator* generator = nullptr;  // default: the global generator
};

class ResNet : public Module {
 public:
  // blocks_per_stage: {2, 2, 2, 2} with Basic is ResNet-18, {3, 4, 6, 3} ResNet-34 (Basic)
  // and ResNet-50 (Bottleneck).
  ResNet(BlockType block, std::array<int64_t, 4> blocks_per_stage, ResNetOptions options = {});
  // [N, in_channels, H, W] -> logits [N, num_classes].
  Tensor forward(const Tensor& x) override;

  const BlockType block;
  const ResNetOptions options;
  std::shared_ptr<Conv2d> conv1;
  std::shared_ptr<BatchNorm2d> bn1;
  std::shared_ptr<ReLU> relu;
  std::shared_ptr<Module> maxpool;  // MaxPool2d(3, 2, 1), or Identity for small_input
  std::shared_ptr<Sequential> layer1, layer2, layer3, layer4;
  std::shared_ptr<AdaptiveAvgPool2d> avgpool;
  std::shared_ptr<Linear> fc;

 protected:
  void check_input(const Tensor& x) const override;

 private:
  std::shared_ptr<Sequential> make_stage(int64_t planes, int64_t blocks, int64_t stride);
  int64_t inplanes_ = 64;
};

std::shared_ptr<ResNet> resnet18(ResNetOptions options = {});
std::shared_ptr<ResNet> resnet34(ResNetOptions options = {});
std::shared_ptr<ResNet> resnet50(ResNetOptions options = {});

// Re-initialises every Conv2d with kaiming_normal_(fan_out, relu) and every BatchNorm to
// weight 1, bias 0; with zero_init_residual, zeroes each block's last BN weight.
void init_resnet_weights(Module& model, bool zero_init_residual, Generator* gen);

}  // namespace ember::nn
