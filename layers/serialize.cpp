#include "ember/layers/serialize.h"

#include "ember/core/safetensors.h"

namespace ember::nn {

void save_weights(const Module& module, const std::filesystem::path& path) {
  StateDict dict = module.state_dict();
  save_safetensors(path, std::vector<std::pair<std::string, Tensor>>(dict.begin(), dict.end()));
}

LoadResult load_weights(Module& module, const std::filesystem::path& path, bool strict) {
  Device device = Device::cpu();
  StateDict own = module.state_dict();
  if (!own.empty()) device = own.begin()->second.device();
  StateDict dict;
  for (auto& [name, t] : load_safetensors(path, device)) dict.insert(name, std::move(t));
  try {
    return module.load_state_dict(dict, strict);
  } catch (const ValueError& e) {
    // Name the file too: the caller may load several.
    throw ValueError(fmt::format("load_weights: {}: {}", path.string(), e.what()));
  }
}

}  // namespace ember::nn
