// Checkpoints survive crashes: a writer SIGKILLed at random moments never leaves `latest`
// naming an incomplete checkpoint, and a full disk (a file-size limit) while writing gives a
// clear error and leaves the previous checkpoint as it was.
//
// The writers are separate processes: this test executable run again (fork + exec, so that
// no OpenMP or loader threads are inherited half-way) on CheckpointChild.DISABLED_Worker,
// which does its work only when EMBER_CKPT_CHILD says so.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>

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

Options small_run(const fs::path& dir) {
  Options o;
  o.model = "mlp";
  o.dataset = "synthetic";
  o.batch_size = 128;  // 8 steps per epoch
  o.threads = 1;
  o.workers = 0;
  o.quiet = true;
  o.out = dir.string();
  return o;
}

// Starts this executable on the worker test. fsize_limit > 0: with RLIMIT_FSIZE set to it and
// SIGXFSZ ignored, so that writes past it fail with EFBIG as on a full disk.
pid_t spawn_worker(const std::string& mode, const fs::path& dir, const fs::path& log, rlim_t fsize_limit = 0) {
  // Everything the child needs is prepared before fork: after it, only async-signal-safe calls.
  std::string exe = fs::read_symlink("/proc/self/exe").string();
  std::string filter = "--gtest_filter=CheckpointChild.DISABLED_Worker";
  std::string also = "--gtest_also_run_disabled_tests";
  std::string env = "EMBER_CKPT_CHILD=" + mode + ":" + dir.string();
  char* argv[] = {exe.data(), filter.data(), also.data(), nullptr};
  std::vector<char*> envp;
  for (char** e = environ; *e; ++e)
    if (std::strncmp(*e, "EMBER_CKPT_CHILD=", 17) != 0) envp.push_back(*e);
  envp.push_back(env.data());
  envp.push_back(nullptr);
  std::string log_path = log.string();
  pid_t pid = ::fork();
  if (pid == 0) {
    int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    if (fsize_limit > 0) {
      struct rlimit rl = {fsize_limit, fsize_limit};
      ::setrlimit(RLIMIT_FSIZE, &rl);
      ::signal(SIGXFSZ, SIG_IGN);  // kept across exec
    }
    ::execve(argv[0], argv, envp.data());
    ::_exit(127);
  }
  return pid;
}

std::string latest_name(const fs::path& dir) {
  std::error_code ec;
  if (!fs::exists(dir / "checkpoints" / "latest", ec)) return {};
  return slurp(dir / "checkpoints" / "latest");
}

}  // namespace

// Not a test by itself: the process the tests below start and kill.
TEST(CheckpointChild, DISABLED_Worker) {
  const char* spec = std::getenv("EMBER_CKPT_CHILD");
  if (!spec) GTEST_SKIP() << "only run by the crash tests";
  std::string s = spec;
  const std::string mode = s.substr(0, s.find(':'));
  const fs::path dir = s.substr(s.find(':') + 1);
  Options o = small_run(dir);
  if (mode == "loop") {
    // Writes a checkpoint after every step until killed, resuming what the previous
    // (killed) worker left, as a restarted job would.
    o.epochs = 100000;
    o.checkpoint_every = 1;
    o.keep = 3;
    if (!latest_name(dir).empty()) o.resume = dir.string();
    run(o);
    FAIL() << "the loop worker should have been killed";
  } else if (mode == "fsize") {
    o.epochs = 3;
    o.checkpoint_every = 1;
    o.resume = dir.string();
    try {
      run(o);
      FAIL() << "writing a checkpoint past the file-size limit succeeded";
    } catch (const IOError& e) {
      const std::string m = e.what();
      std::printf("CHILD-ERROR: %s\n", m.c_str());
      EXPECT_NE(m.find("writing checkpoint"), std::string::npos) << m;
      EXPECT_NE(m.find("step-00000009"), std::string::npos) << m;
      EXPECT_NE(m.find("File too large"), std::string::npos) << m;
    }
  } else {
    FAIL() << "unknown worker mode " << mode;
  }
}

