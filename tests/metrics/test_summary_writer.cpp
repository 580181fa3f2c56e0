// SummaryWriter: the CRC-32C and record framing of TensorBoard event files, read back by a
// reader of the test's own, and the errors for bad input. What the records mean to TensorBoard
// is checked by TensorBoard's own reader in tests/tensorboard.
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cfloat>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <ember/ember.h>
#include <ember/metrics/summary_writer.h>

using namespace ember;
using namespace ember::metrics;
namespace fs = std::filesystem;

namespace {

struct ScratchDir {
  fs::path path;
  ScratchDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path = fs::temp_directory_path() /
           fmt::format("ember_summary_{}_{}_{}", info->test_suite_name(), info->name(), ::getpid());
    fs::remove_all(path);
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

std::span<const uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// Bit by bit, from the definition: reflected polynomial 0x82F63B78, inverted in and out.
uint32_t crc32c_reference(std::span<const uint8_t> bytes) {
  uint32_t crc = 0xFFFFFFFFu;
  for (uint8_t b : bytes) {
    crc ^= b;
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1u)));
  }
  return ~crc;
}

uint64_t get_le(const std::string& s, size_t at, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v |= uint64_t(static_cast<uint8_t>(s[at + i])) << (8 * i);
  return v;
}

// The payloads of the complete records of an event file, checking both CRCs of each; a record
// cut short at the end is left out (and reported through `cut`), as TensorBoard does.
std::vector<std::string> read_records(const fs::path& file, bool* cut = nullptr) {
  std::ifstream in(file, std::ios::binary);
  const std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> out;
  size_t at = 0;
  while (at + 12 <= s.size()) {
    const uint64_t n = get_le(s, at, 8);
    EXPECT_EQ(get_le(s, at + 8, 4), masked_crc32c(bytes_of(s.substr(at, 8)))) << "header CRC at " << at;
    if (at + 12 + n + 4 > s.size()) break;
    const std::string data = s.substr(at + 12, n);
    EXPECT_EQ(get_le(s, at + 12 + n, 4), masked_crc32c(bytes_of(data))) << "data CRC at " << at;
    out.push_back(data);
    at += 12 + n + 4;
  }
  if (cut) *cut = at != s.size();
  return out;
}

bool contains(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

// Protobuf's encoding of a float field: key (field << 3 | 5), then 4 little-endian bytes.
std::string float_field(int field, float v) {
  std::string out(1, static_cast<char>(field << 3 | 5));
  uint32_t bits;
  std::memcpy(&bits, &v, 4);
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>(bits >> (8 * i)));
  return out;
}

template <class E, class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("wrong exception type: ") + e.what();
  }
  return "no exception";
}

}  // namespace

TEST(SummaryCrc, KnownVectors) {
  EXPECT_EQ(crc32c(bytes_of("123456789")), 0xE3069283u);  // the CRC catalogue's check value
  EXPECT_EQ(crc32c({}), 0u);
  // RFC 3720 (iSCSI), appendix B.4.
  std::vector<uint8_t> b(32, 0);
  EXPECT_EQ(crc32c(b), 0x8A9136AAu);
  std::fill(b.begin(), b.end(), 0xFF);
  EXPECT_EQ(crc32c(b), 0x62A8AB43u);
  for (int i = 0; i < 32; ++i) b[i] = static_cast<uint8_t>(i);
  EXPECT_EQ(crc32c(b), 0x46DD794Eu);
  for (int i = 0; i < 32; ++i) b[i] = static_cast<uint8_t>(31 - i);
  EXPECT_EQ(crc32c(b), 0x113FDB5Cu);
}

TEST(SummaryCrc, MatchesTheDefinitionAtEveryLengthAndAlignment) {
  // ISA-L switches between byte, word and folded SIMD loops by length and alignment.
  std::mt19937 rng(7);
  std::vector<uint8_t> buf(5000);
  for (auto& x : buf) x = static_cast<uint8_t>(rng());
  for (size_t offset = 0; offset < 9; ++offset)
    for (size_t n : {0, 1, 7, 8, 15, 16, 31, 63, 64, 65, 255, 256, 257, 1023, 1024, 4097}) {
      std::span<const uint8_t> s(buf.data() + offset, n);
      ASSERT_EQ(crc32c(s), crc32c_reference(s)) << "offset " << offset << " length " << n;
    }
}

