#include "ember/core/safetensors.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <unordered_set>

#include "ember/core/autograd/grad_mode.h"
#include "ember/core/ops/factory.h"

// The format stores little-endian bytes and we copy them verbatim.
static_assert(std::endian::native == std::endian::little, "safetensors I/O assumes a little-endian host");

namespace ember {
namespace {

using Json = nlohmann::ordered_json;

// The reference implementation (huggingface/safetensors) uses the same limit.
constexpr uint64_t kMaxHeaderBytes = 100'000'000;
constexpr size_t kMaxDims = 64;

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

std::optional<DType> dtype_from_safetensors(const std::string& s) {
  for (DType t : {DType::f32, DType::f64, DType::f16, DType::bf16, DType::i32, DType::i64, DType::u8, DType::boolean})
    if (s == safetensors_dtype(t)) return t;
  return std::nullopt;
}

// Closes on scope exit; close errors on a read-only descriptor carry no information.
struct FileDescriptor {
  int fd = -1;
  ~FileDescriptor() {
    if (fd >= 0) ::close(fd);
  }
};

// ---------------------------------------------------------------------------------------
// Header parsing. A SAX handler instead of a DOM: it checks the structure while reading,
// sees duplicate keys (a DOM silently keeps one of them), and keeps only the entries
// themselves, so memory stays proportional to the header text whatever its content.

struct Entry {
  std::string name;
  std::string dtype;
  std::vector<uint64_t> shape;
  std::vector<uint64_t> offsets;
  bool has_dtype = false, has_shape = false, has_offsets = false;
};

class HeaderHandler {
 public:
  explicit HeaderHandler(std::string file) : file_(std::move(file)) {}
  std::vector<Entry> entries;
  SafetensorsMetadata metadata;

  // The SAX interface of nlohmann::json. Every violation throws IOError at once.
  bool null() { return scalar("null"); }
  bool boolean(bool) { return scalar("a boolean"); }
  bool number_integer(Json::number_integer_t v) {
    if (depth_ == 3 && v < 0) fail("{} of tensor '{}' has a negative value {}", field_, cur_.name, v);
    if (depth_ == 3) return number_unsigned(static_cast<Json::number_unsigned_t>(v));  // "-0"
    return scalar("a number");
  }
  bool number_unsigned(Json::number_unsigned_t v) {
    if (depth_ == 3) {
      auto& list = field_ == "shape" ? cur_.shape : cur_.offsets;
      list.push_back(v);
      const size_t limit = field_ == "shape" ? kMaxDims : 2;
      if (list.size() > limit)
        fail("{} of tensor '{}' has more than {} elements", field_, cur_.name, limit);
      return true;
    }
    return scalar("a number");
  }
  bool number_float(Json::number_float_t, const Json::string_t& s) {
    if (depth_ == 3) fail("{} of tensor '{}' holds {}, not a non-negative integer below 2^64", field_, cur_.name, s);
    return scalar("a number");
  }
  bool string(Json::string_t& s) {
    if (depth_ == 2 && in_metadata_) {  // metadata: string -> string
      metadata[field_] = s;
      return true;
    }
    if (depth_ == 2 && field_ == "dtype") {
      cur_.dtype = s;
      cur_.has_dtype = true;
      return true;
    }
    return scalar("a string");
  }
  bool binary(Json::binary_t&) { return scalar("binary data"); }

