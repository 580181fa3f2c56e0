// load_safetensors on arbitrary bytes: the 8-byte header length, the JSON header (dtypes,
// shapes, data_offsets, __metadata__) and the data section (overlaps, gaps, BOOL bytes).
#include "ember/core/safetensors.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static ember_fuzz::MemFile file("fuzz_safetensors");
  const std::string& path = file.write(data, size);
  ember_fuzz::expect_ember_error_only([&] { ember::load_safetensors(path); });
  ember_fuzz::expect_ember_error_only([&] { ember::load_safetensors_metadata(path); });
  return 0;
}
