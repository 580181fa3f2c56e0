#include "layer_fixture.h"

#include <set>
#include <stdexcept>
#include <utility>

#include "testing/fixture.h"

namespace ember::testing {
namespace {

const std::set<std::string> kFloatKinds = {"state", "in", "gout", "out", "grad", "after"};
const std::set<std::string> kIntKinds = {"istate", "iafter"};
const std::set<std::string> kShapeKinds = {"pshape", "buffer"};

// <case> <kind> <name> [fields]: tensor records (float or int64 values), shape-only
// records, and the rest, whose fields after the name are kept as text.
LayerRecord parse_line(const std::vector<std::string>& tok) {
  LayerRecord r;
  r.kind = tok.at(1);
  r.name = tok.at(2);
  const FixtureValues values = kFloatKinds.count(r.kind) ? FixtureValues::floating
                               : kIntKinds.count(r.kind) ? FixtureValues::integer
                                                         : FixtureValues::none;
  if (values != FixtureValues::none || kShapeKinds.count(r.kind)) {
    FixtureTensor t = parse_tensor_fields(tok, 3, values);
    r.shape = std::move(t.shape);
    r.values = std::move(t.values);
    r.ivalues = std::move(t.ivalues);
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
    try {
      // A case's records need not be consecutive: they are grouped by case name.
      const bool found = read_fixture(path, [&](const std::vector<std::string>& tok) {
        auto& c = f.cases_[tok[0]];
        c.name = tok[0];
        c.records.push_back(parse_line(tok));
      });
      if (!found) f.error_ = "cannot open " + path;
    } catch (const std::exception& e) {
      f.error_ = e.what();
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
