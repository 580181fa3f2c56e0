#include "tools/train/checkpoint.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include <ember/core/error.h>
#include <ember/data/file_util.h>
#include <ember/core/safetensors.h>

namespace ember::train {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

constexpr const char* kFormat = "ember-train-checkpoint";
constexpr const char* kModelFile = "model.safetensors";
constexpr const char* kOptimizerFile = "optimizer.safetensors";
constexpr const char* kStateFile = "state.json";
constexpr const char* kLatest = "latest";

// ---- durable file operations (POSIX: std::filesystem cannot fsync) ----

[[noreturn]] void throw_errno(const char* what, const fs::path& p, int err) {
  EMBER_THROW(IOError, "ember-train: {} {} failed: {}", what, p.string(), std::strerror(err));
}

void fsync_path(const fs::path& p, bool directory) { data::fsync_path(p, directory, "ember-train"); }
void write_file_synced(const fs::path& p, const std::string& content) {
  data::write_file_synced(p, content, "ember-train");
}
void atomic_write(const fs::path& p, const std::string& content) { data::write_file_atomically(p, content, "ember-train"); }

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  EMBER_CHECK(in.good(), IOError, "ember-train: cannot read {}", p.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  EMBER_CHECK(!in.bad(), IOError, "ember-train: reading {} failed", p.string());
  return ss.str();
}

bool parse_step_name(const std::string& name, int64_t* step) {
  if (name.size() <= 5 || name.compare(0, 5, "step-") != 0 || name.size() > 5 + 18) return false;
  int64_t v = 0;
  for (size_t i = 5; i < name.size(); ++i) {
    if (name[i] < '0' || name[i] > '9') return false;
    v = v * 10 + (name[i] - '0');
  }
  if (step) *step = v;
  return true;
}

// ---- JSON values ----

json dbl(double v) {
  if (std::isfinite(v)) return v;  // nlohmann writes doubles so that they parse back exactly
  return std::isnan(v) ? "nan" : (v > 0 ? "inf" : "-inf");
}

// Reads fields of state.json with errors that name the file and the field.
struct Reader {
  std::string file;

  [[noreturn]] void bad(const std::string& what) const {
    EMBER_THROW(IOError, "ember-train: checkpoint file {}: {}", file, what);
  }
  const json& at(const json& obj, const std::string& key) const {
    if (!obj.is_object()) bad(fmt::format("expected an object holding '{}'", key));
    auto it = obj.find(key);
    if (it == obj.end()) bad(fmt::format("missing field '{}'", key));
    return *it;
  }
  const json& object(const json& obj, const std::string& key) const {
    const json& v = at(obj, key);
    if (!v.is_object()) bad(fmt::format("field '{}' should be an object", key));
    return v;
  }
  int64_t integer(const json& obj, const std::string& key) const {
    const json& v = at(obj, key);
    if (!v.is_number_integer()) bad(fmt::format("field '{}' should be an integer, got {}", key, v.dump()));
    if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))
      bad(fmt::format("field '{}' is out of range: {}", key, v.dump()));
    return v.get<int64_t>();
  }
  int64_t nonneg(const json& obj, const std::string& key) const {
    int64_t v = integer(obj, key);
    if (v < 0) bad(fmt::format("field '{}' should not be negative, got {}", key, v));
    return v;
  }
  uint64_t u64(const json& obj, const std::string& key) const {
    const json& v = at(obj, key);
    if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<int64_t>() >= 0))
      bad(fmt::format("field '{}' should be an unsigned integer, got {}", key, v.dump()));
    return v.get<uint64_t>();
  }
  double number_value(const json& v, const std::string& key) const {
    if (v.is_number()) return v.get<double>();
    if (v.is_string()) {
      const auto& s = v.get_ref<const std::string&>();
      if (s == "nan") return std::nan("");
      if (s == "inf") return INFINITY;
      if (s == "-inf") return -INFINITY;
    }
    bad(fmt::format("field '{}' should be a number, got {}", key, v.dump()));
  }
  double number(const json& obj, const char* key) const { return number_value(at(obj, key), key); }
  bool boolean(const json& obj, const std::string& key) const {
    const json& v = at(obj, key);
    if (!v.is_boolean()) bad(fmt::format("field '{}' should be true or false, got {}", key, v.dump()));
    return v.get<bool>();
  }
  std::string string(const json& obj, const std::string& key) const {
    const json& v = at(obj, key);
    if (!v.is_string()) bad(fmt::format("field '{}' should be a string, got {}", key, v.dump()));
    return v.get<std::string>();
  }
};

