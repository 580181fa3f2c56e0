#pragma once
// Reader for tests/data/layers_reference.txt (format: see make_layer_fixtures.py).
#include <map>
#include <string>
#include <vector>

#include <ember/ember.h>
#include <ember/layers/module.h>

namespace ember::testing {

struct LayerRecord {
  std::string kind;  // layer, param, mode, state, istate, in, gout, out, grad, after, iafter, pshape, buffer, skey, count
  std::string name;
  Shape shape;
  std::vector<double> values;     // float tensor records
  std::vector<int64_t> ivalues;   // int tensor records
  std::vector<std::string> rest;  // layer/param/mode/count: the fields after the name
  // A f64 (or i64 for istate/iafter) CPU tensor with the record's values.
  Tensor tensor() const;
};

struct LayerCase {
  std::string name;
  std::vector<LayerRecord> records;
  std::vector<const LayerRecord*> all(const std::string& kind) const;
  // The single record of a kind (and name, if given); nullptr when absent.
  const LayerRecord* find(const std::string& kind, const std::string& name = "") const;
  // The state/istate records as a state dict.
  nn::StateDict state() const;
};

class LayerFixture {
 public:
  // Parses EMBER_TEST_DATA_DIR/layers_reference.txt once; error() is non-empty on failure.
  static const LayerFixture& get();
  const std::string& error() const { return error_; }
  const LayerCase* find(const std::string& name) const;

 private:
  std::string error_;
  std::map<std::string, LayerCase> cases_;
};

}  // namespace ember::testing