TEST(SummaryCrc, Masked) {
  for (const std::string s : {"", "123456789", "brain.Event:2"}) {
    const uint32_t c = crc32c(bytes_of(s));
    EXPECT_EQ(masked_crc32c(bytes_of(s)), static_cast<uint32_t>(((c >> 15) | (c << 17)) + 0xa282ead8u)) << s;
  }
  EXPECT_EQ(masked_crc32c({}), 0xa282ead8u);
  // 0xE3069283 rotated right by 15 is 0x2507C60D; plus 0xa282ead8 wraps to 0xC78AB0E5.
  EXPECT_EQ(masked_crc32c(bytes_of("123456789")), 0xC78AB0E5u);
}

TEST(SummaryWriterFile, NameAndFirstRecord) {
  ScratchDir dir;
  const fs::path logdir = dir.path / "a" / "b";
  SummaryWriter w(logdir, {.filename_suffix = ".train"});
  EXPECT_EQ(w.logdir(), logdir);
  EXPECT_EQ(w.file().parent_path(), logdir);
  const std::string name = w.file().filename().string();
  EXPECT_EQ(name.rfind("events.out.tfevents.", 0), 0u) << name;
  EXPECT_TRUE(name.ends_with(fmt::format(".{}.train", ::getpid()))) << name;
  bool cut = true;
  const auto recs = read_records(w.file(), &cut);
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_FALSE(cut);
  EXPECT_TRUE(contains(recs[0], "brain.Event:2"));
}

TEST(SummaryWriterFile, EveryRecordReachesTheFileAtOnce) {
  ScratchDir dir;
  SummaryWriter w(dir.path);
  for (int i = 0; i < 50; ++i) {
    w.add_scalar("loss", 1.0 / (i + 1), i);
    // No flush, no close: another reader sees the record now.
    const auto recs = read_records(w.file());
    ASSERT_EQ(recs.size(), static_cast<size_t>(i + 2));
    EXPECT_TRUE(contains(recs.back(), "loss"));
    EXPECT_TRUE(contains(recs.back(), float_field(2, static_cast<float>(1.0 / (i + 1)))));
  }
  w.add_text("notes", "*hello*", 3);
  w.add_histogram("w", std::vector<double>{1, 2, 3}, 3);
  w.add_image("img", full({3, 2, 2}, 0.5), 3);
  w.add_hparams({{"lr", 0.1}, {"opt", std::string("sgd")}, {"bn", true}}, {{"loss", 0.02}});
  w.flush();
  bool cut = true;
  // file_version + 50 scalars + text + histogram + image + 3 hparams events; the metric's value
  // is the last loss logged (1/50), so no scalar is added for it.
  EXPECT_EQ(read_records(w.file(), &cut).size(), 1u + 50 + 3 + 3);
  EXPECT_FALSE(cut);
}

TEST(SummaryWriterFile, NanAndInfiniteScalarsAreKept) {
  ScratchDir dir;
  SummaryWriter w(dir.path);
  EXPECT_NO_THROW(w.add_scalar("x", std::nan(""), 0));
  EXPECT_NO_THROW(w.add_scalar("x", std::numeric_limits<double>::infinity(), 1));
  EXPECT_NO_THROW(w.add_scalar("x", 1e300, 2));  // beyond f32: infinity, as TensorBoard stores it
  const auto recs = read_records(w.file());
  ASSERT_EQ(recs.size(), 4u);
  EXPECT_TRUE(contains(recs[2], float_field(2, std::numeric_limits<float>::infinity())));
  EXPECT_TRUE(contains(recs[3], float_field(2, std::numeric_limits<float>::infinity())));
}

