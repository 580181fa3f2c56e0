#include "ember/data/file_util.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <fmt/format.h>

#include "ember/core/error.h"

namespace ember::data {
namespace fs = std::filesystem;

void check_regular_file(const fs::path& path, const char* op) {
  std::error_code ec;
  fs::file_status st = fs::status(path, ec);
  EMBER_CHECK(fs::exists(st), IOError, "{}: {}: no such file", op, path.string());
  EMBER_CHECK(!fs::is_directory(st), IOError, "{}: {}: is a directory, expected a file", op,
              path.string());
  EMBER_CHECK(fs::is_regular_file(st), IOError, "{}: {}: not a regular file", op, path.string());
}

uint64_t file_size_of(const fs::path& path, const char* op) {
  check_regular_file(path, op);
  std::error_code ec;
  uint64_t n = fs::file_size(path, ec);
  EMBER_CHECK(!ec, IOError, "{}: {}: cannot get the file size: {}", op, path.string(),
              ec.message());
  return n;
}

namespace {
struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;
}  // namespace

std::vector<uint8_t> read_file_bytes(const fs::path& path, const char* op, uint64_t max_bytes) {
  uint64_t n = file_size_of(path, op);
  EMBER_CHECK(n <= max_bytes, IOError, "{}: {}: file is {} bytes, more than the {} allowed", op,
              path.string(), n, max_bytes);
  FilePtr f(std::fopen(path.c_str(), "rb"));
  EMBER_CHECK(f != nullptr, IOError, "{}: {}: cannot open: {}", op, path.string(),
              std::strerror(errno));
  std::vector<uint8_t> bytes(n);
  size_t got = n ? std::fread(bytes.data(), 1, n, f.get()) : 0;
  EMBER_CHECK(got == n, IOError, "{}: {}: read {} of {} bytes", op, path.string(), got, n);
  return bytes;
}

void write_file_bytes(const fs::path& path, const void* data, size_t n, const char* op) {
  std::error_code ec;
  EMBER_CHECK(!fs::is_directory(path, ec), IOError, "{}: {}: is a directory, cannot write a file",
              op, path.string());
  FilePtr f(std::fopen(path.c_str(), "wb"));
  EMBER_CHECK(f != nullptr, IOError, "{}: {}: cannot create: {}", op, path.string(),
              std::strerror(errno));
  size_t put = n ? std::fwrite(data, 1, n, f.get()) : 0;
  EMBER_CHECK(put == n && std::fflush(f.get()) == 0, IOError, "{}: {}: write failed: {}", op,
              path.string(), std::strerror(errno));
}

void write_gzip_bytes(const fs::path& path, const void* data, size_t n, const char* op) {
  std::error_code ec;
  EMBER_CHECK(!fs::is_directory(path, ec), IOError, "{}: {}: is a directory, cannot write a file",
              op, path.string());
  gzFile f = gzopen(path.c_str(), "wb");
  EMBER_CHECK(f != nullptr, IOError, "{}: {}: cannot create: {}", op, path.string(),
              std::strerror(errno));
  const char* p = static_cast<const char*>(data);
  size_t done = 0;
  bool ok = true;
  while (ok && done < n) {
    unsigned chunk = static_cast<unsigned>(std::min<size_t>(n - done, 1u << 30));
    int put = gzwrite(f, p + done, chunk);
    ok = put > 0;
    done += ok ? static_cast<size_t>(put) : 0;
  }
  ok = (gzclose(f) == Z_OK) && ok;
  EMBER_CHECK(ok, IOError, "{}: {}: gzip write failed", op, path.string());
}

namespace {
// `shown` is the path the caller asked for (a temporary file's errors name it too).
[[noreturn]] void throw_errno(const char* op, const fs::path& shown, const std::string& what, int err) {
  EMBER_THROW(IOError, "{}: {}: {} failed: {}", op, shown.string(), what, std::strerror(err));
}

void write_synced(const fs::path& p, std::string_view content, const char* op, const fs::path& shown) {
  const std::string which = p == shown ? std::string() : fmt::format(" {}", p.string());
  const int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw_errno(op, shown, "creating" + which, errno);
  const char* data = content.data();
  size_t left = content.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, data, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = n < 0 ? errno : ENOSPC;
      ::close(fd);
      throw_errno(op, shown, "writing" + which, err);
    }
    data += n;
    left -= static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    const int err = errno;
    ::close(fd);
    throw_errno(op, shown, "fsync of" + which, err);
  }
  if (::close(fd) != 0) throw_errno(op, shown, "closing" + which, errno);
}
}  // namespace

void write_file_synced(const fs::path& path, std::string_view content, const char* op) {
  write_synced(path, content, op, path);
}

void fsync_path(const fs::path& path, bool directory, const char* op) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | (directory ? O_DIRECTORY : 0));
  if (fd < 0) throw_errno(op, path, "opening (for fsync)", errno);
  // Some file systems cannot fsync a directory (EINVAL); nothing more can be done there.
  if (::fsync(fd) != 0 && !(directory && errno == EINVAL)) {
    const int err = errno;
    ::close(fd);
    throw_errno(op, path, "fsync", err);
  }
  ::close(fd);
}

void write_file_atomically(const fs::path& path, std::string_view content, const char* op) {
  fs::path tmp = path;
  tmp += fmt::format(".tmp-{}", ::getpid());
  try {
    write_synced(tmp, content, op, path);
  } catch (...) {
    std::error_code ec;
    fs::remove(tmp, ec);
    throw;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    std::error_code ec;
    fs::remove(tmp, ec);
    throw_errno(op, path, "renaming " + tmp.string() + " into place", err);
  }
  fsync_path(path.parent_path().empty() ? fs::path(".") : path.parent_path(), true, op);
}

}  // namespace ember::data