  bool start_object(std::size_t) {
    if (depth_ == 0) {
      depth_ = 1;
      return true;
    }
    if (depth_ == 1) {
      depth_ = 2;
      keys_.clear();
      if (!in_metadata_) {
        cur_ = Entry{};
        cur_.name = name_;
      }
      return true;
    }
    return scalar("an object");
  }
  bool key(Json::string_t& k) {
    if (depth_ == 1) {
      if (!names_.insert(k).second) fail("duplicate tensor name '{}'", k);
      name_ = k;
      in_metadata_ = k == "__metadata__";
    } else {
      if (!keys_.insert(k).second) fail("duplicate key '{}' in the entry of '{}'", k, name_);
      field_ = k;
      if (!in_metadata_ && k != "dtype" && k != "shape" && k != "data_offsets")
        fail("tensor '{}' has an unknown field '{}' (expected dtype, shape and data_offsets)", name_, k);
    }
    return true;
  }
  bool end_object() {
    if (depth_ == 2) {
      if (!in_metadata_) {
        if (!cur_.has_dtype || !cur_.has_shape || !cur_.has_offsets)
          fail("tensor '{}' lacks {}", name_,
               !cur_.has_dtype ? "dtype" : !cur_.has_shape ? "shape" : "data_offsets");
        if (cur_.offsets.size() != 2)
          fail("data_offsets of tensor '{}' has {} elements, expected [begin, end]", name_, cur_.offsets.size());
        entries.push_back(std::move(cur_));
      }
      in_metadata_ = false;
    }
    --depth_;
    return true;
  }
  bool start_array(std::size_t) {
    if (depth_ == 2 && !in_metadata_ && (field_ == "shape" || field_ == "data_offsets")) {
      (field_ == "shape" ? cur_.has_shape : cur_.has_offsets) = true;
      depth_ = 3;
      return true;
    }
    return scalar("an array");
  }
  bool end_array() {
    depth_ = 2;
    return true;
  }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& ex) {
    // ex.what() reads "[json.exception.parse_error.101] parse error at line 1, column 5: ...".
    std::string what = ex.what();
    if (auto p = what.find("] "); p != std::string::npos) what = what.substr(p + 2);
    fail("the header is not valid JSON (byte {} of the header): {}", position, what);
  }

  bool done() const { return depth_ == 0; }

  template <class... Args>
  [[noreturn]] void fail(fmt::format_string<Args...> f, Args&&... args) const {
    throw IOError(fmt::format("load_safetensors: {}: {}", file_, fmt::format(f, std::forward<Args>(args)...)));
  }

 private:
  // A value where the structure allows none of its kind.
  bool scalar(const char* what) {
    if (depth_ == 0) fail("the header is {}, not a JSON object", what);
    if (depth_ == 1) fail("the entry of '{}' is {}, not an object", name_, what);
    if (in_metadata_) fail("__metadata__ value '{}' is {}, not a string", field_, what);
    if (depth_ == 2) {
      const char* expected = field_ == "dtype" ? "a string" : "an array of non-negative integers";
      fail("{} of tensor '{}' is {}, expected {}", field_, name_, what, expected);
    }
    fail("{} of tensor '{}' holds {}, expected non-negative integers", field_, name_, what);
  }

  std::string file_;
  int depth_ = 0;  // 0 outside, 1 in the root object, 2 in an entry, 3 in an entry's array
  bool in_metadata_ = false;
  std::string name_, field_;
  std::unordered_set<std::string> names_;
  std::set<std::string> keys_;
  Entry cur_;
};

HeaderHandler parse_header(const std::string& file, const std::string& header) {
  HeaderHandler handler(file);
  // As the format requires (and so that a byte-order mark, which the JSON parser would skip,
  // is refused too).
  if (header.empty() || header[0] != '{') handler.fail("the header is not a JSON object (it does not start with '{{')");
  // strict: nothing but whitespace may follow the root object (the format pads with spaces).
  Json::sax_parse(header, &handler, Json::input_format_t::json, /*strict=*/true);
  if (!handler.done()) handler.fail("the header is not a complete JSON object");
  return handler;
}

void read_exact(int fd, void* dst, size_t n, uint64_t offset, const std::string& file, const char* what) {
  auto* p = static_cast<char*>(dst);
  while (n > 0) {
    const size_t chunk = std::min<size_t>(n, size_t{1} << 30);
    ssize_t got = ::pread(fd, p, chunk, static_cast<off_t>(offset));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) EMBER_THROW(IOError, "load_safetensors: {}: reading {} failed: {}", file, what, std::strerror(errno));
    if (got == 0) EMBER_THROW(IOError, "load_safetensors: {}: the file ended while reading {}", file, what);
    p += got;
    n -= static_cast<size_t>(got);
    offset += static_cast<uint64_t>(got);
  }
}

// The size of the open file, refusing anything but a regular file of at least the 8 bytes of
// the header length.
uint64_t checked_file_size(int fd, const std::string& file) {
  struct stat st {};
  EMBER_CHECK(::fstat(fd, &st) == 0, IOError, "load_safetensors: {}: stat failed: {}", file, std::strerror(errno));
  EMBER_CHECK(!S_ISDIR(st.st_mode), IOError, "load_safetensors: {}: is a directory, not a safetensors file", file);
  EMBER_CHECK(S_ISREG(st.st_mode), IOError, "load_safetensors: {}: not a regular file", file);
  const uint64_t file_size = static_cast<uint64_t>(st.st_size);
  EMBER_CHECK(file_size >= 8, IOError,
              "load_safetensors: {}: the file has {} bytes, fewer than the 8-byte header length (truncated?)", file,
              file_size);
  return file_size;
}

