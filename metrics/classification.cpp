#include "ember/metrics/classification.h"

#include <algorithm>

#include <fmt/format.h>

#include "ember/core/autograd/grad_mode.h"
#include "ember/core/ops/reduce.h"

namespace ember::metrics {
namespace {

void check_classes(const Tensor& t, int64_t n, const char* what, const char* who) {
  EMBER_CHECK(t.defined() && t.dtype() == DType::i64 && t.dim() == 1, DTypeError,
              "{}: {} must be class indices, int64 [N], got {} {}", who, what,
              t.defined() ? fmt::format("{}", t.dtype()) : std::string("undefined"),
              t.defined() ? shape_str(t.shape()) : std::string());
  EMBER_CHECK(n < 0 || t.size(0) == n, ShapeError, "{}: {} has {} entries but the other side {}", who, what, t.size(0),
              n);
}

double ratio(int64_t a, int64_t b) { return b ? static_cast<double>(a) / static_cast<double>(b) : 0.0; }

}  // namespace

ConfusionMatrix::ConfusionMatrix(int64_t num_classes) : n_(num_classes) {
  EMBER_CHECK(num_classes > 0, ValueError, "ConfusionMatrix: need at least one class, got {}", num_classes);
  counts_.assign(static_cast<size_t>(n_ * n_), 0);
}

void ConfusionMatrix::add(int64_t truth, int64_t predicted) {
  EMBER_CHECK(truth >= 0 && truth < n_ && predicted >= 0 && predicted < n_, IndexError,
              "ConfusionMatrix: class {} (true) or {} (predicted) is outside [0, {})", truth, predicted, n_);
  ++counts_[static_cast<size_t>(truth * n_ + predicted)];
}

void ConfusionMatrix::add(const Tensor& truth, const Tensor& predicted) {
  check_classes(truth, -1, "truth", "ConfusionMatrix.add");
  check_classes(predicted, truth.size(0), "predicted", "ConfusionMatrix.add");
  const std::vector<int64_t> p = predicted.cpu().to_vector<int64_t>(), t = truth.cpu().to_vector<int64_t>();
  for (size_t i = 0; i < p.size(); ++i) add(t[i], p[i]);
}

void ConfusionMatrix::add_scores(const Tensor& truth, const Tensor& scores) {
  EMBER_CHECK(scores.defined() && scores.dim() == 2 && scores.size(1) == n_, ShapeError,
              "ConfusionMatrix.add_scores: expected scores [N, {}], got {}", n_,
              scores.defined() ? shape_str(scores.shape()) : std::string("an undefined tensor"));
  NoGradGuard ng;
  add(truth, argmax(scores, 1));
}

int64_t ConfusionMatrix::count(int64_t truth, int64_t predicted) const {
  EMBER_CHECK(truth >= 0 && truth < n_ && predicted >= 0 && predicted < n_, IndexError,
              "ConfusionMatrix: class {} or {} is outside [0, {})", truth, predicted, n_);
  return counts_[static_cast<size_t>(truth * n_ + predicted)];
}

int64_t ConfusionMatrix::row_sum(int64_t truth) const {
  int64_t s = 0;
  for (int64_t j = 0; j < n_; ++j) s += counts_[static_cast<size_t>(truth * n_ + j)];
  return s;
}

int64_t ConfusionMatrix::col_sum(int64_t predicted) const {
  int64_t s = 0;
  for (int64_t i = 0; i < n_; ++i) s += counts_[static_cast<size_t>(i * n_ + predicted)];
  return s;
}

int64_t ConfusionMatrix::total() const {
  int64_t s = 0;
  for (int64_t c : counts_) s += c;
  return s;
}

double ConfusionMatrix::accuracy() const {
  int64_t hit = 0;
  for (int64_t k = 0; k < n_; ++k) hit += counts_[static_cast<size_t>(k * n_ + k)];
  return ratio(hit, total());
}

double ConfusionMatrix::precision(int64_t k) const { return ratio(count(k, k), col_sum(k)); }
double ConfusionMatrix::recall(int64_t k) const { return ratio(count(k, k), row_sum(k)); }

double ConfusionMatrix::f1(int64_t k) const {
  const double p = precision(k), r = recall(k);
  return p + r > 0 ? 2 * p * r / (p + r) : 0.0;
}

double ConfusionMatrix::macro_f1() const {
  double s = 0;
  for (int64_t k = 0; k < n_; ++k) s += f1(k);
  return s / static_cast<double>(n_);
}

std::string ConfusionMatrix::render(const std::vector<std::string>& names) const {
  EMBER_CHECK(names.empty() || static_cast<int64_t>(names.size()) == n_, ValueError,
              "ConfusionMatrix.render: {} names for {} classes", names.size(), n_);
  auto label = [&](int64_t i) {
    return names.empty() ? fmt::format("{}", i) : fmt::format("{} {}", i, names[static_cast<size_t>(i)]);
  };
  size_t w = 16;
  for (int64_t i = 0; i < n_; ++i) w = std::max(w, label(i).size());
  std::string out = fmt::format("{:<{}}  ", "true \\ predicted", w);
  for (int64_t j = 0; j < n_; ++j) out += fmt::format("{:>6}", j);
  out += "   accuracy\n";
  for (int64_t i = 0; i < n_; ++i) {
    out += fmt::format("{:<{}}  ", label(i), w);
    for (int64_t j = 0; j < n_; ++j) out += fmt::format("{:>6}", counts_[static_cast<size_t>(i * n_ + j)]);
    out += fmt::format("   {:6.2f}%\n", 100 * recall(i));
  }
  return out;
}

double accuracy(const Tensor& scores, const Tensor& targets) {
  EMBER_CHECK(scores.defined() && scores.dim() == 2, ShapeError, "accuracy: expected scores [N, C], got {}",
              scores.defined() ? shape_str(scores.shape()) : std::string("an undefined tensor"));
  ConfusionMatrix m(scores.size(1));
  m.add_scores(targets, scores);
  return m.accuracy();
}

}  // namespace ember::metrics
