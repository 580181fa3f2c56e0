#include "ember/core/device.h"

#include <charconv>

#include "ember/core/error.h"

namespace ember {

Device parse_device(const std::string& s) {
  if (s == "cpu") return Device::cpu();
  if (s == "cuda") return Device::cuda(0);
  if (s.rfind("cuda:", 0) == 0) {
    int idx = -1;
    auto [p, ec] = std::from_chars(s.data() + 5, s.data() + s.size(), idx);
    if (ec == std::errc() && p == s.data() + s.size() && idx >= 0) return Device::cuda(idx);
  }
  EMBER_THROW(ValueError, "parse_device: '{}' is not a device (expected cpu, cuda or cuda:N)", s);
}

}  // namespace ember
