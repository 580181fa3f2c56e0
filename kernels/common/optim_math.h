#pragma once
// The per-element SGD and Adam updates, shared by the CPU and CUDA fused optimizer kernels
// (plain types only: .cu files include this). The steps and their rounding follow the
// per-tensor path of optim/sgd.cpp and optim/adam.cpp op for op (each tensor op rounds to
// the compute type A and scalars are cast to A), so that in f32 and f64 the fused update
// gives the same bits on the CPU. A is float for f16/bf16/f32 and double for f64.
#include <cmath>
#include <cstdint>

#include "ember/core/kernel_abi.h"
#include "index_math.h"  // same directory: also found from the tests, which lack the source root
#include "scalar_math.h"

namespace ember::kernels {


template <class A>
struct SgdCoeffs {
  A weight_decay, momentum, one_minus_dampening, neg_lr;
  bool use_weight_decay, use_momentum, nesterov, first_step;
};

template <class A>
struct AdamCoeffs {
  A decay, weight_decay, beta1, one_minus_beta1, beta2, one_minus_beta2, inv_bias_correction2_sqrt, eps,
      neg_step_size;
  bool decoupled, use_weight_decay, amsgrad;
};

// Host side: the scalars of one update, computed in double as optim/ does, then cast.
template <class A>
inline SgdCoeffs<A> sgd_coeffs(const FusedSGDArgs& h) {
  return {static_cast<A>(h.weight_decay), static_cast<A>(h.momentum), static_cast<A>(1.0 - h.dampening),
          static_cast<A>(-h.lr),          h.weight_decay != 0.0,      h.momentum != 0.0,
          h.nesterov,                     h.first_step};
}

template <class A>
inline AdamCoeffs<A> adam_coeffs(const FusedAdamArgs& h) {
  const double bias_correction1 = 1.0 - std::pow(h.beta1, h.step);
  const double bias_correction2 = 1.0 - std::pow(h.beta2, h.step);
  const double step_size = h.lr / bias_correction1;
  AdamCoeffs<A> c;
  c.decay = static_cast<A>(1.0 - h.lr * h.weight_decay);
  c.weight_decay = static_cast<A>(h.weight_decay);
  c.beta1 = static_cast<A>(h.beta1);
  c.one_minus_beta1 = static_cast<A>(1.0 - h.beta1);
  c.beta2 = static_cast<A>(h.beta2);
  c.one_minus_beta2 = static_cast<A>(1.0 - h.beta2);
  c.inv_bias_correction2_sqrt = static_cast<A>(1.0 / std::sqrt(bias_correction2));
  c.eps = static_cast<A>(h.eps);
  c.neg_step_size = static_cast<A>(-step_size);
  c.decoupled = h.decoupled;
  c.use_weight_decay = h.weight_decay != 0.0;
  c.amsgrad = h.amsgrad;
  return c;
}

// One element: p and buf are read and written (buf only with momentum; on the first step
// it is only written).
template <class A>
EMBER_HD void sgd_update(A& p, A g, A& buf, const SgdCoeffs<A>& c) {
  A d = g;
  if (c.use_weight_decay) d = g + c.weight_decay * p;
  if (c.use_momentum) {
    // PyTorch starts the buffer at the first direction itself, undamped.
    if (c.first_step) buf = d;
    else buf = c.momentum * buf + c.one_minus_dampening * d;
    d = c.nesterov ? d + c.momentum * buf : buf;
  }
  p = p + c.neg_lr * d;
}

// One element; vmax only with amsgrad. NaN in v or vmax propagates, as the maximum op.
template <class A>
EMBER_HD void adam_update(A& p, A g, A& m, A& v, A& vmax, const AdamCoeffs<A>& c) {
  A d = g;
  if (c.decoupled) p = c.decay * p;
  else if (c.use_weight_decay) d = g + c.weight_decay * p;
  m = c.beta1 * m;
  m = m + c.one_minus_beta1 * d;
  v = c.beta2 * v;
  v = v + c.one_minus_beta2 * (d * d);
  A v_hat = v;
  if (c.amsgrad) {
    if (vmax != vmax || v != v) vmax = vmax + v;
    else vmax = vmax > v ? vmax : v;
    v_hat = vmax;
  }
  const A denom = c.inv_bias_correction2_sqrt * math::sqrt(v_hat) + c.eps;
  p = p + c.neg_step_size * (m / denom);
}

// Host side of the CUDA multi-tensor apply (kernels/cuda/optim.cu), here so that the CPU
// tests check it: packs the non-empty tensors' chunks of `chunk` elements into launches of
// at most `max_tensors` table slots and `max_blocks` blocks. slot(s, k) puts tensor k in
// slot s; block(b, s, c) makes block b of the launch update chunk c of slot s; launch(nb)
// runs the table with nb blocks and returns false to stop. A tensor whose chunks do not
// fit goes on in the next launch, in slot 0 (the launch copied the table already).
// Returns false when a launch did.
template <class Slot, class BlockFn, class Launch>
bool pack_multi_tensor(int64_t n_tensors, const int64_t* numels, int64_t chunk, int max_tensors, int max_blocks,
                       Slot&& slot, BlockFn&& block, Launch&& launch) {
  int nt = 0, nb = 0;
  for (int64_t k = 0; k < n_tensors; ++k) {
    const int64_t n = numels[k];
    if (n <= 0) continue;
    slot(nt, k);
    const int64_t chunks = (n + chunk - 1) / chunk;
    for (int64_t c = 0; c < chunks; ++c) {
      block(nb, nt, c);
      ++nb;
      const bool last_chunk = c + 1 == chunks;
      if (nb == max_blocks || (last_chunk && nt + 1 == max_tensors)) {
        if (!launch(nb)) return false;
        nb = 0;
        if (last_chunk) {
          nt = -1;
        } else {
          nt = 0;
          slot(0, k);
        }
      }
    }
    ++nt;
  }
  return nb == 0 || launch(nb);
}

}  // namespace ember::kernels
