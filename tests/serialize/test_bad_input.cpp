// Malformed safetensors files: each one must give an IOError whose message names the file
// (and the problem), never a crash, a huge allocation or another exception type.
#include <gtest/gtest.h>

#include <random>

#include <ember/core/safetensors.h>
#include <ember/ember.h>

#include "serialize_util.h"

using namespace ember;
using ember::testing::le64;
using ember::testing::safetensors_bytes;
using ember::testing::ScratchDir;
using ember::testing::write_bytes;

namespace {

int g_bad_inputs = 0;  // every malformed input tried, reported by the last test

// Loads `path` and expects an IOError that names the file and contains `what`.
void expect_io_error(const std::filesystem::path& path, const std::string& what, const std::string& label) {
  ++g_bad_inputs;
  SCOPED_TRACE(label);
  try {
    load_safetensors(path);
    ADD_FAILURE() << label << ": loaded without an error";
  } catch (const IOError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(path.string()), std::string::npos) << "message does not name the file: " << msg;
    EXPECT_NE(msg.find(what), std::string::npos) << "expected '" << what << "' in: " << msg;
  } catch (const std::exception& e) {
    ADD_FAILURE() << label << ": wrong exception type: " << e.what();
  }
}

// A file with this header and data, then expect_io_error.
void expect_bad(const ScratchDir& dir, const std::string& header, const std::string& data, const std::string& what) {
  auto path = dir / "bad.safetensors";
  write_bytes(path, safetensors_bytes(header, data));
  expect_io_error(path, what, header.substr(0, 200));
}

// One F32 tensor [2] at [0, 8] plus whatever entry is given, over `data_bytes` of data.
std::string with_entry(const std::string& entry) {
  return R"({"ok":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)" + entry + "}";
}

}  // namespace

TEST(SafetensorsBadInput, EmptyMissingAndDirectory) {
  ScratchDir dir("st_bad_fs");
  write_bytes(dir / "empty.safetensors", "");
  expect_io_error(dir / "empty.safetensors", "fewer than the 8-byte", "empty file");
  expect_io_error(dir / "absent.safetensors", "cannot open", "missing file");
  std::filesystem::create_directory(dir / "adir.safetensors");
  expect_io_error(dir / "adir.safetensors", "directory", "directory");
}

TEST(SafetensorsBadInput, TruncatedAtEveryLength) {
  ScratchDir dir("st_bad_trunc");
  auto good = dir / "good.safetensors";
  save_safetensors(good, {{"a", arange(6, DType::f32).reshape({2, 3})}, {"b", arange(3, DType::i64)},
                          {"c", ones({5}, DType::u8)}});
  const std::string bytes = ember::testing::read_bytes(good);
  ASSERT_EQ(load_safetensors(good).size(), 3u);
  auto path = dir / "t.safetensors";
  for (size_t len = 0; len < bytes.size(); ++len) {
    write_bytes(path, bytes.substr(0, len));
    expect_io_error(path, "", "truncated to " + std::to_string(len) + " of " + std::to_string(bytes.size()));
  }
}

TEST(SafetensorsBadInput, TruncatedResNet20Fixture) {
  ScratchDir dir("st_bad_trunc20");
  const std::string bytes = ember::testing::read_bytes(ember::testing::data_dir() / "serialize_resnet20.safetensors");
  ASSERT_GT(bytes.size(), 1000000u);
  auto path = dir / "r20.safetensors";
  std::mt19937 rng(20);
  for (int i = 0; i < 40; ++i) {
    size_t len = i < 20 ? static_cast<size_t>(i) * 97 : rng() % bytes.size();  // header region, then anywhere
    write_bytes(path, bytes.substr(0, len));
    expect_io_error(path, "", "resnet20 truncated to " + std::to_string(len));
  }
}

