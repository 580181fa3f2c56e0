// Reference values from PyTorch for losses, the softmax family, var/std and a few composite
// expressions: forward outputs and gradients. The fixture tests/data/reference.txt is made by
// tests/reference/make_fixtures.py (format described there); this file needs no Python.
// Every case runs in f64 (tight tolerance) and in f32 (inputs rounded to f32, loose tolerance).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <ember/ember.h>

#include "testing/assert_close.h"
#include "testing/fixture.h"

namespace {

const char* const kFixturePath = EMBER_TEST_DATA_DIR "/reference.txt";

// ------------------------------------------------------------------------------ fixture

struct Record {
  std::string kind;  // in, const, idx, gout, out, grad
  std::string name;
  ember::Shape shape;
  std::vector<double> values;   // float records
  std::vector<int64_t> ivalues; // idx records
};

struct Case {
  std::string name;
  std::string op;
  std::map<std::string, std::string> params;
  std::vector<Record> inputs;  // in, const and idx, in fixture order
  std::optional<Record> gout;
  std::optional<Record> out;
  std::vector<Record> grads;
};

struct Fixture {
  bool found = false;
  std::string error;  // empty when the fixture parsed
  std::vector<Case> cases;
  const Case* find(const std::string& name) const {
    for (const auto& c : cases)
      if (c.name == name) return &c;
    return nullptr;
  }
};

using ember::testing::FixtureValues;
using ember::testing::parse_double;
using ember::testing::parse_int;

// <case> <kind> <name> <ndim> <dims...> <values...>: int64 values for idx, floats otherwise.
Record parse_tensor_record(const std::vector<std::string>& tok) {
  const std::string& kind = tok[1];
  ember::testing::FixtureTensor t =
      ember::testing::parse_tensor_fields(tok, 3, kind == "idx" ? FixtureValues::integer : FixtureValues::floating);
  return Record{kind, tok[2], std::move(t.shape), std::move(t.values), std::move(t.ivalues)};
}

// A case's records are consecutive and start with its op record.
void add_record(Fixture& fx, const std::vector<std::string>& tok) {
  const std::string& cname = tok[0];
  const std::string& kind = tok[1];
  if (kind == "op") {
    if (fx.find(cname)) throw std::runtime_error("duplicate case '" + cname + "'");
    Case c;
    c.name = cname;
    c.op = tok[2];
    fx.cases.push_back(std::move(c));
    return;
  }
  if (fx.cases.empty() || fx.cases.back().name != cname)
    throw std::runtime_error("record for case '" + cname + "' outside its case");
  Case& c = fx.cases.back();
  if (kind == "param") {
    if (tok.size() != 4) throw std::runtime_error("param needs a key and a value");
    c.params[tok[2]] = tok[3];
  } else if (kind == "in" || kind == "const" || kind == "idx") {
    c.inputs.push_back(parse_tensor_record(tok));
  } else if (kind == "gout") {
    c.gout = parse_tensor_record(tok);
  } else if (kind == "out") {
    c.out = parse_tensor_record(tok);
  } else if (kind == "grad") {
    c.grads.push_back(parse_tensor_record(tok));
  } else {
    throw std::runtime_error("unknown record kind '" + kind + "'");
  }
}

Fixture load_fixture() {
  Fixture fx;
  try {
    fx.found = ember::testing::read_fixture(kFixturePath,
                                            [&](const std::vector<std::string>& tok) { add_record(fx, tok); });
    if (!fx.found) {
      fx.error = std::string("reference fixture not found at ") + kFixturePath +
                 " (regenerate it with: /usr/bin/python3 tests/reference/make_fixtures.py)";
      return fx;
    }
    for (const auto& c : fx.cases)
      if (!c.out) throw std::runtime_error(std::string(kFixturePath) + ": case '" + c.name + "' has no out record");
  } catch (const std::exception& e) {
    fx.found = true;  // read_fixture throws only for a file it could open
    fx.error = e.what();
    fx.cases.clear();
  }
  return fx;
}

const Fixture& fixture() {
  static const Fixture fx = load_fixture();
  return fx;
}

// ------------------------------------------------------------------------------ ops

struct Args {
  const Case& c;
  std::map<std::string, ember::Tensor> t;

