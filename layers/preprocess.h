#pragma once
// Preprocessing of tabular inputs [N, F] as layers, so that the statistics they learn travel
// with the model: fit them on the training split only (data::random_split), put them first in
// the model, and save_weights / load_weights carry them as buffers, so that inference uses
// the very statistics training used. Both work on any device and take no gradient of their
// statistics.
//
//   auto [train, val, test] = ...;                        // data::random_split(table, ...)
//   auto impute = std::make_shared<nn::Impute>(F);         // column means, ignoring NaN
//   impute->fit(train.inputs());
//   auto scale = std::make_shared<nn::Standardize>(F);     // then zero mean, unit variance
//   scale->fit((*impute)(train.inputs()));
//   nn::Sequential model{impute, scale, mlp};
#include <cstdint>

#include "ember/layers/module.h"

namespace ember::nn {

// Replaces missing values (NaN) column by column with a statistic of that column learned
// by fit(): the mean or median of the present values, or a constant.
class Impute : public Module {
 public:
  enum class Strategy { mean, median, constant };
  explicit Impute(int64_t num_features, Strategy strategy = Strategy::mean, double fill_value = 0.0);
  // x: [N, F] floating, NaN where missing. Throws ValueError when a column has no value
  // (mean and median only). Returns *this.
  Impute& fit(const Tensor& x);
  bool fitted() const;
  // [N, F] -> [N, F]; ValueError before fit() (unless Strategy::constant).
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;

  const int64_t num_features;
  const Strategy strategy;
  Tensor fill;     // [F] f32 buffer: each column's replacement
  Tensor fitted_;  // 0-dim i64 buffer (saved, so a loaded model knows it is fitted)

 protected:
  void check_input(const Tensor& x) const override;

 private:
  mutable bool known_fitted_ = false;  // once true, forward reads no buffer from the device
};

// (x - mean) / scale per column, with the mean and the population standard deviation
// (floored at eps, so that a constant column stays finite) learned by fit().
class Standardize : public Module {
 public:
  explicit Standardize(int64_t num_features, double eps = 1e-8);
  // x: [N, F] floating without NaN (impute first). Returns *this.
  Standardize& fit(const Tensor& x);
  bool fitted() const;
  Tensor forward(const Tensor& x) override;
  // The inverse, for a standardized target: y * scale + mean.
  Tensor inverse(const Tensor& y) const;
  std::string extra_repr() const override;

  const int64_t num_features;
  const double eps;
  Tensor mean;     // [F] f32 buffer
  Tensor scale;    // [F] f32 buffer
  Tensor fitted_;  // 0-dim i64 buffer

 protected:
  void check_input(const Tensor& x) const override;

 private:
  mutable bool known_fitted_ = false;
};

}  // namespace ember::nn
