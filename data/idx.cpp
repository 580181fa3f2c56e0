#include "ember/data/idx.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <vector>

#include "ember/core/error.h"
#include "ember/data/file_util.h"

namespace ember::data {
namespace fs = std::filesystem;

namespace {

// Deflate cannot compress better than about 1032:1; a header claiming more data than that
// bound is refused before anything is allocated.
constexpr uint64_t kMaxDeflateRatio = 1032;
constexpr int kMaxDims = 16;

struct GzCloser {
  void operator()(gzFile_s* f) const { gzclose(f); }
};
using GzPtr = std::unique_ptr<gzFile_s, GzCloser>;

struct TypeInfo {
  const char* name;
  size_t size;  // bytes per element in the file
  DType dtype;  // dtype of the result
};

bool type_info(uint8_t code, TypeInfo& out) {
  switch (code) {
    case 0x08: out = {"u8", 1, DType::u8}; return true;
    case 0x09: out = {"i8", 1, DType::i32}; return true;
    case 0x0B: out = {"i16", 2, DType::i32}; return true;
    case 0x0C: out = {"i32", 4, DType::i32}; return true;
    case 0x0D: out = {"f32", 4, DType::f32}; return true;
    case 0x0E: out = {"f64", 8, DType::f64}; return true;
    default: return false;
  }
}

bool is_gzip(const fs::path& path) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) return false;
  unsigned char m[2] = {0, 0};
  return std::fread(m, 1, 2, f.get()) == 2 && m[0] == 0x1f && m[1] == 0x8b;
}

// Reads up to n bytes; returns how many were read. Throws on corrupt compressed data.
uint64_t gz_read(gzFile f, void* dst, uint64_t n, const fs::path& path) {
  uint64_t done = 0;
  char* p = static_cast<char*>(dst);
  while (done < n) {
    unsigned chunk = static_cast<unsigned>(std::min<uint64_t>(n - done, 1u << 30));
    int got = gzread(f, p + done, chunk);
    if (got < 0) {
      int err = 0;
      const char* msg = gzerror(f, &err);
      EMBER_THROW(IOError, "idx: {}: corrupt gzip data (zlib: {})", path.string(),
                  msg ? msg : "unknown error");
    }
    if (got == 0) {
      int err = 0;
      const char* msg = gzerror(f, &err);
      EMBER_CHECK(err == Z_OK || err == Z_STREAM_END, IOError,
                  "idx: {}: truncated or corrupt gzip data (zlib: {})", path.string(),
                  msg ? msg : "unknown error");
      break;
    }
    done += static_cast<uint64_t>(got);
  }
  return done;
}

uint32_t load_be32(const unsigned char* p) {
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | uint32_t(p[3]);
}

template <class T>
void swap_in_place(T* p, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    unsigned char* b = reinterpret_cast<unsigned char*>(p + i);
    std::reverse(b, b + sizeof(T));
  }
}

// What an IDX header says: the element type and the dims.
struct IdxHeader {
  uint8_t code = 0;  // the type code, as in the file
  TypeInfo ti{};
  Shape shape;
  uint64_t count = 1;  // elements
};

// zlib reads a plain file as it is and a gzip file decompressed, so that both take one path.
GzPtr open_idx(const fs::path& path, const std::string& ps) {
  GzPtr f(gzopen(path.c_str(), "rb"));
  EMBER_CHECK(f != nullptr, IOError, "idx: {}: cannot open: {}", ps, std::strerror(errno));
  gzbuffer(f.get(), 1 << 18);
  return f;
}

// Reads the magic number (two zero bytes, the type code, the number of dims) into h.code and
// h.ti; returns the number of dims.
int read_idx_magic(gzFile f, const fs::path& path, const std::string& ps, IdxHeader& h) {
  unsigned char magic[4];
  uint64_t got = gz_read(f, magic, 4, path);
  EMBER_CHECK(got == 4, IOError, "idx: {}: truncated: {} bytes, an IDX header needs at least 4", ps,
              got);
  EMBER_CHECK(magic[0] == 0 && magic[1] == 0, IOError,
              "idx: {}: wrong magic 0x{:02x}{:02x}{:02x}{:02x}: an IDX file starts with two zero "
              "bytes, a type code and the number of dims",
              ps, magic[0], magic[1], magic[2], magic[3]);
  EMBER_CHECK(type_info(magic[2], h.ti), IOError,
              "idx: {}: unknown type code 0x{:02x} (expected 0x08, 0x09, 0x0b, 0x0c, 0x0d or 0x0e)",
              ps, magic[2]);
  h.code = magic[2];
  const int ndim = magic[3];
  EMBER_CHECK(ndim >= 1 && ndim <= kMaxDims, IOError,
              "idx: {}: header claims {} dims, expected 1 to {}", ps, ndim, kMaxDims);
  return ndim;
}