double effective_lr(const Options& o) { return o.lr.value_or(o.optimizer == "sgd" ? 0.1 : 1e-3); }

json options_json(const Options& o) {
  return json{{"model", o.model},
              {"dataset", o.dataset},
              {"data_dir", o.data_dir},
              {"epochs", o.epochs},
              {"batch_size", o.batch_size},
              {"lr", dbl(effective_lr(o))},
              {"momentum", dbl(o.momentum)},
              {"optimizer", o.optimizer},
              {"schedule", o.schedule},
              {"warmup", dbl(o.warmup_epochs)},
              {"weight_decay", dbl(o.weight_decay)},
              {"decay_norm_and_bias", o.decay_norm_and_bias},
              {"label_smoothing", dbl(o.label_smoothing)},
              {"augment", o.augment},
              {"device", o.device},
              {"threads", o.threads},
              {"workers", o.workers},
              {"seed", o.seed},
              {"train_subset", o.train_subset},
              {"test_subset", o.test_subset},
              {"checkpoint_every", o.checkpoint_every},
              {"keep", o.keep},
              {"tensorboard", o.tensorboard},
              {"tensorboard_off", o.tensorboard_off},
              {"log_every", o.log_every},
              {"histograms", o.histograms}};
}

Options options_from_json(const Reader& r, const json& j) {
  Options o;
  o.model = r.string(j, "model");
  o.dataset = r.string(j, "dataset");
  o.data_dir = r.string(j, "data_dir");
  o.epochs = r.integer(j, "epochs");
  o.batch_size = r.integer(j, "batch_size");
  o.lr = r.number(j, "lr");
  o.momentum = r.number(j, "momentum");
  o.optimizer = r.string(j, "optimizer");
  o.schedule = r.string(j, "schedule");
  o.warmup_epochs = r.number(j, "warmup");
  o.weight_decay = r.number(j, "weight_decay");
  o.decay_norm_and_bias = r.boolean(j, "decay_norm_and_bias");
  o.label_smoothing = r.number(j, "label_smoothing");
  o.augment = r.string(j, "augment");
  o.device = r.string(j, "device");
  o.threads = static_cast<int>(r.integer(j, "threads"));
  o.workers = static_cast<int>(r.integer(j, "workers"));
  o.seed = r.u64(j, "seed");
  o.train_subset = r.integer(j, "train_subset");
  o.test_subset = r.integer(j, "test_subset");
  o.checkpoint_every = r.integer(j, "checkpoint_every");
  o.keep = static_cast<int>(r.integer(j, "keep"));
  // Logging options came after version 1's first checkpoints: absent means the defaults.
  if (j.contains("tensorboard")) o.tensorboard = r.string(j, "tensorboard");
  if (j.contains("tensorboard_off")) o.tensorboard_off = r.boolean(j, "tensorboard_off");
  if (j.contains("log_every")) o.log_every = r.integer(j, "log_every");
  if (j.contains("histograms")) o.histograms = r.boolean(j, "histograms");
  return o;
}

json scalars_json(const std::map<std::string, double>& m) {
  json j = json::object();
  for (const auto& [k, v] : m) j[k] = dbl(v);
  return j;
}

std::map<std::string, double> scalars_from(const Reader& r, const json& j, const std::string& where) {
  if (!j.is_object()) r.bad(fmt::format("field '{}' should be an object", where));
  std::map<std::string, double> m;
  for (auto it = j.begin(); it != j.end(); ++it) m[it.key()] = r.number_value(it.value(), where + "." + it.key());
  return m;
}

json strings_json(const std::map<std::string, std::string>& m) {
  json j = json::object();
  for (const auto& [k, v] : m) j[k] = v;
  return j;
}