TEST(SafetensorsBadInput, HeaderLength) {
  ScratchDir dir("st_bad_len");
  auto path = dir / "len.safetensors";
  const std::string header = R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}})";
  // Huge claims must be refused before anything is allocated.
  for (uint64_t claim : {uint64_t{1} << 60, ~uint64_t{0}, uint64_t{1} << 63, uint64_t{100'000'001},
                         uint64_t{1} << 32}) {
    write_bytes(path, le64(claim) + header + "x");
    expect_io_error(path, "header length", "claims " + std::to_string(claim));
  }
  // Just past the file's end, and a header cut short of its closing brace.
  write_bytes(path, le64(header.size() + 2) + header + "x");
  expect_io_error(path, "exceeds", "length = file + 1");
  write_bytes(path, le64(header.size() - 1) + header + "x");
  expect_io_error(path, "not valid JSON", "length one short");
  write_bytes(path, le64(0) + header + "x");
  expect_io_error(path, "not a JSON object", "length 0");
}

TEST(SafetensorsBadInput, InvalidJson) {
  ScratchDir dir("st_bad_json");
  for (const std::string& h : std::vector<std::string>{"{", "{\"a\":}", "{\"a\" {}}", "{'a':{}}", "{,}", "{}x", "{}{}",
                              "{/*c*/}", "{\"a\":NaN}", "{\"a\":{\"dtype\":\"F32\"", std::string("{\0}", 3),
                              "{\"a\":{\"shape\":[1,]}}", "{\"a\":\"\\x41\"}"}) {
    expect_bad(dir, h, "", "not valid JSON");
  }
}

TEST(SafetensorsBadInput, NotUtf8) {
  ScratchDir dir("st_bad_utf8");
  const std::string entry = R"(":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}})";
  for (const std::string bad : {"\xff", "\xc0\xaf", "\xe2\x82", "\xed\xa0\x80", "\xf8\x88\x80\x80\x80",
                                "\x80", "\\ud800", "\\udc00x"}) {
    expect_bad(dir, "{\"a" + bad + entry, "x", "not valid JSON");
  }
  expect_bad(dir, "\xef\xbb\xbf{}", "", "does not start with '{'");  // a byte-order mark
}

TEST(SafetensorsBadInput, DuplicateKeys) {
  ScratchDir dir("st_bad_dup");
  const std::string e = R"({"dtype":"U8","shape":[1],"data_offsets":[0,1]})";
  expect_bad(dir, "{\"a\":" + e + ",\"a\":" + e + "}", "x", "duplicate tensor name 'a'");
  expect_bad(dir, "{\"a\":" + e + ",\"b\":" + e + ",\"a\":" + e + "}", "x", "duplicate tensor name 'a'");
  expect_bad(dir, R"({"a":{"dtype":"U8","dtype":"U8","shape":[1],"data_offsets":[0,1]}})", "x", "duplicate key 'dtype'");
  expect_bad(dir, R"({"a":{"dtype":"U8","shape":[1],"shape":[1],"data_offsets":[0,1]}})", "x", "duplicate key 'shape'");
  expect_bad(dir, R"({"__metadata__":{"k":"1","k":"2"}})", "", "duplicate key 'k'");
  expect_bad(dir, R"({"__metadata__":{},"__metadata__":{}})", "", "duplicate tensor name '__metadata__'");
}

