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
#include <atomic>
#include <cstdint>

#include "ember/layers/module.h"

namespace ember::nn {

namespace detail {
// Whether a 0-dim i64 buffer is nonzero, read from its device only when the buffer changed
// since the last read (its version counter says so: fit, load_state_dict and to() all bump
// it), so that forward does not wait for a GPU on every call and a state loaded later,
// fitted or not, is seen.
class FittedFlag {
 public:
  bool get(const Tensor& flag) const;

 private:
  mutable std::atomic<uint64_t> cache_{0};  // (version + 1) << 1 | value; 0: not read yet
};
}  // namespace detail

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
  detail::FittedFlag fitted_flag_;
};

// (x - mean) / scale per column, with the mean and the population standard deviation
// learned by fit(); a column whose deviation is below eps (constant on the training split)
// gets scale 1, so that its other values stay finite later.
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
  detail::FittedFlag fitted_flag_;
};

}  // namespace ember::nn