TEST(SummaryWriterFile, PurgeStepWritesASessionStart) {
  ScratchDir dir;
  SummaryWriter w(dir.path, {.purge_step = 300});
  const auto recs = read_records(w.file());
  ASSERT_EQ(recs.size(), 3u);
  // Two alike (see the writer): step = 300 (field 2, varint 0xAC 0x02), session_log (field 7)
  // { status = START (1) }.
  for (int i : {1, 2}) {
    EXPECT_TRUE(contains(recs[i], std::string("\x10\xAC\x02", 3)));
    EXPECT_TRUE(contains(recs[i], std::string("\x3A\x02\x08\x01", 4)));
  }
}

TEST(SummaryWriterFile, NewFilesSortAfterTheLogdirsEventFiles) {
  // TensorBoard reads a run's files in name order: a resumed run's purge must come last.
  ScratchDir dir;
  fs::create_directories(dir.path);
  const auto later = static_cast<long long>(std::time(nullptr)) + 100;
  const fs::path other = dir.path / fmt::format("events.out.tfevents.{:010d}.zzzzzz.1", later);
  std::ofstream(other).put('x');
  std::vector<std::string> names;
  for (int i = 0; i < 3; ++i) {
    SummaryWriter w(dir.path);  // three in one second: three files, each after the last
    names.push_back(w.file().filename().string());
  }
  EXPECT_GT(names[0], other.filename().string());
  EXPECT_GT(names[1], names[0]);
  EXPECT_GT(names[2], names[1]);
  for (const auto& n : names) EXPECT_EQ(read_records(dir.path / n).size(), 1u) << n;
}

TEST(SummaryWriterFile, MoveKeepsTheFile) {
  ScratchDir dir;
  SummaryWriter a(dir.path);
  a.add_scalar("x", 1, 0);
  SummaryWriter b(std::move(a));
  b.add_scalar("x", 2, 1);
  EXPECT_EQ(read_records(b.file()).size(), 3u);
  EXPECT_TRUE(contains(error_of<ValueError>([&] { a.add_scalar("x", 3, 2); }), "moved from"));
  SummaryWriter c(dir.path / "c");
  c = std::move(b);
  c.add_scalar("x", 3, 2);
  EXPECT_EQ(read_records(c.file()).size(), 4u);
}

TEST(SummaryWriterBadInput, UnwritableLogdirFailsAtConstruction) {
  ScratchDir dir;
  fs::create_directories(dir.path);
  const fs::path file = dir.path / "plain_file";
  std::ofstream(file) << "x";
  const fs::path logdir = file / "run";
  const std::string msg = error_of<IOError>([&] { SummaryWriter w(logdir); });
  EXPECT_TRUE(contains(msg, "SummaryWriter")) << msg;
  EXPECT_TRUE(contains(msg, logdir.string())) << msg;
  EXPECT_TRUE(contains(error_of<IOError>([&] { SummaryWriter w(file); }), file.string()));
}

TEST(SummaryWriterBadInput, Options) {
  ScratchDir dir;
  EXPECT_TRUE(contains(error_of<ValueError>([&] { SummaryWriter w(dir.path, {.purge_step = -1}); }), "purge_step"));
  EXPECT_TRUE(contains(error_of<ValueError>([&] { SummaryWriter w(dir.path, {.filename_suffix = "a/b"}); }),
                       "filename_suffix"));
}