std::map<std::string, std::string> strings_from(const Reader& r, const json& j, const std::string& where) {
  if (!j.is_object()) r.bad(fmt::format("field '{}' should be an object", where));
  std::map<std::string, std::string> m;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (!it.value().is_string()) r.bad(fmt::format("field '{}.{}' should be a string", where, it.key()));
    m[it.key()] = it.value().get<std::string>();
  }
  return m;
}

json state_json(const Checkpoint& c, const std::map<std::string, uintmax_t>& sizes) {
  json j;
  j["format"] = kFormat;
  j["version"] = kCheckpointVersion;
  j["step"] = c.step;
  j["epoch"] = c.position.epoch;
  j["batch"] = c.position.batch;
  j["rng"] = {{"default", {{"seed", c.default_rng.seed}, {"offset", c.default_rng.offset}}},
              {"init", {{"seed", c.init_rng.seed}, {"offset", c.init_rng.offset}}}};
  j["options"] = options_json(c.options);
  json tensor_names = json::array();
  for (const auto& [k, t] : c.optimizer.tensors) tensor_names.push_back(k);
  j["optimizer"] = {{"scalars", scalars_json(c.optimizer.scalars)},
                    {"strings", strings_json(c.optimizer.strings)},
                    {"tensors", tensor_names}};
  if (c.has_schedule) {
    EMBER_CHECK(c.schedule.tensors.empty(), ValueError, "ember-train: checkpoint: schedule state with tensors");
    j["schedule"] = {{"scalars", scalars_json(c.schedule.scalars)}, {"strings", strings_json(c.schedule.strings)}};
  } else {
    j["schedule"] = nullptr;
  }
  json rows = json::array();
  for (const EpochMetrics& m : c.metrics)
    rows.push_back({{"epoch", m.epoch},
                    {"train_loss", dbl(m.train_loss)},
                    {"train_acc", dbl(m.train_acc)},
                    {"test_loss", dbl(m.test_loss)},
                    {"test_acc", dbl(m.test_acc)},
                    {"lr", dbl(m.lr)},
                    {"seconds", dbl(m.seconds)},
                    {"images_per_s", dbl(m.images_per_s)}});
  j["metrics"] = rows;
  const EpochProgress& p = c.progress;
  j["epoch_progress"] = {{"batches", p.batches}, {"seen", p.seen},          {"correct", p.correct},
                         {"loss_sum", dbl(p.loss_sum)}, {"seconds", dbl(p.seconds)}, {"lr", dbl(p.lr)}};
  json files = json::object();
  for (const auto& [name, bytes] : sizes) files[name] = {{"bytes", bytes}};
  j["files"] = files;
  return j;
}

// Leftovers of a writer that crashed: partial directories and files that no reader looks at.
void remove_leftovers(const fs::path& dir) {
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.rfind(".tmp-", 0) == 0 || name.rfind(".trash-", 0) == 0 || name.rfind("latest.tmp-", 0) == 0) {
      std::error_code ec2;
      fs::remove_all(it->path(), ec2);
    }
  }
}

std::string read_latest_name(const fs::path& dir) {
  std::error_code ec;
  if (!fs::exists(dir / kLatest, ec)) return {};
  std::string s = read_file(dir / kLatest);
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

// Keeps `latest` and the keep - 1 newest checkpoints before it. Directories numbered after
// `latest` belong to a timeline the run was resumed away from (an older checkpoint was
// resumed into the same directory) and go too. Failures only warn: the new checkpoint is
// complete and named by `latest` already.
void prune(const fs::path& dir, int keep, int64_t latest_step) {
  std::vector<int64_t> older;
  std::error_code ec;
  std::vector<std::pair<int64_t, fs::path>> all;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    int64_t s;
    if (it->is_directory() && parse_step_name(it->path().filename().string(), &s)) all.emplace_back(s, it->path());
  }
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  int kept = 1;  // latest itself
  for (const auto& [s, p] : all) {
    if (s == latest_step) continue;
    if (s < latest_step && kept < keep) {
      ++kept;
      continue;
    }
    // Renamed first so that a step-* directory is never seen half deleted.
    fs::path trash = dir / fmt::format(".trash-{}-{}", p.filename().string(), ::getpid());
    std::error_code ec2;
    fs::rename(p, trash, ec2);
    if (!ec2) fs::remove_all(trash, ec2);
    if (ec2) std::fprintf(stderr, "ember-train: warning: could not remove old checkpoint %s: %s\n", p.c_str(),
                          ec2.message().c_str());
  }
}