// The header's JSON text. Its length is checked against the limit and the file size first,
// so that a corrupt length allocates nothing.
std::string read_header_text(int fd, uint64_t file_size, const std::string& file) {
  unsigned char le[8];
  read_exact(fd, le, 8, 0, file, "the header length");
  uint64_t header_len = 0;
  for (int i = 0; i < 8; ++i) header_len |= static_cast<uint64_t>(le[i]) << (8 * i);
  EMBER_CHECK(header_len <= kMaxHeaderBytes, IOError,
              "load_safetensors: {}: the header length {} exceeds the limit of {} bytes (corrupt file?)", file,
              header_len, kMaxHeaderBytes);
  EMBER_CHECK(header_len <= file_size - 8, IOError,
              "load_safetensors: {}: the header length {} exceeds the {} bytes that follow it (truncated?)", file,
              header_len, file_size - 8);
  std::string header(header_len, '\0');
  read_exact(fd, header.data(), header.size(), 8, file, "the header");
  return header;
}

// A header entry checked against the data section, with its dtype and shape as ember's.
struct Planned {
  const Entry* entry;
  DType dtype;
  Shape shape;
};

// Checks one entry: a dtype ember reads, a shape whose sizes fit in int64, and data_offsets
// inside the data section that span exactly the tensor's bytes.
Planned plan_tensor(const Entry& e, uint64_t data_size, const std::string& file) {
  auto dt = dtype_from_safetensors(e.dtype);
  EMBER_CHECK(dt.has_value(), IOError,
              "load_safetensors: {}: tensor '{}' has unsupported dtype '{}' (ember reads F64, F32, F16, BF16, I64, "
              "I32, U8 and BOOL)",
              file, e.name, e.dtype);
  // numel, and the product of the non-zero dims (strides of an empty tensor are computed
  // from them too), must both fit in int64.
  uint64_t numel = 1, nonzero = 1;
  Shape shape;
  for (uint64_t d : e.shape) {
    EMBER_CHECK(d <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) &&
                    !__builtin_mul_overflow(nonzero, std::max<uint64_t>(d, 1), &nonzero) &&
                    nonzero <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()),
                IOError, "load_safetensors: {}: the shape [{}] of tensor '{}' overflows", file, fmt::join(e.shape, ","),
                e.name);
    numel *= d;
    shape.push_back(static_cast<int64_t>(d));
  }
  const uint64_t begin = e.offsets[0], end = e.offsets[1];
  EMBER_CHECK(begin <= end, IOError, "load_safetensors: {}: tensor '{}' has data_offsets [{}, {}] with begin > end",
              file, e.name, begin, end);
  EMBER_CHECK(end <= data_size, IOError,
              "load_safetensors: {}: tensor '{}' has data_offsets [{}, {}] past the end of the data ({} bytes; "
              "truncated?)",
              file, e.name, begin, end, data_size);
  uint64_t nbytes = 0;
  EMBER_CHECK(!__builtin_mul_overflow(numel, dtype_size(*dt), &nbytes), IOError,
              "load_safetensors: {}: the size in bytes of tensor '{}' (dtype {}, shape [{}]) overflows", file,
              e.name, e.dtype, fmt::join(e.shape, ","));
  EMBER_CHECK(nbytes == end - begin, IOError,
              "load_safetensors: {}: tensor '{}' of dtype {} and shape [{}] needs {} bytes but data_offsets [{}, {}] "
              "span {}",
              file, e.name, e.dtype, fmt::join(e.shape, ","), nbytes, begin, end, end - begin);
  return {&e, *dt, std::move(shape)};
}

// Every entry checked, in offset order (the order the tensors are then read in).
std::vector<Planned> plan_tensors(const std::vector<Entry>& entries, uint64_t data_size, const std::string& file) {
  std::vector<Planned> plan;
  plan.reserve(entries.size());
  for (const Entry& e : entries) plan.push_back(plan_tensor(e, data_size, file));
  std::stable_sort(plan.begin(), plan.end(),
                   [](const Planned& a, const Planned& b) { return a.entry->offsets[0] < b.entry->offsets[0]; });
  return plan;
}