TEST(SummaryWriterBadInput, TagsStepsAndTimes) {
  ScratchDir dir;
  SummaryWriter w(dir.path);
  const auto size = [&] { return fs::file_size(w.file()); };
  const auto before = size();
  std::string msg = error_of<ValueError>([&] { w.add_scalar("", 1, 0); });
  EXPECT_TRUE(contains(msg, "add_scalar") && contains(msg, "empty")) << msg;
  msg = error_of<ValueError>([&] { w.add_text("", "x", 0); });
  EXPECT_TRUE(contains(msg, "add_text")) << msg;
  msg = error_of<ValueError>([&] { w.add_scalar("bad\xff", 1, 0); });
  EXPECT_TRUE(contains(msg, "UTF-8")) << msg;
  msg = error_of<ValueError>([&] { w.add_scalar("x", 1, -5); });
  EXPECT_TRUE(contains(msg, "add_scalar") && contains(msg, "-5")) << msg;
  msg = error_of<ValueError>([&] { w.add_scalar("x", 1, 0, std::nan("")); });
  EXPECT_TRUE(contains(msg, "wall_time")) << msg;
  msg = error_of<ValueError>([&] { w.add_text("t", "\xc3\x28", 0); });
  EXPECT_TRUE(contains(msg, "add_text") && contains(msg, "UTF-8")) << msg;
  EXPECT_EQ(size(), before);  // nothing written by a refused call

  w.add_scalar("loss", 1, 0);
  msg = error_of<ValueError>([&] { w.add_text("loss", "x", 1); });
  EXPECT_TRUE(contains(msg, "add_text") && contains(msg, "'loss'") && contains(msg, "scalars")) << msg;
}

TEST(SummaryWriterBadInput, Images) {
  ScratchDir dir;
  SummaryWriter w(dir.path);
  std::string msg = error_of<DTypeError>([&] { w.add_image("img", zeros({3, 4, 5}, DType::i32), 0); });
  EXPECT_TRUE(contains(msg, "add_image") && contains(msg, "int32") && contains(msg, "[3, 4, 5]")) << msg;
  msg = error_of<ShapeError>([&] { w.add_image("img", zeros({2, 4, 5}, DType::u8), 0); });
  EXPECT_TRUE(contains(msg, "add_image") && contains(msg, "[2, 4, 5]")) << msg;
  msg = error_of<ShapeError>([&] { w.add_image("img", zeros({16}, DType::u8), 0); });
  EXPECT_TRUE(contains(msg, "add_image") && contains(msg, "[16]")) << msg;
  msg = error_of<ShapeError>([&] { w.add_image("img", zeros({1, 3, 4, 5}), 0); });
  EXPECT_TRUE(contains(msg, "[1, 3, 4, 5]")) << msg;
  msg = error_of<ShapeError>([&] { w.add_image("img", zeros({3, 0, 5}), 0); });
  EXPECT_TRUE(contains(msg, "[3, 0, 5]")) << msg;
  Tensor nan_img = full({1, 2, 2}, 0.5);
  nan_img.data<float>()[3] = std::nanf("");
  msg = error_of<ValueError>([&] { w.add_image("img", nan_img, 0); });
  EXPECT_TRUE(contains(msg, "add_image") && contains(msg, "NaN")) << msg;
  EXPECT_NO_THROW(w.add_image("img", full({4, 3}, 2.0, DType::f64), 0));  // clamped
  EXPECT_NO_THROW(w.add_image("img", zeros({4, 3, 2}, DType::u8), 1));
  EXPECT_EQ(read_records(w.file()).size(), 3u);
}

TEST(SummaryWriterBadInput, Histograms) {
  ScratchDir dir;
  SummaryWriter w(dir.path);
  std::string msg = error_of<ValueError>([&] { w.add_histogram("h", std::vector<double>{1, NAN, 2, INFINITY}, 0); });
  EXPECT_TRUE(contains(msg, "add_histogram") && contains(msg, "2 of the 4")) << msg;
  msg = error_of<ValueError>([&] { w.add_histogram("h", std::vector<double>{1}, 0, 0); });
  EXPECT_TRUE(contains(msg, "bins")) << msg;
  msg = error_of<DTypeError>([&] { w.add_histogram("h", zeros({3}, DType::boolean), 0); });
  EXPECT_TRUE(contains(msg, "add_histogram") && contains(msg, "bool")) << msg;
  EXPECT_NO_THROW(w.add_histogram("h", std::vector<double>{}, 0));
  EXPECT_NO_THROW(w.add_histogram("h", arange(0, 10, 1, DType::i64), 1));
  EXPECT_NO_THROW(w.add_histogram("h", std::vector<double>{-DBL_MAX, DBL_MAX}, 2));
  EXPECT_EQ(read_records(w.file()).size(), 4u);
}