// Moves the finished temporary directory to `final_dir`, replacing an existing one atomically
// (renameat2 RENAME_EXCHANGE) so that `latest` never names a missing directory.
void move_into_place(const fs::path& tmp, const fs::path& final_dir) {
  if (::rename(tmp.c_str(), final_dir.c_str()) == 0) return;
  int err = errno;
  if (err != ENOTEMPTY && err != EEXIST) throw_errno("renaming into place", final_dir, err);
  if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, final_dir.c_str(), RENAME_EXCHANGE) == 0) {
    std::error_code ec;
    fs::remove_all(tmp, ec);  // now the old contents
    return;
  }
  // No RENAME_EXCHANGE on this file system: move the old one aside first.
  fs::path aside = final_dir.parent_path() / fmt::format(".trash-{}-{}", final_dir.filename().string(), ::getpid());
  if (::rename(final_dir.c_str(), aside.c_str()) != 0) throw_errno("moving aside", final_dir, errno);
  if (::rename(tmp.c_str(), final_dir.c_str()) != 0) throw_errno("renaming into place", final_dir, errno);
  std::error_code ec;
  fs::remove_all(aside, ec);
}

bool same_json(const json& a, const json& b) { return a == b; }

}  // namespace

std::string checkpoint_name(int64_t step) { return fmt::format("step-{:08}", step); }

fs::path save_checkpoint(const fs::path& run_dir, const Checkpoint& c, int keep) {
  EMBER_CHECK(keep >= 1, ValueError, "ember-train: --keep must be at least 1, got {}", keep);
  EMBER_CHECK(c.step >= 0, ValueError, "ember-train: checkpoint step {} is negative", c.step);
  const fs::path dir = run_dir / "checkpoints";
  const std::string name = checkpoint_name(c.step);
  const fs::path final_dir = dir / name;
  const fs::path tmp = dir / fmt::format(".tmp-{}-{}", name, ::getpid());
  std::error_code ec;
  fs::create_directories(dir, ec);
  EMBER_CHECK(!ec, IOError, "ember-train: cannot create {}: {}", dir.string(), ec.message());
  remove_leftovers(dir);
  try {
    fs::create_directory(tmp, ec);
    EMBER_CHECK(!ec, IOError, "ember-train: cannot create {}: {}", tmp.string(), ec.message());
    save_safetensors(tmp / kModelFile, c.model);
    std::vector<std::pair<std::string, Tensor>> opt_tensors(c.optimizer.tensors.begin(), c.optimizer.tensors.end());
    save_safetensors(tmp / kOptimizerFile, opt_tensors);
    std::map<std::string, uintmax_t> sizes;
    for (const char* f : {kModelFile, kOptimizerFile}) {
      fsync_path(tmp / f, false);
      sizes[f] = fs::file_size(tmp / f);
    }
    write_file_synced(tmp / kStateFile, state_json(c, sizes).dump(1) + "\n");
    fsync_path(tmp, true);
    move_into_place(tmp, final_dir);
    fsync_path(dir, true);
  } catch (const std::exception& e) {
    fs::remove_all(tmp, ec);
    EMBER_THROW(IOError, "ember-train: writing checkpoint {} failed (the previous checkpoints are intact): {}",
                final_dir.string(), e.what());
  }
  try {
    atomic_write(dir / kLatest, name + "\n");
  } catch (const std::exception& e) {
    EMBER_THROW(IOError, "ember-train: checkpoint {} is complete but updating {} failed: {}", final_dir.string(),
                (dir / kLatest).string(), e.what());
  }
  prune(dir, keep, c.step);
  return final_dir;
}

