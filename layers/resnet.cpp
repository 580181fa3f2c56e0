#include "ember/layers/resnet.h"

#include "ember/layers/flatten.h"
#include "ember/layers/init.h"

namespace ember::nn {

ResNet::ResNet(BlockType b, std::array<int64_t, 4> n, ResNetOptions opt) : Module("ResNet"), block(b), options(opt) {
  EMBER_CHECK(opt.num_classes > 0 && opt.in_channels > 0, ValueError,
              "ResNet: num_classes ({}) and in_channels ({}) must be positive", opt.num_classes, opt.in_channels);
  for (int64_t k : n) EMBER_CHECK(k > 0, ValueError, "ResNet: each stage needs at least one block, got {}", k);
  Generator* gen = opt.generator;
  if (opt.small_input)
    register_module("conv1", &conv1, conv3x3(opt.in_channels, 64, 1, gen));
  else
    register_module("conv1", &conv1, std::make_shared<Conv2d>(opt.in_channels, 64, 7,
                                                              Conv2dOptions{.stride = {2, 2}, .padding = {3, 3}},
                                                              false, gen));
  register_module("bn1", &bn1, std::make_shared<BatchNorm2d>(64));
  register_module("relu", &relu, std::make_shared<ReLU>());
  if (opt.small_input)
    register_module("maxpool", &maxpool, std::make_shared<Identity>());
  else
    register_module("maxpool", &maxpool, std::make_shared<MaxPool2d>(3, 2, 1));
  register_module("layer1", &layer1, make_stage(64, n[0], 1));
  register_module("layer2", &layer2, make_stage(128, n[1], 2));
  register_module("layer3", &layer3, make_stage(256, n[2], 2));
  register_module("layer4", &layer4, make_stage(512, n[3], 2));
  register_module("avgpool", &avgpool, std::make_shared<AdaptiveAvgPool2d>(1));
  const int64_t expansion = b == BlockType::basic ? BasicBlock::expansion : Bottleneck::expansion;
  register_module("fc", &fc, std::make_shared<Linear>(512 * expansion, opt.num_classes, true, gen));
  init_resnet_weights(*this, opt.zero_init_residual, gen);
}

std::shared_ptr<Sequential> ResNet::make_stage(int64_t planes, int64_t blocks, int64_t stride) {
  Generator* gen = options.generator;
  const int64_t expansion = block == BlockType::basic ? BasicBlock::expansion : Bottleneck::expansion;
  auto stage = std::make_shared<Sequential>();
  for (int64_t i = 0; i < blocks; ++i) {
    const int64_t s = i == 0 ? stride : 1;
    std::shared_ptr<Module> ds;
    if (i == 0 && (stride != 1 || inplanes_ != planes * expansion))
      ds = projection_shortcut(inplanes_, planes * expansion, stride, gen);
    if (block == BlockType::basic)
      stage->push_back(std::make_shared<BasicBlock>(inplanes_, planes, s, ds, gen));
    else
      stage->push_back(std::make_shared<Bottleneck>(inplanes_, planes, s, ds, gen));
    inplanes_ = planes * expansion;
  }
  return stage;
}

void ResNet::check_input(const Tensor& x) const {
  const std::string who = label("resnet");
  check_rank(x, {4}, who, "4-D [N, C, H, W]");
  EMBER_CHECK(x.size(1) == options.in_channels, ShapeError,
              "{}: input has {} channels but the model expects {} (input shape {})", who, x.size(1),
              options.in_channels, shape_str(x.shape()));
}

Tensor ResNet::forward(const Tensor& x) {
  Tensor y = (*maxpool)((*relu)((*bn1)((*conv1)(x))));
  y = (*layer4)((*layer3)((*layer2)((*layer1)(y))));
  return (*fc)((*avgpool)(y).flatten(1));
}

void init_resnet_weights(Module& model, bool zero_init_residual, Generator* gen) {
  model.apply([&](Module& m) {
    if (auto* conv = dynamic_cast<Conv2d*>(&m)) {
      init::kaiming_normal_(conv->weight, 0.0, init::FanMode::fan_out, init::Nonlinearity::relu, gen);
    } else if (auto* bn = dynamic_cast<BatchNormBase*>(&m)) {
      if (bn->weight.defined()) init::ones_(bn->weight);
      if (bn->bias.defined()) init::zeros_(bn->bias);
    }
  });
  if (!zero_init_residual) return;
  model.apply([&](Module& m) {
    if (auto* b = dynamic_cast<BasicBlock*>(&m)) init::zeros_(b->bn2->weight);
    if (auto* b = dynamic_cast<Bottleneck*>(&m)) init::zeros_(b->bn3->weight);
  });
}

std::shared_ptr<ResNet> resnet18(ResNetOptions o) { return std::make_shared<ResNet>(BlockType::basic, std::array<int64_t, 4>{2, 2, 2, 2}, o); }
std::shared_ptr<ResNet> resnet34(ResNetOptions o) { return std::make_shared<ResNet>(BlockType::basic, std::array<int64_t, 4>{3, 4, 6, 3}, o); }
std::shared_ptr<ResNet> resnet50(ResNetOptions o) { return std::make_shared<ResNet>(BlockType::bottleneck, std::array<int64_t, 4>{3, 4, 6, 3}, o); }

}  // namespace ember::nn
