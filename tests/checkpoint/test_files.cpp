// Bad checkpoints (missing, truncated, corrupt, from another format version, with a broken
// `latest`) give an IOError that names the file and the problem; save_checkpoint keeps the
// newest K and replaces a checkpoint of the same step atomically.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>

#include <ember/ember.h>

#include "checkpoint/common.h"
#include "tools/train/checkpoint.h"
#include "tools/train/trainer.h"

namespace fs = std::filesystem;
using namespace ember;
using namespace ember::train;
using ember::testing::scratch;
using ember::testing::slurp;
using ember::testing::spit;

namespace {

void replace_once(std::string& s, const std::string& from, const std::string& to) {
  size_t at = s.find(from);
  ASSERT_NE(at, std::string::npos) << from;
  s.replace(at, from.size(), to);
}

// One real checkpoint (mid-epoch, with optimizer and schedule state), made once.
class CheckpointFiles : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    source_ = new fs::path(scratch("files_src"));
    Options o;
    o.model = "mlp";
    o.dataset = "synthetic";
    o.epochs = 2;
    o.batch_size = 128;
    o.stop_after_steps = 11;
    o.optimizer = "adam";
    o.quiet = true;
    o.out = source_->string();
    run(o);
  }
  static void TearDownTestSuite() {
    fs::remove_all(*source_);
    delete source_;
  }
  void SetUp() override {
    run_ = scratch("files_run");
    fs::copy(*source_, run_, fs::copy_options::recursive);
    ck_ = run_ / "checkpoints" / "step-00000011";
    ASSERT_TRUE(fs::exists(ck_ / "state.json"));
  }
  void TearDown() override { fs::remove_all(run_); }

  // load_checkpoint(where) throws IOError whose message holds every piece of `parts`.
  void expect_error(const fs::path& where, std::vector<std::string> parts) {
    try {
      load_checkpoint(where);
      ADD_FAILURE() << "loaded a bad checkpoint";
    } catch (const IOError& e) {
      for (const auto& p : parts) EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what();
    }
  }

  static fs::path* source_;
  fs::path run_, ck_;
};
fs::path* CheckpointFiles::source_ = nullptr;

}  // namespace

TEST_F(CheckpointFiles, GoodOneLoadsFromRunOrCheckpointDirectory) {
  Checkpoint a = load_checkpoint(run_), b = load_checkpoint(ck_);
  EXPECT_EQ(a.step, 11);
  EXPECT_EQ(a.position, (data::LoaderPosition{1, 3}));
  EXPECT_EQ(a.progress.batches, 3);
  EXPECT_EQ(a.metrics.size(), 1u);
  EXPECT_TRUE(a.has_schedule);
  EXPECT_EQ(a.optimizer.strings.at("type"), "adam");
  EXPECT_FALSE(a.optimizer.tensors.empty());
  EXPECT_EQ(b.step, a.step);
  EXPECT_EQ(b.default_rng, a.default_rng);
}

TEST_F(CheckpointFiles, MissingFiles) {
  for (const char* f : {"model.safetensors", "optimizer.safetensors", "state.json"}) {
    SCOPED_TRACE(f);
    const std::string keep = slurp(ck_ / f);
    fs::remove(ck_ / f);
    expect_error(run_, {"incomplete", (ck_ / f).string(), "missing"});
    spit(ck_ / f, keep);
  }
  fs::remove(run_ / "checkpoints" / "latest");
  expect_error(run_, {"no checkpoint in", "latest"});
  expect_error(run_ / "nowhere", {"does not exist"});
}

TEST_F(CheckpointFiles, BrokenLatestPointer) {
  spit(run_ / "checkpoints" / "latest", "step-00000099\n");
  expect_error(run_, {"latest", "step-00000099", "missing"});
  spit(run_ / "checkpoints" / "latest", "../../etc\n");
  expect_error(run_, {"latest", "expected a checkpoint name"});
}

