#pragma once
// The plain definitions that both sides of the nvcc boundary use: the element types, the op
// list and the scalar arguments of the kernels. No fmt, no ember C++ headers: .cu files
// include this as they are, so that each of these types is defined once (core/dtype.h,
// core/dispatch.h and core/kernel_types.h build on it).
#include <cstdint>

namespace ember {

enum class DType : uint8_t { f32, f64, f16, bf16, i32, i64, u8, boolean };
inline constexpr int kNumDTypes = 8;

// One value per line of ops.def, in its order.
enum class OpId : uint16_t {
#define EMBER_OP(name, family) name,
#include "ember/core/ops.def"
#undef EMBER_OP
  kCount
};
inline constexpr int kNumOps = static_cast<int>(OpId::kCount);

// The scalar operands of the Unary family (pow_scalar's exponent, clamp's bounds, ...).
struct ScalarArgs {
  double a = 0.0;
  double b = 0.0;
};

// One random draw: element i of the output is a function of (seed, offset, i) only.
struct RandomArgs {
  uint64_t seed = 0;
  uint64_t offset = 0;  // the draw's first Philox counter (Generator::reserve)
  double p = 0.0;       // random_bernoulli without a probability tensor
  int64_t low = 0;      // random_int: values in [low, high)
  int64_t high = 0;
};

// Hyper-parameters of one fused SGD update (optim/sgd.h has the formulas).
struct FusedSGDArgs {
  double lr = 0.0;
  double momentum = 0.0;
  double dampening = 0.0;
  double weight_decay = 0.0;
  bool nesterov = false;
  // The momentum buffers are new: they are written (buffer = update direction), not read.
  bool first_step = false;
};

// Hyper-parameters of one fused Adam/AdamW update (optim/adam.h has the formulas).
struct FusedAdamArgs {
  double lr = 0.0;
  double beta1 = 0.0;
  double beta2 = 0.0;
  double eps = 0.0;
  double weight_decay = 0.0;
  double step = 1.0;       // the step count of every tensor in the call (1 on the first update)
  bool decoupled = false;  // AdamW
  bool amsgrad = false;
};

// Options of the fused cross-entropy kernels (the loss is in core/ops/loss.h).
struct CrossEntropyArgs {
  double label_smoothing = 0.0;  // eps, in [0, 1]
  int64_t ignore_index = -100;
};

}  // namespace ember
