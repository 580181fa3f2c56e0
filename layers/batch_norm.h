#pragma once
// BatchNorm1d / BatchNorm2d, as torch.nn: per-channel (dim 1) normalization with running
// statistics. In training the batch statistics normalize and the running buffers are
// updated in place (num_batches_tracked += 1); in eval the running statistics normalize.
#include <optional>

#include "ember/layers/module.h"

namespace ember::nn {

struct BatchNormOptions {
  double eps = 1e-5;
  // std::nullopt: cumulative moving average (factor 1/num_batches_tracked), as momentum=None.
  std::optional<double> momentum = 0.1;
  bool affine = true;               // learnable weight (1) and bias (0)
  bool track_running_stats = true;  // false: batch statistics in eval too, no buffers
};

class BatchNormBase : public Module {
 public:
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;
  void reset_running_stats();  // mean 0, var 1, num_batches_tracked 0
  void reset_parameters();     // also resets the running statistics

  const int64_t num_features;
  const BatchNormOptions options;
  Tensor weight;               // [C] (affine only)
  Tensor bias;                 // [C] (affine only)
  Tensor running_mean;         // [C] buffer (track_running_stats only)
  Tensor running_var;          // [C] buffer
  Tensor num_batches_tracked;  // 0-dim int64 buffer

 protected:
  BatchNormBase(std::string type_name, int64_t num_features, BatchNormOptions options);
  // Rank and channel count; more than one value per channel in training.
  void check_input_impl(const Tensor& x, std::initializer_list<int64_t> ranks, const char* layout) const;
};

// Input [N, C] or [N, C, L].
class BatchNorm1d : public BatchNormBase {
 public:
  explicit BatchNorm1d(int64_t num_features, BatchNormOptions options = {});

 protected:
  void check_input(const Tensor& x) const override;
};

// Input [N, C, H, W].
class BatchNorm2d : public BatchNormBase {
 public:
  explicit BatchNorm2d(int64_t num_features, BatchNormOptions options = {});

 protected:
  void check_input(const Tensor& x) const override;
};

}  // namespace ember::nn
