#include "ember/layers/resnet_blocks.h"

#include "ember/layers/sequential.h"

namespace ember::nn {
namespace {
// The shortcut must produce the residual branch's shape: a block whose stride or width
// changes needs a downsample.
void check_residual(const Tensor& out, const Tensor& identity, const std::string& who) {
  EMBER_CHECK(out.shape() == identity.shape(), ShapeError,
              "{}: the residual branch gives shape {} but the shortcut gives {} (pass a downsample)", who,
              shape_str(out.shape()), shape_str(identity.shape()));
}
}  // namespace

std::shared_ptr<Conv2d> conv3x3(int64_t in, int64_t out, int64_t stride, Generator* gen) {
  return std::make_shared<Conv2d>(in, out, 3, Conv2dOptions{.stride = {stride, stride}, .padding = {1, 1}}, false,
                                  gen);
}

std::shared_ptr<Conv2d> conv1x1(int64_t in, int64_t out, int64_t stride, Generator* gen) {
  return std::make_shared<Conv2d>(in, out, 1, Conv2dOptions{.stride = {stride, stride}}, false, gen);
}

std::shared_ptr<Module> projection_shortcut(int64_t in, int64_t out, int64_t stride, Generator* gen) {
  auto seq = std::make_shared<Sequential>();
  seq->push_back(conv1x1(in, out, stride, gen));
  seq->push_back(std::make_shared<BatchNorm2d>(out));
  return seq;
}

BasicBlock::BasicBlock(int64_t inplanes, int64_t planes, int64_t stride, std::shared_ptr<Module> ds, Generator* gen)
    : Module("BasicBlock") {
  register_module("conv1", &conv1, conv3x3(inplanes, planes, stride, gen));
  register_module("bn1", &bn1, std::make_shared<BatchNorm2d>(planes));
  register_module("relu", &relu, std::make_shared<ReLU>());
  register_module("conv2", &conv2, conv3x3(planes, planes, 1, gen));
  register_module("bn2", &bn2, std::make_shared<BatchNorm2d>(planes));
  register_module("downsample", &downsample, std::move(ds));  // null: identity shortcut
}

Tensor BasicBlock::forward(const Tensor& x) {
  Tensor out = (*relu)((*bn1)((*conv1)(x)));
  out = (*bn2)((*conv2)(out));
  Tensor identity = downsample ? (*downsample)(x) : x;
  check_residual(out, identity, label("basic_block"));
  return (*relu)(out + identity);
}

Bottleneck::Bottleneck(int64_t inplanes, int64_t planes, int64_t stride, std::shared_ptr<Module> ds, Generator* gen)
    : Module("Bottleneck") {
  register_module("conv1", &conv1, conv1x1(inplanes, planes, 1, gen));
  register_module("bn1", &bn1, std::make_shared<BatchNorm2d>(planes));
  register_module("conv2", &conv2, conv3x3(planes, planes, stride, gen));
  register_module("bn2", &bn2, std::make_shared<BatchNorm2d>(planes));
  register_module("conv3", &conv3, conv1x1(planes, planes * expansion, 1, gen));
  register_module("bn3", &bn3, std::make_shared<BatchNorm2d>(planes * expansion));
  register_module("relu", &relu, std::make_shared<ReLU>());
  register_module("downsample", &downsample, std::move(ds));  // null: identity shortcut
}

Tensor Bottleneck::forward(const Tensor& x) {
  Tensor out = (*relu)((*bn1)((*conv1)(x)));
  out = (*relu)((*bn2)((*conv2)(out)));
  out = (*bn3)((*conv3)(out));
  Tensor identity = downsample ? (*downsample)(x) : x;
  check_residual(out, identity, label("bottleneck"));
  return (*relu)(out + identity);
}

}  // namespace ember::nn