TEST(CheckpointCrash, KilledWriterNeverLeavesAnIncompleteLatest) {
  constexpr int kKills = 60;
  const fs::path dir = scratch("kill");
  const fs::path log = scratch("kill_log");
  fs::create_directories(dir);
  std::mt19937 rng(20261125);
  // Delays after the worker's first new checkpoint: some tiny (the kill lands in the pruning
  // and the next write), some longer (anywhere in the write/train loop).
  std::uniform_int_distribution<int> short_us(0, 3000), long_us(0, 150000);
  int64_t prev_step = -1;
  int kills = 0, complete_dirs_checked = 0, mid_write = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < kKills; ++i) {
    SCOPED_TRACE(fmt::format("kill {}", i));
    const std::string before = latest_name(dir);
    pid_t pid = spawn_worker("loop", dir, log);
    ASSERT_GT(pid, 0);
    // Wait for this worker's first checkpoint, then kill it at a random moment after.
    bool progressed = false;
    for (int t = 0; t < 4000 && !progressed; ++t) {
      int status;
      ASSERT_EQ(::waitpid(pid, &status, WNOHANG), 0) << "worker exited early; its output:\n" << slurp(log);
      progressed = latest_name(dir) != before;
      if (!progressed) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ASSERT_TRUE(progressed) << "no checkpoint within 20 s; worker output:\n" << slurp(log);
    std::this_thread::sleep_for(std::chrono::microseconds(i % 2 ? short_us(rng) : long_us(rng)));
    ASSERT_EQ(::kill(pid, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status)) << "worker output:\n" << slurp(log);
    ++kills;

    // The latest checkpoint loads completely, and time only moves forward.
    Checkpoint c;
    ASSERT_NO_THROW(c = load_checkpoint(dir)) << "after kill " << i;
    EXPECT_GT(c.step, prev_step);
    prev_step = c.step;
    // No step-* directory is ever partial (they appear by rename and go by rename).
    bool leftovers = false;
    for (const auto& e : fs::directory_iterator(dir / "checkpoints")) {
      const std::string name = e.path().filename().string();
      leftovers |= name.rfind(".tmp-", 0) == 0 || name.rfind(".trash-", 0) == 0 || name.rfind("latest.tmp", 0) == 0;
      if (name.rfind("step-", 0) != 0) continue;
      EXPECT_NO_THROW(load_checkpoint(e.path())) << name;
      ++complete_dirs_checked;
    }
    mid_write += leftovers;
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("[          ] %d kills in %.1f s (%d left a partial write behind), latest at step %lld, "
              "%d checkpoint directories checked\n",
              kills, secs, mid_write, static_cast<long long>(prev_step), complete_dirs_checked);
  // A run continued after the kills trains on from the latest checkpoint.
  Options o = small_run(dir);
  o.checkpoint_every = 1;
  o.keep = 3;
  o.resume = dir.string();
  o.epochs = 100000;
  o.stop_after_steps = prev_step + 1;
  RunResult r = run(o);
  EXPECT_EQ(r.steps, prev_step + 1);
  fs::remove_all(dir);
  fs::remove_all(log);
}

TEST(CheckpointCrash, FileSizeLimitGivesAClearErrorAndKeepsThePreviousCheckpoint) {
  const fs::path dir = scratch("fsize");
  Options o = small_run(dir);
  o.epochs = 3;
  o.stop_after_steps = 8;
  run(o);  // checkpoint at step 8 (end of epoch 1)
  const fs::path good = latest_checkpoint(dir);
  ASSERT_EQ(good.filename(), "step-00000008");
  const std::string state = slurp(good / "state.json"), model = slurp(good / "model.safetensors"),
                    optimizer = slurp(good / "optimizer.safetensors"), latest = latest_name(dir);

  std::vector<rlim_t> limits = {16384};  // fails on model.safetensors
  if (optimizer.size() > model.size() + 16) limits.push_back(model.size() + 8);  // model fits, optimizer not
  for (rlim_t limit : limits) {
    SCOPED_TRACE(fmt::format("RLIMIT_FSIZE {}", limit));
    const fs::path log = scratch("fsize_log");
    pid_t pid = spawn_worker("fsize", dir, log, limit);
    ASSERT_GT(pid, 0);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    const std::string out = slurp(log);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << out;
    EXPECT_NE(out.find("CHILD-ERROR: ember-train: writing checkpoint"), std::string::npos) << out;
    // The previous checkpoint is untouched and still the latest; nothing partial is left.
    EXPECT_EQ(latest_name(dir), latest);
    EXPECT_EQ(slurp(good / "state.json"), state);
    EXPECT_EQ(slurp(good / "model.safetensors"), model);
    EXPECT_EQ(slurp(good / "optimizer.safetensors"), optimizer);
    EXPECT_NO_THROW(load_checkpoint(dir));
    for (const auto& e : fs::directory_iterator(dir / "checkpoints")) {
      const std::string name = e.path().filename().string();
      EXPECT_TRUE(name == "latest" || name == "step-00000008") << "left behind: " << name;
    }
    fs::remove_all(log);
  }
  fs::remove_all(dir);
}
