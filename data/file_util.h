#pragma once
// File helpers shared by the readers. Every failure is an IOError whose message starts with
// "<op>: <path>: " (op names the reader: "idx", "cifar", "csv", "image").
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
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
// Durable writes (POSIX: std::filesystem cannot fsync). Every short write and error is
// reported: a full disk shows up as ENOSPC, a file-size limit as EFBIG.
// Writes content to path and fsyncs it.
void write_file_synced(const std::filesystem::path& path, std::string_view content, const char* op);
// fsyncs a file or a directory (one whose file system cannot fsync directories is left as is).
void fsync_path(const std::filesystem::path& path, bool directory, const char* op);
// Replaces path with content through <path>.tmp-<pid>, fsync, rename and an fsync of the folder,
// so that a reader sees the old file or the new one, never a mix or nothing, also across a
// power loss. On failure the temporary file is removed and the IOError names path.
void write_file_atomically(const std::filesystem::path& path, std::string_view content, const char* op);
// The same, gzip-compressed (zlib).
void write_gzip_bytes(const std::filesystem::path& path, const void* data, size_t n,
                      const char* op);

}  // namespace ember::data
