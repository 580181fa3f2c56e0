#pragma once
// File helpers shared by the readers. Every failure is an IOError whose message starts with
// "<op>: <path>: " (op names the reader: "idx", "cifar", "csv", "image").
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace ember::data {

// Throws IOError unless `path` names an existing regular file (a directory is refused).
void check_regular_file(const std::filesystem::path& path, const char* op);
// Size in bytes of a regular file (checked as above).
uint64_t file_size_of(const std::filesystem::path& path, const char* op);
// The whole file. Refuses files larger than max_bytes before allocating.
std::vector<uint8_t> read_file_bytes(const std::filesystem::path& path, const char* op,
                                     uint64_t max_bytes = uint64_t(1) << 40);
// Writes bytes to a file, replacing it.
void write_file_bytes(const std::filesystem::path& path, const void* data, size_t n,
                      const char* op);
// The same, gzip-compressed (zlib).
void write_gzip_bytes(const std::filesystem::path& path, const void* data, size_t n,
                      const char* op);

}  // namespace ember::data
