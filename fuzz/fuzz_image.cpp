// decode_image (PNG and JPEG, recognised from the content) on arbitrary bytes, keeping the
// stored channels or converting to 1 or 3 channels. (read_image is read_file_bytes +
// decode_image: the file part is covered by the other targets.)
#include <span>

#include "ember/data/image_io.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> bytes(data, size);
  // The conversion is picked by the input's size, so each input costs one decode.
  const int channels[3] = {0, 1, 3};
  ember_fuzz::expect_ember_error_only(
      [&] { ember::data::decode_image(bytes, "fuzz", channels[size % 3]); });
  return 0;
}
