#include "ember/metrics/summary_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include <isa-l/crc.h>

#include "ember/core/error.h"
#include "ember/core/ops/factory.h"
#include "ember/core/shape.h"
#include "ember/data/image_io.h"
#include "ember/metrics/tensorboard.pb.h"

namespace ember::metrics {
namespace fs = std::filesystem;
namespace pb = ember::tensorboard;

uint32_t crc32c(std::span<const uint8_t> bytes) {
  // ISA-L's crc32_iscsi leaves CRC-32C's initial and final inversion to the caller (it chains
  // across calls that way) and takes an int length.
  uint32_t crc = 0xFFFFFFFFu;
  const uint8_t* p = bytes.data();
  size_t n = bytes.size();
  while (n > 0) {
    const size_t chunk = std::min<size_t>(n, size_t(1) << 30);
    crc = crc32_iscsi(const_cast<unsigned char*>(p), static_cast<int>(chunk), crc);
    p += chunk;
    n -= chunk;
  }
  return crc ^ 0xFFFFFFFFu;
}

uint32_t masked_crc32c(std::span<const uint8_t> bytes) {
  const uint32_t crc = crc32c(bytes);
  return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
}

namespace {

constexpr const char* kFilePrefix = "events.out.tfevents.";

enum class Kind { scalar, histogram, image, text, hparams };

const char* kind_name(Kind k) {
  switch (k) {
    case Kind::scalar: return "scalars";
    case Kind::histogram: return "histograms";
    case Kind::image: return "images";
    case Kind::text: return "text";
    case Kind::hparams: return "hparams";
  }
  return "?";
}

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Protobuf's proto3 string fields must hold UTF-8, and TensorBoard's Python reader refuses a
// whole record otherwise: checked here so that the error names the op instead.
bool valid_utf8(const std::string& s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    const unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    int len;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > n) return false;
    for (int k = 1; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    const uint32_t min_cp = len == 2 ? 0x80 : (len == 3 ? 0x800 : 0x10000);
    if (cp < min_cp || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

void check_tag(const std::string& tag, const char* op) {
  EMBER_CHECK(!tag.empty(), ValueError, "{}: the tag is empty", op);
  EMBER_CHECK(valid_utf8(tag), ValueError, "{}: the tag is not valid UTF-8 ({} bytes)", op, tag.size());
}

void check_step(int64_t step, const std::string& tag, const char* op) {
  EMBER_CHECK(step >= 0, ValueError, "{}: tag '{}': the step must be >= 0, got {}", op, tag, step);
}

double wall_time_of(std::optional<double> wall_time, const std::string& tag, const char* op) {
  if (!wall_time) return now_seconds();
  EMBER_CHECK(std::isfinite(*wall_time) && *wall_time >= 0, ValueError,
              "{}: tag '{}': wall_time must be finite seconds since the epoch, got {}", op, tag, *wall_time);
  return *wall_time;
}

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "localhost";
  std::string h(buf);
  std::replace(h.begin(), h.end(), '/', '_');
  return h;
}

std::string file_name(int64_t secs, const std::string& host, const std::string& suffix) {
  return fmt::format("{}{:010d}.{}.{}{}", kFilePrefix, secs, host, static_cast<long>(::getpid()), suffix);
}

// The greatest name of an event file of ours already in logdir ("" when none).
std::string newest_event_file(const fs::path& logdir) {
  std::string newest;
  std::error_code ec;
  for (fs::directory_iterator it(logdir, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (name.rfind(kFilePrefix, 0) == 0 && name > newest) newest = std::move(name);
  }
  return newest;
}

// The <secs> field of an event file name, or -1.
int64_t secs_of(const std::string& name) {
  const size_t start = std::strlen(kFilePrefix);
  const size_t end = name.find('.', start);
  if (end == std::string::npos || end == start || end - start > 18) return -1;
  int64_t v = 0;
  for (size_t i = start; i < end; ++i) {
    if (name[i] < '0' || name[i] > '9') return -1;
    v = v * 10 + (name[i] - '0');
  }
  return v;
}

void put_le(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

std::span<const uint8_t> as_bytes(const std::string& s, size_t offset, size_t n) {
  return {reinterpret_cast<const uint8_t*>(s.data()) + offset, n};
}

pb::Event make_event(double wall_time, int64_t step) {
  pb::Event e;
  e.set_wall_time(wall_time);
  e.set_step(step);
  return e;
}

// A plugin's summary value that carries its metadata; TensorBoard keeps the first metadata of
// each tag in a run.
void set_plugin_metadata(pb::Summary::Value* v, const std::string& plugin, std::string content) {
  pb::SummaryMetadata* m = v->mutable_metadata();
  m->mutable_plugin_data()->set_plugin_name(plugin);
  m->mutable_plugin_data()->set_content(std::move(content));
  m->set_data_class(pb::DATA_CLASS_TENSOR);
}

bool same_f32(float a, float b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

}  // namespace

struct SummaryWriter::Impl {
  fs::path logdir;
  fs::path file;
  int fd = -1;
  uint64_t size = 0;  // bytes of complete records
  double start_time = 0;
  std::optional<int64_t> last_step;
  std::map<std::string, Kind> kinds;
  std::map<std::string, std::pair<int64_t, float>> last_scalar;
  bool hparams_written = false;

  ~Impl() {
    if (fd >= 0) {
      ::fsync(fd);
      ::close(fd);
    }
  }

  // Whether this tag's first value in this file is still to come; ValueError when the tag
  // already holds another kind of data.
  bool first_of(const std::string& tag, Kind kind, const char* op) const {
    auto it = kinds.find(tag);
    if (it == kinds.end()) return true;
    EMBER_CHECK(it->second == kind, ValueError, "{}: tag '{}' already holds {} in {}", op, tag,
                kind_name(it->second), file.string());
    return false;
  }

  // One record, written with one write call (a loop only where the OS writes less); a failed
  // write is cut off again so that the file keeps ending on a complete record.
  void write_record(const pb::Event& e, const char* op) {
    const size_t n = e.ByteSizeLong();
    EMBER_CHECK(n <= static_cast<size_t>(std::numeric_limits<int>::max()), ValueError,
                "{}: an event of {} bytes is over protobuf's 2 GiB limit", op, n);
    std::string rec;
    rec.reserve(n + 16);
    put_le(rec, n, 8);
    put_le(rec, masked_crc32c(as_bytes(rec, 0, 8)), 4);
    rec.resize(12 + n);
    EMBER_CHECK(e.SerializeToArray(rec.data() + 12, static_cast<int>(n)), ValueError,
                "{}: the event could not be serialized", op);
    put_le(rec, masked_crc32c(as_bytes(rec, 12, n)), 4);

    size_t done = 0;
    while (done < rec.size()) {
      const ssize_t w = ::write(fd, rec.data() + done, rec.size() - done);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) {
        const int err = w < 0 ? errno : ENOSPC;
        if (done > 0 && ::ftruncate(fd, static_cast<off_t>(size)) == 0)
          ::lseek(fd, static_cast<off_t>(size), SEEK_SET);
        EMBER_THROW(IOError, "{}: writing {} failed: {}", op, file.string(), std::strerror(err));
      }
      done += static_cast<size_t>(w);
    }
    size += rec.size();
  }

  void write(const pb::Event& e, const std::string& tag, Kind kind, const char* op) {
    write_record(e, op);
    kinds.emplace(tag, kind);
    last_step = std::max(last_step.value_or(e.step()), e.step());
  }
};

SummaryWriter::SummaryWriter(const fs::path& logdir, SummaryWriterOptions options)
    : impl_(std::make_unique<Impl>()) {
  const char* op = "SummaryWriter";
  EMBER_CHECK(!options.purge_step || *options.purge_step >= 0, ValueError,
              "{}: purge_step must be >= 0, got {}", op, options.purge_step.value_or(0));
  EMBER_CHECK(options.filename_suffix.find('/') == std::string::npos &&
                  options.filename_suffix.find('\0') == std::string::npos,
              ValueError, "{}: filename_suffix '{}' must not hold '/' or NUL", op, options.filename_suffix);
  Impl& w = *impl_;
  w.logdir = logdir;
  std::error_code ec;
  fs::create_directories(logdir, ec);
  EMBER_CHECK(!ec && fs::is_directory(logdir), IOError, "{}: cannot create the log directory {}: {}", op,
              logdir.string(), ec ? ec.message() : "not a directory");

  w.start_time = now_seconds();
  const std::string host = host_name();
  int64_t secs = static_cast<int64_t>(w.start_time);
  const std::string newest = newest_event_file(logdir);
  if (file_name(secs, host, options.filename_suffix) <= newest) secs = std::max(secs, secs_of(newest) + 1);
  // O_EXCL: two writers started in one second never share a file; the next second is free.
  for (int attempt = 0;; ++attempt, ++secs) {
    w.file = logdir / file_name(secs, host, options.filename_suffix);
    w.fd = ::open(w.file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (w.fd >= 0 || errno != EEXIST || attempt == 100) break;
  }
  EMBER_CHECK(w.fd >= 0, IOError, "{}: cannot create {}: {}", op, w.file.string(), std::strerror(errno));

  try {
    pb::Event version = make_event(w.start_time, 0);
    version.set_file_version("brain.Event:2");
    version.mutable_source_metadata()->set_writer("ember");
    w.write_record(version, op);
    if (options.purge_step) {
      // Twice: TensorBoard's plugin accumulator (its server's Python loader) takes a run's
      // first START for the session's beginning and purges from the second on, while its
      // legacy accumulator purges at each one. The crashed run's files may or may not hold a
      // START (TensorFlow 1 wrote one, PyTorch and ember without purge_step write none);
      // with two here both readers purge once, and a second purge at the same step finds
      // nothing more.
      pb::Event start = make_event(w.start_time, *options.purge_step);
      start.mutable_session_log()->set_status(pb::SessionLog::START);
      w.write_record(start, op);
      w.write_record(start, op);
    }
  } catch (...) {
    ::close(w.fd);
    w.fd = -1;
    ::unlink(w.file.c_str());
    throw;
  }
}

SummaryWriter::~SummaryWriter() = default;
SummaryWriter::SummaryWriter(SummaryWriter&&) noexcept = default;
SummaryWriter& SummaryWriter::operator=(SummaryWriter&&) noexcept = default;

SummaryWriter::Impl& SummaryWriter::impl(const char* op) const {
  EMBER_CHECK(impl_ != nullptr, ValueError, "{}: this SummaryWriter was moved from", op);
  return *impl_;
}

const fs::path& SummaryWriter::file() const { return impl("file").file; }
const fs::path& SummaryWriter::logdir() const { return impl("logdir").logdir; }

void SummaryWriter::flush() {
  Impl& w = impl("flush");
  EMBER_CHECK(::fsync(w.fd) == 0, IOError, "flush: fsync of {} failed: {}", w.file.string(),
              std::strerror(errno));
}

void SummaryWriter::add_scalar(const std::string& tag, double value, int64_t step,
                               std::optional<double> wall_time) {
  const char* op = "add_scalar";
  Impl& w = impl(op);
  check_tag(tag, op);
  check_step(step, tag, op);
  w.first_of(tag, Kind::scalar, op);
  const float v = static_cast<float>(value);
  pb::Event e = make_event(wall_time_of(wall_time, tag, op), step);
  pb::Summary::Value* sv = e.mutable_summary()->add_value();
  sv->set_tag(tag);
  sv->set_simple_value(v);
  w.write(e, tag, Kind::scalar, op);
  w.last_scalar[tag] = {step, v};
}

void SummaryWriter::add_histogram(const std::string& tag, const Tensor& values, int64_t step, int bins) {
  const char* op = "add_histogram";
  impl(op);
  check_tag(tag, op);
  EMBER_CHECK(values.defined(), ValueError, "{}: tag '{}': the tensor is undefined", op, tag);
  EMBER_CHECK(is_floating(values.dtype()) || is_integral(values.dtype()), DTypeError,
              "{}: tag '{}': expected a float or integer tensor, got {} (shape {})", op, tag,
              values.dtype(), shape_str(values.shape()));
  const std::vector<double> v = values.to_vector<double>();
  add_histogram(tag, std::span<const double>(v), step, bins);
}

void SummaryWriter::add_histogram(const std::string& tag, std::span<const double> values, int64_t step,
                                  int bins) {
  const char* op = "add_histogram";
  Impl& w = impl(op);
  check_tag(tag, op);
  check_step(step, tag, op);
  EMBER_CHECK(bins >= 1, ValueError, "{}: tag '{}': bins must be >= 1, got {}", op, tag, bins);
  w.first_of(tag, Kind::histogram, op);
  const size_t bad = static_cast<size_t>(
      std::count_if(values.begin(), values.end(), [](double x) { return !std::isfinite(x); }));
  EMBER_CHECK(bad == 0, ValueError, "{}: tag '{}': {} of the {} values are NaN or infinite", op, tag, bad,
              values.size());

  pb::Event e = make_event(now_seconds(), step);
  pb::Summary::Value* sv = e.mutable_summary()->add_value();
  sv->set_tag(tag);
  pb::HistogramProto* h = sv->mutable_histo();
  if (!values.empty()) {
    double mn = values[0], mx = values[0], sum = 0, sum_sq = 0;
    for (double x : values) {
      mn = std::min(mn, x);
      mx = std::max(mx, x);
      sum += x;
      sum_sq += x * x;
    }
    h->set_min(mn);
    h->set_max(mx);
    h->set_num(static_cast<double>(values.size()));
    h->set_sum(sum);
    h->set_sum_squares(sum_sq);
    // lerp rather than min + k * width: no overflow between -DBL_MAX and DBL_MAX, and the last
    // edge is max exactly.
    const int n = mn == mx ? 1 : bins;
    std::vector<double> limits(n);
    for (int i = 0; i < n; ++i) limits[i] = std::lerp(mn, mx, static_cast<double>(i + 1) / n);
    limits[n - 1] = mx;
    std::vector<double> counts(n, 0.0);
    for (double x : values) counts[std::upper_bound(limits.begin(), limits.end() - 1, x) - limits.begin()] += 1;
    for (int i = 0; i < n; ++i) {
      h->add_bucket_limit(limits[i]);
      h->add_bucket(counts[i]);
    }
  }
  w.write(e, tag, Kind::histogram, op);
}

void SummaryWriter::add_image(const std::string& tag, const Tensor& image, int64_t step) {
  const char* op = "add_image";
  Impl& w = impl(op);
  check_tag(tag, op);
  check_step(step, tag, op);
  EMBER_CHECK(image.defined(), ValueError, "{}: tag '{}': the tensor is undefined", op, tag);
  const Shape& s = image.shape();
  EMBER_CHECK(image.dtype() == DType::u8 || is_floating(image.dtype()), DTypeError,
              "{}: tag '{}': expected a uint8 image, or a floating one with values in [0, 1], got {} (shape {})",
              op, tag, image.dtype(), shape_str(s));
  const bool chw = s.size() == 3 && (s[0] == 1 || s[0] == 3 || s[0] == 4);
  EMBER_CHECK(chw || s.size() == 2, ShapeError,
              "{}: tag '{}': expected an image [C, H, W] with C = 1, 3 or 4, or [H, W], got shape {}", op, tag,
              shape_str(s));
  const int64_t h = s[s.size() - 2], wd = s[s.size() - 1];
  EMBER_CHECK(h >= 1 && wd >= 1 && h <= 65535 && wd <= 65535, ShapeError,
              "{}: tag '{}': image of shape {}: height and width must be 1..65535", op, tag, shape_str(s));
  w.first_of(tag, Kind::image, op);

  Tensor pixels;
  if (image.dtype() == DType::u8) {
    pixels = image.cpu().contiguous();
  } else {
    const std::vector<double> x = image.to_vector<double>();
    const size_t nan = static_cast<size_t>(std::count_if(x.begin(), x.end(), [](double v) { return std::isnan(v); }));
    EMBER_CHECK(nan == 0, ValueError, "{}: tag '{}': {} NaN values in the image of shape {}", op, tag, nan,
                shape_str(s));
    pixels = empty(s, DType::u8, Device::cpu());
    uint8_t* d = pixels.data<uint8_t>();
    for (size_t i = 0; i < x.size(); ++i) d[i] = static_cast<uint8_t>(std::lround(std::clamp(x[i], 0.0, 1.0) * 255.0));
  }
  pb::Event e = make_event(now_seconds(), step);
  pb::Summary::Value* sv = e.mutable_summary()->add_value();
  sv->set_tag(tag);
  pb::Summary::Image* img = sv->mutable_image();
  img->set_height(static_cast<int32_t>(h));
  img->set_width(static_cast<int32_t>(wd));
  img->set_colorspace(chw ? static_cast<int32_t>(s[0]) : 1);
  const std::vector<uint8_t> png = data::encode_png(pixels);
  img->set_encoded_image_string(png.data(), png.size());
  w.write(e, tag, Kind::image, op);
}

void SummaryWriter::add_text(const std::string& tag, const std::string& markdown, int64_t step) {
  const char* op = "add_text";
  Impl& w = impl(op);
  check_tag(tag, op);
  check_step(step, tag, op);
  EMBER_CHECK(valid_utf8(markdown), ValueError, "{}: tag '{}': the text is not valid UTF-8", op, tag);
  const bool first = w.first_of(tag, Kind::text, op);
  pb::Event e = make_event(now_seconds(), step);
  pb::Summary::Value* sv = e.mutable_summary()->add_value();
  sv->set_tag(tag);
  // The text plugin's content is its TextPluginData, whose version 0 serializes to nothing.
  if (first) set_plugin_metadata(sv, "text", "");
  pb::TensorProto* t = sv->mutable_tensor();
  t->set_dtype(pb::DT_STRING);
  t->mutable_tensor_shape();  // no dims: one string
  t->add_string_val(markdown);
  w.write(e, tag, Kind::text, op);
}

void SummaryWriter::add_hparams(const std::map<std::string, HParam>& hparams,
                                const std::map<std::string, double>& metrics) {
  const char* op = "add_hparams";
  Impl& w = impl(op);
  EMBER_CHECK(!w.hparams_written, ValueError,
              "{}: already called for {} (TensorBoard would keep the first call's values)", op, w.file.string());
  for (const auto& [name, value] : hparams) {
    EMBER_CHECK(!name.empty() && valid_utf8(name), ValueError, "{}: hparam name '{}' must be non-empty UTF-8",
                op, name);
    if (const auto* d = std::get_if<double>(&value))
      EMBER_CHECK(std::isfinite(*d), ValueError, "{}: hparam '{}' is {}, expected a finite number", op, name, *d);
    if (const auto* str = std::get_if<std::string>(&value))
      EMBER_CHECK(valid_utf8(*str), ValueError, "{}: the value of hparam '{}' is not valid UTF-8", op, name);
  }
  for (const auto& [tag, value] : metrics) {
    check_tag(tag, op);
    w.first_of(tag, Kind::scalar, op);
  }

  // TensorBoard's hparams plugin: these three tags, each value's data in its metadata's
  // content (an HParamsPluginData), and an empty float tensor as the value.
  const auto plugin_event = [&](const char* tag, const pb::HParamsPluginData& data) {
    pb::Event e = make_event(now_seconds(), 0);
    pb::Summary::Value* sv = e.mutable_summary()->add_value();
    sv->set_tag(tag);
    set_plugin_metadata(sv, "hparams", data.SerializeAsString());
    pb::TensorProto* t = sv->mutable_tensor();
    t->set_dtype(pb::DT_FLOAT);
    t->mutable_tensor_shape()->add_dim()->set_size(0);
    w.write(e, tag, Kind::hparams, op);
  };

  pb::HParamsPluginData experiment;
  pb::Experiment* ex = experiment.mutable_experiment();
  ex->set_time_created_secs(w.start_time);
  pb::HParamsPluginData start;
  pb::SessionStartInfo* ssi = start.mutable_session_start_info();
  ssi->set_start_time_secs(w.start_time);
  for (const auto& [name, value] : hparams) {
    pb::HParamInfo* info = ex->add_hparam_infos();
    info->set_name(name);
    google::protobuf::Value& v = (*ssi->mutable_hparams())[name];
    if (const auto* d = std::get_if<double>(&value)) {
      info->set_type(pb::DATA_TYPE_FLOAT64);
      v.set_number_value(*d);
    } else if (const auto* str = std::get_if<std::string>(&value)) {
      info->set_type(pb::DATA_TYPE_STRING);
      v.set_string_value(*str);
    } else {
      info->set_type(pb::DATA_TYPE_BOOL);
      v.set_bool_value(std::get<bool>(value));
    }
  }
  for (const auto& [tag, value] : metrics) ex->add_metric_infos()->mutable_name()->set_tag(tag);

  plugin_event("_hparams_/experiment", experiment);
  plugin_event("_hparams_/session_start_info", start);
  w.hparams_written = true;
  const int64_t final_step = w.last_step.value_or(0);
  for (const auto& [tag, value] : metrics) {
    auto it = w.last_scalar.find(tag);
    if (it == w.last_scalar.end() || !same_f32(it->second.second, static_cast<float>(value)))
      add_scalar(tag, value, final_step);
  }
  pb::HParamsPluginData end;
  end.mutable_session_end_info()->set_status(pb::STATUS_SUCCESS);
  end.mutable_session_end_info()->set_end_time_secs(now_seconds());
  plugin_event("_hparams_/session_end_info", end);
}

}  // namespace ember::metrics