TEST_F(CheckpointFiles, CorruptStateJson) {
  const fs::path f = ck_ / "state.json";
  const std::string good = slurp(f);
  spit(f, good.substr(0, good.size() / 2));
  expect_error(run_, {f.string(), "not valid JSON"});
  spit(f, "[1, 2]");
  expect_error(run_, {f.string(), "JSON object"});

  std::string s = good;
  replace_once(s, "\"version\": 1", "\"version\": 99");
  spit(f, s);
  expect_error(run_, {f.string(), "version 99"});

  s = good;
  replace_once(s, "\"step\": 11", "\"stepp\": 11");
  spit(f, s);
  expect_error(run_, {f.string(), "missing field 'step'"});

  s = good;
  replace_once(s, "\"step\": 11", "\"step\": 12");
  spit(f, s);
  expect_error(run_, {f.string(), "step 12 does not match", "step-00000011"});

  s = good;
  replace_once(s, "\"batch\": 3", "\"batch\": \"three\"");
  spit(f, s);
  expect_error(run_, {f.string(), "'batch' should be an integer"});

  s = good;
  replace_once(s, "\"state.0.exp_avg\"", "\"state.0.exp_avgg\"");
  spit(f, s);
  expect_error(run_, {"optimizer.safetensors", "exp_avg"});
}

TEST_F(CheckpointFiles, TruncatedOrCorruptTensors) {
  for (const char* name : {"model.safetensors", "optimizer.safetensors"}) {
    SCOPED_TRACE(name);
    const fs::path f = ck_ / name;
    const std::string good = slurp(f);
    spit(f, good.substr(0, good.size() - 100));
    expect_error(run_, {f.string(), "bytes", "state.json"});
    // Same size, broken header: the safetensors parser's error, naming the file.
    std::string bad = good;
    bad[10] = '\x01';
    bad[8] = '!';
    spit(f, bad);
    expect_error(run_, {f.string(), "cannot be read"});
    spit(f, good);
  }
  EXPECT_NO_THROW(load_checkpoint(run_));
}

TEST_F(CheckpointFiles, KeepAndSameStepReplacement) {
  Checkpoint c = load_checkpoint(run_);
  for (int64_t step : {12, 13, 14, 15}) {
    c.step = step;
    save_checkpoint(run_, c, 2);
  }
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(run_ / "checkpoints")) names.push_back(e.path().filename());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"latest", "step-00000014", "step-00000015"}));

  // Resumed from step 14 into the same directory: step 15 is written again (replacing the
  // old one in one rename) and later-numbered leftovers of the abandoned timeline go.
  c.step = 16;
  save_checkpoint(run_, c, 5);
  c.step = 15;
  c.position.batch = 7;
  c.progress.batches = 7;
  save_checkpoint(run_, c, 5);
  EXPECT_EQ(latest_checkpoint(run_).filename(), "step-00000015");
  EXPECT_EQ(load_checkpoint(run_).position.batch, 7);
  EXPECT_FALSE(fs::exists(run_ / "checkpoints" / "step-00000016"));
  EXPECT_TRUE(fs::exists(run_ / "checkpoints" / "step-00000014"));

  // Leftovers of a crashed writer are cleaned up by the next save.
  fs::create_directories(run_ / "checkpoints" / ".tmp-step-00000017-1");
  spit(run_ / "checkpoints" / ".tmp-step-00000017-1" / "model.safetensors", "partial");
  c.step = 17;
  save_checkpoint(run_, c, 5);
  EXPECT_FALSE(fs::exists(run_ / "checkpoints" / ".tmp-step-00000017-1"));
}

TEST_F(CheckpointFiles, UnwritableRunDirectoryIsAClearError) {
  Checkpoint c = load_checkpoint(run_);
  // checkpoints/ cannot be created: a file is in the way.
  const fs::path other = scratch("files_blocked");
  fs::create_directories(other);
  spit(other / "checkpoints", "not a directory");
  try {
    save_checkpoint(other, c, 3);
    ADD_FAILURE() << "wrote under a file";
  } catch (const IOError& e) {
    EXPECT_NE(std::string(e.what()).find((other / "checkpoints").string()), std::string::npos) << e.what();
  }
  fs::remove_all(other);
  if (::geteuid() == 0) return;  // root ignores directory permissions
  fs::permissions(run_ / "checkpoints", fs::perms::owner_read | fs::perms::owner_exec);
  c.step = 12;
  try {
    save_checkpoint(run_, c, 3);
    ADD_FAILURE() << "wrote into a read-only directory";
  } catch (const IOError& e) {
    EXPECT_NE(std::string(e.what()).find("step-00000012"), std::string::npos) << e.what();
  }
  fs::permissions(run_ / "checkpoints", fs::perms::owner_all);
  EXPECT_EQ(load_checkpoint(run_).step, 11);
}