TEST(SafetensorsBadInput, Offsets) {
  ScratchDir dir("st_bad_off");
  const std::string data(16, '\0');
  auto f32 = [](const std::string& name, int n, const std::string& offsets) {
    return "\"" + name + "\":{\"dtype\":\"F32\",\"shape\":[" + std::to_string(n) + "],\"data_offsets\":" + offsets + "}";
  };
  // Overlapping spans.
  expect_bad(dir, "{" + f32("a", 2, "[0,8]") + "," + f32("b", 2, "[4,12]") + "}", data, "overlap");
  expect_bad(dir, "{" + f32("a", 2, "[0,8]") + "," + f32("b", 2, "[0,8]") + "}", data, "overlap");
  expect_bad(dir, "{" + f32("a", 4, "[0,16]") + "," + f32("b", 1, "[4,8]") + "}", data, "overlap");
  expect_bad(dir, "{" + f32("b", 1, "[4,8]") + "," + f32("a", 4, "[0,16]") + "}", data, "overlap");
  // Past the end of the data.
  expect_bad(dir, "{" + f32("a", 5, "[0,20]") + "}", data, "past the end");
  expect_bad(dir, "{" + f32("a", 1, "[16,20]") + "}", data, "past the end");
  expect_bad(dir, "{" + f32("a", 0, "[17,17]") + "}", data, "past the end");
  expect_bad(dir, "{" + f32("a", 2, "[18446744073709551608,0]") + "}", data, "begin > end");
  expect_bad(dir, "{" + f32("a", 2, "[18446744073709551608,18446744073709551615]") + "}", data, "past the end");
  expect_bad(dir, "{" + f32("a", 2, "[8,0]") + "}", data, "begin > end");
  // Not a [begin, end] pair of non-negative integers.
  expect_bad(dir, "{" + f32("a", 2, "[0,8,16]") + "}", data, "more than 2");
  expect_bad(dir, "{" + f32("a", 2, "[8]") + "}", data, "expected [begin, end]");
  expect_bad(dir, "{" + f32("a", 2, "[]") + "}", data, "expected [begin, end]");
  expect_bad(dir, "{" + f32("a", 2, "[-8,0]") + "}", data, "negative");
  expect_bad(dir, "{" + f32("a", 2, "[0,8.0]") + "}", data, "not a non-negative integer");
  expect_bad(dir, "{" + f32("a", 2, "[0,18446744073709551616]") + "}", data, "not a non-negative integer");
  expect_bad(dir, "{" + f32("a", 2, "[0,\"8\"]") + "}", data, "holds a string");
  expect_bad(dir, "{" + f32("a", 2, "{\"0\":8}") + "}", data, "is an object");
  expect_bad(dir, "{" + f32("a", 2, "8") + "}", data, "is a number");
  expect_bad(dir, "{" + f32("a", 2, "[[0],[8]]") + "}", data, "holds an array");
}

TEST(SafetensorsBadInput, ShapeAndSpanDisagree) {
  ScratchDir dir("st_bad_shape");
  const std::string data(64, '\0');
  auto entry = [](const std::string& dtype, const std::string& shape, const std::string& offsets) {
    return "{\"a\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":" + offsets + "}}";
  };
  expect_bad(dir, entry("F32", "[3]", "[0,8]"), data, "needs 12 bytes");
  expect_bad(dir, entry("F32", "[1]", "[0,8]"), data, "needs 4 bytes");
  expect_bad(dir, entry("F64", "[2,2]", "[0,16]"), data, "needs 32 bytes");
  expect_bad(dir, entry("BF16", "[]", "[0,4]"), data, "needs 2 bytes");
  expect_bad(dir, entry("U8", "[0]", "[0,1]"), data, "needs 0 bytes");
  // Products that overflow 64 bits (and would wrap around to the span) must not get through.
  expect_bad(dir, entry("U8", "[4294967296,4294967296]", "[0,0]"), data, "overflows");
  expect_bad(dir, entry("U8", "[4294967296,4294967296,0]", "[0,0]"), data, "overflows");
  expect_bad(dir, entry("U8", "[9223372036854775808]", "[0,0]"), data, "overflows");
  expect_bad(dir, entry("F64", "[2305843009213693952]", "[0,0]"), data, "overflows");  // 2^61 * 8 wraps to 0
  expect_bad(dir, entry("F32", "[4611686018427387905]", "[0,4]"), data, "overflows");  // (2^62+1) * 4 wraps to 4
  // Negative, fractional and non-numeric dims; too many dims.
  expect_bad(dir, entry("F32", "[-1,2]", "[0,8]"), data, "negative value -1");
  expect_bad(dir, entry("F32", "[2,-2]", "[0,8]"), data, "negative");
  expect_bad(dir, entry("F32", "[2.0]", "[0,8]"), data, "not a non-negative integer");
  expect_bad(dir, entry("F32", "[1e1]", "[0,40]"), data, "not a non-negative integer");
  expect_bad(dir, entry("F32", "[\"2\"]", "[0,8]"), data, "holds a string");
  expect_bad(dir, entry("F32", "[true]", "[0,8]"), data, "holds a boolean");
  expect_bad(dir, entry("F32", "[null]", "[0,8]"), data, "holds null");
  expect_bad(dir, entry("F32", "2", "[0,8]"), data, "is a number");
  std::string many = "[";
  for (int i = 0; i < 65; ++i) many += i ? ",1" : "1";
  expect_bad(dir, entry("U8", many + "]", "[0,1]"), data, "more than 64");
}

