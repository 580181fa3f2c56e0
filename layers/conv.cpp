#include "ember/layers/conv.h"

#include <cmath>

#include "ember/core/ops/factory.h"
#include "ember/layers/init.h"

namespace ember::nn {

Conv2d::Conv2d(int64_t in, int64_t out, Pair k, Conv2dOptions opt, bool with_bias, Generator* gen)
    : Module("Conv2d"), in_channels(in), out_channels(out), kernel_size(k), options(opt) {
  EMBER_CHECK(in > 0 && out > 0, ValueError, "Conv2d: channel counts must be positive, got in={} out={}", in, out);
  EMBER_CHECK(k[0] > 0 && k[1] > 0, ValueError, "Conv2d: kernel size must be positive, got [{}, {}]", k[0], k[1]);
  EMBER_CHECK(opt.stride[0] > 0 && opt.stride[1] > 0, ValueError, "Conv2d: stride must be positive, got [{}, {}]",
              opt.stride[0], opt.stride[1]);
  EMBER_CHECK(opt.dilation[0] > 0 && opt.dilation[1] > 0, ValueError,
              "Conv2d: dilation must be positive, got [{}, {}]", opt.dilation[0], opt.dilation[1]);
  EMBER_CHECK(opt.padding[0] >= 0 && opt.padding[1] >= 0, ValueError,
              "Conv2d: padding must be non-negative, got [{}, {}]", opt.padding[0], opt.padding[1]);
  EMBER_CHECK(opt.groups > 0 && in % opt.groups == 0 && out % opt.groups == 0, ValueError,
              "Conv2d: in_channels {} and out_channels {} must both be divisible by groups {}", in, out, opt.groups);
  weight = empty({out, in / opt.groups, k[0], k[1]});
  if (with_bias) bias = empty({out});
  reset_parameters(gen);
  register_parameter("weight", &weight);
  register_parameter("bias", &bias);
}

Conv2d::Conv2d(int64_t in, int64_t out, int64_t k, Conv2dOptions opt, bool with_bias, Generator* gen)
    : Conv2d(in, out, Pair{k, k}, opt, with_bias, gen) {}

void Conv2d::reset_parameters(Generator* gen) {
  init::kaiming_uniform_(weight, std::sqrt(5.0), init::FanMode::fan_in, init::Nonlinearity::leaky_relu, gen);
  if (bias.defined()) {
    int64_t fan_in = init::calculate_fan_in_and_fan_out(weight).first;
    double bound = fan_in > 0 ? 1.0 / std::sqrt(static_cast<double>(fan_in)) : 0.0;
    init::uniform_(bias, -bound, bound, gen);
  }
}

void Conv2d::check_input(const Tensor& x) const {
  const std::string who = label("conv2d");
  EMBER_CHECK(x.dim() == 4, ShapeError, "{}: expected a 4-D input [N, {}, H, W], got shape {}", who, in_channels,
              shape_str(x.shape()));
  EMBER_CHECK(x.size(1) == in_channels, ShapeError,
              "{}: input has {} channels but weight expects {} (input shape {})", who, x.size(1), in_channels,
              shape_str(x.shape()));
  for (int d = 0; d < 2; ++d) {
    int64_t padded = x.size(2 + d) + 2 * options.padding[d];
    int64_t span = options.dilation[d] * (kernel_size[d] - 1) + 1;
    EMBER_CHECK(padded >= span, ShapeError,
                "{}: input spatial size [{}, {}] with padding [{}, {}] is smaller than the kernel [{}, {}] with "
                "dilation [{}, {}] (input shape {})",
                who, x.size(2), x.size(3), options.padding[0], options.padding[1], kernel_size[0], kernel_size[1],
                options.dilation[0], options.dilation[1], shape_str(x.shape()));
  }
  check_same_dtype_device(x, weight, "conv2d", "weight");
}

Tensor Conv2d::forward(const Tensor& x) { return conv2d(x, weight, bias, options); }

std::string Conv2d::extra_repr() const {
  std::string s = fmt::format("{}, {}, kernel_size=({}, {}), stride=({}, {})", in_channels, out_channels,
                              kernel_size[0], kernel_size[1], options.stride[0], options.stride[1]);
  if (options.padding != Pair{0, 0}) s += fmt::format(", padding=({}, {})", options.padding[0], options.padding[1]);
  if (options.dilation != Pair{1, 1})
    s += fmt::format(", dilation=({}, {})", options.dilation[0], options.dilation[1]);
  if (options.groups != 1) s += fmt::format(", groups={}", options.groups);
  if (!bias.defined()) s += ", bias=False";
  return s;
}

}  // namespace ember::nn
