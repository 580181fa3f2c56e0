#include "ember/layers/batch_norm.h"

#include "ember/core/autograd/grad_mode.h"
#include "ember/core/ops/batch_norm.h"
#include "ember/core/ops/factory.h"
#include "ember/layers/init.h"

namespace ember::nn {

BatchNormBase::BatchNormBase(std::string type_name, int64_t c, BatchNormOptions opt)
    : Module(std::move(type_name)), num_features(c), options(opt) {
  EMBER_CHECK(c > 0, ValueError, "{}: num_features must be positive, got {}", this->type_name(), c);
  EMBER_CHECK(opt.eps > 0.0, ValueError, "{}: eps must be positive, got {}", this->type_name(), opt.eps);
  EMBER_CHECK(!opt.momentum || (*opt.momentum >= 0.0 && *opt.momentum <= 1.0), ValueError,
              "{}: momentum must be in [0, 1], got {}", this->type_name(), opt.momentum.value_or(0.0));
  if (opt.affine) {
    weight = empty({c});
    bias = empty({c});
  }
  if (opt.track_running_stats) {
    running_mean = empty({c});
    running_var = empty({c});
    num_batches_tracked = zeros({}, DType::i64);
  }
  reset_parameters();
  register_parameter("weight", &weight);
  register_parameter("bias", &bias);
  register_buffer("running_mean", &running_mean);
  register_buffer("running_var", &running_var);
  register_buffer("num_batches_tracked", &num_batches_tracked);
}

void BatchNormBase::reset_running_stats() {
  if (!options.track_running_stats) return;
  init::zeros_(running_mean);
  init::ones_(running_var);
  init::zeros_(num_batches_tracked);
}

void BatchNormBase::reset_parameters() {
  reset_running_stats();
  if (options.affine) {
    init::ones_(weight);
    init::zeros_(bias);
  }
}

void BatchNormBase::check_input_impl(const Tensor& x, std::initializer_list<int64_t> ranks,
                                     const char* layout) const {
  const std::string who = label(type_name() == "BatchNorm1d" ? "batch_norm1d" : "batch_norm2d");
  check_rank(x, ranks, who, layout);
  EMBER_CHECK(x.size(1) == num_features, ShapeError,
              "{}: input has {} channels but the layer expects {} (input shape {})", who, x.size(1), num_features,
              shape_str(x.shape()));
  if (is_training()) {
    // The batch variance of a single value is 0 and its unbiased variance undefined.
    EMBER_CHECK(x.numel() / num_features != 1, ValueError,
                "{}: expected more than 1 value per channel when training (input shape {})", who,
                shape_str(x.shape()));
  }
  if (weight.defined()) check_same_dtype_device(x, weight, "batch_norm", "weight");
  if (running_mean.defined()) check_same_dtype_device(x, running_mean, "batch_norm", "running_mean");
}

Tensor BatchNormBase::forward(const Tensor& x) {
  double factor = options.momentum.value_or(0.0);
  if (is_training() && options.track_running_stats) {
    {
      NoGradGuard ng;
      num_batches_tracked.add_(1.0);
    }
    if (!options.momentum) factor = 1.0 / static_cast<double>(num_batches_tracked.item<int64_t>());
  }
  // Without running statistics the batch statistics are used in eval mode too.
  const bool use_batch_stats = is_training() || !options.track_running_stats;
  return batch_norm(x, weight, bias, running_mean, running_var, use_batch_stats, factor, options.eps);
}

std::string BatchNormBase::extra_repr() const {
  return fmt::format("{}, eps={}, momentum={}, affine={}, track_running_stats={}", num_features, options.eps,
                     options.momentum ? fmt::format("{}", *options.momentum) : std::string("None"),
                     options.affine ? "True" : "False", options.track_running_stats ? "True" : "False");
}

BatchNorm1d::BatchNorm1d(int64_t c, BatchNormOptions opt) : BatchNormBase("BatchNorm1d", c, opt) {}
void BatchNorm1d::check_input(const Tensor& x) const { check_input_impl(x, {2, 3}, "2-D [N, C] or 3-D [N, C, L]"); }

BatchNorm2d::BatchNorm2d(int64_t c, BatchNormOptions opt) : BatchNormBase("BatchNorm2d", c, opt) {}
void BatchNorm2d::check_input(const Tensor& x) const { check_input_impl(x, {4}, "4-D [N, C, H, W]"); }

}  // namespace ember::nn
