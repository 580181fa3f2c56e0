#include "ember/core/safetensors.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <set>

#include "ember/core/autograd/grad_mode.h"

namespace ember {
namespace {

const char* safetensors_dtype(DType t) {
  switch (t) {
    case DType::f32: return "F32";
    case DType::f64: return "F64";
    case DType::f16: return "F16";
    case DType::bf16: return "BF16";
    case DType::i32: return "I32";
    case DType::i64: return "I64";
    case DType::u8: return "U8";
    case DType::boolean: return "BOOL";
  }
  return "?";
}

// Names are written as JSON strings: quote, backslash and control characters escaped.
std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      out += fmt::format("\\u{:04x}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

}  // namespace

void save_safetensors(const std::filesystem::path& path, const std::vector<std::pair<std::string, Tensor>>& tensors) {
  NoGradGuard ng;
  std::vector<Tensor> host;
  std::set<std::string> seen;
  std::string header = "{";
  uint64_t offset = 0;
  for (const auto& [name, t] : tensors) {
    EMBER_CHECK(seen.insert(name).second, ValueError, "save_safetensors: {}: duplicate tensor name '{}'",
                path.string(), name);
    EMBER_CHECK(t.defined(), ValueError, "save_safetensors: {}: tensor '{}' is undefined", path.string(), name);
    Tensor h = t.detach().to(Device::cpu()).contiguous();
    const uint64_t n = h.nbytes();
    if (header.size() > 1) header += ",";
    header += fmt::format("{}:{{\"dtype\":\"{}\",\"shape\":[{}],\"data_offsets\":[{},{}]}}", json_string(name),
                          safetensors_dtype(h.dtype()), fmt::join(h.shape(), ","), offset, offset + n);
    offset += n;
    host.push_back(h);
  }
  header += "}";
  while (header.size() % 8 != 0) header += ' ';  // the spec allows trailing spaces; keeps data aligned

  std::filesystem::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    EMBER_CHECK(f.good(), IOError, "save_safetensors: cannot open {} for writing: {}", tmp.string(),
                std::strerror(errno));
    uint64_t len = header.size();
    unsigned char le[8];
    for (int i = 0; i < 8; ++i) le[i] = static_cast<unsigned char>(len >> (8 * i));
    f.write(reinterpret_cast<const char*>(le), 8);
    f.write(header.data(), static_cast<std::streamsize>(header.size()));
    for (const Tensor& h : host) f.write(static_cast<const char*>(h.raw_data()), static_cast<std::streamsize>(h.nbytes()));
    f.flush();
    EMBER_CHECK(f.good(), IOError, "save_safetensors: writing {} failed (disk full?)", tmp.string());
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  EMBER_CHECK(!ec, IOError, "save_safetensors: cannot rename {} to {}: {}", tmp.string(), path.string(), ec.message());
}

}  // namespace ember
