#include "ember/core/ops/dropout.h"

#include "ember/core/ops/factory.h"

namespace ember {

Tensor dropout(const Tensor& x, double p, bool training, Generator* gen) {
  EMBER_CHECK(x.defined(), ValueError, "dropout: input is undefined");
  EMBER_CHECK(p >= 0.0 && p <= 1.0, ValueError, "dropout: probability {} is outside [0, 1]", p);
  if (!training || p == 0.0) return x;
  EMBER_CHECK(is_floating(x.dtype()), DTypeError, "dropout: expected a floating-point tensor, got {}",
              x.dtype());
  if (p == 1.0) return x * 0.0;
  // Drawn on x's device; the same generator state gives the same mask on every device.
  Tensor mask = bernoulli(x.shape(), 1.0 - p, x.dtype(), x.device(), gen);
  return x * mask * (1.0 / (1.0 - p));
}

}  // namespace ember
