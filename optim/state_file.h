#pragma once
// An optimizer's (or schedule's) state in one file, to stop and continue a training run of
// one's own: the StateDict's tensors as a safetensors file, its numbers and strings in the
// file's metadata. Load into an optimizer built over the same parameters, in the same order.
//
//   optim::save_state(opt.state_dict(), "run/optimizer.safetensors");
//   ...
//   opt.load_state_dict(optim::load_state("run/optimizer.safetensors"));
#include <filesystem>

#include "ember/optim/state_dict.h"

namespace ember::optim {

// Written through a temporary file renamed into place (save_safetensors). Numbers are kept
// exactly (17 significant digits).
void save_state(const StateDict& state, const std::filesystem::path& path);
// Throws IOError naming the file when it is not such a file (or not a safetensors file at all),
// and for a number that does not parse.
StateDict load_state(const std::filesystem::path& path, Device device = Device::cpu());

}  // namespace ember::optim