TEST(SafetensorsBadInput, DTypes) {
  ScratchDir dir("st_bad_dtype");
  const std::string data(16, '\0');
  for (const std::string dt : {"I16", "U16", "U32", "U64", "I8", "F8_E4M3", "F8_E5M2", "C64", "f32", "", "float32"}) {
    expect_bad(dir, "{\"a\":{\"dtype\":\"" + dt + "\",\"shape\":[2],\"data_offsets\":[0,2]}}", data,
               "unsupported dtype '" + dt + "'");
  }
  expect_bad(dir, R"({"a":{"dtype":4,"shape":[2],"data_offsets":[0,8]}})", data, "dtype of tensor 'a' is a number");
  expect_bad(dir, R"({"a":{"dtype":["F32"],"shape":[2],"data_offsets":[0,8]}})", data, "is an array");
  expect_bad(dir, R"({"a":{"dtype":null,"shape":[2],"data_offsets":[0,8]}})", data, "is null");
  // BOOL bytes other than 0 and 1 are not valid bools.
  expect_bad(dir, R"({"a":{"dtype":"BOOL","shape":[3],"data_offsets":[0,3]}})", std::string("\x01\x02\x00", 3),
             "other than 0 and 1");
}

TEST(SafetensorsBadInput, Structure) {
  ScratchDir dir("st_bad_struct");
  const std::string data(8, '\0');
  for (const std::string& h : {std::string("[]"), std::string("null"), std::string("42"), std::string("\"s\""),
                               std::string("true"), std::string("}"), std::string("\t"), std::string(" {}"),
                               std::string("")})
    expect_bad(dir, h, data, "not a JSON object");
  expect_bad(dir, with_entry(R"("b":[1,2])"), data, "the entry of 'b' is an array");
  expect_bad(dir, with_entry(R"("b":"F32")"), data, "the entry of 'b' is a string");
  expect_bad(dir, with_entry(R"("b":null)"), data, "is null");
  expect_bad(dir, with_entry(R"("b":{"shape":[0],"data_offsets":[8,8]})"), data, "lacks dtype");
  expect_bad(dir, with_entry(R"("b":{"dtype":"F32","data_offsets":[8,8]})"), data, "lacks shape");
  expect_bad(dir, with_entry(R"("b":{"dtype":"F32","shape":[0]})"), data, "lacks data_offsets");
  expect_bad(dir, with_entry(R"("b":{})"), data, "lacks");
  expect_bad(dir, with_entry(R"("b":{"dtype":"F32","shape":[0],"data_offsets":[8,8],"extra":1})"), data,
             "unknown field 'extra'");
  expect_bad(dir, with_entry(R"("b":{"dtype":"F32","shape":[0],"data_offsets":[8,8],"more":{"x":{}}})"), data,
             "unknown field 'more'");
  expect_bad(dir, with_entry(R"("b":{"dtype":"F32","shape":{"x":{"y":{"z":[]}}},"data_offsets":[8,8]})"), data,
             "is an object");
  expect_bad(dir, with_entry(R"("__metadata__":{"n":1})"), data, "__metadata__ value 'n' is a number");
  expect_bad(dir, with_entry(R"("__metadata__":{"n":{"deep":"x"}})"), data, "__metadata__ value 'n' is an object");
  expect_bad(dir, with_entry(R"("__metadata__":{"n":["x"]})"), data, "__metadata__ value 'n' is an array");
  expect_bad(dir, with_entry(R"("__metadata__":["x"])"), data, "the entry of '__metadata__' is an array");
  expect_bad(dir, with_entry(R"("__metadata__":"x")"), data, "the entry of '__metadata__' is a string");
  // Deep nesting stops at the first level where the format allows no container.
  expect_bad(dir, "{\"a\":" + std::string(100000, '[') + std::string(100000, ']') + "}", data, "is an array");
  expect_bad(dir, std::string(100000, '['), data, "not a JSON object");
}

