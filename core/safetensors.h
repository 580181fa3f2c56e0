#pragma once
// The safetensors file format: an 8-byte little-endian header length, a JSON header
// {"name": {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, ...} and the raw
// little-endian tensor bytes. PyTorch and other frameworks read it directly.
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "ember/core/tensor.h"

namespace ember {

// Writes the tensors (copied to the CPU, contiguous) to `path` through a temporary file
// that is renamed into place, so a crash never leaves a half-written file under `path`.
// Throws IOError naming the file on failure.
void save_safetensors(const std::filesystem::path& path, const std::vector<std::pair<std::string, Tensor>>& tensors);
// The format's "__metadata__": strings under string keys, beside the tensors.
using SafetensorsMetadata = std::map<std::string, std::string>;
void save_safetensors(const std::filesystem::path& path, const std::vector<std::pair<std::string, Tensor>>& tensors,
                      const SafetensorsMetadata& metadata);

// Reads every tensor of a safetensors file, in the header's order of data offsets, onto
// `device`. The header is parsed strictly (see safetensors.cpp); any violation is an
// IOError naming the file and the problem, and nothing is allocated beyond the file size.
std::vector<std::pair<std::string, Tensor>> load_safetensors(const std::filesystem::path& path,
                                                             Device device = Device::cpu());
// The file's metadata (empty when it has none), after the same checks of the header.
SafetensorsMetadata load_safetensors_metadata(const std::filesystem::path& path);

}  // namespace ember