TEST(SummaryWriterBadInput, Hparams) {
  ScratchDir dir;
  SummaryWriter w(dir.path);
  std::string msg = error_of<ValueError>([&] { w.add_hparams({{"lr", NAN}}, {}); });
  EXPECT_TRUE(contains(msg, "add_hparams") && contains(msg, "lr")) << msg;
  msg = error_of<ValueError>([&] { w.add_hparams({{"", 1.0}}, {}); });
  EXPECT_TRUE(contains(msg, "add_hparams")) << msg;
  msg = error_of<ValueError>([&] { w.add_hparams({{"lr", 1.0}}, {{"", 1.0}}); });
  EXPECT_TRUE(contains(msg, "add_hparams")) << msg;
  w.add_text("notes", "x", 0);
  msg = error_of<ValueError>([&] { w.add_hparams({{"lr", 1.0}}, {{"notes", 1.0}}); });
  EXPECT_TRUE(contains(msg, "'notes'") && contains(msg, "text")) << msg;
  EXPECT_EQ(read_records(w.file()).size(), 2u);
  w.add_hparams({{"lr", 1.0}}, {{"acc", NAN}});
  msg = error_of<ValueError>([&] { w.add_hparams({{"lr", 1.0}}, {}); });
  EXPECT_TRUE(contains(msg, "already")) << msg;
}

TEST(SummaryWriterBadInput, FullDiskIsAnIOErrorAndLeavesTheFileReadable) {
  ScratchDir dir;
  SummaryWriter w(dir.path);
  w.add_scalar("x", 1, 0);
  const auto good = fs::file_size(w.file());
  // A file size limit stands in for a full disk: the OS writes up to it, then fails.
  struct Limit {
    rlimit old{};
    void (*old_handler)(int) = nullptr;
    Limit(rlim_t bytes) {
      old_handler = ::signal(SIGXFSZ, SIG_IGN);
      ::getrlimit(RLIMIT_FSIZE, &old);
      rlimit lim = old;
      lim.rlim_cur = bytes;
      ::setrlimit(RLIMIT_FSIZE, &lim);
    }
    ~Limit() {
      ::setrlimit(RLIMIT_FSIZE, &old);
      ::signal(SIGXFSZ, old_handler);
    }
  };
  std::string msg;
  {
    Limit limit(good + 100);
    msg = error_of<IOError>([&] { w.add_text("t", std::string(1000, 'a'), 1); });
    EXPECT_EQ(fs::file_size(w.file()), good);  // the partial record was cut off again
    EXPECT_NO_THROW(w.add_scalar("x", 2, 1));   // what fits still goes in
  }
  EXPECT_TRUE(contains(msg, "add_text") && contains(msg, w.file().string())) << msg;
  w.add_text("t", std::string(1000, 'a'), 2);
  bool cut = true;
  EXPECT_EQ(read_records(w.file(), &cut).size(), 4u);
  EXPECT_FALSE(cut);
}

TEST(SummaryWriterFile, DeviceTensorsWriteWhatHostTensorsWrite) {
  if (!cuda_available()) GTEST_SKIP() << "no CUDA device";
  ScratchDir dir;
  SummaryWriter host(dir.path / "host"), device(dir.path / "device");
  Tensor values = arange(0, 300, 1, DType::f32) * 0.25;
  Tensor image = full({3, 5, 7}, 0.25);
  Tensor u8 = full({1, 4, 4}, 200.0, DType::u8);
  for (SummaryWriter* w : {&host, &device}) {
    const Device d = w == &host ? Device::cpu() : Device::cuda();
    w->add_histogram("h", values.to(d), 0);
    w->add_image("img", image.to(d), 0);
    w->add_image("u8", u8.to(d), 0);
  }
  const auto a = read_records(host.file()), b = read_records(device.file());
  ASSERT_EQ(a.size(), 4u);
  ASSERT_EQ(b.size(), 4u);
  // Each Event starts with its wall time (key 0x09 and 8 bytes); the rest must be the same.
  for (size_t i = 1; i < a.size(); ++i) EXPECT_EQ(a[i].substr(9), b[i].substr(9)) << "record " << i;
}