// Random corruption of a valid header: anything but a clean load or an IOError is a bug.
TEST(SafetensorsBadInput, RandomHeaderCorruption) {
  ScratchDir dir("st_bad_fuzz");
  auto good = dir / "good.safetensors";
  save_safetensors(good, {{"w", randn({3, 4})}, {"i", arange(5)}, {"b", ones({2}, DType::boolean)}});
  const std::string bytes = ember::testing::read_bytes(good);
  uint64_t header_len = 0;
  for (int i = 0; i < 8; ++i) header_len |= uint64_t(static_cast<unsigned char>(bytes[i])) << (8 * i);
  std::mt19937 rng(99);
  auto path = dir / "fuzz.safetensors";
  int loaded = 0, refused = 0;
  for (int iter = 0; iter < 500; ++iter) {
    std::string b = bytes;
    const int flips = 1 + static_cast<int>(rng() % 3);
    for (int k = 0; k < flips; ++k) {
      size_t pos = rng() % (8 + header_len);
      b[pos] = static_cast<char>(rng() % 3 == 0 ? "{}[]\",:0123456789-.e"[rng() % 20] : static_cast<char>(rng()));
    }
    write_bytes(path, b);
    ++g_bad_inputs;
    try {
      auto t = load_safetensors(path);
      ++loaded;
    } catch (const IOError& e) {
      ++refused;
      EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos) << e.what();
    } catch (const std::exception& e) {
      ADD_FAILURE() << "iteration " << iter << ": wrong exception type: " << e.what();
    }
  }
  EXPECT_GT(refused, 400);
  std::printf("[          ] random header corruption: %d refused, %d still valid\n", refused, loaded);
}

TEST(SafetensorsBadInput, ValidEdgeCasesStillLoad) {
  ScratchDir dir("st_edge");
  auto path = dir / "edge.safetensors";
  // Metadata, padding spaces, an empty tensor sharing an offset, gaps between spans, keys in any order.
  write_bytes(path, safetensors_bytes(R"({"__metadata__":{"format":"pt","k":""},"z":{"data_offsets":[8,8],)"
                                      R"("shape":[0,5],"dtype":"F32"},"a":{"shape":[2],"dtype":"F32","data_offsets":[0,8]},)"
                                      R"("g":{"dtype":"U8","shape":[1],"data_offsets":[12,13]}}    )",
                                      std::string(16, '\0')));
  auto t = load_safetensors(path);
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t[0].first, "a");
  EXPECT_EQ(t[1].first, "z");
  EXPECT_EQ(t[1].second.shape(), (Shape{0, 5}));
  EXPECT_EQ(t[2].first, "g");
}

TEST(SafetensorsBadInput, Summary) {
  std::printf("[          ] %d malformed safetensors inputs tried\n", g_bad_inputs);
  RecordProperty("bad_inputs", g_bad_inputs);
}
