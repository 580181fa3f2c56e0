#include "ember/optim/state_file.h"

#include <charconv>
#include <cmath>

#include <fmt/format.h>

#include "ember/core/safetensors.h"

namespace ember::optim {
namespace {

constexpr const char* kFormatKey = "format";
constexpr const char* kFormat = "ember.optim.StateDict/1";
constexpr std::string_view kScalar = "scalar.";
constexpr std::string_view kString = "string.";

bool starts_with(const std::string& s, std::string_view prefix) { return s.rfind(prefix, 0) == 0; }

}  // namespace

void save_state(const StateDict& state, const std::filesystem::path& path) {
  SafetensorsMetadata meta{{kFormatKey, kFormat}};
  for (const auto& [k, v] : state.scalars) meta[std::string(kScalar) + k] = fmt::format("{:.17g}", v);
  for (const auto& [k, v] : state.strings) meta[std::string(kString) + k] = v;
  std::vector<std::pair<std::string, Tensor>> tensors(state.tensors.begin(), state.tensors.end());
  save_safetensors(path, tensors, meta);
}

StateDict load_state(const std::filesystem::path& path, Device device) {
  const SafetensorsMetadata meta = load_safetensors_metadata(path);
  auto format = meta.find(kFormatKey);
  EMBER_CHECK(format != meta.end() && format->second == kFormat, IOError,
              "load_state: {}: not an optimizer state file (its metadata has no '{}: {}')", path.string(), kFormatKey,
              kFormat);
  StateDict d;
  for (const auto& [k, v] : meta) {
    if (starts_with(k, kScalar)) {
      double x = 0;
      const char* end = v.data() + v.size();
      auto [p, ec] = std::from_chars(v.data(), end, x);
      // from_chars reads "inf"/"nan" too, which fmt writes for such values.
      EMBER_CHECK(ec == std::errc() && p == end, IOError, "load_state: {}: scalar '{}' is '{}', not a number",
                  path.string(), k.substr(kScalar.size()), v);
      d.scalars[k.substr(kScalar.size())] = x;
    } else if (starts_with(k, kString)) {
      d.strings[k.substr(kString.size())] = v;
    }
  }
  for (auto& [name, t] : load_safetensors(path, device)) d.tensors[name] = t;
  return d;
}

}  // namespace ember::optim