// Reads the ndim big-endian dims into h.shape and h.count, refusing those whose element count
// would overflow.
void read_idx_dims(gzFile f, int ndim, const fs::path& path, const std::string& ps, IdxHeader& h) {
  std::array<unsigned char, 4 * kMaxDims> dimbuf{};
  const uint64_t got = gz_read(f, dimbuf.data(), 4 * ndim, path);
  EMBER_CHECK(got == uint64_t(4 * ndim), IOError,
              "idx: {}: truncated header: {} dims need {} bytes of sizes, the file has {}", ps,
              ndim, 4 * ndim, got);
  h.shape = Shape(ndim);
  h.count = 1;
  // The product of the dims with zeros counted as 1 must fit too: a tensor's strides are
  // computed that way, so dims [0, 2^32-1, 2^32-1] (no elements) would still overflow them.
  uint64_t span = 1;
  for (int d = 0; d < ndim; ++d) {
    h.shape[d] = load_be32(dimbuf.data() + 4 * d);
    EMBER_CHECK(!__builtin_mul_overflow(span, std::max<uint64_t>(h.shape[d], 1), &span) &&
                    span <= uint64_t(std::numeric_limits<int64_t>::max()) / 8,
                IOError, "idx: {}: dims {} overflow: the element count does not fit in 64 bits", ps,
                shape_str(h.shape));
    h.count *= static_cast<uint64_t>(h.shape[d]);  // <= span: no overflow
  }
}

// Checks the data size the header claims against the file's size before anything is
// allocated: exactly for a plain file, against deflate's best ratio for a gzip file.
void check_idx_data_size(const IdxHeader& h, bool gz, uint64_t fsize, const std::string& ps) {
  const uint64_t header = 4 + 4 * uint64_t(h.shape.size());
  const uint64_t data_bytes = h.count * h.ti.size;
  if (!gz) {
    EMBER_CHECK(header + data_bytes <= fsize, IOError,
                "idx: {}: truncated: header claims dims {} of {} ({} bytes of data) but the file "
                "has only {} bytes after the header",
                ps, shape_str(h.shape), h.ti.name, data_bytes, fsize - header);
    EMBER_CHECK(header + data_bytes == fsize, IOError,
                "idx: {}: {} unexpected bytes after the data for dims {} of {}", ps,
                fsize - header - data_bytes, shape_str(h.shape), h.ti.name);
  } else {
    EMBER_CHECK(data_bytes / kMaxDeflateRatio <= fsize, IOError,
                "idx: {}: header claims dims {} of {} ({} bytes of data), more than a {}-byte "
                "gzip file can hold: the file is corrupt",
                ps, shape_str(h.shape), h.ti.name, data_bytes, fsize);
  }
}

// Reads the whole data section, in the file's layout, into dst.
void read_idx_data(gzFile f, void* dst, const IdxHeader& h, const fs::path& path, const std::string& ps) {
  const uint64_t data_bytes = h.count * h.ti.size;
  uint64_t r = gz_read(f, dst, data_bytes, path);
  EMBER_CHECK(r == data_bytes, IOError,
              "idx: {}: truncated: header claims dims {} of {} ({} bytes of data) but the "
              "file holds only {}",
              ps, shape_str(h.shape), h.ti.name, data_bytes, r);
}

// The data as a tensor of the result dtype: big-endian values swapped to the host's order,
// i8 and i16 widened to i32.
Tensor read_idx_elements(gzFile f, const IdxHeader& h, const fs::path& path, const std::string& ps) {
  Tensor out = make_tensor(h.shape, h.ti.dtype, Device::cpu());
  const int64_t n = static_cast<int64_t>(h.count);
  switch (h.code) {
    case 0x08: read_idx_data(f, out.raw_data(), h, path, ps); break;
    case 0x0C:
      read_idx_data(f, out.raw_data(), h, path, ps);
      swap_in_place(out.data<int32_t>(), n);
      break;
    case 0x0D:
      read_idx_data(f, out.raw_data(), h, path, ps);
      swap_in_place(out.data<float>(), n);
      break;
    case 0x0E:
      read_idx_data(f, out.raw_data(), h, path, ps);
      swap_in_place(out.data<double>(), n);
      break;
    case 0x09: {
      std::vector<int8_t> tmp(n);
      read_idx_data(f, tmp.data(), h, path, ps);
      int32_t* o = out.data<int32_t>();
      for (int64_t i = 0; i < n; ++i) o[i] = tmp[i];
      break;
    }
    case 0x0B: {
      std::vector<int16_t> tmp(n);
      read_idx_data(f, tmp.data(), h, path, ps);
      swap_in_place(tmp.data(), n);
      int32_t* o = out.data<int32_t>();
      for (int64_t i = 0; i < n; ++i) o[i] = tmp[i];
      break;
    }
  }
  return out;
}

}  // namespace