// Disjoint spans: the tensors together never allocate more than the file holds.
void check_disjoint(const std::vector<Planned>& plan, const std::string& file) {
  const Entry* prev = nullptr;
  for (const Planned& p : plan) {
    const Entry& e = *p.entry;
    if (e.offsets[0] == e.offsets[1]) continue;
    EMBER_CHECK(!prev || e.offsets[0] >= prev->offsets[1], IOError,
                "load_safetensors: {}: the data of tensors '{}' [{}, {}] and '{}' [{}, {}] overlap", file, prev->name,
                prev->offsets[0], prev->offsets[1], e.name, e.offsets[0], e.offsets[1]);
    prev = &e;
  }
}

// Reads one planned tensor straight into its own (CPU) storage.
Tensor read_tensor(int fd, const Planned& p, uint64_t data_start, const std::string& file) {
  const Entry& e = *p.entry;
  Tensor t = empty(p.shape, p.dtype);
  const size_t n = static_cast<size_t>(e.offsets[1] - e.offsets[0]);
  read_exact(fd, t.raw_data(), n, data_start + e.offsets[0], file, fmt::format("tensor '{}'", e.name).c_str());
  if (p.dtype == DType::boolean) {
    // Any byte but 0 and 1 would be an invalid C++ bool.
    const auto* b = static_cast<const unsigned char*>(t.raw_data());
    EMBER_CHECK(std::all_of(b, b + n, [](unsigned char c) { return c <= 1; }), IOError,
                "load_safetensors: {}: BOOL tensor '{}' holds a byte other than 0 and 1", file, e.name);
  }
  return t;
}

// ---------------------------------------------------------------------------------------
// Writing

void write_all(int fd, const void* src, size_t n, const std::string& file) {
  const auto* p = static_cast<const char*>(src);
  while (n > 0) {
    ssize_t put = ::write(fd, p, std::min<size_t>(n, size_t{1} << 30));
    if (put < 0 && errno == EINTR) continue;
    EMBER_CHECK(put > 0, IOError, "save_safetensors: writing {} failed: {}", file, std::strerror(errno));
    p += put;
    n -= static_cast<size_t>(put);
  }
}

// After a rename, the directory entry itself must reach the disk for the new name to
// survive a power loss.
void fsync_directory(const std::filesystem::path& file) {
  std::filesystem::path dir = file.parent_path();
  if (dir.empty()) dir = ".";
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  EMBER_CHECK(fd >= 0, IOError, "save_safetensors: cannot open directory {} to sync it: {}", dir.string(),
              std::strerror(errno));
  FileDescriptor guard{fd};
  // Some file systems do not support fsync on directories (EINVAL); nothing more can be done there.
  EMBER_CHECK(::fsync(fd) == 0 || errno == EINVAL, IOError, "save_safetensors: syncing directory {} failed: {}",
              dir.string(), std::strerror(errno));
}

}  // namespace

void save_safetensors(const std::filesystem::path& path, const std::vector<std::pair<std::string, Tensor>>& tensors) {
  save_safetensors(path, tensors, {});
}

