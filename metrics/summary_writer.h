#pragma once
// TensorBoard event files: scalars, histograms, images, text and hyperparameters, written in
// the format TensorFlow writes and TensorBoard reads (`tensorboard --logdir <logdir>`).
//
// A file is a sequence of records: an 8-byte little-endian length, the masked CRC-32C of those
// 8 bytes, the serialized Event, the masked CRC-32C of the Event. Each add_* writes one
// complete record with one write to the OS before it returns, so a crashed or killed process
// keeps every record it logged (a record cut short at the end is skipped by TensorBoard).
//
// Not thread-safe: one writer per thread, or a lock around it.
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <variant>

#include "ember/core/tensor.h"

namespace ember::metrics {

struct SummaryWriterOptions {
  // Resuming a run at this step: writes SessionLog START events at it, so that TensorBoard
  // discards the earlier files' events with step >= purge_step (what TensorFlow does on restart).
  // (Default initializers: designated initializers such as {.purge_step = 5} then compile
  // without -Wmissing-field-initializers warnings.)
  std::optional<int64_t> purge_step{};
  std::string filename_suffix{};  // appended to the file name
};

class SummaryWriter {
 public:
  // Creates logdir (and parents) and a new event file events.out.tfevents.<secs>.<host>.<pid><suffix>
  // starting with the file_version record "brain.Event:2". IOError naming the path when it
  // cannot be created/written (at construction, not later). TensorBoard reads a run's files in
  // name order, so <secs> is moved past the newest event file already in logdir when needed
  // (same second, another host): a resumed run's purge then comes after the events it purges.
  // ValueError for a negative purge_step or a suffix holding '/'.
  explicit SummaryWriter(const std::filesystem::path& logdir, SummaryWriterOptions options = {});
  ~SummaryWriter();  // flushes, closes; never throws
  SummaryWriter(SummaryWriter&&) noexcept;
  SummaryWriter& operator=(SummaryWriter&&) noexcept;
  SummaryWriter(const SummaryWriter&) = delete;
  SummaryWriter& operator=(const SummaryWriter&) = delete;

  // Every add_* takes a tag (non-empty UTF-8; one kind of data per tag in a file) and a step
  // >= 0, and throws ValueError naming the op otherwise; IOError naming the file when the write
  // fails (disk full). A failed write leaves the file as it was before the call.

  // The value is stored as a float (TensorBoard's simple_value): NaN and infinities are kept,
  // other values rounded to f32 (infinity beyond its range). wall_time: seconds since the
  // epoch, now when absent (ValueError when not finite or negative).
  void add_scalar(const std::string& tag, double value, int64_t step,
                  std::optional<double> wall_time = {});
  // Any float or integer tensor, on any device (copied to the host), of any shape (flattened).
  // `bins` equal-width buckets between the values' min and max (one bucket when they are
  // equal): bucket i holds [edge_i, edge_i+1), the last one also holds max. Also records min,
  // max, count, sum and sum of squares. ValueError for NaN or infinite values (a histogram
  // cannot place them) and for bins < 1; an empty input gives an empty histogram.
  void add_histogram(const std::string& tag, const Tensor& values, int64_t step, int bins = 30);
  void add_histogram(const std::string& tag, std::span<const double> values, int64_t step,
                     int bins = 30);
  // [C,H,W] (C = 1, 3 or 4: gray, RGB, RGBA) or [H,W], any device; u8, or floating in [0,1]
  // (clamped, then rounded to the nearest of 0..255). Stored as PNG. DTypeError for another
  // dtype, ShapeError for another shape (or a side outside 1..65535), ValueError for NaN.
  void add_image(const std::string& tag, const Tensor& image, int64_t step);
  // Markdown, shown by TensorBoard's Text dashboard. UTF-8.
  void add_text(const std::string& tag, const std::string& markdown, int64_t step);
  // The run's hyperparameters and its metrics for TensorBoard's HParams dashboard, which shows
  // one row per run (session) of a logdir: the hparams' values and, for each metric tag, the
  // last scalar logged under that tag in this run. Each metric value here is logged as that
  // scalar, at the last step this writer has logged (0 before any), unless this writer's last
  // scalar under the tag already holds it (as f32): a run that logged "val/loss" each epoch and
  // passes the last value adds nothing. Names and string values: non-empty UTF-8; numbers
  // finite (ValueError otherwise). TensorBoard takes the list of hparams and metrics of the
  // comparison from one run (the first it finds), so runs compared together should log the
  // same names. Once per writer, at the end of training: TensorBoard keeps a run's first
  // hparams, so a second call is a ValueError.
  using HParam = std::variant<double, std::string, bool>;
  void add_hparams(const std::map<std::string, HParam>& hparams,
                   const std::map<std::string, double>& metrics);

  // Every add_* already hands its record to the OS; flush() also fsyncs it to the disk.
  void flush();
  const std::filesystem::path& file() const;
  const std::filesystem::path& logdir() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  Impl& impl(const char* op) const;
};

// CRC-32C (Castagnoli), as in iSCSI and TFRecord files: crc32c("123456789") == 0xE3069283.
uint32_t crc32c(std::span<const uint8_t> bytes);
// The record checksum of TFRecord files: the CRC rotated right by 15 bits plus 0xa282ead8.
uint32_t masked_crc32c(std::span<const uint8_t> bytes);

}  // namespace ember::metrics
