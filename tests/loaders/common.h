#pragma once
// Helpers for the data-loader tests: a scratch directory and error-message checks.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <ember/data/data.h>
#include <ember/ember.h>

namespace ember::testing_data {

namespace fs = std::filesystem;

// A fresh directory under the system temp dir, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = fs::temp_directory_path() /
            ("ember_loaders_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }
  fs::path operator/(const std::string& name) const { return path_ / name; }

 private:
  fs::path path_;
};

inline void write_bytes(const fs::path& p, const std::vector<uint8_t>& bytes) {
  std::ofstream f(p, std::ios::binary);
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}
inline void write_text(const fs::path& p, const std::string& text) {
  std::ofstream f(p, std::ios::binary);
  f << text;
}
inline std::vector<uint8_t> read_bytes(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), {});
}

template <class E, class F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("WRONG TYPE: ") + e.what();
  }
  return "NO THROW";
}

}  // namespace ember::testing_data

// EXPECT_DATA_ERROR(IOError, expr, "part of the message", ...)
#define EXPECT_DATA_ERROR(E, expr, ...)                                                     \
  do {                                                                                      \
    std::string m_ = ::ember::testing_data::message_of<::ember::E>([&] { (void)(expr); });  \
    EXPECT_EQ(m_.rfind("WRONG TYPE", 0), std::string::npos) << m_;                          \
    EXPECT_NE(m_, "NO THROW");                                                              \
    for (const std::string& part : std::vector<std::string>{__VA_ARGS__})                   \
      EXPECT_NE(m_.find(part), std::string::npos) << "missing '" << part << "' in: " << m_; \
  } while (0)
