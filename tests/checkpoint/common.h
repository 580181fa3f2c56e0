#pragma once
// Scratch directories and whole-file reads/writes shared by the checkpoint tests.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <fmt/format.h>

namespace ember::testing {

namespace fs = std::filesystem;

// An empty directory path unique to this process (removed first if left over).
inline fs::path scratch(const std::string& name) {
  fs::path p = fs::temp_directory_path() / fmt::format("ember_ckpt_{}_{}", name, ::getpid());
  fs::remove_all(p);
  return p;
}

inline std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void spit(const fs::path& p, const std::string& s) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << s;
}

}  // namespace ember::testing
