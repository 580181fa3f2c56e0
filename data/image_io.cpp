#include "ember/data/image_io.h"

// jpeglib.h needs size_t and FILE declared before it.
#include <csetjmp>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <jerror.h>
#include <jpeglib.h>
#include <png.h>

#include "ember/core/error.h"
#include "ember/data/file_util.h"

namespace ember::data {
namespace fs = std::filesystem;

namespace {

constexpr uint64_t kMaxPixels = uint64_t(1) << 28;
constexpr uint64_t kMaxDeflateRatio = 1032;

// Interleaved HWC -> planar CHW.
Tensor planar_from_interleaved(const uint8_t* src, int64_t h, int64_t w, int64_t c) {
  Tensor out = make_tensor({c, h, w}, DType::u8, Device::cpu());
  uint8_t* dst = out.data<uint8_t>();
  if (c == 1) {
    std::memcpy(dst, src, static_cast<size_t>(h * w));
    return out;
  }
  const int64_t plane = h * w;
  for (int64_t i = 0; i < plane; ++i)
    for (int64_t k = 0; k < c; ++k) dst[k * plane + i] = src[i * c + k];
  return out;
}

// [C,H,W] or [H,W] u8 -> interleaved bytes; returns (h, w, c).
std::vector<uint8_t> interleaved_from_planar(const Tensor& image, const char* op,
                                             const fs::path& path, int64_t& h, int64_t& w,
                                             int64_t& c, int max_c) {
  EMBER_CHECK(image.dtype() == DType::u8, DTypeError, "{}: {}: expected a uint8 image, got {}", op,
              path.string(), image.dtype());
  EMBER_CHECK(image.dim() == 2 || image.dim() == 3, ShapeError,
              "{}: {}: expected an image [C, H, W] or [H, W], got {}", op, path.string(),
              shape_str(image.shape()));
  Tensor x = image.cpu().contiguous();
  c = x.dim() == 3 ? x.size(0) : 1;
  h = x.size(x.dim() - 2);
  w = x.size(x.dim() - 1);
  EMBER_CHECK(c == 1 || c == 3 || (c == 4 && max_c >= 4), ShapeError,
              "{}: {}: {} channels, expected 1 or 3{}", op, path.string(), c,
              max_c >= 4 ? " or 4" : "");
  EMBER_CHECK(h > 0 && w > 0 && h <= 65535 && w <= 65535, ShapeError,
              "{}: {}: image size {}x{} out of range (1..65535)", op, path.string(), h, w);
  std::vector<uint8_t> out(static_cast<size_t>(h * w * c));
  const uint8_t* src = x.data<uint8_t>();
  const int64_t plane = h * w;
  for (int64_t i = 0; i < plane; ++i)
    for (int64_t k = 0; k < c; ++k) out[i * c + k] = src[k * plane + i];
  return out;
}

// ---- PNG (the simplified libpng API: no setjmp on our side) ----

Tensor decode_png(std::span<const uint8_t> bytes, const std::string& name, int channels) {
  png_image img;
  std::memset(&img, 0, sizeof img);
  img.version = PNG_IMAGE_VERSION;
  struct Guard {
    png_image* p;
    ~Guard() { png_image_free(p); }
  } guard{&img};
  EMBER_CHECK(png_image_begin_read_from_memory(&img, bytes.data(), bytes.size()) != 0, IOError,
              "image: {}: corrupt PNG header ({})", name, img.message);
  const uint64_t pixels = uint64_t(img.width) * img.height;
  EMBER_CHECK(pixels <= kMaxPixels, IOError, "image: {}: PNG of {}x{} is more than 2^28 pixels",
              name, img.width, img.height);
  const bool color = (img.format & PNG_FORMAT_FLAG_COLOR) != 0;
  const int c = channels == 0 ? (color ? 3 : 1) : channels;
  // Deflate cannot compress better than ~1032:1: a header claiming more is corrupt.
  EMBER_CHECK(pixels / kMaxDeflateRatio <= bytes.size(), IOError,
              "image: {}: PNG header claims {}x{} pixels, more than a {}-byte file can hold", name,
              img.width, img.height, bytes.size());
  img.format = c == 3 ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY;
  img.flags |= PNG_IMAGE_FLAG_16BIT_sRGB;
  std::vector<uint8_t> buf(static_cast<size_t>(PNG_IMAGE_SIZE(img)), 0);  // black under alpha
  EMBER_CHECK(png_image_finish_read(&img, nullptr, buf.data(), 0, nullptr) != 0, IOError,
              "image: {}: corrupt or truncated PNG ({})", name, img.message);
  return planar_from_interleaved(buf.data(), img.height, img.width, c);
}

// ---- JPEG (libjpeg reports errors by calling error_exit, which must not return: we
// longjmp back into a function that holds no C++ objects, and turn that into an IOError) ----

struct JpegErr {
  jpeg_error_mgr pub;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

void jpeg_on_error(j_common_ptr cinfo) {
  JpegErr* e = reinterpret_cast<JpegErr*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, e->message);
  std::longjmp(e->jump, 1);
}

// Warnings (corrupt data that libjpeg would paper over, a truncated file) are errors here.
void jpeg_on_message(j_common_ptr cinfo, int level) {
  if (level < 0) jpeg_on_error(cinfo);
}

struct JpegDecode {
  jpeg_decompress_struct cinfo;
  JpegErr err;
  bool created = false;
};

bool jpeg_begin(JpegDecode* d, const uint8_t* data, size_t n, int channels) {
  if (setjmp(d->err.jump)) return false;
  jpeg_create_decompress(&d->cinfo);
  d->created = true;
  jpeg_mem_src(&d->cinfo, data, static_cast<unsigned long>(n));
  jpeg_read_header(&d->cinfo, TRUE);
  if (channels == 1)
    d->cinfo.out_color_space = JCS_GRAYSCALE;
  else if (channels == 3 || d->cinfo.jpeg_color_space != JCS_GRAYSCALE)
    d->cinfo.out_color_space = JCS_RGB;
  return true;
}

bool jpeg_start(JpegDecode* d) {
  if (setjmp(d->err.jump)) return false;
  jpeg_start_decompress(&d->cinfo);
  return true;
}

bool jpeg_read(JpegDecode* d, uint8_t* out, size_t stride) {
  if (setjmp(d->err.jump)) return false;
  while (d->cinfo.output_scanline < d->cinfo.output_height) {
    JSAMPROW row = out + d->cinfo.output_scanline * stride;
    jpeg_read_scanlines(&d->cinfo, &row, 1);
  }
  jpeg_finish_decompress(&d->cinfo);
  return true;
}

Tensor decode_jpeg(std::span<const uint8_t> bytes, const std::string& name, int channels) {
  JpegDecode d{};
  d.cinfo.err = jpeg_std_error(&d.err.pub);
  d.err.pub.error_exit = jpeg_on_error;
  d.err.pub.emit_message = jpeg_on_message;
  struct Guard {
    JpegDecode* d;
    ~Guard() {
      if (d->created) jpeg_destroy_decompress(&d->cinfo);
    }
  } guard{&d};
  EMBER_CHECK(jpeg_begin(&d, bytes.data(), bytes.size(), channels), IOError,
              "image: {}: corrupt JPEG header ({})", name, d.err.message);
  const uint64_t pixels = uint64_t(d.cinfo.image_width) * d.cinfo.image_height;
  EMBER_CHECK(pixels <= kMaxPixels, IOError, "image: {}: JPEG of {}x{} is more than 2^28 pixels",
              name, d.cinfo.image_width, d.cinfo.image_height);
  EMBER_CHECK(jpeg_start(&d), IOError, "image: {}: corrupt JPEG ({})", name, d.err.message);
  const int c = d.cinfo.output_components;
  EMBER_CHECK(c == 1 || c == 3, IOError,
              "image: {}: JPEG decodes to {} components, expected 1 or 3", name, c);
  const int64_t h = d.cinfo.output_height, w = d.cinfo.output_width;
  std::vector<uint8_t> buf(static_cast<size_t>(h * w * c));
  EMBER_CHECK(jpeg_read(&d, buf.data(), static_cast<size_t>(w * c)), IOError,
              "image: {}: corrupt or truncated JPEG ({})", name, d.err.message);
  return planar_from_interleaved(buf.data(), h, w, c);
}

struct JpegEncode {
  jpeg_compress_struct cinfo;
  JpegErr err;
  bool created = false;
  unsigned char* out = nullptr;
  unsigned long out_size = 0;
};

bool jpeg_encode(JpegEncode* e, const uint8_t* pixels, int h, int w, int c, int quality) {
  if (setjmp(e->err.jump)) return false;
  jpeg_create_compress(&e->cinfo);
  e->created = true;
  jpeg_mem_dest(&e->cinfo, &e->out, &e->out_size);
  e->cinfo.image_width = static_cast<JDIMENSION>(w);
  e->cinfo.image_height = static_cast<JDIMENSION>(h);
  e->cinfo.input_components = c;
  e->cinfo.in_color_space = c == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(&e->cinfo);
  jpeg_set_quality(&e->cinfo, quality, TRUE);
  jpeg_start_compress(&e->cinfo, TRUE);
  while (e->cinfo.next_scanline < e->cinfo.image_height) {
    JSAMPROW row = const_cast<uint8_t*>(pixels) + size_t(e->cinfo.next_scanline) * w * c;
    jpeg_write_scanlines(&e->cinfo, &row, 1);
  }
  jpeg_finish_compress(&e->cinfo);
  return true;
}

}  // namespace

Tensor decode_image(std::span<const uint8_t> bytes, const std::string& name, int channels) {
  EMBER_CHECK(channels == 0 || channels == 1 || channels == 3, ValueError,
              "image: {}: channels must be 0 (as stored), 1 or 3, got {}", name, channels);
  EMBER_CHECK(!bytes.empty(), IOError, "image: {}: empty file", name);
  static const uint8_t kPng[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (bytes.size() >= 8 && std::memcmp(bytes.data(), kPng, 8) == 0)
    return decode_png(bytes, name, channels);
  if (bytes.size() >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF)
    return decode_jpeg(bytes, name, channels);
  std::string head;
  for (size_t i = 0; i < std::min<size_t>(bytes.size(), 4); ++i)
    head += fmt::format("{}{:02x}", i ? " " : "", bytes[i]);
  EMBER_THROW(IOError, "image: {}: not a PNG or JPEG file (starts with bytes {})", name, head);
}

Tensor read_image(const fs::path& path, int channels) {
  std::vector<uint8_t> bytes = read_file_bytes(path, "image");
  return decode_image(bytes, path.string(), channels);
}

namespace {
std::vector<uint8_t> png_bytes(const Tensor& image, const char* op, const fs::path& name) {
  int64_t h, w, c;
  std::vector<uint8_t> px = interleaved_from_planar(image, op, name, h, w, c, 4);
  png_image img;
  std::memset(&img, 0, sizeof img);
  img.version = PNG_IMAGE_VERSION;
  img.width = static_cast<png_uint_32>(w);
  img.height = static_cast<png_uint_32>(h);
  img.format = c == 1 ? PNG_FORMAT_GRAY : (c == 3 ? PNG_FORMAT_RGB : PNG_FORMAT_RGBA);
  png_alloc_size_t size = 0;
  EMBER_CHECK(png_image_write_to_memory(&img, nullptr, &size, 0, px.data(), 0, nullptr) != 0,
              IOError, "{}: {}: {}", op, name.string(), img.message);
  std::vector<uint8_t> out(size);
  EMBER_CHECK(png_image_write_to_memory(&img, out.data(), &size, 0, px.data(), 0, nullptr) != 0,
              IOError, "{}: {}: {}", op, name.string(), img.message);
  out.resize(size);
  return out;
}
}  // namespace

std::vector<uint8_t> encode_png(const Tensor& image) { return png_bytes(image, "encode_png", "<memory>"); }

void write_png(const fs::path& path, const Tensor& image) {
  std::vector<uint8_t> out = png_bytes(image, "write_png", path);
  write_file_bytes(path, out.data(), out.size(), "write_png");
}

void write_jpeg(const fs::path& path, const Tensor& image, int quality) {
  EMBER_CHECK(quality >= 1 && quality <= 100, ValueError,
              "write_jpeg: {}: quality must be 1..100, got {}", path.string(), quality);
  int64_t h, w, c;
  std::vector<uint8_t> px = interleaved_from_planar(image, "write_jpeg", path, h, w, c, 3);
  JpegEncode e{};
  e.cinfo.err = jpeg_std_error(&e.err.pub);
  e.err.pub.error_exit = jpeg_on_error;
  struct Guard {
    JpegEncode* e;
    ~Guard() {
      if (e->created) jpeg_destroy_compress(&e->cinfo);
      std::free(e->out);
    }
  } guard{&e};
  EMBER_CHECK(jpeg_encode(&e, px.data(), static_cast<int>(h), static_cast<int>(w),
                          static_cast<int>(c), quality),
              IOError, "write_jpeg: {}: {}", path.string(), e.err.message);
  write_file_bytes(path, e.out, e.out_size, "write_jpeg");
}

}  // namespace ember::data
