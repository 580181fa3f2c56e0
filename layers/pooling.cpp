#include "ember/layers/pooling.h"

namespace ember::nn {
namespace {

Pool2dOptions validated(Pool2dOptions o, const char* layer) {
  if (o.stride == Pair{0, 0}) o.stride = o.kernel;
  for (int d = 0; d < 2; ++d) {
    EMBER_CHECK(o.kernel[d] > 0 && o.stride[d] > 0, ValueError,
                "{}: kernel [{}, {}] and stride [{}, {}] must be positive", layer, o.kernel[0], o.kernel[1],
                o.stride[0], o.stride[1]);
    EMBER_CHECK(o.padding[d] >= 0 && 2 * o.padding[d] <= o.kernel[d], ValueError,
                "{}: padding [{}, {}] must be non-negative and at most half the kernel [{}, {}]", layer,
                o.padding[0], o.padding[1], o.kernel[0], o.kernel[1]);
  }
  return o;
}

Pool2dOptions make_options(int64_t k, int64_t s, int64_t p, bool ceil_mode, bool count_include_pad) {
  Pool2dOptions o;
  o.kernel = {k, k};
  o.stride = {s, s};
  o.padding = {p, p};
  o.ceil_mode = ceil_mode;
  o.count_include_pad = count_include_pad;
  return o;
}

// The input must be large enough for at least one window in each spatial dim.
void check_pool_input(const Tensor& x, const Pool2dOptions& o, const std::string& who) {
  check_rank(x, {4}, who, "4-D [N, C, H, W]");
  for (int d = 0; d < 2; ++d)
    EMBER_CHECK(x.size(2 + d) + 2 * o.padding[d] >= o.kernel[d], ShapeError,
                "{}: input spatial size [{}, {}] with padding [{}, {}] is smaller than the kernel [{}, {}] (input "
                "shape {})",
                who, x.size(2), x.size(3), o.padding[0], o.padding[1], o.kernel[0], o.kernel[1],
                shape_str(x.shape()));
}

std::string pool_repr(const Pool2dOptions& o) {
  return fmt::format("kernel_size=({}, {}), stride=({}, {}), padding=({}, {}), ceil_mode={}", o.kernel[0],
                     o.kernel[1], o.stride[0], o.stride[1], o.padding[0], o.padding[1],
                     o.ceil_mode ? "True" : "False");
}

}  // namespace

MaxPool2d::MaxPool2d(Pool2dOptions o) : Module("MaxPool2d"), options(validated(o, "MaxPool2d")) {}
MaxPool2d::MaxPool2d(int64_t k, int64_t s, int64_t p, bool ceil_mode)
    : MaxPool2d(make_options(k, s, p, ceil_mode, true)) {}
void MaxPool2d::check_input(const Tensor& x) const { check_pool_input(x, options, label("max_pool2d")); }
Tensor MaxPool2d::forward(const Tensor& x) { return max_pool2d(x, options); }
std::string MaxPool2d::extra_repr() const { return pool_repr(options); }

AvgPool2d::AvgPool2d(Pool2dOptions o) : Module("AvgPool2d"), options(validated(o, "AvgPool2d")) {}
AvgPool2d::AvgPool2d(int64_t k, int64_t s, int64_t p, bool ceil_mode, bool count_include_pad)
    : AvgPool2d(make_options(k, s, p, ceil_mode, count_include_pad)) {}
void AvgPool2d::check_input(const Tensor& x) const { check_pool_input(x, options, label("avg_pool2d")); }
Tensor AvgPool2d::forward(const Tensor& x) { return avg_pool2d(x, options); }
std::string AvgPool2d::extra_repr() const {
  return pool_repr(options) + fmt::format(", count_include_pad={}", options.count_include_pad ? "True" : "False");
}

AdaptiveAvgPool2d::AdaptiveAvgPool2d(Pair out) : Module("AdaptiveAvgPool2d"), output_size(out) {
  EMBER_CHECK(out[0] > 0 && out[1] > 0, ValueError, "AdaptiveAvgPool2d: output size [{}, {}] must be positive",
              out[0], out[1]);
}
void AdaptiveAvgPool2d::check_input(const Tensor& x) const {
  const std::string who = label("adaptive_avg_pool2d");
  check_rank(x, {4}, who, "4-D [N, C, H, W]");
  EMBER_CHECK(x.size(2) > 0 && x.size(3) > 0, ShapeError, "{}: input has an empty spatial size (input shape {})",
              who, shape_str(x.shape()));
}
Tensor AdaptiveAvgPool2d::forward(const Tensor& x) { return adaptive_avg_pool2d(x, output_size); }
std::string AdaptiveAvgPool2d::extra_repr() const {
  return fmt::format("output_size=({}, {})", output_size[0], output_size[1]);
}

}  // namespace ember::nn