fs::path latest_checkpoint(const fs::path& run_dir) {
  const fs::path dir = run_dir / "checkpoints";
  std::error_code ec;
  EMBER_CHECK(fs::is_directory(run_dir, ec), IOError, "ember-train: {} does not exist or is not a directory",
              run_dir.string());
  EMBER_CHECK(fs::exists(dir / kLatest, ec), IOError,
              "ember-train: no checkpoint in {}: {} is missing (was the run started with this --out?)",
              run_dir.string(), (dir / kLatest).string());
  const std::string name = read_latest_name(dir);
  EMBER_CHECK(parse_step_name(name, nullptr), IOError,
              "ember-train: checkpoint file {}: expected a checkpoint name such as step-00000123, got '{}'",
              (dir / kLatest).string(), name.substr(0, 64));
  EMBER_CHECK(fs::is_directory(dir / name, ec), IOError, "ember-train: checkpoint file {} names {}, which is missing",
              (dir / kLatest).string(), (dir / name).string());
  return dir / name;
}

namespace {

// The checkpoint directory that `where` names (a checkpoint itself, or a run directory whose
// latest checkpoint is meant), once its three files are found in it.
fs::path resolve_checkpoint_dir(const fs::path& where) {
  std::error_code ec;
  EMBER_CHECK(fs::exists(where, ec), IOError, "ember-train: checkpoint {} does not exist", where.string());
  const bool is_checkpoint =
      fs::exists(where / kStateFile, ec) || parse_step_name(where.filename().string(), nullptr);
  const fs::path dir = is_checkpoint ? where : latest_checkpoint(where);
  for (const char* f : {kStateFile, kModelFile, kOptimizerFile})
    EMBER_CHECK(fs::is_regular_file(dir / f, ec), IOError, "ember-train: checkpoint {} is incomplete: {} is missing",
                dir.string(), (dir / f).string());
  return dir;
}

// state.json, once it is known to be a checkpoint of the format version this build reads.
json read_state_json(const Reader& r, const fs::path& dir) {
  json j;
  try {
    j = json::parse(read_file(dir / kStateFile));
  } catch (const json::exception& e) {
    r.bad(fmt::format("not valid JSON ({})", e.what()));
  }
  if (!j.is_object()) r.bad("expected a JSON object");
  if (r.string(j, "format") != kFormat) r.bad(fmt::format("format is not '{}'", kFormat));
  const int64_t version = r.integer(j, "version");
  if (version != kCheckpointVersion)
    r.bad(fmt::format("format version {}, but this ember-train reads version {}", version, kCheckpointVersion));
  return j;
}

// Where the run stood: the step, the position in the epoch and both generators. A step-*
// directory must be the one of its step, so that a checkpoint copied under another name is caught.
void read_position(const Reader& r, const json& j, const fs::path& dir, Checkpoint& c) {
  c.step = r.nonneg(j, "step");
  c.position.epoch = r.nonneg(j, "epoch");
  c.position.batch = r.nonneg(j, "batch");
  int64_t dir_step;
  if (parse_step_name(dir.filename().string(), &dir_step) && dir_step != c.step)
    r.bad(fmt::format("step {} does not match the directory name {}", c.step, dir.filename().string()));
  const json& rng = r.object(j, "rng");
  const json& rd = r.object(rng, "default");
  const json& ri = r.object(rng, "init");
  c.default_rng = {r.u64(rd, "seed"), r.u64(rd, "offset")};
  c.init_rng = {r.u64(ri, "seed"), r.u64(ri, "offset")};
}

// The optimizer's numbers and strings. Returns the names its tensors are listed under, which
// optimizer.safetensors must then hold exactly.
std::set<std::string> read_optimizer_state(const Reader& r, const json& j, Checkpoint& c) {
  const json& oj = r.object(j, "optimizer");
  c.optimizer.scalars = scalars_from(r, r.at(oj, "scalars"), "optimizer.scalars");
  c.optimizer.strings = strings_from(r, r.at(oj, "strings"), "optimizer.strings");
  const json& names = r.at(oj, "tensors");
  if (!names.is_array()) r.bad("field 'optimizer.tensors' should be an array of names");
  std::set<std::string> expected;
  for (const json& n : names) {
    if (!n.is_string()) r.bad("field 'optimizer.tensors' should hold strings");
    expected.insert(n.get<std::string>());
  }
  return expected;
}

// The schedule's state; null for a run without a schedule.
void read_schedule(const Reader& r, const json& j, Checkpoint& c) {
  const json& sj = r.at(j, "schedule");
  if (sj.is_null()) return;
  if (!sj.is_object()) r.bad("field 'schedule' should be null or an object");
  c.has_schedule = true;
  c.schedule.scalars = scalars_from(r, r.at(sj, "scalars"), "schedule.scalars");
  c.schedule.strings = strings_from(r, r.at(sj, "strings"), "schedule.strings");
}

// One row of metrics per finished epoch, no more and no fewer.
void read_metrics(const Reader& r, const json& j, Checkpoint& c) {
  const json& rows = r.at(j, "metrics");
  if (!rows.is_array()) r.bad("field 'metrics' should be an array");
  for (const json& m : rows)
    c.metrics.push_back({r.integer(m, "epoch"), r.number(m, "train_loss"), r.number(m, "train_acc"),
                         r.number(m, "test_loss"), r.number(m, "test_acc"), r.number(m, "lr"),
                         r.number(m, "seconds"), r.number(m, "images_per_s")});
  if (static_cast<int64_t>(c.metrics.size()) != c.position.epoch)
    r.bad(fmt::format("{} rows of metrics for {} finished epochs", c.metrics.size(), c.position.epoch));
}

// The running totals of the epoch in progress, which must cover the batches before the
// saved position (and are unused at an epoch's start).
void read_progress(const Reader& r, const json& j, Checkpoint& c) {
  const json& pj = r.object(j, "epoch_progress");
  c.progress = {r.nonneg(pj, "batches"), r.nonneg(pj, "seen"),    r.nonneg(pj, "correct"),
                r.number(pj, "loss_sum"), r.number(pj, "seconds"), r.number(pj, "lr")};
  if (c.position.batch > 0 && c.progress.batches != c.position.batch)
    r.bad(fmt::format("epoch_progress.batches {} does not match batch {}", c.progress.batches, c.position.batch));
}

// The tensor files must have the sizes state.json recorded: a file truncated or replaced
// after the checkpoint was written is reported as such, before its contents are parsed.
void check_file_sizes(const Reader& r, const json& j, const fs::path& dir) {
  const json& files = r.object(j, "files");
  std::error_code ec;
  for (const char* f : {kModelFile, kOptimizerFile}) {
    const int64_t want = r.nonneg(r.object(files, f), "bytes");
    const auto have = fs::file_size(dir / f, ec);
    EMBER_CHECK(!ec && static_cast<int64_t>(have) == want, IOError,
                "ember-train: checkpoint file {} is {} bytes, but {} says {} (truncated or replaced?)",
                (dir / f).string(), ec ? 0 : have, r.file, want);
  }
}

// The tensors of one safetensors file of the checkpoint, any error reported as the
// checkpoint's.
std::vector<std::pair<std::string, Tensor>> read_tensor_file(const fs::path& file) {
  std::vector<std::pair<std::string, Tensor>> tensors;
  try {
    tensors = load_safetensors(file);
  } catch (const std::exception& e) {
    EMBER_THROW(IOError, "ember-train: checkpoint file {} cannot be read: {}", file.string(), e.what());
  }
  return tensors;
}

// The optimizer's tensors, which must be exactly those state.json lists.
void read_optimizer_tensors(const Reader& r, const fs::path& file, const std::set<std::string>& expected,
                            Checkpoint& c) {
  std::vector<std::pair<std::string, Tensor>> tensors = read_tensor_file(file);
  for (auto& [k, t] : tensors) {
    EMBER_CHECK(expected.count(k), IOError, "ember-train: checkpoint file {} holds '{}', which {} does not list",
                file.string(), k, r.file);
    c.optimizer.tensors[k] = t;
  }
  for (const auto& k : expected)
    EMBER_CHECK(c.optimizer.tensors.count(k), IOError, "ember-train: checkpoint file {} lacks '{}', listed in {}",
                file.string(), k, r.file);
}

}  // namespace