  const ember::Tensor& operator[](const std::string& name) const {
    auto it = t.find(name);
    if (it == t.end())
      throw std::runtime_error("case '" + c.name + "': no input named '" + name + "'");
    return it->second;
  }
  bool has(const std::string& name) const { return t.count(name) != 0; }
  std::string param(const std::string& key, const std::string& fallback = "") const {
    auto it = c.params.find(key);
    if (it != c.params.end()) return it->second;
    if (!fallback.empty()) return fallback;
    throw std::runtime_error("case '" + c.name + "': no param '" + key + "'");
  }
  double pdouble(const std::string& key, double fallback) const {
    auto it = c.params.find(key);
    return it == c.params.end() ? fallback : parse_double(it->second);
  }
  int64_t pint(const std::string& key) const { return parse_int(param(key)); }
  int64_t pint(const std::string& key, int64_t fallback) const {
    auto it = c.params.find(key);
    return it == c.params.end() ? fallback : parse_int(it->second);
  }
  ember::Reduction reduction() const {
    const std::string r = param("reduction", "mean");
    if (r == "mean") return ember::Reduction::mean;
    if (r == "sum") return ember::Reduction::sum;
    if (r == "none") return ember::Reduction::none;
    throw std::runtime_error("case '" + c.name + "': unknown reduction '" + r + "'");
  }
  std::vector<int64_t> dims() const {
    const std::string d = param("dim");
    if (d == "all") return {};
    return {parse_int(d)};
  }
};

using OpFn = std::function<ember::Tensor(const Args&)>;

const std::map<std::string, OpFn>& ops() {
  static const std::map<std::string, OpFn> table = {
      {"cross_entropy",
       [](const Args& a) {
         return ember::cross_entropy(a["x"], a["t"], a.reduction(), a.pdouble("label_smoothing", 0.0),
                                     a.pint("ignore_index", -100));
       }},
      {"nll_loss",
       [](const Args& a) {
         return ember::nll_loss(a["x"], a["t"], a.reduction(), a.pint("ignore_index", -100));
       }},
      {"mse_loss", [](const Args& a) { return ember::mse_loss(a["input"], a["target"], a.reduction()); }},
      {"l1_loss", [](const Args& a) { return ember::l1_loss(a["input"], a["target"], a.reduction()); }},
      {"smooth_l1_loss",
       [](const Args& a) {
         return ember::smooth_l1_loss(a["input"], a["target"], a.reduction(), a.pdouble("beta", 1.0));
       }},
      {"bce_with_logits",
       [](const Args& a) {
         return ember::binary_cross_entropy_with_logits(
             a["x"], a["y"], a.reduction(), a.has("pos_weight") ? a["pos_weight"] : ember::Tensor());
       }},
      {"softmax", [](const Args& a) { return ember::softmax(a["x"], a.pint("dim")); }},
      {"log_softmax", [](const Args& a) { return ember::log_softmax(a["x"], a.pint("dim")); }},
      {"var",
       [](const Args& a) {
         return ember::var(a["x"], a.dims(), a.pint("correction"), a.pint("keepdim") != 0);
       }},
      {"std",
       [](const Args& a) {
         return ember::std(a["x"], a.dims(), a.pint("correction"), a.pint("keepdim") != 0);
       }},
      {"matmul", [](const Args& a) { return ember::matmul(a["A"], a["B"]); }},
      // (tanh(a @ b) + sigmoid(c)).sum()
      {"comp_tanh_mm_sigmoid_sum",
       [](const Args& a) {
         return (ember::tanh(ember::matmul(a["a"], a["b"])) + ember::sigmoid(a["c"])).sum();
       }},
      // (gelu(x) * exp(-x**2)).mean()
      {"comp_gelu_gauss_mean",
       [](const Args& a) {
         const ember::Tensor& x = a["x"];
         return (ember::gelu(x) * ember::exp(-ember::pow(x, 2.0))).mean();
       }},
      // log_softmax(linear(x, W, b), 1).gather(1, idx).mean()
      {"comp_linear_logsoftmax_gather",
       [](const Args& a) {
         ember::Tensor z = ember::log_softmax(ember::linear(a["x"], a["W"], a["b"]), 1);
         return ember::gather(z, 1, a["idx"]).mean();
       }},
      // (((x - mean(x,1)) / sqrt(var(x,1,correction 0) + 1e-5)) * g + b).pow(2).sum()
      {"comp_layernorm_like",
       [](const Args& a) {
         const ember::Tensor& x = a["x"];
         ember::Tensor centered = x - ember::mean(x, {1}, true);
         ember::Tensor denom = ember::sqrt(ember::var(x, {1}, 0, true) + 1e-5);
         return ((centered / denom) * a["g"] + a["b"]).pow(2.0).sum();
       }},
      // mse_loss(softmax(x, 1), y)
      {"comp_softmax_mse",
       [](const Args& a) { return ember::mse_loss(ember::softmax(a["x"], 1), a["y"]); }},
  };
  return table;
}

// ------------------------------------------------------------------------------ comparison

struct Tolerance {
  double rtol;
  double atol;  // scaled by max(1, max |expected|) of the tensor compared
};

// |got - expected| <= atol * max(1, max |expected|) + rtol * |expected|, finite values only.
::testing::AssertionResult compare(const std::string& what, const ember::Tensor& got, const Record& expected,
                                   Tolerance tol) {
  double scale = 1.0;
  for (double v : expected.values) scale = std::max(scale, std::abs(v));
  return ember::testing::assert_close(got, ember::from_vector<double>(expected.values, expected.shape),
                                      ember::testing::Tol{tol.atol * scale, tol.rtol, /*require_finite=*/true}, what);
}

ember::Tensor make_float(const Record& r, ember::DType dt) {
  if (dt == ember::DType::f64) return ember::from_vector<double>(r.values, r.shape);
  std::vector<float> f(r.values.begin(), r.values.end());
  return ember::from_vector<float>(f, r.shape);
}

// ------------------------------------------------------------------------------ tests

TEST(Reference, FixtureLoadsAndCoversEveryOp) {
  const Fixture& fx = fixture();
  ASSERT_TRUE(fx.found) << fx.error;
  ASSERT_TRUE(fx.error.empty()) << fx.error;
  ASSERT_GE(fx.cases.size(), 60u) << "fixture " << kFixturePath << " holds too few cases";
  std::set<std::string> seen;
  for (const auto& c : fx.cases) {
    EXPECT_TRUE(ops().count(c.op)) << "case '" << c.name << "' names unknown op '" << c.op << "'";
    seen.insert(c.op);
  }
  for (const auto& [op, fn] : ops()) EXPECT_TRUE(seen.count(op)) << "no fixture case for op " << op;
}

using Param = std::tuple<std::string, std::string>;  // case name, "f64" or "f32"

class ReferenceCase : public ::testing::TestWithParam<Param> {};

TEST_P(ReferenceCase, ForwardAndGradients) {
  const auto& [case_name, dtype_name] = GetParam();
  const Fixture& fx = fixture();
  ASSERT_TRUE(fx.error.empty()) << fx.error;
  const Case* cp = fx.find(case_name);
  ASSERT_NE(cp, nullptr) << "case '" << case_name << "' vanished from the fixture";
  const Case& c = *cp;
  const bool f64 = dtype_name == "f64";
  const ember::DType dt = f64 ? ember::DType::f64 : ember::DType::f32;
  const Tolerance tol = f64 ? Tolerance{1e-10, 1e-12} : Tolerance{1e-5, 2e-6};
  const std::string where = "case '" + c.name + "' (" + dtype_name + ", op " + c.op + ")";

  auto op_it = ops().find(c.op);
  ASSERT_NE(op_it, ops().end()) << where << ": unknown op";

  Args args{c, {}};
  std::map<std::string, ember::Tensor> leaves;
  for (const Record& r : c.inputs) {
    ember::Tensor t = r.kind == "idx" ? ember::from_vector<int64_t>(r.ivalues, r.shape)
                                      : make_float(r, dt);
    if (r.kind == "in") {
      t.requires_grad_(true);
      leaves[r.name] = t;
    }
    args.t[r.name] = t;
  }

  ember::Tensor out;
  try {
    out = op_it->second(args);
  } catch (const std::exception& e) {
    FAIL() << where << ": forward threw: " << e.what();
  }
  ASSERT_TRUE(out.defined()) << where << ": forward returned an undefined tensor";
  EXPECT_EQ(out.dtype(), dt) << where << ": output dtype";
  EXPECT_TRUE(compare(where + " forward output", out, *c.out, tol));

  try {
    if (c.gout)
      out.backward(make_float(*c.gout, dt));
    else
      out.backward();
  } catch (const std::exception& e) {
    FAIL() << where << ": backward threw: " << e.what();
  }
  for (const Record& g : c.grads) {
    auto it = leaves.find(g.name);
    ASSERT_NE(it, leaves.end()) << where << ": gradient for unknown input '" << g.name << "'";
    ember::Tensor grad = it->second.grad();
    if (!grad.defined()) {
      ADD_FAILURE() << where << ": no gradient reached input '" << g.name << "'";
      continue;
    }
    EXPECT_EQ(grad.dtype(), dt) << where << ": dtype of gradient w.r.t. '" << g.name << "'";
    EXPECT_TRUE(compare(where + " gradient w.r.t. '" + g.name + "'", grad, g, tol));
  }
}

std::vector<Param> all_params() {
  std::vector<Param> p;
  for (const auto& c : fixture().cases) {
    p.emplace_back(c.name, "f64");
    p.emplace_back(c.name, "f32");
  }
  return p;
}

INSTANTIATE_TEST_SUITE_P(PyTorch, ReferenceCase, ::testing::ValuesIn(all_params()),
                         [](const ::testing::TestParamInfo<Param>& info) {
                           return std::get<0>(info.param) + "_" + std::get<1>(info.param);
                         });
// With no fixture the suite has no instances; FixtureLoadsAndCoversEveryOp says why.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(ReferenceCase);

}  // namespace
