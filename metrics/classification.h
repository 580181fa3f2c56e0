#pragma once
// Classification metrics: a confusion matrix fed batch by batch, and the accuracy, precision,
// recall and F1 read off it (as scikit-learn defines them: a class never predicted has
// precision 0, one never present recall 0).
#include <cstdint>
#include <string>
#include <vector>

#include "ember/core/tensor.h"

namespace ember::metrics {

class ConfusionMatrix {
 public:
  explicit ConfusionMatrix(int64_t num_classes);
  // The true class comes first everywhere, as the matrix's rows (and scikit-learn's
  // (y_true, y_pred)). One example; IndexError for a class outside [0, num_classes).
  void add(int64_t truth, int64_t predicted);
  // A batch of true and predicted classes, i64 [N] each, on any device.
  void add(const Tensor& truth, const Tensor& predicted);
  // A batch of scores [N, C]: the predicted class is each row's argmax.
  void add_scores(const Tensor& truth, const Tensor& scores);

  int64_t num_classes() const { return n_; }
  int64_t count(int64_t truth, int64_t predicted) const;  // examples of class truth predicted as predicted
  int64_t total() const;
  double accuracy() const;  // 0 when empty
  double precision(int64_t k) const;
  double recall(int64_t k) const;  // also the per-class accuracy
  double f1(int64_t k) const;
  double macro_f1() const;  // the unweighted mean over classes
  // Rows: true class; columns: predicted; then per-class accuracy. names: one per class, or
  // empty for numbers only.
  std::string render(const std::vector<std::string>& names = {}) const;

 private:
  int64_t row_sum(int64_t truth) const;
  int64_t col_sum(int64_t predicted) const;

  int64_t n_;
  std::vector<int64_t> counts_;
};

// The fraction of rows of scores [N, C] whose argmax is the target (i64 [N]).
double accuracy(const Tensor& scores, const Tensor& targets);

}  // namespace ember::metrics
