#pragma once
// Printing tensors the way PyTorch does: nested brackets, aligned values, summarised
// with "..." beyond 1000 elements, dtype and device named when not the defaults.
#include <ostream>
#include <string>

#include <fmt/format.h>

#include "ember/core/tensor.h"

namespace ember {

std::string to_string(const Tensor& t);
std::ostream& operator<<(std::ostream& os, const Tensor& t);

}  // namespace ember

template <>
struct fmt::formatter<ember::Tensor> : fmt::formatter<std::string> {
  auto format(const ember::Tensor& t, format_context& ctx) const {
    return fmt::formatter<std::string>::format(ember::to_string(t), ctx);
  }
};