Tensor read_idx(const fs::path& path) {
  const uint64_t fsize = file_size_of(path, "idx");
  const std::string ps = path.string();
  EMBER_CHECK(fsize > 0, IOError, "idx: {}: empty file", ps);
  const bool gz = is_gzip(path);
  GzPtr f = open_idx(path, ps);

  IdxHeader h;
  const int ndim = read_idx_magic(f.get(), path, ps, h);
  read_idx_dims(f.get(), ndim, path, ps, h);
  check_idx_data_size(h, gz, fsize, ps);
  Tensor out = read_idx_elements(f.get(), h, path, ps);
  if (gz) {
    // A plain file's size was checked exactly up front; trailing bytes in a gzip file show only now.
    char extra[1];
    EMBER_CHECK(gz_read(f.get(), extra, 1, path) == 0, IOError,
                "idx: {}: unexpected bytes after the data for dims {} of {}", ps, shape_str(h.shape),
                h.ti.name);
  }
  return out;
}

void write_idx(const fs::path& path, const Tensor& t, bool gzip) {
  uint8_t code = 0;
  switch (t.dtype()) {
    case DType::u8: code = 0x08; break;
    case DType::i32: code = 0x0C; break;
    case DType::f32: code = 0x0D; break;
    case DType::f64: code = 0x0E; break;
    default:
      EMBER_THROW(DTypeError,
                  "write_idx: {}: dtype {} has no IDX type code (use u8, i32, f32, f64)",
                  path.string(), t.dtype());
  }
  EMBER_CHECK(t.dim() >= 1 && t.dim() <= 255, ShapeError,
              "write_idx: {}: IDX needs 1 to 255 dims, got {}", path.string(), t.dim());
  std::vector<unsigned char> bytes = {0, 0, code, static_cast<unsigned char>(t.dim())};
  for (int64_t d : t.shape()) {
    EMBER_CHECK(d <= int64_t(UINT32_MAX), ShapeError, "write_idx: {}: dim {} exceeds 2^32-1",
                path.string(), d);
    for (int s = 24; s >= 0; s -= 8) bytes.push_back(static_cast<unsigned char>(d >> s));
  }
  Tensor c = t.cpu().contiguous();
  const size_t esize = dtype_size(c.dtype());
  const unsigned char* src = static_cast<const unsigned char*>(c.raw_data());
  const size_t header = bytes.size();
  bytes.resize(header + c.nbytes());
  for (int64_t i = 0; i < c.numel(); ++i)
    for (size_t b = 0; b < esize; ++b)
      bytes[header + i * esize + b] = src[i * esize + (esize - 1 - b)];
  if (gzip)
    write_gzip_bytes(path, bytes.data(), bytes.size(), "write_idx");
  else
    write_file_bytes(path, bytes.data(), bytes.size(), "write_idx");
}

namespace {

fs::path find_mnist_file(const fs::path& dir, const std::string& prefix, const std::string& kind,
                         const std::string& what) {
  // kind: "images-idx3" or "labels-idx1"
  std::string dotted = kind;
  dotted[dotted.find('-')] = '.';
  std::vector<fs::path> tried;
  for (const std::string& base : {prefix + "-" + kind + "-ubyte", prefix + "-" + dotted + "-ubyte"})
    for (const char* ext : {"", ".gz"}) {
      fs::path p = dir / (base + ext);
      std::error_code ec;
      if (fs::exists(p, ec)) return p;
      tried.push_back(p);
    }
  std::string list;
  for (const auto& p : tried) list += (list.empty() ? "" : ", ") + p.filename().string();
  EMBER_THROW(IOError, "mnist: {}: no {} file (tried {})", dir.string(), what, list);
}

}  // namespace

InMemoryDataset load_mnist(const fs::path& dir, bool train) {
  std::error_code ec;
  EMBER_CHECK(fs::exists(dir, ec), IOError, "mnist: {}: no such directory", dir.string());
  EMBER_CHECK(fs::is_directory(dir, ec), IOError, "mnist: {}: not a directory", dir.string());
  const std::string prefix = train ? "train" : "t10k";
  fs::path ipath = find_mnist_file(dir, prefix, "images-idx3", prefix + " images");
  fs::path lpath = find_mnist_file(dir, prefix, "labels-idx1", prefix + " labels");
  Tensor images = read_idx(ipath);
  Tensor labels = read_idx(lpath);
  EMBER_CHECK(images.dtype() == DType::u8 && images.dim() == 3, IOError,
              "mnist: {}: expected u8 images [N, H, W], got {} {}", ipath.string(), images.dtype(),
              shape_str(images.shape()));
  EMBER_CHECK(labels.dtype() == DType::u8 && labels.dim() == 1, IOError,
              "mnist: {}: expected u8 labels [N], got {} {}", lpath.string(), labels.dtype(),
              shape_str(labels.shape()));
  EMBER_CHECK(images.size(0) == labels.size(0), IOError,
              "mnist: {} has {} images but {} has {} labels", ipath.string(), images.size(0),
              lpath.string(), labels.size(0));
  const int64_t n = labels.size(0);
  Tensor targets = make_tensor({n}, DType::i64, Device::cpu());
  const uint8_t* l = labels.data<uint8_t>();
  int64_t* t = targets.data<int64_t>();
  for (int64_t i = 0; i < n; ++i) t[i] = l[i];
  return InMemoryDataset(images.view({n, 1, images.size(1), images.size(2)}), targets);
}

}  // namespace ember::data
