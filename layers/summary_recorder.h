#pragma once
// Internal: records the modules that run during Module::summary()'s forward pass.
// Not part of the public API.
#include <cstdint>
#include <string>
#include <vector>

#include "ember/core/shape.h"
#include "ember/core/tensor.h"

namespace ember::nn {
class Module;
}

namespace ember::nn::detail {

class SummaryRecorder {
 public:
  struct Row {
    const Module* module = nullptr;
    int depth = 0;
    std::vector<Shape> output_shapes;  // one per output
  };

  explicit SummaryRecorder(const Module& root);
  ~SummaryRecorder();
  SummaryRecorder(const SummaryRecorder&) = delete;
  SummaryRecorder& operator=(const SummaryRecorder&) = delete;

  // The recorder active on this thread, or null.
  static SummaryRecorder* current();
  // A row is opened when a module's operator() starts (pre-order) and completed when it
  // returns, so the table lists modules in call order with parents first.
  size_t enter(const Module& m);
  void leave(size_t row, const std::vector<Tensor>& outputs);
  const std::vector<Row>& rows() const { return rows_; }

 private:
  SummaryRecorder* previous_;
  int depth_ = 0;
  std::vector<Row> rows_;
};

}  // namespace ember::nn::detail
