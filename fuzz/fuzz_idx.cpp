// read_idx on arbitrary bytes, both as given and (for inputs that are not gzip already)
// gzip-compressed, so that the compressed path sees well-formed deflate streams with
// mutated IDX contents too.
#include <zlib.h>

#include <vector>

#include "ember/data/idx.h"
#include "fuzz_util.h"

namespace {
std::vector<uint8_t> gzip(const uint8_t* data, size_t size) {
  z_stream z{};
  if (deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) std::abort();
  std::vector<uint8_t> out(deflateBound(&z, size) + 32);
  z.next_in = const_cast<Bytef*>(data);
  z.avail_in = static_cast<uInt>(size);
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(out.size());
  if (deflate(&z, Z_FINISH) != Z_STREAM_END) std::abort();
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static ember_fuzz::MemFile file("fuzz_idx");
  ember_fuzz::expect_ember_error_only([&] { ember::data::read_idx(file.write(data, size)); });
  const bool is_gz = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
  if (!is_gz && size <= (1u << 16)) {
    std::vector<uint8_t> z = gzip(data, size);
    ember_fuzz::expect_ember_error_only([&] { ember::data::read_idx(file.write(z.data(), z.size())); });
  }
  return 0;
}