void save_safetensors(const std::filesystem::path& path, const std::vector<std::pair<std::string, Tensor>>& tensors,
                      const SafetensorsMetadata& metadata) {
  NoGradGuard ng;
  std::vector<Tensor> host;
  std::set<std::string> seen;
  Json header = Json::object();
  uint64_t offset = 0;
  for (const auto& [name, t] : tensors) {
    EMBER_CHECK(seen.insert(name).second, ValueError, "save_safetensors: {}: duplicate tensor name '{}'",
                path.string(), name);
    EMBER_CHECK(name != "__metadata__", ValueError, "save_safetensors: {}: '__metadata__' is reserved, not a tensor name",
                path.string());
    EMBER_CHECK(t.defined(), ValueError, "save_safetensors: {}: tensor '{}' is undefined", path.string(), name);
    Tensor h = t.detach().to(Device::cpu()).contiguous();
    const uint64_t n = h.nbytes();
    header[name] = Json{{"dtype", safetensors_dtype(h.dtype())},
                        {"shape", Json(std::vector<int64_t>(h.shape().begin(), h.shape().end()))},
                        {"data_offsets", Json::array({offset, offset + n})}};
    offset += n;
    host.push_back(h);
  }
  if (!metadata.empty()) header["__metadata__"] = Json(metadata);
  std::string text;
  try {
    text = header.dump();  // JSON escaping of names; throws on names that are not UTF-8
  } catch (const nlohmann::json::exception& e) {
    EMBER_THROW(ValueError, "save_safetensors: {}: a tensor name or metadata string is not valid UTF-8 ({})",
                path.string(), e.what());
  }
  while (text.size() % 8 != 0) text += ' ';  // the spec allows trailing spaces; keeps data aligned

  std::filesystem::path tmp = path;
  tmp += ".tmp";
  const std::string tmp_name = tmp.string();
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  EMBER_CHECK(fd >= 0, IOError, "save_safetensors: cannot open {} for writing: {}", tmp_name, std::strerror(errno));
  try {
    FileDescriptor guard{fd};
    const uint64_t len = text.size();
    unsigned char le[8];
    for (int i = 0; i < 8; ++i) le[i] = static_cast<unsigned char>(len >> (8 * i));
    write_all(fd, le, 8, tmp_name);
    write_all(fd, text.data(), text.size(), tmp_name);
    for (const Tensor& h : host) write_all(fd, h.raw_data(), h.nbytes(), tmp_name);
    // The data must be on disk before the rename makes it visible under `path`.
    EMBER_CHECK(::fsync(fd) == 0, IOError, "save_safetensors: syncing {} failed (disk full?): {}", tmp_name,
                std::strerror(errno));
    guard.fd = -1;
    EMBER_CHECK(::close(fd) == 0, IOError, "save_safetensors: closing {} failed: {}", tmp_name, std::strerror(errno));
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    EMBER_CHECK(!ec, IOError, "save_safetensors: cannot rename {} to {}: {}", tmp_name, path.string(), ec.message());
  } catch (...) {
    std::error_code ignored;
    std::filesystem::remove(tmp, ignored);
    throw;
  }
  fsync_directory(path);
}

// What is checked, each failure an IOError "load_safetensors: <file>: <problem>": a regular
// file of at least 8 bytes; a header length <= 100 MB and <= the bytes after it; a header
// that starts with '{' and is one strict UTF-8 JSON object (no trailing content but spaces);
// no duplicate key at any level; "__metadata__" a string -> string map; every other
// entry exactly {dtype, shape, data_offsets}; dtype one of F64 F32 F16 BF16 I64 I32 U8 BOOL;
// shape <= 64 non-negative integers whose product (and byte size) fits in 64 bits;
// data_offsets [begin, end] with begin <= end <= data size and end - begin == the byte size;
// non-empty spans disjoint; BOOL bytes 0 or 1. Gaps between spans are allowed. Nothing is
// allocated before the header length is checked against the file size, and the tensors, being
// disjoint spans of the file, together never exceed it. Each tensor is read straight into its
// own storage (one pread per tensor, in offset order: no second copy of the data section).
namespace {

// Opens `path` and runs every check of its header (the list above), then calls
// f(fd, data_start, header, plan) with the planned, disjoint tensors; f's result is returned.
template <class F>
auto with_checked_file(const std::filesystem::path& path, F&& f) {
  const std::string file = path.string();
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  EMBER_CHECK(fd >= 0, IOError, "load_safetensors: cannot open {}: {}", file, std::strerror(errno));
  FileDescriptor guard{fd};
  const uint64_t file_size = checked_file_size(fd, file);
  const std::string text = read_header_text(fd, file_size, file);
  HeaderHandler header = parse_header(file, text);
  const uint64_t data_start = 8 + static_cast<uint64_t>(text.size());
  const std::vector<Planned> plan = plan_tensors(header.entries, file_size - data_start, file);
  check_disjoint(plan, file);
  return f(fd, data_start, header, plan);
}

}  // namespace

std::vector<std::pair<std::string, Tensor>> load_safetensors(const std::filesystem::path& path, Device device) {
  const std::string file = path.string();
  return with_checked_file(path, [&](int fd, uint64_t data_start, HeaderHandler&, const std::vector<Planned>& plan) {
    NoGradGuard ng;
    std::vector<std::pair<std::string, Tensor>> out;
    out.reserve(plan.size());
    for (const Planned& p : plan) {
      Tensor t = read_tensor(fd, p, data_start, file);
      if (device != Device::cpu()) t = t.to(device);
      out.emplace_back(p.entry->name, std::move(t));
    }
    return out;
  });
}

// The same checks of the tensor entries as load_safetensors, so that a file whose metadata
// reads fine is a file whose tensors load.
SafetensorsMetadata load_safetensors_metadata(const std::filesystem::path& path) {
  return with_checked_file(path, [](int, uint64_t, HeaderHandler& header, const std::vector<Planned>&) {
    return std::move(header.metadata);
  });
}

}  // namespace ember