Checkpoint load_checkpoint(const fs::path& where) {
  const fs::path dir = resolve_checkpoint_dir(where);
  const Reader r{(dir / kStateFile).string()};
  const json j = read_state_json(r, dir);

  Checkpoint c;
  read_position(r, j, dir, c);
  c.options = options_from_json(r, r.object(j, "options"));
  const std::set<std::string> expected = read_optimizer_state(r, j, c);
  read_schedule(r, j, c);
  read_metrics(r, j, c);
  read_progress(r, j, c);
  check_file_sizes(r, j, dir);

  c.model = read_tensor_file(dir / kModelFile);
  read_optimizer_tensors(r, dir / kOptimizerFile, expected, c);
  return c;
}

const std::vector<std::string>& resume_checked_options() {
  static const std::vector<std::string> names = {
      "model",        "dataset",         "batch_size",          "lr",              "momentum",
      "optimizer",    "schedule",        "warmup",              "weight_decay",
      "decay_norm_and_bias", "label_smoothing", "augment", "seed", "train_subset", "test_subset"};
  return names;
}

Options read_checkpoint_options(const fs::path& where) {
  const fs::path dir = resolve_checkpoint_dir(where);
  const Reader r{(dir / kStateFile).string()};
  const json j = read_state_json(r, dir);
  return options_from_json(r, r.object(j, "options"));
}

