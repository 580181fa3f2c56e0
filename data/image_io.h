#pragma once
// PNG (libpng) and JPEG (libjpeg) decoding and encoding of single images.
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "ember/core/tensor.h"

namespace ember::data {

// Decodes a PNG or JPEG (recognised from the content, not the name) into [C, H, W] u8.
// channels: 0 keeps the file's (1 for grayscale, 3 for colour; an alpha channel is dropped
// by compositing onto black), 1 converts to grayscale, 3 to RGB. PNG palettes and 1/2/4/16-bit
// depths are converted to 8 bits. Throws IOError naming the file when it is missing, a
// directory, empty, truncated or corrupt (JPEG warnings such as "premature end of file" are
// errors too), not PNG/JPEG, or larger than 2^28 pixels.
Tensor read_image(const std::filesystem::path& path, int channels = 0);
// The same from bytes in memory; `name` is used in error messages.
Tensor decode_image(std::span<const uint8_t> bytes, const std::string& name, int channels = 0);

// Writes an image [C, H, W] (or [H, W] for grayscale) u8 with C = 1 or 3 (PNG also takes 4,
// RGBA). JPEG quality is 1..100; quality 100 is still lossy.
void write_png(const std::filesystem::path& path, const Tensor& image);
void write_jpeg(const std::filesystem::path& path, const Tensor& image, int quality = 95);
// The PNG file write_png would write, in memory (for TensorBoard images and HTML reports).
std::vector<uint8_t> encode_png(const Tensor& image);

}  // namespace ember::data
