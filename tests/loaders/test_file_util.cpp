// data::write_file_atomically: a reader sees the old file or the new one; failures name the
// file and leave no temporary file behind.
#include "loaders/common.h"

#include <algorithm>

#include <ember/data/file_util.h>

using namespace ember;
using namespace ember::data;
using namespace ember::testing_data;

namespace {
std::vector<std::string> listing(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}
}  // namespace

TEST(FileUtil, WriteFileAtomicallyReplacesWhole) {
  TempDir dir;
  const fs::path p = dir / "state.json";
  write_file_atomically(p, std::string(100000, 'a'), "test");
  write_file_atomically(p, "short\n", "test");
  const std::vector<uint8_t> back = read_bytes(p);
  EXPECT_EQ(std::string(back.begin(), back.end()), "short\n");
  EXPECT_EQ(listing(dir.path()), std::vector<std::string>{"state.json"});
}

TEST(FileUtil, WriteFileAtomicallyFailuresNameTheFileAndLeaveNothing) {
  TempDir dir;
  EXPECT_DATA_ERROR(IOError, write_file_atomically(dir / "missing" / "f.json", "x", "test"), "test: ",
                    (dir / "missing" / "f.json").string(), "creating");
  // A directory in the way: the temporary file is written, the rename fails, the file goes.
  fs::create_directories(dir / "f.json" / "inside");
  EXPECT_DATA_ERROR(IOError, write_file_atomically(dir / "f.json", "x", "test"), (dir / "f.json").string(),
                    "into place");
  EXPECT_EQ(listing(dir.path()), std::vector<std::string>{"f.json"});
  EXPECT_TRUE(fs::is_directory(dir / "f.json" / "inside"));
}
