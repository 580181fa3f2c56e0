#include "ember/layers/init.h"

#include <cmath>

#include "ember/core/autograd/grad_mode.h"
#include "ember/core/error.h"
#include "ember/core/ops/factory.h"
#include "ember/core/ops/unary.h"

namespace ember::nn::init {
namespace {

void check_defined(const Tensor& t, const char* fn) {
  EMBER_CHECK(t.defined(), ValueError, "init.{}: tensor is undefined", fn);
  EMBER_CHECK(is_floating(t.dtype()), DTypeError, "init.{}: expected a floating-point tensor, got {}", fn, t.dtype());
}

// Draws on the CPU in f64 for f64 tensors and f32 otherwise, then copies (and casts) into
// t wherever it lives: the same numbers for a given generator state on every device.
DType draw_dtype(const Tensor& t) { return t.dtype() == DType::f64 ? DType::f64 : DType::f32; }

int64_t correct_fan(const Tensor& t, FanMode mode) {
  auto [fan_in, fan_out] = calculate_fan_in_and_fan_out(t);
  return mode == FanMode::fan_in ? fan_in : fan_out;
}

}  // namespace

double calculate_gain(Nonlinearity nonlinearity, double param) {
  switch (nonlinearity) {
    case Nonlinearity::linear:
    case Nonlinearity::conv:
    case Nonlinearity::sigmoid: return 1.0;
    case Nonlinearity::tanh: return 5.0 / 3.0;
    case Nonlinearity::relu: return std::sqrt(2.0);
    case Nonlinearity::leaky_relu: {
      double slope = param < 0.0 ? 0.01 : param;
      return std::sqrt(2.0 / (1.0 + slope * slope));
    }
    case Nonlinearity::selu: return 3.0 / 4.0;
  }
  EMBER_THROW(ValueError, "init.calculate_gain: unknown nonlinearity");
}

std::pair<int64_t, int64_t> calculate_fan_in_and_fan_out(const Tensor& t) {
  EMBER_CHECK(t.dim() >= 2, ValueError,
              "init: fan in and fan out cannot be computed for a tensor with fewer than 2 dims (shape {})",
              shape_str(t.shape()));
  int64_t receptive = 1;
  for (int64_t d = 2; d < t.dim(); ++d) receptive *= t.size(d);
  return {t.size(1) * receptive, t.size(0) * receptive};
}

Tensor& uniform_(Tensor& t, double low, double high, Generator* gen) {
  check_defined(t, "uniform_");
  EMBER_CHECK(low <= high, ValueError, "init.uniform_: low {} > high {}", low, high);
  NoGradGuard ng;
  Tensor r = rand(t.shape(), draw_dtype(t), Device::cpu(), gen);
  t.copy_(affine(r, high - low, low));
  return t;
}

Tensor& normal_(Tensor& t, double mean, double std, Generator* gen) {
  check_defined(t, "normal_");
  EMBER_CHECK(std >= 0.0, ValueError, "init.normal_: std {} is negative", std);
  NoGradGuard ng;
  Tensor r = randn(t.shape(), draw_dtype(t), Device::cpu(), gen);
  t.copy_(affine(r, std, mean));
  return t;
}

Tensor& constant_(Tensor& t, double value) {
  EMBER_CHECK(t.defined(), ValueError, "init.constant_: tensor is undefined");
  NoGradGuard ng;
  t.fill_(value);
  return t;
}
Tensor& zeros_(Tensor& t) { return constant_(t, 0.0); }
Tensor& ones_(Tensor& t) { return constant_(t, 1.0); }

Tensor& kaiming_uniform_(Tensor& t, double a, FanMode mode, Nonlinearity nonlinearity, Generator* gen) {
  check_defined(t, "kaiming_uniform_");
  if (t.numel() == 0) return t;  // PyTorch: a no-op on zero-element tensors
  double std = calculate_gain(nonlinearity, a) / std::sqrt(static_cast<double>(correct_fan(t, mode)));
  double bound = std::sqrt(3.0) * std;
  return uniform_(t, -bound, bound, gen);
}

Tensor& kaiming_normal_(Tensor& t, double a, FanMode mode, Nonlinearity nonlinearity, Generator* gen) {
  check_defined(t, "kaiming_normal_");
  if (t.numel() == 0) return t;  // PyTorch: a no-op on zero-element tensors
  double std = calculate_gain(nonlinearity, a) / std::sqrt(static_cast<double>(correct_fan(t, mode)));
  return normal_(t, 0.0, std, gen);
}

Tensor& xavier_uniform_(Tensor& t, double gain, Generator* gen) {
  check_defined(t, "xavier_uniform_");
  if (t.numel() == 0) return t;  // PyTorch: a no-op on zero-element tensors
  auto [fan_in, fan_out] = calculate_fan_in_and_fan_out(t);
  double bound = gain * std::sqrt(6.0 / static_cast<double>(fan_in + fan_out));
  return uniform_(t, -bound, bound, gen);
}

Tensor& xavier_normal_(Tensor& t, double gain, Generator* gen) {
  check_defined(t, "xavier_normal_");
  if (t.numel() == 0) return t;  // PyTorch: a no-op on zero-element tensors
  auto [fan_in, fan_out] = calculate_fan_in_and_fan_out(t);
  return normal_(t, 0.0, gain * std::sqrt(2.0 / static_cast<double>(fan_in + fan_out)), gen);
}

}  // namespace ember::nn::init
