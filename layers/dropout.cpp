#include "ember/layers/dropout.h"

#include "ember/core/ops/dropout.h"

namespace ember::nn {

Dropout::Dropout(double p_, Generator* gen) : Module("Dropout"), p(p_), gen_(gen) {
  EMBER_CHECK(p >= 0.0 && p <= 1.0, ValueError, "Dropout: probability {} is outside [0, 1]", p);
}

Tensor Dropout::forward(const Tensor& x) { return dropout(x, p, is_training(), gen_); }

std::string Dropout::extra_repr() const { return fmt::format("p={}", p); }

}  // namespace ember::nn