Options resume_options(const Options& cli) {
  EMBER_CHECK(!cli.resume.empty(), ValueError, "ember-train: resume_options needs --resume");
  const Options saved = read_checkpoint_options(cli.resume);
  // Everything the command line left out comes from the checkpoint; what it gave replaces
  // the checkpoint's value where the option may change, and must agree with it elsewhere.
  const json a = options_json(saved), b = options_json(cli);
  const std::vector<std::string>& checked = resume_checked_options();
  json merged = a;
  std::string diffs;
  // The options that are not saved: always the command line's (copied below).
  static const std::set<std::string> cli_only = {"resume",          "out",         "quiet",
                                                 "progress_seconds", "stop_after_steps", "detect_anomaly",
                                                 "stop_on_nan"};
  for (const std::string& k : cli.given) {
    EMBER_CHECK(b.contains(k) || cli_only.contains(k), ValueError,
                "ember-train: --{} has no rule for --resume (neither saved in checkpoints nor a command-line-only "
                "option): a bug in ember-train",
                k);
    if (!b.contains(k)) continue;
    if (std::find(checked.begin(), checked.end(), k) == checked.end()) {
      merged[k] = b[k];
    } else if (!same_json(a.at(k), b.at(k))) {
      std::string flag = k;
      std::replace(flag.begin(), flag.end(), '_', '-');
      diffs += fmt::format("{}--{} {} (this run: {})", diffs.empty() ? "" : ", ", flag, a.at(k).dump(), b.at(k).dump());
    }
  }
  EMBER_CHECK(diffs.empty(), ValueError,
              "ember-train: cannot resume from {}: the checkpoint was trained with different options: {}. Leave "
              "them out to take the checkpoint's, or start a new run with a new --out",
              cli.resume, diffs);
  const Reader r{"(merged options)"};
  // A new --tensorboard turns the event files on; a new --out without one puts them under it.
  if (cli.given.contains("tensorboard") && !cli.given.contains("tensorboard_off")) merged["tensorboard_off"] = false;
  if (cli.given.contains("out") && !cli.given.contains("tensorboard")) merged["tensorboard"] = "";
  Options o = options_from_json(r, merged);
  o.out = cli.out;
  o.resume = cli.resume;
  o.quiet = cli.quiet;
  o.progress_seconds = cli.progress_seconds;
  o.stop_after_steps = cli.stop_after_steps;
  o.detect_anomaly = cli.detect_anomaly;
  o.stop_on_nan = cli.stop_on_nan;
  o.given = cli.given;
  return o;
}

void check_resume_options(const Options& saved, const Options& now, const fs::path& where) {
  const json a = options_json(saved), b = options_json(now);
  std::string diffs;
  for (const std::string& k : resume_checked_options()) {
    if (same_json(a.at(k), b.at(k))) continue;
    std::string flag = k;
    std::replace(flag.begin(), flag.end(), '_', '-');
    diffs += fmt::format("{}--{} {} (this run: {})", diffs.empty() ? "" : ", ", flag, a.at(k).dump(), b.at(k).dump());
  }
  EMBER_CHECK(diffs.empty(), ValueError,
              "ember-train: cannot resume from {}: the checkpoint was trained with different options: {}",
              where.string(), diffs);
}

nlohmann::json options_to_json(const Options& o) { return options_json(o); }

}  // namespace ember::train
