#pragma once
// Saving and loading a module's weights (its state_dict(): parameters and persistent
// buffers, under PyTorch's dotted names) as a safetensors file. Files written by
// PyTorch (`safetensors.torch.save_file(model.state_dict(), ...)`) load here, and files
// written here load in PyTorch, as long as the two models have the same layout.
#include <filesystem>

#include "ember/layers/module.h"

namespace ember::nn {

// Writes module.state_dict() (copied to the CPU) to `path`, atomically (see
// save_safetensors). Throws IOError naming the file on failure.
void save_weights(const Module& module, const std::filesystem::path& path);

// Reads `path` with load_safetensors onto the module's device (the device of its first
// parameter or buffer; the CPU for a module without any), so a file saved from one device
// maps onto another, then load_state_dict(dict, strict). A malformed file throws IOError
// naming the file; missing/unexpected keys (strict) and shape or dtype mismatches (always)
// throw ValueError naming each key, and then the module is unchanged. Non-strict returns
// the keys that were skipped.
LoadResult load_weights(Module& module, const std::filesystem::path& path, bool strict = true);

}  // namespace ember::nn
