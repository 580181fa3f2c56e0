#pragma once
// Shared by the fuzz targets. The readers take a path, so each input is written to an
// anonymous in-memory file (memfd) and handed over as /proc/self/fd/N: no disk traffic
// and nothing left behind when the fuzzer is killed.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "ember/core/error.h"

namespace ember_fuzz {

class MemFile {
 public:
  explicit MemFile(const char* name) {
    fd_ = memfd_create(name, 0);
    if (fd_ < 0) {
      std::perror("memfd_create");
      std::abort();
    }
    path_ = "/proc/self/fd/" + std::to_string(fd_);
  }
  ~MemFile() { close(fd_); }
  // Replaces the file's contents with data[0, size).
  const std::string& write(const uint8_t* data, size_t size) {
    if (ftruncate(fd_, 0) != 0 || pwrite(fd_, data, size, 0) != static_cast<ssize_t>(size)) {
      std::perror("memfd write");
      std::abort();
    }
    return path_;
  }

 private:
  int fd_ = -1;
  std::string path_;
};

// Runs f; an ember::Error is the expected outcome for a bad input. Anything else that
// escapes (std::bad_alloc, std::out_of_range, ...) propagates and libFuzzer reports it
// as a crash: the readers promise to throw ember::Error and nothing else.
template <class F>
void expect_ember_error_only(F&& f) {
  try {
    f();
  } catch (const ember::Error&) {
  }
}

}  // namespace ember_fuzz
