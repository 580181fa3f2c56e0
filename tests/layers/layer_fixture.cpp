#include "layer_fixture.h"

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

namespace ember::testing {
namespace {

double parse_double(const std::string& tok) {
  char* end = nullptr;
  double v = std::strtod(tok.c_str(), &end);
  if (end == tok.c_str() || *end != '\0') throw std::runtime_error("bad number '" + tok + "'");
  return v;
}

int64_t parse_int(const std::string& tok) {
  char* end = nullptr;
  long long v = std::strtoll(tok.c_str(), &end, 10);
  if (end == tok.c_str() || *end != '\0') throw std::runtime_error("bad integer '" + tok + "'");
  return static_cast<int64_t>(v);
}

const std::set<std::string> kFloatKinds = {"state", "in", "gout", "out", "grad", "after"};
const std::set<std::string> kIntKinds = {"istate", "iafter"};
const std::set<std::string> kShapeKinds = {"pshape", "buffer"};

LayerRecord parse_line(const std::vector<std::string>& tok) {
  LayerRecord r;
  r.kind = tok.at(1);
  r.name = tok.at(2);
  const bool is_tensor = kFloatKinds.count(r.kind) || kIntKinds.count(r.kind);
  if (is_tensor || kShapeKinds.count(r.kind)) {
    size_t pos = 3;
    int64_t ndim = parse_int(tok.at(pos++));
    for (int64_t d = 0; d < ndim; ++d) r.shape.push_back(parse_int(tok.at(pos++)));
    if (!is_tensor) return r;
    const size_t n = static_cast<size_t>(numel_of(r.shape));
    if (tok.size() - pos != n)
      throw std::runtime_error("record " + tok[0] + " " + r.kind + " " + r.name + ": expected " + std::to_string(n) +
                               " values, got " + std::to_string(tok.size() - pos));
    for (; pos < tok.size(); ++pos) {
      if (kIntKinds.count(r.kind))
        r.ivalues.push_back(parse_int(tok[pos]));
      else
        r.values.push_back(parse_double(tok[pos]));
    }
    return r;
  }
  r.rest.assign(tok.begin() + 3, tok.end());
  return r;
}

}  // namespace

Tensor LayerRecord::tensor() const {
  if (!ivalues.empty() || kIntKinds.count(kind)) return from_vector<int64_t>(ivalues, shape);
  return from_vector<double>(values, shape);
}

std::vector<const LayerRecord*> LayerCase::all(const std::string& kind) const {
  std::vector<const LayerRecord*> out;
  for (const auto& r : records)
    if (r.kind == kind) out.push_back(&r);
  return out;
}

const LayerRecord* LayerCase::find(const std::string& kind, const std::string& name) const {
  for (const auto& r : records)
    if (r.kind == kind && (name.empty() || r.name == name)) return &r;
  return nullptr;
}

nn::StateDict LayerCase::state() const {
  nn::StateDict d;
  for (const auto& r : records)
    if (r.kind == "state" || r.kind == "istate") d.insert(r.name, r.tensor());
  return d;
}

const LayerFixture& LayerFixture::get() {
  static const LayerFixture fixture = [] {
    LayerFixture f;
    const std::string path = EMBER_TEST_DATA_DIR "/layers_reference.txt";
    std::ifstream in(path);
    if (!in) {
      f.error_ = "cannot open " + path;
      return f;
    }
    std::string line;
    int lineno = 0;
    try {
      while (std::getline(in, line)) {
        ++lineno;
        if (line.empty() || line[0] == '#') continue;
        std::istringstream ss(line);
        std::vector<std::string> tok;
        for (std::string t; ss >> t;) tok.push_back(t);
        if (tok.size() < 3) throw std::runtime_error("fewer than 3 fields");
        auto& c = f.cases_[tok[0]];
        c.name = tok[0];
        c.records.push_back(parse_line(tok));
      }
    } catch (const std::exception& e) {
      f.error_ = path + ":" + std::to_string(lineno) + ": " + e.what();
    }
    return f;
  }();
  return fixture;
}

const LayerCase* LayerFixture::find(const std::string& name) const {
  auto it = cases_.find(name);
  return it == cases_.end() ? nullptr : &it->second;
}

}  // namespace ember::testing
