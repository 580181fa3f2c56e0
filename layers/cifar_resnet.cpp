#include "ember/layers/cifar_resnet.h"

namespace ember::nn {

CifarResNet::CifarResNet(int64_t depth_, CifarResNetOptions opt) : Module("CifarResNet"), depth(depth_), options(opt) {
  EMBER_CHECK(depth >= 8 && (depth - 2) % 6 == 0, ValueError,
              "CifarResNet: depth must be 6n + 2 with n >= 1 (20, 32, 44, 56, 110), got {}", depth);
  EMBER_CHECK(opt.num_classes > 0 && opt.in_channels > 0, ValueError,
              "CifarResNet: num_classes ({}) and in_channels ({}) must be positive", opt.num_classes,
              opt.in_channels);
  Generator* gen = opt.generator;
  const int64_t n = (depth - 2) / 6;
  register_module("conv1", &conv1, conv3x3(opt.in_channels, 16, 1, gen));
  register_module("bn1", &bn1, std::make_shared<BatchNorm2d>(16));
  register_module("relu", &relu, std::make_shared<ReLU>());
  int64_t inplanes = 16;
  auto stage = [&](int64_t planes, int64_t stride) {
    auto seq = std::make_shared<Sequential>();
    for (int64_t i = 0; i < n; ++i) {
      const int64_t s = i == 0 ? stride : 1;
      std::shared_ptr<Module> ds;
      if (s != 1 || inplanes != planes) ds = projection_shortcut(inplanes, planes, s, gen);
      seq->push_back(std::make_shared<BasicBlock>(inplanes, planes, s, ds, gen));
      inplanes = planes;
    }
    return seq;
  };
  register_module("layer1", &layer1, stage(16, 1));
  register_module("layer2", &layer2, stage(32, 2));
  register_module("layer3", &layer3, stage(64, 2));
  register_module("avgpool", &avgpool, std::make_shared<AdaptiveAvgPool2d>(1));
  register_module("fc", &fc, std::make_shared<Linear>(64, opt.num_classes, true, gen));
  init_resnet_weights(*this, opt.zero_init_residual, gen);
}

void CifarResNet::check_input(const Tensor& x) const {
  const std::string who = label("cifar_resnet");
  check_rank(x, {4}, who, "4-D [N, C, H, W]");
  EMBER_CHECK(x.size(1) == options.in_channels, ShapeError,
              "{}: input has {} channels but the model expects {} (input shape {})", who, x.size(1),
              options.in_channels, shape_str(x.shape()));
}

Tensor CifarResNet::forward(const Tensor& x) {
  Tensor y = (*relu)((*bn1)((*conv1)(x)));
  y = (*layer3)((*layer2)((*layer1)(y)));
  return (*fc)((*avgpool)(y).flatten(1));
}

std::shared_ptr<CifarResNet> resnet20(CifarResNetOptions o) { return std::make_shared<CifarResNet>(20, o); }
std::shared_ptr<CifarResNet> resnet32(CifarResNetOptions o) { return std::make_shared<CifarResNet>(32, o); }
std::shared_ptr<CifarResNet> resnet56(CifarResNetOptions o) { return std::make_shared<CifarResNet>(56, o); }

}  // namespace ember::nn
